// Package config reads dagnfs's settings from a repository: a dagnfs.toml,
// or the [tool.dagnfs] table of a pyproject.toml, found by walking up from
// the DAG folder, the way ruff and pytest find theirs.
//
// The keys are the names of the command-line flags they stand for
// (airflow-version, disable, file-mode, ...), so that one word means one
// setting everywhere: flag, environment variable (DAGNFS_AIRFLOW_VERSION)
// and file. Flags and environment variables override the file.
package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"golang.org/x/sys/unix"
)

// FileName is dagnfs's own configuration file; it wins over a
// pyproject.toml in the same folder.
const FileName = "dagnfs.toml"

// MaxSize bounds a configuration file: it is read whole.
const MaxSize = 1 << 20

// Kind is the type of a key's value.
type Kind int

// The kinds of values.
const (
	Int Kind = iota
	Bool
	String
	List  // a list of strings
	Table // per-file-ignores: glob = [rules]
	Mode  // a file mode: "0644" or 0o644
	Path  // a path, relative to the file's folder
	Paths // a list of paths, relative to the file's folder
)

// Key is one setting a file may hold.
type Key struct {
	Name string
	Kind Kind
	Help string
}

// Keys are the settings a file may hold, in the order dagnfs config prints
// them.
var Keys = []Key{
	{"airflow-version", Int, "Airflow major version whose rules apply: 2 or 3"},
	{"python-version", String, "Python version of the Airflow workers, e.g. \"3.12\""},
	{"python", String, "interpreter for the syntax verdict: auto, none or a path"},
	{"safe-mode", Bool, "[core] dag_discovery_safe_mode"},
	{"ignore-syntax", String, ".airflowignore syntax: regexp or glob"},
	{"disable", List, "rules silenced for every file"},
	{"per-file-ignores", Table, "rules silenced for files matching a glob: {\"legacy/*.py\" = [\"dag-no-schedule\"]}"},
	{"exclude", List, "globs of files and folders that are not part of the DAG folder"},
	{"max-file-size", Int, "bytes; larger files get a warning and no further check"},
	{"strict", Bool, "warnings fail too"},
	{"file-mode", Mode, "mode of published files"},
	{"dir-mode", Mode, "mode of folders dagnfs creates"},
	{"uid", Int, "uid that writes and owns the published files"},
	{"gid", Int, "gid that writes and owns the published files"},
	{"keep", Int, "generations kept on the export for rollback"},
	{"delete", Bool, "delete files dagnfs published before that are gone from the source"},
	{"max-delete", Int, "refuse a publish that would delete more files (-1: no limit)"},
	{"check-as", String, "identities UID:GID that must be able to read what was published, comma separated"},
	{"layout", String, "how DAGs sit on the export: in-place, generations or manifest-bundle"},
	{"bundle", String, "manifest-bundle layout: the bundle's name"},
	{"grace", String, "generations layout: how long a replaced generation folder stays, e.g. \"1h\""},
	{"env", Path, "environment index of the Airflow image (dagnfs env capture), relative to this file"},
	{"sys-path", Paths, "folders Airflow puts on sys.path besides the DAG folder (plugins, config), relative to this file"},
}

// Lookup returns the key of a name.
func Lookup(name string) (Key, bool) {
	i := slices.IndexFunc(Keys, func(k Key) bool { return k.Name == name })
	if i < 0 {
		return Key{}, false
	}
	return Keys[i], true
}

// Config is what one file says.
type Config struct {
	// Path is the file read.
	Path string
	// Values holds each key but per-file-ignores, as the strings its flag
	// takes (one per element for a list).
	Values map[string][]string
	// PerFileIgnores maps a glob (gitignore syntax, on the path inside the
	// DAG folder) to the rules silenced in the files it matches.
	PerFileIgnores map[string][]string
}

// Error is a configuration file that cannot be used.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string { return e.Path + ": " + e.Msg }

// Find looks for a configuration file in dir and the folders above it: a
// dagnfs.toml, or a pyproject.toml with a [tool.dagnfs] table. It returns
// "" when there is none.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(abs, FileName)
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return "", linked(p)
		} else if err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
		p = filepath.Join(abs, "pyproject.toml")
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return "", linked(p)
		} else if err == nil && fi.Mode().IsRegular() {
			has, err := hasTool(p)
			if err != nil {
				return "", err
			}
			if has {
				return p, nil
			}
		}
		up := filepath.Dir(abs)
		if up == abs {
			return "", nil
		}
		abs = up
	}
}

// linked refuses a settings file found as a symlink: a checkout that other
// jobs can write to could make it name any file of the publisher's.
func linked(path string) error {
	return &Error{path, "is a symlink: settings found in the source are read only from a regular file, never through a link (it could name any file of the publisher's); copy the file in, or name it with --config"}
}

// hasTool reports whether a pyproject.toml has a [tool.dagnfs] table.
func hasTool(path string) (bool, error) {
	doc, err := readTOML(path, false)
	if err != nil {
		return false, err
	}
	_, ok := tool(doc)
	return ok, nil
}

func tool(doc map[string]any) (map[string]any, bool) {
	t, _ := doc["tool"].(map[string]any)
	d, ok := t["dagnfs"].(map[string]any)
	return d, ok
}

// readTOML reads the file at path; a symlink is followed only when follow
// is set (a file the user named), and only a regular file is read.
func readTOML(path string, follow bool) (map[string]any, error) {
	flags := unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := unix.Open(path, flags, 0)
	if errors.Is(err, unix.ELOOP) && !follow {
		return nil, linked(path)
	}
	if err != nil {
		return nil, &Error{path, err.Error()}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, &Error{path, "not a regular file"}
	}
	buf, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, &Error{path, err.Error()}
	}
	n := len(buf)
	if n > MaxSize {
		return nil, &Error{path, fmt.Sprintf("larger than %d bytes; is it a configuration file?", MaxSize)}
	}
	var doc map[string]any
	if _, err := toml.Decode(string(buf[:n]), &doc); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{path, fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message)}
		}
		return nil, &Error{path, err.Error()}
	}
	return doc, nil
}

// Load reads a configuration file: a pyproject.toml's [tool.dagnfs]
// table, or any other file's top level. Unknown keys and values of the
// wrong type are errors that name the key.
func Load(path string) (*Config, error) {
	return load(path, true)
}

// LoadFound is Load for a file that Find returned: a symlink put there
// since is refused, not followed.
func LoadFound(path string) (*Config, error) {
	return load(path, false)
}

func load(path string, follow bool) (*Config, error) {
	doc, err := readTOML(path, follow)
	if err != nil {
		return nil, err
	}
	table := doc
	where := ""
	if filepath.Base(path) == "pyproject.toml" {
		t, ok := tool(doc)
		if !ok {
			return nil, &Error{path, "has no [tool.dagnfs] table"}
		}
		table, where = t, "tool.dagnfs."
	}
	c := &Config{Path: path, Values: map[string][]string{}}
	for _, name := range slices.Sorted(maps.Keys(table)) {
		k, ok := Lookup(name)
		if !ok {
			return nil, &Error{path, fmt.Sprintf("unknown key %s%s (keys: %s)", where, name, keyNames())}
		}
		bad := func(want string) error {
			return &Error{path, fmt.Sprintf("%s%s must be %s, not %v", where, name, want, table[name])}
		}
		switch v := table[name]; k.Kind {
		case Int:
			n, ok := v.(int64)
			if !ok {
				return nil, bad("an integer")
			}
			c.Values[name] = []string{strconv.FormatInt(n, 10)}
		case Bool:
			b, ok := v.(bool)
			if !ok {
				return nil, bad("true or false")
			}
			c.Values[name] = []string{strconv.FormatBool(b)}
		case String:
			s, ok := v.(string)
			if !ok {
				return nil, bad("a string")
			}
			c.Values[name] = []string{s}
		case Mode:
			switch m := v.(type) {
			case int64:
				c.Values[name] = []string{fmt.Sprintf("%#o", m)}
			case string:
				c.Values[name] = []string{m}
			default:
				return nil, bad(`a mode ("0644" or 0o644)`)
			}
		case List:
			l, err := stringList(v)
			if err != nil {
				return nil, bad("a list of strings")
			}
			c.Values[name] = l
		case Path:
			s, ok := v.(string)
			if !ok || s == "" {
				return nil, bad("a path")
			}
			c.Values[name] = []string{relativeTo(path, s)}
		case Paths:
			l, err := stringList(v)
			if err != nil {
				return nil, bad("a list of paths")
			}
			for i := range l {
				l[i] = relativeTo(path, l[i])
			}
			c.Values[name] = l
		case Table:
			t, ok := v.(map[string]any)
			if !ok {
				return nil, bad(`a table of globs and rule lists ({"legacy/*.py" = ["dag-no-schedule"]})`)
			}
			c.PerFileIgnores = map[string][]string{}
			for glob, rules := range t {
				l, err := stringList(rules)
				if err != nil {
					return nil, &Error{path, fmt.Sprintf("%s%s.%q must be a list of rule ids", where, name, glob)}
				}
				c.PerFileIgnores[glob] = l
			}
		}
	}
	return c, nil
}

// relativeTo resolves p against the folder of the settings file.
func relativeTo(file, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(file), p)
}

func stringList(v any) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, errors.New("not a list")
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, errors.New("not a string")
		}
		out = append(out, s)
	}
	return out, nil
}

func keyNames() string {
	names := make([]string, len(Keys))
	for i, k := range Keys {
		names[i] = k.Name
	}
	return strings.Join(names, ", ")
}
