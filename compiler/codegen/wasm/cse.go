package wasm

import (
	"sort"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// The load cache: in straight-line code, a value loaded once (scalar, a
// four-lane run, or a splat of one element) is kept in a local and reused
// by later identical loads, until a store to the same buffer or the end of
// the block. An unrolled micro-kernel reads each element of A and B once
// per step instead of once per use.

type cached struct {
	buf   *ir.Buffer
	local uint32
	t     wasmbin.ValType
}

func cacheKey(kind string, b *ir.Buffer, flat expr.Expr) string {
	return kind + "|" + b.Name + "|" + expr.String(flat)
}

// fromCache pushes a cached value and reports whether there was one.
func (g *gen) fromCache(key string) bool {
	c, ok := g.cache[key]
	if ok {
		g.f.LocalGet(c.local)
	}
	return ok
}

// toCache keeps the value on the stack in a local under key (leaving it
// on the stack).
func (g *gen) toCache(key string, b *ir.Buffer, t wasmbin.ValType) {
	l := g.temp(t)
	g.f.LocalTee(l)
	g.cache[key] = cached{buf: b, local: l, t: t}
}

// forget drops the cached loads of buffer b (nil: all of them).
// Keys are visited in order so that the locals go back to the pool in
// the same order every time: the module's bytes must not depend on map
// iteration.
func (g *gen) forget(b *ir.Buffer) {
	keys := make([]string, 0, len(g.cache))
	for k, c := range g.cache {
		if b == nil || c.buf == b {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := g.cache[k]
		g.release(c.t, c.local)
		delete(g.cache, k)
	}
}
