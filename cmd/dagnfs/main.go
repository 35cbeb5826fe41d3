package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/dagnfs/dagnfs/internal/guard"
	"github.com/dagnfs/dagnfs/internal/srcfile"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/publish"
	"github.com/dagnfs/dagnfs/validate"
	"github.com/dagnfs/dagnfs/verify"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes, the same for every command.
const (
	exitOK       = 0
	exitFailed   = 1 // validation, a refused plan, a failed post-publish check
	exitUsage    = 2
	exitDest     = 3
	exitLocked   = 4
	exitPaused   = 5 // publishing to the destination is paused (dagnfs pause)
	exitCanceled = 130
)

const usage = `dagnfs validates Airflow DAG folders and publishes them onto NFS exports.

Usage:
  dagnfs publish SRC DEST [flags]   copy SRC onto DEST atomically (DEST: nfs://HOST[:PORT]/PATH or a folder)
  dagnfs validate [DIR] [flags]     check DIR the way Airflow will see it
  dagnfs config [DIR]               the settings validate and publish use for DIR, and where each comes from
  dagnfs verify DEST [flags]        prove a pod's mount shows the published generation, readable for Airflow
  dagnfs agent DEST --listen ADDR   verify on a schedule, with /healthz, /readyz, /status and /metrics
  dagnfs status DEST                generation, label, lock and drift of DEST
  dagnfs history DEST               the generations kept on DEST
  dagnfs rollback DEST [--to GEN]   restore a kept generation as a new one
  dagnfs unlock DEST [--force]      remove a lock its publisher left behind
  dagnfs pause DEST --reason TEXT   refuse publishes to DEST until dagnfs resume DEST
  dagnfs resume DEST                let publishes to DEST run again
  dagnfs share init SHARE           make SHARE a folder several teams publish into (status SHARE lists them)
  dagnfs promote FROM TO            publish to TO exactly what FROM serves, checked against FROM's manifest
  dagnfs k8s KIND [flags]           print Kubernetes manifests that run dagnfs; KIND is
                                    verify-job, agent-daemonset, agent-networkpolicy,
                                    publish-cronjob, env-capture-job or bundle-config
  dagnfs env capture|script         describe the Airflow image's Python environment for validate --env
  dagnfs serve --export DIR         a small NFSv3 server for trying dagnfs
  dagnfs version                    print the version, commit, Go and parser versions
  dagnfs help                       this text

Run "dagnfs COMMAND --help" for a command's flags. Every flag can also be set
with an environment variable: --max-delete is DAGNFS_MAX_DELETE. Settings
that belong to a repository can live in a dagnfs.toml or in pyproject.toml's
[tool.dagnfs] (see dagnfs config --help); flags and variables override it.

EXIT STATUS
  0 success, 1 validation or check failed, 2 bad usage, 3 destination error,
  4 destination locked by another publisher, 5 destination paused
  (dagnfs pause), 130 interrupted.
`

// commands are dagnfs's commands, as the usage above lists them.
var commands = []string{"publish", "validate", "config", "verify", "agent", "status", "history", "rollback",
	"unlock", "pause", "resume", "share", "promote", "k8s", "env", "serve", "version", "help"}

// memoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT says
// otherwise: the garbage collector works harder before the heap grows past
// it, which keeps the peak of a large manifest's parse well under the
// 256 MiB the shipped Kubernetes manifests allow.
const memoryLimit = 100 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := interruptible(os.Stderr, os.Exit)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	finish(code, stop, os.Exit)
}

// finish ends the process with the run's code. The run is over and has
// said how: a signal landing now must not kill the process (the default
// action, once stop has let go of SIGINT) and turn a finished publish's
// exit 0 into a death by signal, so the signals are ignored first.
func finish(code int, stop func(), exit func(int)) {
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	stop()
	exit(code)
}

// exitGrace is how long a command may take, after SIGINT or SIGTERM, to
// end by itself (tidying up what it wrote, releasing its lock) before the
// process exits regardless.
const exitGrace = 4 * time.Second

// interruptible returns a context that SIGINT or SIGTERM cancels. A second
// signal, or a command still running exitGrace after the first, ends the
// process at once with exit 130 and a line saying what may be left.
func interruptible(stderr io.Writer, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		cancel()
		timer := time.NewTimer(exitGrace)
		defer timer.Stop()
		var why string
		select {
		case <-sigs:
			why = "interrupted again"
		case <-timer.C:
			why = fmt.Sprintf("still tidying up %v after the interrupt", exitGrace)
		case <-done:
			return
		}
		fmt.Fprintf(stderr, "dagnfs: %s: exiting now; a publish's lock may be left (dagnfs status DEST shows it, dagnfs unlock DEST removes it) and the next publish removes its temporary files\n", why)
		exit(exitCanceled)
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run dispatches to a command and turns its error into an exit code. A
// panic, which no input should cause, ends the command as an internal error
// with exit 3 (its deferred cleanups, the lock's release included, have run
// by then), never with Go's exit 2 and a stack trace. With --format json,
// exactly one JSON document is printed on every path: a command that failed
// before it printed its own (a usage error, a destination it could not
// open) prints the error alone.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	out := &countingWriter{w: stdout}
	var err error
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
			fmt.Fprintf(stderr, "dagnfs: internal error: %v; nothing half-written is visible on the export and the next publish cleans up. Please report this with the command line\n", p)
			if os.Getenv("DAGNFS_DEBUG") != "" {
				fmt.Fprintf(stderr, "%s", debug.Stack())
			}
			code = exitDest
		}
		if code != exitOK && out.n == 0 && wantsJSON(args[1:]) {
			e := errorObject(err)
			if e == nil {
				e = &jsonError{Kind: kindInternal, Message: "failed"}
			}
			b, _ := json.Marshal(struct {
				OK    bool       `json:"ok"`
				Error *jsonError `json:"error"`
			}{false, e})
			fmt.Fprintf(stdout, "%s\n", b)
		}
	}()
	err = dispatch(ctx, args, stdin, out, stderr)
	if flagIs(args[1:], "log-format", "json") {
		return exitCodeJSON(err, stderr)
	}
	return exitCode(err, stderr)
}

// dispatch runs the command args name.
func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var err error
	switch args[0] {
	case "publish":
		err = runPublishCmd(ctx, args[1:], stdin, stdout, stderr)
	case "validate":
		err = runValidateCmd(ctx, args[1:], stdout, stderr)
	case "config":
		err = runConfigCmd(ctx, args[1:], stdout, stderr)
	case "serve":
		err = runServeCmd(ctx, args[1:], stdout, stderr)
	case "verify":
		err = runVerifyCmd(ctx, args[1:], stdout, stderr)
	case "agent":
		err = runAgentCmd(ctx, args[1:], stdout, stderr)
	case "status":
		err = runStatusCmd(ctx, args[1:], stdout, stderr)
	case "history":
		err = runHistoryCmd(ctx, args[1:], stdout, stderr)
	case "rollback":
		err = runRollbackCmd(ctx, args[1:], stdin, stdout, stderr)
	case "unlock":
		err = runUnlockCmd(ctx, args[1:], stdin, stdout, stderr)
	case "pause":
		err = runPauseCmd(ctx, args[1:], stdout, stderr)
	case "resume":
		err = runResumeCmd(ctx, args[1:], stdout, stderr)
	case "share":
		err = runShareCmd(ctx, args[1:], stdout, stderr)
	case "promote":
		err = runPromoteCmd(ctx, args[1:], stdin, stdout, stderr)
	case "k8s":
		err = runK8sCmd(ctx, args[1:], stdout, stderr)
	case "env":
		err = runEnvCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		err = runVersionCmd(args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usagef("unknown command %q%s; run \"dagnfs help\"", args[0], didYouMean(args[0], commands))
	}
	return err
}

// countingWriter counts what was written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// wantsJSON reports whether a command line asks for JSON output.
func wantsJSON(args []string) bool { return flagIs(args, "format", "json") }

// flagIs reports whether the flag --name is value on a command line (or,
// without the flag, in its DAGNFS_ variable), read without the command's
// flags (which may be what failed to parse).
func flagIs(args []string, name, value string) bool {
	for i, a := range args {
		switch {
		case a == "--":
			return false
		case a == "--"+name+"="+value:
			return true
		case a == "--"+name && i+1 < len(args):
			return args[i+1] == value
		case strings.HasPrefix(a, "--"+name+"="):
			return false
		}
	}
	return os.Getenv("DAGNFS_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))) == value
}

// Kinds of failure, as JSON output names them ("error": {"kind": ...}).
const (
	kindUsage       = "usage"
	kindValidation  = "validation"
	kindRefused     = "refused"
	kindCheck       = "check"
	kindDrift       = "drift"
	kindLocked      = "locked"
	kindPaused      = "paused"
	kindDestination = "destination"
	kindDeadline    = "deadline"
	kindInterrupted = "interrupted"
	kindInternal    = "internal"
)

// errorKinds are all the kinds above, as the README lists them.
var errorKinds = []string{kindUsage, kindValidation, kindRefused, kindCheck, kindDrift, kindLocked, kindPaused,
	kindDestination, kindDeadline, kindInterrupted, kindInternal}

// classify is the one place where errors become exit codes: it returns the
// code, the kind of failure and the message to show.
func classify(err error) (int, string, error) {
	var (
		ue   *usageError
		ve   *publish.ValidationError
		re   *publish.RefusedError
		ce   *publish.CheckError
		le   *publish.LockedError
		de   *deadlineError
		me   *verify.UnreadableError
		te   *nfs.TransportError
		pe   *guard.PanicError
		perm *publish.PermissionError
		oe   *validate.OptionError
		dr   *publish.DriftError
		pz   *publish.PausedError
		ie   *publish.InterruptedError
	)
	switch {
	case errors.As(err, &ue):
		return exitUsage, kindUsage, err
	case errors.As(err, &oe):
		return exitUsage, kindUsage, optionUsage(err)
	case errors.As(err, &ve):
		return exitFailed, kindValidation, err
	case errors.Is(err, srcfile.ErrChanged):
		return exitFailed, kindRefused, err
	case errors.As(err, &re):
		if re.Setting != "" {
			err = fmt.Errorf("%w (--%s)", err, re.Setting)
		}
		return exitFailed, kindRefused, err
	case errors.As(err, &ce):
		return exitFailed, kindCheck, err
	case errors.As(err, &dr):
		return exitFailed, kindDrift, err
	case errors.As(err, &le), errors.Is(err, publish.ErrLockLost):
		return exitLocked, kindLocked, err
	case errors.As(err, &pz):
		return exitPaused, kindPaused, err
	case errors.As(err, &de):
		return exitDest, kindDeadline, err
	case errors.As(err, &pe):
		if os.Getenv("DAGNFS_DEBUG") != "" {
			os.Stderr.Write(pe.Stack)
		}
		return exitDest, kindInternal, fmt.Errorf("%w; nothing half-written is visible on the export and the next publish cleans up. Please report this with the command line", err)
	case errors.As(err, &ie):
		return exitCanceled, kindInterrupted, err
	case errors.Is(err, context.Canceled):
		return exitCanceled, kindInterrupted, errors.New("interrupted")
	case errors.As(err, &me):
		return exitDest, kindDestination, err
	case errors.As(err, &perm) && perm.OwnerUID >= 0:
		hint := fmt.Sprintf("--uid %d --gid %d", perm.OwnerUID, perm.OwnerGID)
		if perm.AsRoot {
			hint += ", as root"
		}
		return exitDest, kindDestination, fmt.Errorf("%w (%s)", err, hint)
	case errors.As(err, &te):
		hint := ""
		if errors.Is(err, os.ErrDeadlineExceeded) {
			hint = " (--timeout sets how long a call waits)"
		}
		return exitDest, kindDestination, fmt.Errorf("%w%s; nothing half-written is visible on the export (what a publish wrote under temporary names, the next one removes): run it again once the server answers", err, hint)
	}
	return exitDest, kindDestination, err
}

// exitCode reports err on stderr (one line) and returns its exit code.
func exitCode(err error, stderr io.Writer) int {
	var sf silentFailure
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &sf):
		return exitFailed // already reported
	}
	code, _, shown := classify(err)
	fmt.Fprintf(stderr, "dagnfs: %s\n", printable(capped(shown.Error())))
	return code
}

// exitCodeJSON is exitCode with the error line as a JSON object, as
// --log-format json makes every line on stderr.
func exitCodeJSON(err error, stderr io.Writer) int {
	var sf silentFailure
	if err == nil || errors.Is(err, errHelp) || errors.As(err, &sf) {
		return exitCode(err, stderr)
	}
	code, kind, shown := classify(err)
	slog.New(slog.NewJSONHandler(stderr, nil)).Error(capped(shown.Error()), "kind", kind)
	return code
}

// maxMessage bounds an error message: one taken from a file or a server
// can be any length (a 466 KB line was seen).
const maxMessage = 4 << 10

// capped cuts a message longer than maxMessage, saying how much more there
// was.
func capped(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return fmt.Sprintf("%s … (%d more bytes not shown)", msg[:cut], len(msg)-cut)
}

// jsonError is the "error" object of every command's JSON output.
type jsonError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func errorObject(err error) *jsonError {
	if err == nil {
		return nil
	}
	_, kind, shown := classify(err)
	return &jsonError{Kind: kind, Message: capped(shown.Error())}
}

// deadlineError: the whole run did not end within --deadline.
type deadlineError struct {
	limit time.Duration
	err   error
}

func (e *deadlineError) Error() string {
	return fmt.Sprintf("did not finish within --deadline %v (%v); nothing half-written is visible on the export and the next publish cleans up", e.limit, e.err)
}

func (e *deadlineError) Unwrap() error { return e.err }

// withDeadline bounds a whole run. done turns an error that the deadline
// caused into a *deadlineError.
func withDeadline(ctx context.Context, limit time.Duration) (context.Context, context.CancelFunc, func(error) error) {
	if limit <= 0 {
		return ctx, func() {}, func(err error) error { return err }
	}
	dctx, cancel := context.WithTimeout(ctx, limit)
	return dctx, cancel, func(err error) error {
		if err != nil && ctx.Err() == nil && dctx.Err() != nil {
			return &deadlineError{limit: limit, err: err}
		}
		return err
	}
}

// silentFailure is a failure whose report was already written.
type silentFailure struct{}

func (silentFailure) Error() string { return "failed" }
