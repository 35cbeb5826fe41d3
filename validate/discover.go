package validate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/dagnfs/dagnfs/internal/srcfile"
)

// candidate is a file Airflow would consider: a ".py" suffix or zip content.
type candidate struct {
	rel  string // as reached by the walk, relative to the DAG folder
	abs  string
	size int64
	zip  bool
	// sniff: not a ".py" file, a candidate only if it is a zip (found
	// out after the walk)
	sniff bool
	// seen is the file as the walk saw it, read only as such (nil where
	// the system gives no inode).
	seen *srcfile.File
}

// open opens the candidate as the walk saw it.
func (c candidate) open() (*os.File, error) {
	if c.seen != nil {
		return c.seen.OpenFile()
	}
	return os.Open(c.abs)
}

// job is the interpreter's job for the candidate, or for its zip member:
// it too opens the file as the walk saw it.
func (c candidate) job(member string) compileJob {
	j := compileJob{Name: c.rel, Path: c.abs, Member: member}
	if c.seen != nil {
		if parts, err := c.seen.Parts(); err == nil {
			j.Root, j.Parts, j.Dev, j.Ino, j.Size = c.seen.Root, parts, c.seen.Dev, c.seen.Ino, &c.seen.Size
		}
	}
	return j
}

// read reads the candidate as the walk saw it.
func (c candidate) read() ([]byte, error) {
	if c.seen != nil {
		return c.seen.ReadAll()
	}
	return os.ReadFile(c.abs)
}

// MaxIgnoreFile is the largest .airflowignore read.
const MaxIgnoreFile = 1 << 20

// discovery is the result of walking a DAG folder as Airflow does.
type discovery struct {
	candidates []candidate
	ignored    []string // files (and folders, with a trailing /) .airflowignore removes
	findings   []Finding
}

// Listed is one entry of a folder as a walk found it.
type Listed struct {
	Name string
	// Info is os.Stat's (symlinks followed); nil for a dangling symlink, or
	// for an entry the walk passed over (excluded, or an unsafe name).
	Info fs.FileInfo
	// Link: the entry itself is a symlink; Target is where it resolves
	// ("" when it does not).
	Link   bool
	Target string
}

// listDir returns the entries of the folder abs: from listed when the
// caller's walk already read it (publish walks its source once), else from
// the disk.
func listDir(abs string, listed map[string][]Listed) ([]Listed, error) {
	if l, ok := listed[abs]; ok {
		return l, nil
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(entries))
	for _, e := range entries {
		p := filepath.Join(abs, e.Name())
		l := Listed{Name: e.Name(), Link: e.Type()&os.ModeSymlink != 0}
		if info, err := os.Stat(p); err == nil {
			l.Info = info
		}
		if l.Link {
			l.Target, _ = filepath.EvalSymlinks(p)
		}
		out = append(out, l)
	}
	return out, nil
}

// discover walks root as Airflow's os.walk(followlinks=True) with
// .airflowignore does, reporting symlinks that leave root, symlink loops and
// unsafe names on the way. Folders found in listed are not read again.
func discover(root string, syntax string, maxSize int64, exclude []string, listed map[string][]Listed) (*discovery, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	d := &discovery{}
	seen := map[string]bool{} // resolved folders below the root
	type frame struct {
		// abs is the folder as the walk reached it, real where it
		// resolves (no symlink in it).
		abs, real, rel string
		rules          []ignoreRule
		// pruned: a folder .airflowignore hides. Airflow does not enter
		// it, but publish copies it: it is walked only for what publish
		// cannot copy (special files, dangling links, unreadable files).
		pruned bool
	}
	stack := []frame{{abs: root, real: realRoot, rel: ""}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		entries, err := listDir(f.abs, listed)
		if err != nil {
			d.findings = append(d.findings, Finding{Rule: RuleUnreadable, File: orDot(f.rel),
				Message: fmt.Sprintf("folder cannot be listed (%v): Airflow skips it silently", err)})
			continue
		}
		rules := f.rules
		if i := slices.IndexFunc(entries, func(e Listed) bool { return e.Name == IgnoreFile }); i >= 0 && !f.pruned {
			more, bad, err := readIgnore(realRoot, f.real, f.rel, entries[i], syntax)
			if err != nil {
				return nil, err
			}
			rules = append(append([]ignoreRule(nil), rules...), more...)
			d.findings = append(d.findings, bad...)
		}
		var dirs []frame
		for _, e := range entries {
			name := e.Name
			rel := path.Join(f.rel, name)
			abs := filepath.Join(f.abs, name)
			if Excluded(exclude, rel, name) {
				continue
			}
			if why := UnsafeName(name); why != "" {
				d.findings = append(d.findings, Finding{Rule: RuleUnsafeName, File: strings.ToValidUTF8(rel, "\uFFFD"), Message: why})
				continue
			}
			info := e.Info // symlinks followed, as os.walk does
			if info == nil {
				// Not a file for Airflow, but publish cannot copy it: the
				// same checks as publish, whatever .airflowignore says.
				if e.Link {
					d.findings = append(d.findings, Finding{Rule: RuleDanglingLink, File: rel,
						Message: "symlink leads nowhere: publish refuses to copy it (Airflow skips it); remove it or point it at a file in the folder"})
				}
				continue
			}
			if e.Link && e.Target != "" && !within(realRoot, e.Target) {
				d.findings = append(d.findings, Finding{Rule: RuleSymlinkEscape, File: rel,
					Message: fmt.Sprintf("symlink resolves outside the DAG folder, to %s: publish does not copy it and the pods will not find it", e.Target)})
				continue
			}
			if info.IsDir() {
				switch {
				case f.pruned:
					if !e.Link { // what publish walks: not through links
						stack = append(stack, frame{abs: abs, real: filepath.Join(f.real, name), rel: rel, pruned: true})
					}
				case ignored(rules, syntax, rel, true):
					d.ignored = append(d.ignored, rel+"/")
					if !e.Link {
						stack = append(stack, frame{abs: abs, real: filepath.Join(f.real, name), rel: rel, pruned: true})
					}
				default:
					dirs = append(dirs, frame{abs: abs, real: realOf(f.real, e), rel: rel, rules: rules})
				}
				continue
			}
			if !info.Mode().IsRegular() {
				d.findings = append(d.findings, Finding{Rule: RuleSpecialFile, File: rel,
					Message: fmt.Sprintf("a %s, not a file or folder: publish refuses to copy it (Airflow skips it); remove it from the DAG folder", kindOf(info.Mode()))})
				continue
			}
			if unix.Access(abs, unix.R_OK) != nil {
				d.findings = append(d.findings, Finding{Rule: RuleUnreadable, File: rel,
					Message: "cannot be read by this user: publish would fail on it, and Airflow skips it"})
				continue
			}
			if name == IgnoreFile || f.pruned {
				continue
			}
			if ignored(rules, syntax, rel, false) {
				d.ignored = append(d.ignored, rel)
				continue
			}
			c := candidate{rel: rel, abs: abs, size: info.Size()}
			if seen, ok := srcfile.Seen(realRoot, realOf(f.real, e), rel, info); ok {
				c.seen = &seen
			}
			// Any other file is one when it is a zip: decided after the
			// walk, several at a time (sniffAll).
			c.sniff = !strings.HasSuffix(name, ".py")
			if !c.sniff && d.tooLarge(c, maxSize) {
				continue
			}
			d.candidates = append(d.candidates, c)
		}
		// Loop detection, as Airflow does after pruning ignored folders.
		for i := len(dirs) - 1; i >= 0; i-- {
			sub := dirs[i]
			resolved, err := filepath.EvalSymlinks(sub.abs)
			if err != nil {
				continue
			}
			if seen[resolved] || resolved == realRoot {
				d.findings = append(d.findings, Finding{Rule: RuleSymlinkLoop, File: sub.rel,
					Message: fmt.Sprintf("reaches %s a second time: Airflow's scan stops with \"Detected recursive loop when walking DAG directory\" and loads no DAG at all", resolved)})
				continue
			}
			seen[resolved] = true
			stack = append(stack, sub)
		}
	}
	if err := d.sniffAll(maxSize); err != nil {
		return nil, err
	}
	return d, nil
}

// tooLarge notes a candidate larger than maxSize.
func (d *discovery) tooLarge(c candidate, maxSize int64) bool {
	if maxSize > 0 && c.size > maxSize {
		d.findings = append(d.findings, Finding{Rule: RuleFileTooLarge, File: c.rel,
			Message: fmt.Sprintf("%d bytes, more than the maximum file size of %d: not checked further", c.size, maxSize)})
		return true
	}
	return false
}

// sniffers is how many files sniffAll reads at once: the work is system
// calls (open, one read, close), which overlap.
const sniffers = 8

// sniffAll keeps, of the candidates to sniff, the zips, in the walk's
// order (which decides, as in Airflow, which of two duplicate dag_ids
// wins).
func (d *discovery) sniffAll(maxSize int64) error {
	type sniffed struct {
		zip bool
		err error
	}
	out := make([]sniffed, len(d.candidates))
	var g errgroup.Group
	g.SetLimit(sniffers)
	for i, c := range d.candidates {
		if c.sniff {
			g.Go(func() error {
				out[i].zip, out[i].err = sniffZip(c)
				return nil
			})
		}
	}
	g.Wait()
	kept := d.candidates[:0]
	for i, c := range d.candidates {
		if !c.sniff {
			kept = append(kept, c)
			continue
		}
		switch err := out[i].err; {
		case errors.Is(err, srcfile.ErrChanged):
			return err
		case err != nil:
			d.findings = append(d.findings, Finding{Rule: RuleUnreadable, File: c.rel, Message: err.Error()})
		case out[i].zip && !d.tooLarge(c, maxSize):
			c.zip, c.sniff = true, false
			kept = append(kept, c)
		}
	}
	d.candidates = kept
	return nil
}

// realOf is where entry e of the folder real resolves.
func realOf(real string, e Listed) string {
	if e.Link {
		return e.Target
	}
	return filepath.Join(real, e.Name)
}

// readIgnore reads the .airflowignore entry e of the folder real (rel) as
// the walk saw it: a symlink that leaves the DAG folder is not followed
// (the walk reports it), a file that changed fails the run.
func readIgnore(realRoot, real, rel string, e Listed, syntax string) ([]ignoreRule, []Finding, error) {
	name := path.Join(rel, IgnoreFile)
	switch {
	case e.Info == nil || !e.Info.Mode().IsRegular():
		return nil, nil, nil
	case e.Link && (e.Target == "" || !within(realRoot, e.Target)):
		return nil, nil, nil
	case e.Info.Size() > MaxIgnoreFile:
		return nil, []Finding{{Rule: RuleFileTooLarge, File: name,
			Message: fmt.Sprintf("%d bytes, more than the %d read of an ignore file: its rules are not applied here", e.Info.Size(), MaxIgnoreFile)}}, nil
	}
	var b []byte
	var err error
	if seen, ok := srcfile.Seen(realRoot, realOf(real, e), name, e.Info); ok {
		b, err = seen.ReadAll()
	} else {
		b, err = os.ReadFile(realOf(real, e))
	}
	if err != nil {
		return nil, nil, err
	}
	more, bad := parseIgnore(string(b), rel, name, syntax)
	return more, bad, nil
}

// kindOf names a special file's type.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

func orDot(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

func within(root, p string) bool {
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator))
}

// DefaultExcludes are never part of a DAG folder: version control, Python
// caches and dagnfs's own folder.
var DefaultExcludes = []string{".git", ".hg", ".svn", "__pycache__", "*.pyc", ".dagnfs"}

// Excluded reports whether a file or folder matches one of the glob
// patterns, by its name or by its relative path.
func Excluded(patterns []string, rel, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
	}
	return false
}

// UnsafeName explains why a file name breaks tools, or returns "".
func UnsafeName(name string) string {
	if !utf8.ValidString(name) {
		return "the name is not valid UTF-8; rename it"
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Sprintf("the name contains the control character %U; rename it", r)
		}
	}
	if strings.ContainsRune(name, '\\') {
		return "the name contains a backslash; rename it"
	}
	if strings.TrimSpace(name) != name {
		return "the name starts or ends with white space; rename it"
	}
	return ""
}

// sniffZip tells whether Python's zipfile.is_zipfile would say yes: an end
// of central directory record in the last 64 KiB, for an empty archive or
// one whose central directory starts where the record says.
func sniffZip(c candidate) (bool, error) {
	if c.size < eocdLen {
		return false, nil
	}
	f, err := c.open()
	if err != nil {
		return false, err
	}
	defer f.Close()
	return sniffZipFile(f, c.size)
}

// sniffZipPath is sniffZip for a file named by its path.
func sniffZipPath(name string, size int64) (bool, error) {
	if size < eocdLen {
		return false, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return false, err
	}
	defer f.Close()
	return sniffZipFile(f, size)
}

// eocdLen is the length of a zip's end of central directory record, and
// eocdSig its signature.
const (
	eocdLen = 22
	eocdSig = "PK\x05\x06"
)

// tails are the buffers sniffZipFile reads a file's last 64 KiB into.
var tails = sync.Pool{New: func() any { b := make([]byte, eocdLen+65535); return &b }}

func sniffZipFile(f *os.File, size int64) (bool, error) {
	n := min(size, eocdLen+65535)
	bp := tails.Get().(*[]byte)
	defer tails.Put(bp)
	buf := (*bp)[:n]
	if _, err := f.ReadAt(buf, size-n); err != nil && err != io.EOF {
		return false, err
	}
	// The last record signature that leaves room for a whole record.
	if i := lastIndex(buf[:len(buf)-eocdLen+4], eocdSig); i >= 0 {
		rec := buf[i:]
		disk, start := binary.LittleEndian.Uint16(rec[4:]), binary.LittleEndian.Uint16(rec[6:])
		total := binary.LittleEndian.Uint16(rec[10:])
		cdSize, cdOff := binary.LittleEndian.Uint32(rec[12:]), binary.LittleEndian.Uint32(rec[16:])
		if total == 0 && cdSize == 0 && cdOff == 0 {
			return true, nil
		}
		if disk != start || int64(cdOff)+4 > size {
			return false, nil
		}
		sig := make([]byte, 4)
		if _, err := f.ReadAt(sig, int64(cdOff)); err != nil {
			return false, nil
		}
		return string(sig) == "PK\x01\x02", nil
	}
	return false, nil
}

// lastIndex is bytes.LastIndex for a short sep, found by its first byte
// (LastIndexByte is vectorised; LastIndex hashes every window).
func lastIndex(b []byte, sep string) int {
	for end := len(b); ; {
		i := bytes.LastIndexByte(b[:end], sep[0])
		if i < 0 {
			return -1
		}
		if i+len(sep) <= len(b) && string(b[i:i+len(sep)]) == sep {
			return i
		}
		end = i
	}
}

func ioLimit(r io.Reader, n int64) io.Reader { return io.LimitReader(r, n) }
