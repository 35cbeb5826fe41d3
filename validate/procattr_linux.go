package validate

import "syscall"

// diesWithParent makes a child process end with dagnfs: an interrupted
// validation exits at once, and the interpreters it started must not go on
// compiling after it (their context's kill may never run).
func diesWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
