//go:build e2e

// Package gatecheck holds one test that always fails. scripts/gate-check.sh
// runs it through scripts/e2e.sh and expects a non-zero exit: the proof that
// a failing end-to-end test fails make test. It is never part of ./e2e/.
package gatecheck

import "testing"

func TestDeliberateFailure(t *testing.T) {
	t.Fatal("deliberate failure: scripts/e2e.sh must exit non-zero on this")
}
