package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dagnfs/dagnfs/internal/srcfile"
	"github.com/dagnfs/dagnfs/validate"
)

// SourceFile is one file to publish.
type SourceFile struct {
	Rel  string // slash-separated, relative to the source folder
	Abs  string // where to read it (a symlink's target)
	Size int64
	Sum  string // sha256 in hex, once hashed
	// open reads the file from elsewhere than Abs (a rollback reads it
	// from the export itself).
	open func(ctx context.Context) (io.ReadCloser, error)
	// seen is what the walk saw of it: Open opens that very file.
	seen *srcfile.File
}

// Open opens the file's content for reading.
func (f SourceFile) Open(ctx context.Context) (io.ReadCloser, error) {
	if f.open != nil {
		return f.open(ctx)
	}
	if f.seen != nil {
		return f.seen.Open()
	}
	return os.Open(f.Abs)
}

// Scan lists the regular files under dir that would be published, following
// symlinks that stay inside dir, sorted by path. A symlink that leaves dir,
// a symlink loop and an unsafe name are errors.
func Scan(dir string, exclude []string) ([]SourceFile, error) {
	files, _, err := scan(dir, exclude)
	return files, err
}

// scan is Scan that also returns every folder's listing, by the path the
// walk reached it at, for validation to use instead of walking again.
func scan(dir string, exclude []string) ([]SourceFile, map[string][]validate.Listed, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("source %s: %w", dir, err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, nil, fmt.Errorf("source %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("source %s is not a folder", dir)
	}
	patterns := append(slices.Clone(validate.DefaultExcludes), exclude...)
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, nil, fmt.Errorf("exclude pattern %q is not valid: %v", p, err)
		}
	}
	var out []SourceFile
	var problems []string
	listed := map[string][]validate.Listed{}
	visiting := map[string]bool{root: true}
	// reached is the folder as the walk reached it (dir joined with the
	// names below it, as validation walks it); real is where it resolves.
	var walk func(reached, real, rel string) error
	walk = func(reached, real, rel string) error {
		entries, err := os.ReadDir(real)
		if err != nil {
			return err
		}
		listing := make([]validate.Listed, 0, len(entries))
		defer func() { listed[reached] = listing }()
		for _, e := range entries {
			name := e.Name()
			r := path.Join(rel, name)
			l := validate.Listed{Name: name, Link: e.Type()&fs.ModeSymlink != 0}
			if validate.Excluded(patterns, r, name) {
				listing = append(listing, l)
				continue
			}
			if why := validate.UnsafeName(name); why != "" {
				problems = append(problems, fmt.Sprintf("%q: %s", r, why))
				listing = append(listing, l)
				continue
			}
			p := filepath.Join(real, name)
			target := p
			if l.Link {
				resolved, err := filepath.EvalSymlinks(p)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: broken symlink: %v", r, err))
					listing = append(listing, l)
					continue
				}
				l.Target = resolved
				if resolved != root && !strings.HasPrefix(resolved, root+string(filepath.Separator)) {
					problems = append(problems, fmt.Sprintf("%s: symlink leads outside the source folder to %s; copy the file in instead", r, resolved))
					listing = append(listing, l)
					continue
				}
				target = resolved
			}
			info, err := os.Stat(target)
			if err != nil {
				return err
			}
			l.Info = info
			listing = append(listing, l)
			switch {
			case info.IsDir():
				if visiting[target] {
					problems = append(problems, fmt.Sprintf("%s: symlink loop (Airflow's scan would fail with \"Detected recursive loop\")", r))
					continue
				}
				visiting[target] = true
				if err := walk(filepath.Join(reached, name), target, r); err != nil {
					return err
				}
				delete(visiting, target)
			case info.Mode().IsRegular():
				sf := SourceFile{Rel: r, Abs: target, Size: info.Size()}
				if seen, ok := srcfile.Seen(root, target, r, info); ok {
					sf.seen = &seen
				}
				out = append(out, sf)
			default:
				problems = append(problems, fmt.Sprintf("%s: not a regular file or folder", r))
			}
		}
		return nil
	}
	if err := walk(dir, root, ""); err != nil {
		return nil, nil, fmt.Errorf("source %s: %w", dir, err)
	}
	if len(problems) > 0 {
		const shown = 10
		if len(problems) > shown {
			problems = append(problems[:shown], fmt.Sprintf("and %d more (dagnfs validate lists them all)", len(problems)-shown))
		}
		return nil, nil, errors.New("source " + dir + ": " + strings.Join(problems, "; "))
	}
	slices.SortFunc(out, func(a, b SourceFile) int { return strings.Compare(a.Rel, b.Rel) })
	return out, listed, nil
}
