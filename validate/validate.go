package validate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Severity of a finding.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one problem, at a file (relative to the checked folder) and,
// where known, a line and column (1-based).
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	Message  string   `json:"message"`
}

func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc += fmt.Sprintf(":%d", f.Line)
		if f.Column > 0 {
			loc += fmt.Sprintf(":%d", f.Column)
		}
	}
	return fmt.Sprintf("%s: %s [%s] %s", loc, f.Severity, f.Rule, f.Message)
}

// Report is the result of a check.
type Report struct {
	Files  int    `json:"files"`
	Python string `json:"python,omitempty"`
	// Compiled is how many files CPython compiled in this run.
	Compiled int       `json:"compiled"`
	Findings []Finding `json:"findings"`
}

// Errors counts error findings.
func (r *Report) Errors() int { return r.count(Error) }

// Warnings counts warning findings.
func (r *Report) Warnings() int { return r.count(Warning) }

func (r *Report) count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Options configure a check.
type Options struct {
	// Python is "auto" (python3 on PATH), "none", or an interpreter's path.
	Python string
}

// Checker checks files with one resolved interpreter (or none).
type Checker struct {
	// Python is the interpreter binary, "" for none.
	Python string
	// Version is the interpreter's version, e.g. "3.11.7".
	Version string
}

// NewChecker resolves the interpreter setting once.
func NewChecker(ctx context.Context, o Options) (*Checker, error) {
	interp, version, err := FindPython(ctx, o.Python)
	if err != nil {
		return nil, err
	}
	return &Checker{Python: interp, Version: version}, nil
}

// ID names what gives the verdicts, so that a verdict recorded earlier can be
// reused only when the same checker would give it.
func (c *Checker) ID() string {
	if c.Python == "" {
		return ""
	}
	return "cpython-" + c.Version + "-compile"
}

// Files checks the given files (slash-separated, relative to dir).
func Files(ctx context.Context, dir string, files []string, o Options) (*Report, error) {
	c, err := NewChecker(ctx, o)
	if err != nil {
		return nil, err
	}
	return c.Files(ctx, dir, files)
}

// Files checks the given files (slash-separated, relative to dir).
func (c *Checker) Files(ctx context.Context, dir string, files []string) (*Report, error) {
	r := &Report{Files: len(files), Findings: []Finding{}, Python: c.Python}
	var py []string
	for _, f := range files {
		if strings.HasSuffix(f, ".py") {
			py = append(py, f)
		}
	}
	if len(py) > 0 {
		if c.Python == "" {
			r.Findings = append(r.Findings, Finding{Rule: "syntax", Severity: Warning, File: ".",
				Message: fmt.Sprintf("no Python interpreter: the syntax of %d files was not checked (install python3 or pass --python PATH)", len(py))})
		} else {
			found, err := compileAll(ctx, c.Python, dir, py)
			if err != nil {
				return nil, err
			}
			r.Compiled = len(py)
			r.Findings = append(r.Findings, found...)
		}
	}
	slices.SortFunc(r.Findings, func(a, b Finding) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return r, nil
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
		return realPython(ctx, p)
	default:
		if _, err := os.Stat(setting); err != nil {
			return "", "", fmt.Errorf("--python %s: %w (give an interpreter's path, auto or none)", setting, err)
		}
		return realPython(ctx, setting)
	}
}

// realPython asks the interpreter for its own binary and version, so that a
// shell shim (pyenv) is not started once more per run.
func realPython(ctx context.Context, p string) (string, string, error) {
	out, err := exec.CommandContext(ctx, p, "-I", "-c", "import sys, platform; print(sys.executable); print(platform.python_version())").Output()
	if err != nil {
		return "", "", fmt.Errorf("python interpreter %s does not run: %v (pass --python PATH or --python none)", p, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] == "" {
		return "", "", fmt.Errorf("python interpreter %s did not say what it is (pass --python PATH or --python none)", p)
	}
	return strings.TrimSpace(lines[0]), strings.TrimSpace(lines[1]), nil
}

// compileScript reads NUL-separated paths on stdin and prints one JSON line
// per path with compile()'s verdict.
const compileScript = `
import json, sys
for path in sys.stdin.buffer.read().split(b"\0"):
    if not path:
        continue
    name = path.decode("utf-8", "surrogateescape")
    r = {"file": name}
    try:
        with open(path, "rb") as fh:
            compile(fh.read(), name, "exec", dont_inherit=True)
    except SyntaxError as e:
        r.update(type=type(e).__name__, line=e.lineno or 0, col=e.offset or 0, msg=e.msg)
    except (ValueError, UnicodeDecodeError) as e:
        r.update(type=type(e).__name__, line=0, col=0, msg=str(e))
    except OSError as e:
        r.update(type="OSError", line=0, col=0, msg=e.strerror or str(e))
    sys.stdout.write(json.dumps(r) + "\n")
`

type verdict struct {
	File string `json:"file"`
	Type string `json:"type"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Msg  string `json:"msg"`
}

func compileAll(ctx context.Context, interp, dir string, files []string) ([]Finding, error) {
	cmd := exec.CommandContext(ctx, interp, "-I", "-B", "-c", compileScript)
	cmd.Dir = dir
	var in bytes.Buffer
	for _, f := range files {
		in.WriteString(filepath.FromSlash(f))
		in.WriteByte(0)
	}
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("python %s failed while checking syntax: %v: %s", interp, err, strings.TrimSpace(stderr.String()))
	}
	var found []Finding
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seen := 0
	for sc.Scan() {
		var v verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("python %s: unreadable verdict %q", interp, sc.Text())
		}
		seen++
		if v.Type == "" {
			continue
		}
		f := Finding{Rule: "syntax", Severity: Error, File: filepath.ToSlash(v.File), Line: v.Line, Column: v.Col,
			Message: v.Type + ": " + v.Msg}
		if strings.Contains(v.Msg, "null bytes") || strings.Contains(v.Msg, "(unicode error)") || v.Type == "UnicodeDecodeError" {
			f.Rule = "encoding"
		}
		if v.Type == "OSError" {
			f.Rule = "unreadable"
		}
		found = append(found, f)
	}
	if seen != len(files) {
		return nil, errors.New("python gave fewer verdicts than files were sent")
	}
	return found, nil
}
