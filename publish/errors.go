package publish

import (
	"fmt"
	"github.com/dagnfs/dagnfs/layout"
	"strings"
	"time"

	"github.com/dagnfs/dagnfs/validate"
)

// ValidationError: the source failed its checks; nothing was published.
type ValidationError struct{ Report *validate.Report }

func (e *ValidationError) Error() string {
	if e.Report.Errors() == 0 {
		return fmt.Sprintf("the source has %s and strict mode is on; nothing was published", validate.Count(e.Report.Warnings(), "warning"))
	}
	return fmt.Sprintf("the source failed validation with %s; nothing was published", validate.Count(e.Report.Errors(), "error"))
}

// RefusedError: the plan breaks a safety limit (empty source, too many
// deletes, a declined confirmation); nothing was changed. Err is the cause,
// where there is one.
type RefusedError struct {
	Reason string
	Err    error
	// Setting names the option that would allow what was refused
	// ("max-delete", "allow-empty"), for the command to point at.
	Setting string
}

func (e *RefusedError) Error() string { return e.Reason }
func (e *RefusedError) Unwrap() error { return e.Err }

// LockedError: another publisher holds the destination's lock.
type LockedError struct {
	Lock    string
	Holder  string
	Since   time.Time // zero when the lock could not be read
	Expires time.Time
	// Live: seen by unlock, which removes only a lock whose holder is gone.
	Live bool
}

func (e *LockedError) Error() string {
	exp := "unknown expiry"
	if !e.Expires.IsZero() {
		exp = "expires " + e.Expires.UTC().Format(time.RFC3339)
	}
	if !e.Since.IsZero() {
		exp = "since " + e.Since.UTC().Format(time.RFC3339) + ", " + exp
	}
	dest := strings.TrimSuffix(e.Lock, "/"+layout.LockPath)
	if e.Live {
		return fmt.Sprintf("the lock is live (held by %s, %s): wait for that publish to finish, or if you know it is gone, dagnfs unlock --force %s", e.Holder, exp, dest)
	}
	return fmt.Sprintf("destination is locked by %s (%s); wait for it to finish (--lock-timeout waits), or if that publisher is gone, dagnfs unlock %s", e.Holder, exp, dest)
}

// CheckError: published, but Airflow's identities cannot read everything.
type CheckError struct{ Problems []string }

func (e *CheckError) Error() string {
	return fmt.Sprintf("published, but Airflow cannot read %d paths: %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

// PermissionError: the publishing identity cannot write the destination.
type PermissionError struct {
	Dest, Folder, Identity, Detail, Remedy string
	// OwnerUID and OwnerGID name an identity that would work (the folder's
	// owner), or are -1; AsRoot: only when publishing as root, which can
	// hand the folder over to it.
	OwnerUID, OwnerGID int
	AsRoot             bool
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("cannot write to %s: folder %q is not writable for %s (%s); %s", e.Dest, e.Folder, e.Identity, e.Detail, e.Remedy)
}

// InterruptedError: the run was interrupted (SIGINT, SIGTERM). It says how
// far the switch got, whether what the run wrote under temporary names is
// gone, and, once a switch happened, how to undo it.
type InterruptedError struct {
	// Previous is the generation current before the run (-1: not read
	// yet); Generation the run's, current if Switched > 0.
	Previous, Generation int
	// Switched of Total changes of the switch were made: none, all, or (in
	// place, where the switch is one rename per file) some.
	Switched, Total int
	// Left: files the run wrote stay for the next publish to remove (in
	// .dagnfs, where Airflow does not look).
	Left bool
	// Undo is the command that restores Previous, set by the caller.
	Undo string
	Err  error
}

func (e *InterruptedError) Error() string {
	var b strings.Builder
	switch {
	case e.Switched == 0 && e.Previous < 0:
		b.WriteString("interrupted before anything on the export was changed")
	case e.Switched == 0 && e.Previous == 0:
		b.WriteString("interrupted before the switch: nothing is published yet")
	case e.Switched == 0:
		fmt.Fprintf(&b, "interrupted before the switch: generation %d stays current and nothing of this run is visible", e.Previous)
	case e.Switched < e.Total:
		fmt.Fprintf(&b, "interrupted during the switch: %d of %d changes made, recorded as generation %d (every file whole, old or new)", e.Switched, e.Total, e.Generation)
	default:
		fmt.Fprintf(&b, "interrupted after the switch: generation %d is current", e.Generation)
	}
	if e.Left {
		b.WriteString("; what it wrote in .dagnfs, where Airflow does not look, is removed by the next publish")
	}
	if e.Undo != "" {
		b.WriteString("; undo: " + e.Undo)
	}
	return b.String()
}

func (e *InterruptedError) Unwrap() error { return e.Err }
