package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dagnfs/dagnfs/internal/guard"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/share"
	"github.com/dagnfs/dagnfs/validate"
)

// A publish is one pipeline: validate, lock, plan, upload, switch, record,
// tidy, check. What differs between the layouts is a strategy, each in its
// own file: where the new generation's files are written, how the switch
// makes them visible, what is recorded, and what garbage collection keeps.
type strategy interface {
	// adjust fits the source's files and the previous manifest to the
	// layout, before the plan.
	adjust(files []SourceFile, prev *layout.Manifest) ([]SourceFile, *layout.Manifest, error)
	// settle makes the records agree after an interrupted run, under the
	// lock, before the plan.
	settle(ctx context.Context, d nfs.Dest, prev *layout.Manifest, o Options) (*layout.Manifest, error)
	// root is the folder, relative to the export root, that holds the
	// files of generation m ("" for the root itself).
	root(m *layout.Manifest) string
	// fresh reports that no folder holds prev's files for this layout yet:
	// the plan has nothing to delete and nothing else to list.
	fresh(prev *layout.Manifest) bool
	// deletes is what the plan deletes: o's, or what the layout needs.
	deletes(o Deletes) Deletes
	// mode is the mode a published file has in this layout.
	mode(rel string, own Owner) fs.FileMode
	// noRepair says whether managed files someone changed are left as
	// they are (--no-repair), where the layout allows it.
	noRepair(asked bool) bool
	// planned fills in what the result says of the layout.
	planned(res *Result, plan *Plan)
	// prepare journals the run's temporary names, makes room for the new
	// files and returns where each of plan.Upload is written: staged under
	// a temporary name and renamed at the switch, or at its final name
	// where nobody looks until the switch.
	prepare(ctx context.Context, ex *executor) ([]uploadTarget, error)
	// commit switches to the new generation and records it; pend are the
	// uploads, in plan.Upload's order. It returns the new manifest and how
	// long the switch took.
	commit(ctx context.Context, ex *executor, pend []*nfs.Pending) (*layout.Manifest, time.Duration, error)
	// finish tidies after a switch: history, garbage collection, a move
	// between layouts. Its errors are the run's.
	finish(ctx context.Context, ex *executor, next *layout.Manifest, res *Result) error
	// unchanged repairs, on a run with nothing to publish, what keeps the
	// layout sound for Airflow.
	unchanged(ctx context.Context, ex *executor, res *Result) error
	// relink makes a kept generation current again without copying
	// anything (a rollback), where the layout keeps whole generations.
	// ex carries the destination, the options and the previous manifest,
	// and records how far the switch got.
	relink(ctx context.Context, ex *executor, target *layout.Manifest, res *Result) error
	// readable names, from the export root, what the read check covers,
	// and what the destination said of each file at its seal.
	readable(next *layout.Manifest, uploads []SourceFile, sealed map[string]nfs.FileInfo) ([]SourceFile, map[string]nfs.FileInfo)
}

// uploadTarget is where one new file is written: tmp == final when it is written
// at its final name (a folder nobody sees before the switch).
type uploadTarget struct{ tmp, final string }

// strategyFor is the strategy of layout lay; migrating says the export
// moves to it with this publish.
func strategyFor(lay string, migrating bool, o Options) strategy {
	switch lay {
	case layout.Generations:
		return &generations{migrating: migrating}
	case layout.ManifestBundle:
		return &manifestBundle{name: o.Bundle}
	}
	return &inPlace{}
}

// apply prepares a source and publishes it: the lock, the plan, staging,
// the switch, history and the read check. Publish and Rollback differ only
// in how they prepare.
func apply(ctx context.Context, o Options, prepare func(context.Context, Options, *Result) (*prepared, error)) (_ *Result, retErr error) {
	o.defaults()
	ctx, stopCleanup := nfs.WithCleanup(ctx) // one cleanup budget for the whole run
	defer stopCleanup()
	start := o.Now()
	res := NewResult(o.Dest.String())
	res.Label, res.DryRun, res.PromotedFrom = o.Label, o.DryRun, o.Promoted
	var ex *executor // from the plan on
	prevGen := -1    // not read yet
	defer func() {
		if errors.Is(retErr, context.Canceled) && !errors.Is(retErr, ErrLockLost) {
			retErr = ex.interrupted(retErr, prevGen)
		}
	}()
	defer func() {
		res.DurationMS = o.Now().Sub(start).Milliseconds()
		res.Calls = nfs.Calls(o.Dest)
		res.Protocol = o.Dest.Caps().Protocol
	}()

	// A paused destination refuses at once, before the source is read;
	// checked again under the lock, where it counts.
	if err := checkPause(ctx, o, res); err != nil {
		return res, err
	}
	src, err := prepare(ctx, o, res)
	if err != nil {
		return res, err
	}
	files, report, snap := src.files, src.report, src.snap
	if err := checkShare(ctx, o, report); err != nil {
		return res, err
	}

	// 2. The destination: a folder this identity can write.
	d := o.Dest
	if err := checkWritable(ctx, d); err != nil {
		return res, err
	}
	if err := checkPlannedReadable(ctx, d, o); err != nil {
		return res, err
	}

	// 3. The lock, then leftovers of a crashed run, then the manifest.
	var lk *lock
	if !o.DryRun {
		if err := ensureMetaDir(ctx, d, o.Owner, layout.Dir, layout.DirMode); err != nil {
			return res, err
		}
		host, _ := os.Hostname()
		who := CurrentUser()
		info := layout.LockInfo{Holder: fmt.Sprintf("%s@%s pid %d", who, host, os.Getpid()), Host: host, User: who, PID: os.Getpid(), RunID: randomID()}
		if lk, err = acquireWaiting(ctx, d, info, o.Lock, o.Now, o.Log); err != nil {
			return res, err
		}
		if err := checkPause(ctx, o, res); err != nil {
			rctx, done := nfs.ReleaseContext(ctx)
			_ = lk.release(rctx)
			done()
			return res, err
		}
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		refreshed := make(chan struct{})
		guard.Go(func() {
			defer close(refreshed)
			lk.keepAlive(ctx, cancel)
		}, cancel)
		defer func() {
			cancel(nil)
			<-refreshed // a refresh in flight must not put the lock back after its release
			rctx, done := nfs.ReleaseContext(ctx)
			defer done()
			if err := lk.release(rctx); errors.Is(err, ErrLockLost) && retErr == nil {
				retErr = err // published, but another publisher held the lock meanwhile
			} else if err != nil {
				o.Log.Warn("could not release the lock", "err", err)
			}
		}()
		for _, dir := range []struct {
			name string
			mode fs.FileMode
		}{{layout.StagingDir, layout.HiddenMode}, {layout.ObjectsDir, layout.HiddenMode}, {layout.HistoryDir, layout.DirMode}} {
			if err := ensureMetaDir(ctx, d, o.Owner, dir.name, dir.mode); err != nil {
				return res, err
			}
		}
		if err := recoverJournal(ctx, d, o.Log); err != nil {
			return res, err
		}
	}
	prev, err := snap.current(ctx, d)
	if err != nil {
		return res, err
	}
	if prev.Generation == 0 && o.Bundle == "" {
		// A published root of versioned bundles holds nothing else.
		if names, err := layout.Bundles(ctx, d); err != nil {
			return res, err
		} else if len(names) > 0 {
			return res, &RefusedError{Reason: fmt.Sprintf("%s is a published root of versioned bundles (%s): name one with --bundle, or publish elsewhere", d, strings.Join(names, ", ")), Setting: "bundle"}
		}
	}
	var migrating bool
	if o.Layout, migrating, err = chooseLayout(o.Layout, o.Migrate, prev); err != nil {
		return res, err
	}
	res.Layout = o.Layout
	if o.Bundle == "" {
		o.Bundle = prev.Bundle // the export's own, as for the layout
	}
	st := strategyFor(o.Layout, migrating, o)
	if !o.DryRun && !migrating {
		if prev, err = st.settle(ctx, d, prev, o); err != nil {
			return res, err
		}
	}
	res.Previous = prev.Generation
	prevGen = prev.Generation
	if files, prev, err = st.adjust(files, prev); err != nil {
		return res, err
	}
	if src.relink != nil {
		ex = &executor{d: d, o: o, prev: prev, plan: &Plan{Generation: prev.Generation + 1}}
		return res, st.relink(ctx, ex, src.relink, res)
	}

	// 4. The plan, against the folder that holds the current files.
	o.report(Progress{Phase: PhasePlan})
	planDest, planDel := d, st.deletes(o.Delete)
	if root := st.root(prev); root != "" {
		planDest = nfs.Sub(d, root)
	}
	if st.fresh(prev) {
		planDel.Enabled = false
	}
	plan, err := makePlan(ctx, planDest, func(rel string) fs.FileMode { return st.mode(rel, o.Owner) }, planDel, files, prev)
	if err != nil {
		return res, err
	}
	// Managed files someone else changed since: uploaded again.
	drift, err := findDrift(ctx, planDest, prev, o.Owner, d.Caps().Chown, o.Concurrency)
	if err != nil {
		return res, err
	}
	repaired, drifted := plan.repair(drift, files, st.noRepair(o.NoRepair))
	res.Repaired, res.Drifted = append(res.Repaired, repaired...), append(res.Drifted, drifted...)
	var driftErr error
	if len(drifted) > 0 {
		driftErr = &DriftError{Files: drifted}
	}
	res.Generation = plan.Generation
	st.planned(res, plan)
	res.Unchanged = plan.Unchanged
	res.Bytes = plan.Bytes
	res.NotDeleted, res.Orphaned, res.Unmanaged = nonNil(plan.NotDeleted), nonNil(plan.Orphaned), nonNil(plan.Unmanaged)
	for _, f := range plan.Upload {
		res.Uploaded = append(res.Uploaded, f.Rel)
	}
	for _, e := range plan.Delete {
		res.Deleted = append(res.Deleted, e.Path)
	}
	if o.Delete.Max >= 0 && len(plan.Delete) > o.Delete.Max {
		res.RefusedDeletes, res.Deleted = res.Deleted, []string{}
		return res, &RefusedError{Reason: fmt.Sprintf("the publish would delete %d files, more than the limit of %d; check the source folder, or raise the limit", len(plan.Delete), o.Delete.Max), Setting: "max-delete"}
	}
	if o.DryRun {
		return res, driftErr
	}
	ex = &executor{d: d, o: o, plan: plan, prev: prev, sealed: map[string]nfs.FileInfo{}, linked: map[string]bool{}, report: report, files: files, drifted: map[string]bool{}}
	for _, r := range drift {
		ex.drifted[r.Path] = true
	}
	if !migrating && len(plan.Upload) == 0 && len(plan.Delete) == 0 && len(plan.NotDeleted) == 0 && prev.Generation > 0 {
		// Nothing to do: the content is the current generation's, so no
		// new generation (a day of no-op CI runs must not push the real
		// ones out of --keep). A new label is the current generation's now.
		res.Generation, res.Folder = prev.Generation, prev.Folder
		relabel := o.Label != "" && o.Label != prev.Label
		if prev.Checked != report.Fingerprint || relabel {
			// Validated under other options: record this run's results, so
			// that the next publish reuses them (same generation).
			recordValidation(prev, report, files)
			if relabel {
				prev.Label, res.Relabelled = o.Label, true
				if err := nfs.WriteFile(ctx, d, layout.TempName(), layout.HistoryName(prev.Generation), prev.Encode(), metaAttr(d, o.Owner)); err != nil {
					return res, err
				}
			}
			if err := nfs.WriteFile(ctx, d, layout.TempName(), layout.ManifestPath, prev.Encode(), metaAttr(d, o.Owner)); err != nil {
				return res, err
			}
		}
		if err := st.unchanged(ctx, ex, res); err != nil {
			return res, err
		}
		check, known := st.readable(prev, nil, nil)
		return res, errors.Join(driftErr, checkReadable(ctx, d, o, check, known))
	}
	if len(plan.Delete) > 0 && o.Delete.Confirm != nil && !o.Delete.Confirm(plan) {
		res.RefusedDeletes, res.Deleted = res.Deleted, []string{}
		return res, &RefusedError{Reason: "publish cancelled at the confirmation prompt; nothing was changed"}
	}

	// A takeover race (two publishers removing the same expired lock) is
	// settled here, before anything changes: only the holder of record
	// goes on.
	if err := lk.check(ctx); err != nil {
		return res, err
	}

	// 5. Upload, switch, record, tidy.
	ex.managed = map[string]bool{}
	for _, e := range prev.Files {
		ex.managed[e.Path] = true
	}
	next, switchDur, err := ex.execute(ctx, st)
	res.SwitchMS = float64(switchDur.Microseconds()) / 1000
	res.Warnings = append(res.Warnings, ex.warnings...)
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, ErrLockLost) {
			err = cause
		}
		return res, err
	}
	// Switched: what the layout does after it (the history, leaving
	// another layout) is done even if the run is interrupted now, within
	// the cleanup budget; the read check is not.
	fctx, done := nfs.Finishing(ctx)
	defer done()
	if err := st.finish(fctx, ex, next, res); err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}

	// 6. Can Airflow read what was published?
	check, known := st.readable(next, plan.Upload, ex.sealed)
	return res, errors.Join(driftErr, checkReadable(ctx, d, o, check, known))
}

// execute uploads the plan's files where the strategy says and switches.
func (ex *executor) execute(ctx context.Context, st strategy) (*layout.Manifest, time.Duration, error) {
	var targets []uploadTarget
	pend := make([]*nfs.Pending, len(ex.plan.Upload))
	sent := make([]atomic.Bool, len(ex.plan.Upload))
	next, switchDur, err := func() (_ *layout.Manifest, _ time.Duration, err error) {
		if targets, err = st.prepare(ctx, ex); err != nil {
			return nil, 0, err
		}
		if err := ex.upload(ctx, targets, pend, sent); err != nil {
			return nil, 0, err
		}
		return st.commit(ctx, ex, pend)
	}()
	if err != nil {
		ex.abandon(ctx, targets, pend, sent)
	}
	return next, switchDur, err
}

// abandon removes, after a failed or interrupted run, what it wrote under
// temporary names and was not renamed into place, then its journal; all
// within the run's one cleanup budget, several removals at a time, so that
// neither a dead server nor thousands of files cost a timeout each. sent
// marks the uploads whose file may exist. A file written at its final name
// in a folder nobody sees (a generation or a bundle version being built)
// goes with that folder, which the next publish removes. What cannot be
// removed in time stays named in the journal, for the next publish.
func (ex *executor) abandon(ctx context.Context, targets []uploadTarget, pend []*nfs.Pending, sent []atomic.Bool) {
	cctx, done := nfs.CleanupContext(ctx)
	defer done()
	names := slices.Clone(ex.own)
	for i, t := range targets {
		pend[i].Abandon()
		if t.tmp != t.final && sent[i].Load() && (pend[i] == nil || !pend[i].Committed()) {
			names = append(names, t.tmp)
		}
	}
	var failed atomic.Bool
	var g errgroup.Group
	g.SetLimit(ex.o.Concurrency)
	for _, name := range names {
		if cctx.Err() != nil {
			failed.Store(true)
			break
		}
		g.Go(func() error {
			if err := ex.d.Remove(cctx, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				failed.Store(true)
			}
			return nil
		})
	}
	g.Wait()
	ex.cleaned = !failed.Load() && (!ex.journaled || endJournal(cctx, ex.d) == nil)
}

// upload writes every file of the plan to its target, a few at a time, and
// seals it; a file written at its final name is kept there.
func (ex *executor) upload(ctx context.Context, targets []uploadTarget, pend []*nfs.Pending, sent []atomic.Bool) error {
	plan, o := ex.plan, ex.o
	var done, doneBytes atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	for i, f := range plan.Upload {
		if gctx.Err() != nil {
			break // a worker failed or the run was cancelled: start no more
		}
		g.Go(guard.Func(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			t := targets[i]
			sent[i].Store(true) // from here its temporary file may exist
			p, err := ex.stage(gctx, t.tmp, t.final, f)
			pend[i] = p
			if err != nil {
				return err
			}
			if t.tmp == t.final {
				if err := p.Keep(); err != nil {
					return err
				}
			}
			if f.Sum == "" {
				plan.Upload[i].Sum = p.Sum() // hashed as it was sent
			}
			ex.mu.Lock()
			ex.sealed[f.Rel] = p.Info()
			if p.Linked() {
				ex.linked[f.Rel] = true
			}
			ex.mu.Unlock()
			o.report(Progress{Phase: PhaseUpload, Done: int(done.Add(1)), Total: len(plan.Upload),
				Bytes: doneBytes.Add(f.Size), TotalBytes: plan.Bytes})
			return nil
		}))
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fillSums(ex.files, plan.Upload)
	return nil
}

// fillSums gives the files of dst that have no sum yet the sum of the file
// of src with the same path.
func fillSums(dst, src []SourceFile) {
	sums := make(map[string]string, len(src))
	for _, f := range src {
		sums[f.Rel] = f.Sum
	}
	for i, f := range dst {
		if f.Sum == "" {
			dst[i].Sum = sums[f.Rel]
		}
	}
}

// entryOf is the manifest entry of an uploaded file.
func (ex *executor) entryOf(f SourceFile) layout.Entry {
	fi := ex.sealed[f.Rel]
	return layout.Entry{Path: f.Rel, Size: f.Size, SHA256: f.Sum, Mode: layout.Mode(ex.o.Owner.FileMode.Perm()),
		ModTime: fi.ModTime.UTC(), FileID: fi.FileID, Owner: ownerOf(fi), Linked: ex.linked[f.Rel]}
}

// sortedEntries are idx's entries, by path.
func sortedEntries(idx map[string]layout.Entry) []layout.Entry {
	out := make([]layout.Entry, 0, len(idx))
	for _, e := range idx {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b layout.Entry) int {
		switch {
		case a.Path < b.Path:
			return -1
		case a.Path > b.Path:
			return 1
		}
		return 0
	})
	return out
}

// checkShare refuses, before anything is written, a publish into a share
// (Options.Share) that overlaps another team's folder or would serve a
// dag_id another team's folder serves.
func checkShare(ctx context.Context, o Options, report *validate.Report) error {
	if o.Share == nil {
		return nil
	}
	var dags []share.DAG
	if report != nil {
		for _, d := range report.DAGs {
			dags = append(dags, share.DAG{ID: d.DagID, File: d.File, Line: d.Line})
		}
	}
	sh := *o.Share
	sh.Bundle = o.Bundle
	why, folders, err := sh.Check(ctx, dags)
	if err != nil {
		return err
	}
	if why != "" {
		return &RefusedError{Reason: why}
	}
	o.Log.Debug("share checked", "share", o.Share.Root.String(), "folder", o.Share.Dest, "teams", len(folders), "dags", len(dags))
	return nil
}
