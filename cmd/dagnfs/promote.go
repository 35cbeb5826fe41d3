package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/bundle"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/publish"
)

const promoteHelp = `Usage: dagnfs promote FROM TO [flags]

Publish to TO exactly what FROM serves now: the same bytes that were
validated and ran in FROM (a dev or staging folder), not a rebuild from a
branch. Every file is read from FROM and checked against FROM's manifest
(size and sha256) before anything is written to TO: a FROM that someone
edited by hand, or whose files are missing, refuses with exit 1. Then TO is
published as by dagnfs publish, with all of its flags and rules (TO's own
validation, lock, pause, deadline, JSON output, undo line, a share's dag_id
check), its label FROM's unless --label is given; TO's manifest records
where the files came from (FROM, its generation or version, label, who
published it when), which dagnfs status TO shows.

The files travel through this machine (a temporary folder, removed at the
end), so FROM and TO may be on different servers and in different layouts.

With --generation N, a generation FROM keeps (dagnfs history FROM) is
promoted instead of the current one.

Example:
  dagnfs promote nfs://nfs.example.internal/srv/dags/staging nfs://nfs.example.internal/srv/dags/prod

Flags:
`

func runPromoteCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o := newPublishOptions()
	fset := pflag.NewFlagSet("promote", pflag.ContinueOnError)
	o.AddFlags(fset)
	var fromBundle string
	var generation int
	fset.StringVar(&fromBundle, "from-bundle", "", "FROM is a published root of versioned bundles: promote this bundle")
	fset.IntVar(&generation, "generation", 0, "promote this generation of FROM that it keeps (dagnfs history FROM), not the current one")
	rest, err := parseFlags(fset, args, promoteHelp, stdout, 2, 2)
	if err != nil {
		return err
	}
	from, to := rest[0], rest[1]
	if fromBundle != "" {
		if err := bundle.CheckName(fromBundle); err != nil {
			return usagef("--from-bundle: %v", err)
		}
	}
	fctx, cancel, bounded := withDeadline(ctx, o.deadline)
	if generation < 0 {
		return usagef("--generation must be a generation number (dagnfs history FROM lists them)")
	}
	fetched, err := fetchServed(fctx, from, fromBundle, generation, o)
	cancel()
	if fetched.dir != "" {
		defer os.RemoveAll(fetched.dir)
	}
	if fetched.from != nil {
		defer fetched.from.Close()
	}
	if err != nil {
		return bounded(err)
	}
	src, prov := fetched.dir, fetched.prov
	var linked atomic.Int64
	if !fset.Changed("label") && prov.Label != "" {
		o.label = prov.Label
	}
	return runPublishLike(ctx, o, src, to, stdin, stdout, stderr, func(ctx context.Context, po publish.Options) (*publish.Result, error) {
		po.Promoted, po.Action = prov, "promote"
		// Where TO can link FROM's files (one file system, one export of
		// one server), they are linked: TO serves FROM's very files.
		po.Source.Link = func(rel string) (string, nfs.FileInfo, func(context.Context, nfs.Dest, string) error) {
			at, ok := fetched.places[rel]
			if !ok {
				return "", nfs.FileInfo{}, nil
			}
			return at.sum, at.info, func(ctx context.Context, d nfs.Dest, name string) error {
				err := nfs.LinkAcross(ctx, fetched.from, at.name, d, name)
				if err == nil {
					linked.Add(1)
				}
				return err
			}
		}
		res, err := publish.Publish(ctx, po)
		if err == nil && !res.DryRun && linked.Load() > 0 {
			// FROM's status names TO where someone edits a linked file.
			rec := layout.PromotedTo{To: res.Dest, Generation: res.Generation, FromGeneration: prov.Generation, Linked: int(linked.Load()), At: time.Now().UTC()}
			if werr := recordPromoted(ctx, fetched.records, rec); werr != nil {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s keeps no record that %s links its files (%v): its status will not name %s where a linked file is edited", fetched.from, res.Dest, werr, res.Dest))
			}
		}
		return res, err
	})
}

// recordPromoted writes rec into FROM's records (d: where FROM's manifest
// is), replacing the record of an earlier promote into the same TO.
func recordPromoted(ctx context.Context, d nfs.Dest, rec layout.PromotedTo) error {
	if err := d.Mkdir(ctx, layout.PromotedDir, layout.DirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nfs.WriteFile(ctx, d, layout.TempName(), layout.PromotedName(rec.To), rec.Encode(), nfs.Attr{Mode: layout.FileMode, UID: -1, GID: -1})
}

// fetched is what fetchServed brought: the folder, FROM (open, to link its
// files from), where each file is in FROM, and the provenance.
type fetched struct {
	dir  string
	from nfs.Dest
	// records is where FROM's manifest is (FROM, or its bundle).
	records nfs.Dest
	places  map[string]place
	prov    *layout.Provenance
}

// place is where a file is in FROM, its sha256, and what FROM said of it
// when it was read and checked.
type place struct {
	name, sum string
	info      nfs.FileInfo
}

// fetchServed copies the files FROM serves now into a new temporary folder,
// each checked against FROM's manifest as it is read (memory does not grow
// with a file's size), and says where they came from. The folder and FROM
// are returned, to be removed and closed, even with an error.
func fetchServed(ctx context.Context, from, fromBundle string, generation int, o *publishOptions) (fetched, error) {
	var out fetched
	fd, err := openDest(ctx, from, o.uid, o.gid, o.timeout, 2, nil)
	if err != nil {
		return out, err
	}
	out.from = fd
	records := fd
	if fromBundle != "" {
		records = layout.ForBundle(fd, fromBundle)
	}
	out.records = records
	m, err := layout.ReadManifest(ctx, records, layout.ManifestPath)
	if err != nil {
		return out, err
	}
	if m.Generation == 0 {
		if names, _ := layout.Bundles(ctx, fd); len(names) > 0 && fromBundle == "" {
			return out, usagef("%s is a published root of versioned bundles: name one with --from-bundle", fd)
		}
		return out, &publish.RefusedError{Reason: fmt.Sprintf("%s has nothing published by dagnfs to promote", fd)}
	}
	if generation != 0 && generation != m.Generation {
		hist, err := layout.ReadHistory(ctx, records, m.Generation)
		if err != nil {
			return out, err
		}
		var kept *layout.Manifest
		for _, h := range hist {
			if h.Generation == generation {
				kept = h
			}
		}
		if kept == nil {
			return out, &publish.RefusedError{Reason: fmt.Sprintf("generation %d is not kept on %s; dagnfs history %s lists the ones that are", generation, fd, from)}
		}
		m = kept
	}
	dir, err := os.MkdirTemp("", "dagnfs-promote-")
	if err != nil {
		return out, err
	}
	out.dir, out.places = dir, map[string]place{}
	for _, e := range m.Files {
		// A kept generation's file is at its place (its own folder, or the
		// current one's when unchanged) or among the kept objects.
		places := []string{path.Join(m.Root(), e.Path)}
		if m.Root() == "" {
			places = append(places, layout.ObjectName(e.SHA256))
		}
		at, info, err := fetchFirst(ctx, fd, places, filepath.Join(dir, filepath.FromSlash(e.Path)), e)
		if err != nil {
			var drift *driftedError
			if errors.As(err, &drift) {
				return out, &publish.RefusedError{Reason: fmt.Sprintf("%s does not serve what its generation %d published: %s; nothing was written to the destination (publish to %s again, or promote from elsewhere)", fd, m.Generation, drift.why, from)}
			}
			return out, err
		}
		out.places[e.Path] = place{at, e.SHA256, info}
	}
	out.prov = &layout.Provenance{From: fd.String(), Generation: m.Generation, Version: m.Version, Label: m.Label,
		PublishedBy: m.PublishedBy, PublishedAt: m.PublishedAt}
	return out, nil
}

// fetchFirst fetches e from the first of places that holds it as it was
// published, and says which; the error of the first place when none does.
func fetchFirst(ctx context.Context, d nfs.Dest, places []string, local string, e layout.Entry) (string, nfs.FileInfo, error) {
	var first error
	for _, p := range places {
		info, err := fetchFile(ctx, d, p, local, e)
		var drift *driftedError
		if err == nil || !errors.As(err, &drift) {
			return p, info, err
		}
		if first == nil {
			first = err
		}
		os.Remove(local)
	}
	return "", nfs.FileInfo{}, first
}

// driftedError: a file of FROM differs from what its manifest records.
type driftedError struct{ why string }

func (e *driftedError) Error() string { return e.why }

// fetchFile copies name from d to local, checking its size and sha256
// against e as it goes.
func fetchFile(ctx context.Context, d nfs.Dest, name, local string, e layout.Entry) (nfs.FileInfo, error) {
	f, err := d.Open(ctx, name)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, nfs.ErrNotRegular) {
		return nfs.FileInfo{}, &driftedError{fmt.Sprintf("%s is missing or not a regular file", e.Path)}
	}
	if err != nil {
		return nfs.FileInfo{}, fmt.Errorf("reading %s: %w", name, err)
	}
	defer f.Close()
	info := f.Info()
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return info, err
	}
	mode := fs.FileMode(0o644)
	if fs.FileMode(e.Mode)&0o111 != 0 {
		mode = 0o755
	}
	out, err := os.OpenFile(local, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return info, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(f, e.Size+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return info, fmt.Errorf("reading %s: %w", name, err)
	}
	if n != e.Size {
		return info, &driftedError{fmt.Sprintf("%s holds %d bytes, %d were published", e.Path, n, e.Size)}
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != e.SHA256 {
		return info, &driftedError{fmt.Sprintf("%s changed since it was published (sha256 %.12s, %.12s published)", e.Path, sum, e.SHA256)}
	}
	return info, nil
}
