// Package guard turns a panic in a goroutine into an error. A goroutine's
// panic cannot be recovered by its caller: it would end the process with
// exit 2 and a stack trace, skipping every cleanup (the lock's release
// included). Wrapped with Func, it becomes a *PanicError that travels like
// any other error, and the command reports an internal error (exit 3).
package guard

import (
	"context"
	"fmt"
	"runtime/debug"
)

// PanicError is a panic caught in a goroutine.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("internal error: %v", e.Value) }

// Func returns f with a panic in it turned into a *PanicError.
func Func(f func() error) func() error {
	return func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = &PanicError{Value: p, Stack: debug.Stack()}
			}
		}()
		return f()
	}
}

// Go runs f in a goroutine; a panic in it is handed to failed.
func Go(f func(), failed func(error)) {
	go func() {
		if err := Func(func() error { f(); return nil })(); err != nil {
			failed(err)
		}
	}()
}

// Until runs f and returns what it returns, or ctx's error as soon as ctx
// ends, whichever comes first: work that does not look at ctx often enough
// (a walk, a parse of a large file) cannot hold an interrupted command. f
// goes on in the background until it returns and its results are dropped,
// so it must not change anything that outlives it.
func Until[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		r.err = Func(func() (err error) { r.v, err = f(); return err })()
		ch <- r
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		select {
		case r := <-ch: // it ended too: its answer stands
			return r.v, r.err
		default:
		}
		var zero T
		return zero, ctx.Err()
	}
}
