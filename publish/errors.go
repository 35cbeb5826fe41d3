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
		return fmt.Sprintf("the source has %d warnings and strict mode is on; nothing was published", e.Report.Warnings())
	}
	return fmt.Sprintf("the source failed validation with %d errors; nothing was published", e.Report.Errors())
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
