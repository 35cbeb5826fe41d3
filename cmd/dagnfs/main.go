package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/publish"
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
	exitCanceled = 130
)

const usage = `dagnfs validates Airflow DAG folders and publishes them onto NFS exports.

Usage:
  dagnfs publish SRC DEST [flags]   copy SRC onto DEST atomically (DEST: nfs://HOST[:PORT]/PATH or a folder)
  dagnfs validate [DIR] [flags]     check DIR the way Airflow will see it
  dagnfs verify DEST [flags]        prove a pod's mount shows the published generation, readable for Airflow
  dagnfs agent DEST --listen ADDR   verify on a schedule, with /healthz, /readyz, /status and /metrics
  dagnfs status DEST                generation, label, lock and drift of DEST
  dagnfs history DEST               the generations kept on DEST
  dagnfs rollback DEST [--to GEN]   restore a kept generation as a new one
  dagnfs k8s verify-job|agent-daemonset|publish-cronjob [flags]
                                    print Kubernetes manifests that run dagnfs
  dagnfs serve --export DIR         a small NFSv3 server for trying dagnfs
  dagnfs version                    print the version

Run "dagnfs COMMAND --help" for a command's flags. Every flag can also be set
with an environment variable: --max-delete is DAGNFS_MAX_DELETE.

EXIT STATUS
  0 success, 1 validation or check failed, 2 bad usage, 3 destination error,
  4 destination locked by another publisher, 130 interrupted.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run dispatches to a command and turns its error into an exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "publish":
		err = runPublishCmd(ctx, args[1:], stdin, stdout, stderr)
	case "validate":
		err = runValidateCmd(ctx, args[1:], stdout, stderr)
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
	case "k8s":
		err = runK8sCmd(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "dagnfs %s\n", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usagef("unknown command %q; run \"dagnfs help\"", args[0])
	}
	return exitCode(err, stderr)
}

// exitCode is the one place where errors become exit codes.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var (
		ue *usageError
		ve *publish.ValidationError
		re *publish.RefusedError
		ce *publish.CheckError
		le *publish.LockedError
		sf silentFailure
		me *verify.UnreadableError
		te *nfs.TransportError
	)
	code := exitDest
	switch {
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &sf):
		return exitFailed // already reported
	case errors.As(err, &ue):
		code = exitUsage
	case errors.As(err, &ve), errors.As(err, &re), errors.As(err, &ce):
		code = exitFailed
	case errors.As(err, &le):
		code = exitLocked
	case errors.As(err, &me):
		code = exitDest
	case errors.Is(err, context.Canceled):
		code = exitCanceled
		err = errors.New("interrupted; the export holds only whole files and the next publish cleans up")
	case errors.As(err, &te) && !errors.As(err, &me):
		err = fmt.Errorf("%w; nothing half-written is visible on the export: run it again once the server answers", err)
	}
	fmt.Fprintf(stderr, "dagnfs: %v\n", err)
	return code
}

// silentFailure is a failure whose report was already written.
type silentFailure struct{}

func (silentFailure) Error() string { return "failed" }
