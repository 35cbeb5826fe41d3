package guard

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"
)

func TestFuncTurnsAPanicIntoAnError(t *testing.T) {
	var g errgroup.Group
	g.Go(Func(func() error { return nil }))
	g.Go(Func(func() error {
		var s []int
		_ = s[len(s)] // panics: index out of range
		return nil
	}))
	err := g.Wait()
	var pe *PanicError
	require.True(t, errors.As(err, &pe), "got %v", err)
	assert.Contains(t, pe.Error(), "internal error: runtime error: index out of range")
	assert.Contains(t, string(pe.Stack), "guard_test.go")

	sentinel := errors.New("ordinary")
	assert.Equal(t, sentinel, Func(func() error { return sentinel })())

	failed := make(chan error, 1)
	Go(func() { panic("boom") }, func(err error) { failed <- err })
	assert.ErrorContains(t, <-failed, "internal error: boom")
}
