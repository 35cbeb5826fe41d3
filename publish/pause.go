package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// PausedError: the destination is paused (dagnfs pause); nothing was
// published.
type PausedError struct {
	Dest  string
	Pause *layout.PauseInfo
}

func (e *PausedError) Error() string {
	since := ""
	if !e.Pause.Since.IsZero() {
		since = " since " + e.Pause.Since.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s is paused%s by %s (%s); nothing was published: dagnfs resume %s when it may publish again, or --force for this one run",
		e.Dest, since, e.Pause.By, e.Pause.Reason, e.Dest)
}

// Pause stops publishes to d until Resume: each one is refused with a
// *PausedError unless forced. Rollbacks are not refused (a pause usually
// keeps a rolled-back generation in place). It returns the pause it replaced,
// if any.
func Pause(ctx context.Context, d nfs.Dest, owner Owner, reason string, now time.Time) (*layout.PauseInfo, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > layout.MaxReason {
		return nil, &RefusedError{Reason: fmt.Sprintf("a pause needs a reason of 1 to %d bytes, for whoever finds the destination paused", layout.MaxReason), Setting: "reason"}
	}
	ctx, stop := nfs.WithCleanup(ctx)
	defer stop()
	if err := checkWritable(ctx, d); err != nil {
		return nil, err
	}
	old, err := layout.ReadPause(ctx, d)
	if err != nil {
		return nil, err
	}
	for _, dir := range []struct {
		name string
		mode fs.FileMode
	}{{layout.Dir, layout.DirMode}, {layout.StagingDir, layout.HiddenMode}} {
		if err := ensureMetaDir(ctx, d, owner, dir.name, dir.mode); err != nil {
			return nil, err
		}
	}
	host, _ := os.Hostname()
	p := layout.PauseInfo{Reason: reason, By: CurrentUser() + "@" + host, Since: now.UTC()}
	return old, nfs.WriteFile(ctx, d, layout.TempName(), layout.PausePath, p.Encode(), metaAttr(d, owner))
}

// Resume lets publishes to d run again; it returns the pause it ended, or
// nil when d was not paused.
func Resume(ctx context.Context, d nfs.Dest) (*layout.PauseInfo, error) {
	p, err := layout.ReadPause(ctx, d)
	if err != nil || p == nil {
		return nil, err
	}
	if err := d.Remove(ctx, layout.PausePath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return p, nil
}

// checkPause refuses a publish to a paused destination, unless it is
// forced, a rollback, or a dry run (which says what the real run would meet).
func checkPause(ctx context.Context, o Options, res *Result) error {
	p, err := layout.ReadPause(ctx, o.Dest)
	if err != nil || p == nil {
		return err
	}
	res.Paused = p
	switch {
	case o.Action == "rollback":
		res.Warnings = appendOnce(res.Warnings, fmt.Sprintf("%s stays paused (%s): publishes are refused until it is resumed", o.Dest, p.Reason))
		return nil
	case o.Force:
		res.Warnings = appendOnce(res.Warnings, fmt.Sprintf("%s is paused (%s); published anyway (--force); it stays paused", o.Dest, p.Reason))
		return nil
	case o.DryRun:
		res.Warnings = appendOnce(res.Warnings, fmt.Sprintf("%s is paused (%s): a real publish would be refused unless forced", o.Dest, p.Reason))
		return nil
	}
	return &PausedError{Dest: o.Dest.String(), Pause: p}
}

func appendOnce(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}
