package verify

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/validate"
)

// Rules of what Airflow's own scan finds (Options.DagsFolder) and of the
// root's ignore file.
const (
	RuleScanLoop    = "airflow-scan-loop"
	RuleScanMeta    = "airflow-scans-dagnfs"
	RuleScanTwice   = "airflow-finds-twice"
	RuleScanMissing = "airflow-misses-dag"
	RuleScanError   = "airflow-scan-error"
	RuleDagsFolder  = "dags-folder-setting"
	RuleRootIgnore  = "root-airflowignore"
)

// checkRootIgnore checks that the export root's .airflowignore keeps a
// scan of the root out of .dagnfs.
func checkRootIgnore(ctx context.Context, d nfs.Dest, r *Result, m *layout.Manifest) {
	b, err := d.ReadFile(ctx, layout.IgnoreFile, layout.MaxIgnoreFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if m.InGenerations() {
			r.add(RuleRootIgnore, Warning, layout.IgnoreFile, "missing at the export root: an Airflow whose dags folder is the export root walks into %s (and, if it can list the generations, stops with \"Detected recursive loop\"); the next publish puts it back", layout.Dir)
		}
	case err != nil:
		r.add(RuleRootIgnore, Warning, layout.IgnoreFile, "cannot read it: %v", err)
	case !layout.PrunesMeta(b):
		r.add(RuleRootIgnore, Warning, layout.IgnoreFile, "lacks dagnfs's two lines %s and %s: a scan of the export root walks into %s; the next publish adds them (or add them by hand to a file that is not dagnfs's)", layout.IgnoreRegexp, layout.IgnoreGlob, layout.Dir)
	}
}

// checkAirflowScan runs Airflow's own scan of the dags folder it is
// configured with (o.DagsFolder), once per ignore syntax, and checks that
// it raises nothing, enters nothing of dagnfs's, and finds every file of
// the manifest that defines a DAG exactly once. root is the export's
// mounted folder.
func checkAirflowScan(ctx context.Context, o Options, r *Result, m *layout.Manifest) {
	// Absolute: the scan's files are named below the dags folder, and a
	// relative DEST (verify . --dags-folder /dags) must meet them.
	root, err := filepath.Abs(o.LocalPath)
	if err == nil {
		o.DagsFolder, err = filepath.Abs(o.DagsFolder)
	}
	if err != nil {
		r.add(RuleScanError, Error, "", "Airflow's scan of %s cannot be run: %v", o.DagsFolder, err)
		return
	}
	dags := o.DagsFolder
	files := root
	if m.InGenerations() {
		files = filepath.Join(root, layout.Current)
		if same(dags, root) {
			r.add(RuleDagsFolder, Error, "", "Airflow's dags folder is the export root %s, but the export is in the generations layout: Airflow puts the dags folder on sys.path, not %s, so the DAGs' imports of their own modules (from common.util import ...) fail, and .airflowignore regular expressions see paths that start with %s/; set AIRFLOW__CORE__DAGS_FOLDER=%s (Airflow 3: the LocalDagBundle's path)",
				root, layout.Current, layout.Current, files)
		}
	}
	// The files of the manifest that define DAGs, by the path they resolve
	// to: a file reached under two names is parsed twice.
	want := map[string]string{}
	for _, e := range m.Files {
		if len(e.DAGs) > 0 {
			real, err := filepath.EvalSymlinks(filepath.Join(files, filepath.FromSlash(e.Path)))
			if err != nil {
				real = "?" + e.Path // missing: found by no path
			}
			want[real] = e.Path
		}
	}
	syntaxes := o.IgnoreSyntaxes
	if len(syntaxes) == 0 {
		syntaxes = []string{validate.SyntaxRegexp, validate.SyntaxGlob}
	}
	for _, syntax := range syntaxes {
		as := " (ignore syntax " + syntax + ")"
		s, err := o.scans.scan(ctx, dags, syntax)
		if err != nil {
			r.add(RuleScanError, Error, "", "Airflow's scan of %s%s fails: %v", dags, as, err)
			continue
		}
		if s.Loop != "" {
			r.add(RuleScanLoop, Error, "", "Airflow's scan of %s%s stops with %q and loads no DAG at all", dags, as, s.Loop)
			continue
		}
		found := map[string]int{}
		for _, f := range s.Files {
			abs := filepath.Join(dags, filepath.FromSlash(f))
			if rel, ok := below(root, abs); ok && layout.IsMeta(rel) {
				r.add(RuleScanMeta, Error, f, "Airflow's scan%s reaches this file of dagnfs's: %s at the export root must prune %s", as, layout.IgnoreFile, layout.Dir)
				continue
			}
			if real, err := filepath.EvalSymlinks(abs); err == nil && want[real] != "" {
				found[want[real]]++
			}
		}
		var missing, twice []string
		for _, p := range want {
			switch n := found[p]; {
			case n == 0:
				missing = append(missing, p)
			case n > 1:
				twice = append(twice, p)
			}
		}
		slices.Sort(missing)
		slices.Sort(twice)
		for _, p := range twice {
			r.add(RuleScanTwice, Error, p, "Airflow's scan of %s%s finds this file %d times: each copy is parsed and one replaces the other's DAGs", dags, as, found[p])
		}
		for _, p := range missing {
			r.add(RuleScanMissing, Error, p, "Airflow's scan of %s%s does not find this file, which defines %s: check the dags folder setting and .airflowignore", dags, as, dagNames(m, p))
		}
	}
}

// below returns p relative to dir, slash-separated, when p is inside dir.
// scans keeps Airflow's scans of a dags folder for the verifications of
// one run: every team of a share is checked against one scan of the
// share (nil: each verification scans for itself).
type scans struct {
	mu   sync.Mutex
	done map[[2]string]scanned
}

type scanned struct {
	s   *validate.AirflowScan
	err error
}

func (c *scans) scan(ctx context.Context, dags, syntax string) (*validate.AirflowScan, error) {
	if c == nil {
		return validate.ScanAsAirflow(ctx, dags, syntax)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := [2]string{dags, syntax}
	if got, ok := c.done[key]; ok {
		return got.s, got.err
	}
	s, err := validate.ScanAsAirflow(ctx, dags, syntax)
	if c.done == nil {
		c.done = map[[2]string]scanned{}
	}
	c.done[key] = scanned{s, err}
	return s, err
}

func below(dir, p string) (string, bool) {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// same reports whether two folders are one, by path or by what they resolve to.
func same(a, b string) bool {
	if a == b {
		return true
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

func dagNames(m *layout.Manifest, p string) string {
	for _, e := range m.Files {
		if e.Path == p {
			ids := make([]string, 0, len(e.DAGs))
			for _, d := range e.DAGs {
				ids = append(ids, d.ID)
			}
			if len(ids) == 1 {
				return "DAG " + ids[0]
			}
			return "DAGs " + strings.Join(ids, ", ")
		}
	}
	return "DAGs"
}
