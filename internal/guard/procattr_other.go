//go:build !linux

package guard

import "syscall"

// DiesWithParent: only Linux can tie a child's life to its parent's.
func DiesWithParent() *syscall.SysProcAttr { return nil }
