package guard

import "syscall"

// DiesWithParent makes a child process end with dagnfs: an interrupted run
// exits at once, and what it started (the Python interpreters, git) must
// not go on after it (their context's kill may never run).
func DiesWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
