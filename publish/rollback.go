package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/validate"
)

// Rollback restores an earlier generation as a new one, with the same
// protocol and lock as a publish (like a revert). The kept generation is the
// source: its files are read from the export itself, unchanged ones from
// their place and replaced ones from .dagnfs/objects, streamed straight into
// staging and checked against their sha256 like any upload; nothing goes
// through a local folder. It is published with delete semantics, so that
// files later generations added are removed if nobody changed them. The
// kept generation passed validation when it was published: what its
// manifest records (DAGs, the validation fingerprint) is carried over. to=0
// means the generation before the current one. o.Source is ignored. In the
// generations layout a rollback copies nothing: Current is pointed back at
// the kept generation's folder, with one RENAME.
func Rollback(ctx context.Context, o Options, to int) (*Result, error) {
	if err := o.forBundle(); err != nil {
		return NewResult(o.Dest.String()), err
	}
	o.Layout = "" // the export's own
	d := o.Dest
	cur, err := readManifest(ctx, d)
	if err != nil {
		return NewResult(d.String()), err
	}
	if cur.Generation == 0 {
		if names, _ := layout.Bundles(ctx, d); len(names) > 0 && o.Bundle == "" {
			return NewResult(d.String()), &RefusedError{Reason: fmt.Sprintf("%s is a published root of versioned bundles (%s): name one with --bundle", d, strings.Join(names, ", ")), Setting: "bundle"}
		}
		return NewResult(d.String()), &RefusedError{Reason: fmt.Sprintf("%s has no published generation to roll back", d)}
	}
	hist, err := layout.ReadHistory(ctx, d, cur.Generation)
	if err != nil {
		return NewResult(d.String()), err
	}
	if to == 0 {
		if cur.Generation == 1 {
			return NewResult(d.String()), &RefusedError{Reason: fmt.Sprintf("%s holds generation 1 only: there is nothing older to restore", d)}
		}
		to = cur.Generation - 1
	}
	var target *layout.Manifest
	var kept []string
	for _, m := range hist {
		kept = append(kept, strconv.Itoa(m.Generation))
		if m.Generation == to {
			target = m
		}
	}
	if to == cur.Generation {
		return NewResult(d.String()), &RefusedError{Reason: fmt.Sprintf("generation %d is the current one", to)}
	}
	if target == nil {
		return NewResult(d.String()), &RefusedError{Reason: fmt.Sprintf("generation %d is not kept on %s (kept: %s); see dagnfs history", to, d, strings.Join(kept, ", "))}
	}

	o.Source = Source{AllowEmpty: true}
	o.Delete.Enabled, o.Delete.Max = true, -1
	o.Action = "rollback"
	o.Label = fmt.Sprintf("rollback to generation %d", to)
	if target.Label != "" {
		o.Label += " (" + target.Label + ")"
	}
	scheduled := scheduledPublisher(append([]*layout.Manifest{cur}, hist...))
	withHint := func(res *Result, err error) (*Result, error) {
		res.Scheduled = scheduled
		return res, err
	}
	if cur.InGenerations() || cur.InBundle() {
		// Its folder is still there (or the relink says it is gone):
		// current, or the bundle's reference, is pointed back at it,
		// nothing is copied.
		return withHint(apply(ctx, o, func(ctx context.Context, o Options, _ *Result) (*prepared, error) {
			return &prepared{report: keptReport(target), snap: readSnapshot(ctx, d), relink: target}, nil
		}))
	}
	return withHint(apply(ctx, o, func(ctx context.Context, o Options, _ *Result) (*prepared, error) {
		snap := readSnapshot(ctx, d)
		live := map[string]layout.Entry{}
		if snap.ok {
			live = snap.m.Index()
		}
		files := make([]SourceFile, 0, len(target.Files))
		for _, e := range target.Files {
			files = append(files, SourceFile{Rel: e.Path, Size: e.Size, Sum: e.SHA256,
				open: func(ctx context.Context) (io.ReadCloser, error) { return openKept(ctx, d, live, e, to) }})
		}
		return &prepared{files: files, report: keptReport(target), snap: snap}, nil
	}))
}

// scheduledPublisher names how the newest publish among ms (newest first)
// was started when nobody was at a terminal ("cronjob/NS/NAME", "ci",
// "unattended"): that publisher will publish its source again after a
// rollback. "" when it was a person, or is not recorded.
func scheduledPublisher(ms []*layout.Manifest) string {
	for _, m := range ms {
		if m.Action != "" && m.Action != "publish" && m.Action != "promote" {
			continue
		}
		if via := m.PublishedBy.Via; via != "terminal" {
			return via
		}
		return ""
	}
	return ""
}

// openKept opens the kept content of e: at its place if the current
// generation still has it there, else in .dagnfs/objects.
func openKept(ctx context.Context, d nfs.Dest, live map[string]layout.Entry, e layout.Entry, gen int) (io.ReadCloser, error) {
	try := []string{layout.ObjectName(e.SHA256)}
	if cur, ok := live[e.Path]; ok && cur.SHA256 == e.SHA256 {
		try = []string{e.Path, layout.ObjectName(e.SHA256)}
	}
	var last error
	for _, name := range try {
		f, err := d.Open(ctx, name)
		if err == nil && f.Info().Size == e.Size {
			return f, nil
		}
		if err == nil {
			f.Close()
			err = fmt.Errorf("%s holds %d bytes, not the %d recorded", name, f.Info().Size, e.Size)
		}
		last = err
	}
	if errors.Is(last, fs.ErrNotExist) {
		last = fmt.Errorf("the content of %s (sha256 %s) is no longer kept: %w", e.Path, e.SHA256[:12], last)
	}
	return nil, &RefusedError{Reason: fmt.Sprintf("generation %d cannot be restored: %v; nothing was changed", gen, last), Err: last}
}

// keptReport is what validation found in a kept generation, as its
// manifest recorded it.
func keptReport(m *layout.Manifest) *validate.Report {
	r := &validate.Report{Fingerprint: m.Checked, DAGs: []validate.DAG{}}
	for _, e := range m.Files {
		for _, dag := range e.DAGs {
			file := e.Path
			if dag.Member != "" {
				file += "/" + dag.Member
			}
			r.DAGs = append(r.DAGs, validate.DAG{DagID: dag.ID, File: file, Line: dag.Line})
		}
		if e.SafeModeSkipped {
			r.Skipped = append(r.Skipped, e.Path)
		}
	}
	return r
}
