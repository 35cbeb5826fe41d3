// Package guard turns a panic in a goroutine into an error. A goroutine's
// panic cannot be recovered by its caller: it would end the process with
// exit 2 and a stack trace, skipping every cleanup (the lock's release
// included). Wrapped with Func, it becomes a *PanicError that travels like
// any other error, and the command reports an internal error (exit 3).
package guard

import (
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
