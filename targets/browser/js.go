//go:build js

package browser

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
	"time"
)

// settleWait bounds the wait for a host's Promise after abort: a host
// that keeps its promise settles it at once.
const settleWait = 5 * time.Second

// await waits for Promise p (or any value, taken as resolved) without
// blocking the JS event loop: the Promise's then gets two js.FuncOf
// callbacks that only send to a buffered channel, and this goroutine
// receives from it. When ctx ends first, abort is called (the host then
// settles p) and the callbacks are released once p has settled.
func await(ctx context.Context, p js.Value, abort func()) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 2)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{v: arg0(args)}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{err: errors.New(jsString(arg0(args)))}
		return nil
	})
	release := func() {
		ok.Release()
		fail.Release()
	}
	if _, err := call(js.Global().Get("Promise").Call("resolve", p), "then", ok, fail); err != nil {
		release()
		return js.Value{}, err
	}
	select {
	case s := <-ch:
		release()
		return s.v, s.err
	case <-ctx.Done():
		abort()
		select {
		case <-ch:
			release()
		case <-time.After(settleWait):
			// Never settled: keep the callbacks, which may still be called.
		}
		return js.Value{}, ctx.Err()
	}
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// call calls v's method, turning a JavaScript exception (or a missing
// method) into an error.
func call(v js.Value, method string, args ...any) (res js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", method, r)
		}
	}()
	return v.Call(method, args...), nil
}

// jsString is v as text: an Error's message, else String(v).
func jsString(v js.Value) string {
	if v.Type() == js.TypeObject {
		if m := v.Get("message"); m.Type() == js.TypeString {
			return m.String()
		}
	}
	if v.Type() == js.TypeString {
		return v.String()
	}
	return js.Global().Get("String").Invoke(v).String()
}

// bytesJS copies b into a new Uint8Array.
func bytesJS(b []byte) js.Value {
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}
