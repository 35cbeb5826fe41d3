package validate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/dagnfs/dagnfs/internal/guard"
	"github.com/dagnfs/dagnfs/internal/srcfile"
)

// Judge gives the syntax verdicts: CPython's compile() through one resolved
// interpreter, or, with none, the embedded front end (package python).
type Judge struct {
	// Python is the interpreter binary, "" for none.
	Python string
	// Version is the interpreter's version, e.g. "3.11.7".
	Version string
}

// NewJudge resolves the interpreter setting once.
func NewJudge(ctx context.Context, python string) (*Judge, error) {
	interp, version, err := FindPython(ctx, python)
	if err != nil {
		return nil, err
	}
	return &Judge{Python: interp, Version: version}, nil
}

// ID names what gives the verdicts, so that a verdict recorded earlier can be
// reused only when the same judge would give it.
func (c *Judge) ID() string {
	if c.Python == "" {
		return "embedded-python-frontend-" + frontEndRevision()
	}
	return "cpython-" + c.Version + "-compile"
}

// FindPython resolves the interpreter setting to a binary and its version,
// or "" for none.
func FindPython(ctx context.Context, setting string) (string, string, error) {
	switch setting {
	case "none":
		return "", "", nil
	case "", "auto":
		p, err := exec.LookPath("python3")
		if err != nil {
			return "", "", nil
		}
		return resolvePython(ctx, p)
	default:
		if _, err := os.Stat(setting); err != nil {
			return "", "", &OptionError{"python", fmt.Sprintf("%s: %v (give an interpreter's path, auto or none)", setting, err)}
		}
		return resolvePython(ctx, setting)
	}
}

// resolvePython is realPython, with a shim's answer cached (see
// shimcache.go).
func resolvePython(ctx context.Context, p string) (string, string, error) {
	if !isScript(p) {
		return realPython(ctx, p)
	}
	if exe, version, ok := cachedShim(p); ok {
		return exe, version, nil
	}
	exe, version, err := realPython(ctx, p)
	if err == nil {
		storeShim(p, exe, version)
	}
	return exe, version, err
}

// realPython asks the interpreter for its own binary and version, so that a
// shell shim (pyenv) is not started once more per run.
func realPython(ctx context.Context, p string) (string, string, error) {
	out, err := exec.CommandContext(ctx, p, "-I", "-S", "-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])").Output()
	if err != nil {
		return "", "", fmt.Errorf("python interpreter %s does not run: %v (name another interpreter, or none for the embedded checker)", p, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] == "" {
		return "", "", fmt.Errorf("python interpreter %s did not say what it is (name another interpreter, or none for the embedded checker)", p)
	}
	return strings.TrimSpace(lines[0]), strings.TrimSpace(lines[1]), nil
}

// compileScript reads one JSON object per line ({"name", "path"[, "member"]}:
// a file, or a member of a zip archive) and prints one JSON line per input
// with compile()'s verdict.
const compileScript = `
import errno, json, os, stat, sys
zipfile = None
class SourceChanged(Exception):
    pass
def open_seen(job):
    if "root" not in job:
        return open(job["path"], "rb")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(job["root"], flags | os.O_DIRECTORY)
    except OSError as e:
        raise SourceChanged("the source folder: " + e.strerror)
    try:
        for part in job["parts"][:-1]:
            try:
                nfd = os.open(part, flags | os.O_DIRECTORY, dir_fd=fd)
            except OSError as e:
                raise SourceChanged("folder %s: %s" % (part, e.strerror))
            os.close(fd)
            fd = nfd
        try:
            ffd = os.open(job["parts"][-1], flags | os.O_NONBLOCK, dir_fd=fd)
        except OSError as e:
            raise SourceChanged("now a symlink" if e.errno == errno.ELOOP else e.strerror)
    finally:
        os.close(fd)
    st = os.fstat(ffd)
    why = None
    if not stat.S_ISREG(st.st_mode):
        why = "no longer a regular file"
    elif st.st_dev != job["dev"] or st.st_ino != job["ino"]:
        why = "another file now"
    elif st.st_size != job["size"]:
        why = "%d bytes now, %d when read" % (st.st_size, job["size"])
    if why:
        os.close(ffd)
        raise SourceChanged(why)
    return os.fdopen(ffd, "rb")
def read_seen(fh, job):
    if "root" not in job:
        return fh.read()
    src = fh.read(job["size"] + 1)
    if len(src) != job["size"]:
        raise SourceChanged("it grew" if len(src) > job["size"] else "it shrank")
    return src
for raw in sys.stdin:
    job = json.loads(raw)
    r = {"name": job["name"]}
    try:
        with open_seen(job) as fh:
            if "member" in job:
                if zipfile is None:
                    import zipfile
                with zipfile.ZipFile(fh) as z:
                    src = z.read(job["member"])
            else:
                src = read_seen(fh, job)
        compile(src, job["name"], "exec", dont_inherit=True)
    except SourceChanged as e:
        r.update(type="SourceChanged", line=0, col=0, msg=str(e))
    except SyntaxError as e:
        r.update(type=type(e).__name__, line=e.lineno or 0, col=e.offset or 0, msg=e.msg)
    except (ValueError, UnicodeDecodeError) as e:
        r.update(type=type(e).__name__, line=0, col=0, msg=str(e))
    except OSError as e:
        r.update(type="OSError", line=0, col=0, msg=str(e))
    except Exception as e:  # a corrupt zip member, RecursionError, MemoryError
        r.update(type=type(e).__name__, line=0, col=0, msg=str(e))
    sys.stdout.write(json.dumps(r) + "\n")  # block-buffered: a write per few hundred files
`

// compileJob is one file (or zip member) for the interpreter.
type compileJob struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Member string `json:"member,omitempty"`
	// The file as the walk saw it (see srcfile): the interpreter opens
	// Parts below Root without following symlinks and checks the device,
	// inode and size. Without them (no inode) it opens Path.
	Root  string   `json:"root,omitempty"`
	Parts []string `json:"parts,omitempty"`
	Dev   uint64   `json:"dev,omitempty"`
	Ino   uint64   `json:"ino,omitempty"`
	Size  *int64   `json:"size,omitempty"`
}

type verdict struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Msg  string `json:"msg"`
}

// compileParallel splits the jobs over n interpreter processes (files of
// about the same total size each) and gathers their failures in job order.
func (c *Judge) compileParallel(ctx context.Context, jobs []compileJob, n int, tick func()) ([]Finding, error) {
	n = min(n, max(1, len(jobs)/50)) // a process is worth its start-up only for many files
	if n <= 1 {
		return c.compileAll(ctx, jobs, tick)
	}
	parts := make([][]compileJob, n)
	for i, j := range jobs {
		parts[i%n] = append(parts[i%n], j)
	}
	found := make([][]Finding, n)
	g, gctx := errgroup.WithContext(ctx)
	for i := range parts {
		g.Go(guard.Func(func() (err error) {
			found[i], err = c.compileAll(gctx, parts[i], tick)
			return err
		}))
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Finding
	for _, f := range found {
		out = append(out, f...)
	}
	return out, nil
}

// compileAll runs every job through one interpreter process, streaming jobs
// in and verdicts out, and returns the failures. tick, if not nil, is
// called for each verdict.
func (c *Judge) compileAll(ctx context.Context, jobs []compileJob, tick func()) ([]Finding, error) {
	cmd := exec.CommandContext(ctx, c.Python, "-I", "-S", "-B", "-c", compileScript)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = guard.DiesWithParent()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("python %s does not start: %v (name another interpreter, or none for the embedded checker)", c.Python, err)
	}
	go func() {
		// Buffered: one write per 64 KiB of jobs, not one per file.
		w := bufio.NewWriterSize(stdin, 64<<10)
		enc := json.NewEncoder(w)
		for _, j := range jobs {
			if enc.Encode(j) != nil {
				break
			}
		}
		w.Flush()
		stdin.Close()
	}()
	var found []Finding
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seen := 0
	for sc.Scan() {
		var v verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("python %s: unreadable verdict %q", c.Python, sc.Text())
		}
		seen++
		if tick != nil {
			tick()
		}
		if v.Type == "" {
			continue
		}
		if v.Type == "SourceChanged" {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, &srcfile.ChangedError{Rel: v.Name, Why: v.Msg}
		}
		f := Finding{Rule: RuleSyntax, File: v.Name, Line: v.Line, Column: v.Col, Message: v.Type + ": " + v.Msg}
		switch {
		case strings.Contains(v.Msg, "null bytes") || strings.Contains(v.Msg, "(unicode error)") || v.Type == "UnicodeDecodeError" ||
			strings.Contains(v.Msg, "encoding problem") || strings.Contains(v.Msg, "unknown encoding"):
			f.Rule = RuleEncoding
		case v.Type == "OSError" || v.Type == "BadZipFile" || v.Type == "KeyError":
			f.Rule = RuleUnreadable
		}
		found = append(found, f)
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("python %s failed while checking syntax: %v: %s", c.Python, err, strings.TrimSpace(stderr.String()))
	}
	if seen != len(jobs) {
		return nil, fmt.Errorf("python %s gave %d verdicts for %d files", c.Python, seen, len(jobs))
	}
	return found, nil
}

// frontEndRevision names the build of the embedded front end: the
// revision dagnfs was built from (its module version when installed from a
// release), so that verdicts recorded by another build are not reused.
func frontEndRevision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	return "devel"
}
