//go:build js && wasm

package main

import (
	"context"
	"syscall/js"

	"github.com/tabtune/tabtune/targets/browser"
	"github.com/tabtune/tabtune/wasm/engine/api"
)

// jsStore is api.Store over the worker script's globalThis.tabtuneStore
// (IndexedDB in a page): lines() and append(line) return Promises.
type jsStore struct{ v js.Value }

// Append implements api.Store.
func (s jsStore) Append(line []byte) error {
	_, err := browser.Await(context.Background(), s.v.Call("append", string(line)))
	return err
}

// newStore is the worker script's store, or memory when it has none
// (the ready event says so).
func newStore(info map[string]any) api.Store {
	v := js.Global().Get("tabtuneStore")
	if v.IsUndefined() || v.IsNull() {
		info["store"] = "memory: records are kept for this session only"
		return &api.MemStore{}
	}
	info["store"] = "indexeddb"
	return jsStore{v}
}

// Lines implements api.Store.
func (s jsStore) Lines() ([][]byte, error) {
	v, err := browser.Await(context.Background(), s.v.Call("lines"))
	if err != nil {
		return nil, err
	}
	out := make([][]byte, v.Length())
	for i := range out {
		out[i] = []byte(v.Index(i).String())
	}
	return out, nil
}
