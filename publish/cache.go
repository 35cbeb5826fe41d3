package publish

import (
	"context"
	"strings"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/validate"
)

// knownResults gives the validator what the current manifest records about
// files whose bytes have not changed, when it was validated with the same
// fingerprint: those files need no second reading. m is the manifest as read
// before the lock (nil when it could not be read: every file is checked).
func knownResults(m *layout.Manifest, files []SourceFile) func(fp, name string) (validate.Known, bool) {
	if m == nil || m.Checked == "" {
		return nil
	}
	sums := make(map[string]string, len(files))
	for _, f := range files {
		sums[f.Rel] = f.Sum
	}
	entries := m.Index()
	return func(fp, name string) (validate.Known, bool) {
		e, ok := entries[name]
		if fp != m.Checked || !ok || sums[name] != e.SHA256 {
			return validate.Known{}, false
		}
		k := validate.Known{Skipped: e.SafeModeSkipped}
		for _, dag := range e.DAGs {
			file := name
			if dag.Member != "" {
				file += "/" + dag.Member
			}
			k.DAGs = append(k.DAGs, validate.DAG{DagID: dag.ID, File: file, Line: dag.Line})
		}
		return k, true
	}
}

// recordValidation stores in each entry what validation found in its file.
// Only entries whose bytes are the source's are described by the report.
func recordValidation(m *layout.Manifest, r *validate.Report, files []SourceFile) {
	if r == nil {
		return
	}
	sums := make(map[string]string, len(files))
	for _, f := range files {
		sums[f.Rel] = f.Sum
	}
	idx := make(map[string]int, len(m.Files))
	for i, e := range m.Files {
		m.Files[i].DAGs, m.Files[i].SafeModeSkipped = nil, false
		if sums[e.Path] == e.SHA256 {
			idx[e.Path] = i
		}
	}
	// A DAG's file is a published path, or a member inside one (a zip).
	owner := func(file string) (int, string, bool) {
		for p := file; ; {
			if i, ok := idx[p]; ok {
				return i, strings.TrimPrefix(strings.TrimPrefix(file, p), "/"), true
			}
			j := strings.LastIndexByte(p, '/')
			if j < 0 {
				return 0, "", false
			}
			p = p[:j]
		}
	}
	for _, dag := range r.DAGs {
		if i, member, ok := owner(dag.File); ok {
			m.Files[i].DAGs = append(m.Files[i].DAGs, layout.EntryDAG{ID: dag.DagID, Line: dag.Line, Member: member})
		}
	}
	for _, name := range r.Skipped {
		if i, ok := idx[name]; ok {
			m.Files[i].SafeModeSkipped = true
		}
	}
	m.Checked = r.Fingerprint
}

// snapshot is the manifest as read before the lock, with the attributes of
// the file it came from.
type snapshot struct {
	m  *layout.Manifest
	fi nfs.FileInfo
	ok bool
}

// readSnapshot reads the manifest for the validation cache. A manifest that
// cannot be read is no snapshot: the read under the lock reports why.
func readSnapshot(ctx context.Context, d nfs.Dest) snapshot {
	fi, err := d.Stat(ctx, layout.ManifestPath)
	if err != nil {
		return snapshot{}
	}
	m, err := layout.ReadManifest(ctx, d, layout.ManifestPath)
	if err != nil {
		return snapshot{}
	}
	return snapshot{m: m, fi: fi, ok: true}
}

// current returns the manifest under the lock: the snapshot when the file
// is still the one it was read from (same file id, size and mtime: a new
// manifest is always a new file, renamed into place), else read again. The
// manifest is parsed once per publish in the usual case.
func (s snapshot) current(ctx context.Context, d nfs.Dest) (*layout.Manifest, error) {
	if s.ok {
		fi, err := d.Stat(ctx, layout.ManifestPath)
		if err == nil && fi.FileID == s.fi.FileID && fi.Size == s.fi.Size && fi.ModTime.Equal(s.fi.ModTime) {
			return s.m, nil
		}
	}
	return readManifest(ctx, d)
}
