package validate

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// AirflowScan is what Airflow's own scan of a dags folder finds, as the
// reading user: Airflow's find_path_from_directory (os.walk with
// followlinks=True, .airflowignore inherited downwards, a folder reached a
// second time by its resolved path stopping the whole scan) followed by its
// candidate test (a regular file, by ".py" suffix or zip content).
type AirflowScan struct {
	// Files are the candidates, as the walk reached them, relative to the
	// dags folder, in walk order.
	Files []string
	// Loop, when set, is the RuntimeError Airflow raises: the scan stops
	// and Airflow loads no DAG at all.
	Loop string
	// Unlisted are folders that the reading user cannot list: os.walk
	// passes over them silently.
	Unlisted []string
}

// MaxScanEntries bounds how many folder entries one scan reads.
const MaxScanEntries = 2_000_000

// ScanAsAirflow walks dagsFolder as Airflow does with the ignore syntax
// syntax (SyntaxRegexp or SyntaxGlob), as this process's user. It differs
// from the discovery of Run, which checks a source folder before publish
// (symlinks leaving it, names publish refuses): this is the consumer's
// view of a folder as it is, for verify.
func ScanAsAirflow(ctx context.Context, dagsFolder, syntax string) (*AirflowScan, error) {
	if syntax != SyntaxRegexp && syntax != SyntaxGlob {
		return nil, fmt.Errorf("ignore syntax %q is not %s or %s", syntax, SyntaxRegexp, SyntaxGlob)
	}
	s := &AirflowScan{}
	// rulesByDir is Airflow's patterns_by_dir: the rules a folder inherits,
	// by its resolved path. The dags folder itself is not in it.
	rulesByDir := map[string][]ignoreRule{}
	type frame struct{ abs, rel string }
	stack := []frame{{abs: dagsFolder}}
	entries := 0
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		list, err := os.ReadDir(f.abs)
		if err != nil {
			if f.rel == "" {
				return nil, fmt.Errorf("dags folder %s: %w", dagsFolder, err)
			}
			s.Unlisted = append(s.Unlisted, f.rel)
			continue
		}
		if entries += len(list); entries > MaxScanEntries {
			return nil, fmt.Errorf("dags folder %s: more than %d entries; not scanned further", dagsFolder, MaxScanEntries)
		}
		var rules []ignoreRule
		if real, err := filepath.EvalSymlinks(f.abs); err == nil {
			rules = rulesByDir[real]
		}
		ignorePath := filepath.Join(f.abs, IgnoreFile)
		if fi, err := os.Stat(ignorePath); err == nil && fi.Mode().IsRegular() {
			if b, err := readBounded(ignorePath, 1<<20); err == nil {
				more, _ := parseIgnore(string(b), f.rel, path.Join(f.rel, IgnoreFile), syntax)
				rules = append(append([]ignoreRule(nil), rules...), more...)
			}
		}
		var dirs []frame
		for _, e := range list {
			name := e.Name()
			rel := path.Join(f.rel, name)
			abs := filepath.Join(f.abs, name)
			fi, err := os.Stat(abs) // os.walk's is_dir() follows symlinks
			if err == nil && fi.IsDir() {
				if !ignored(rules, syntax, rel, true) {
					dirs = append(dirs, frame{abs: abs, rel: rel})
				}
				continue
			}
			if name == IgnoreFile || ignored(rules, syntax, rel, false) {
				continue
			}
			if err != nil || !fi.Mode().IsRegular() {
				continue // Airflow's path.is_file() is false
			}
			if strings.HasSuffix(name, ".py") {
				s.Files = append(s.Files, rel)
			} else if zip, err := sniffZipPath(abs, fi.Size()); err == nil && zip {
				s.Files = append(s.Files, rel)
			}
		}
		// The loop check, after pruning, on resolved paths.
		for _, sub := range dirs {
			real, err := filepath.EvalSymlinks(sub.abs)
			if err != nil {
				continue
			}
			if _, seen := rulesByDir[real]; seen {
				s.Loop = fmt.Sprintf("Detected recursive loop when walking DAG directory %s: %s has appeared more than once", dagsFolder, real)
				return s, nil
			}
			rulesByDir[real] = rules
		}
		for i := len(dirs) - 1; i >= 0; i-- { // os.walk is top-down, in listing order
			stack = append(stack, dirs[i])
		}
	}
	return s, nil
}

// readBounded reads at most max bytes of the file name.
func readBounded(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max))
}
