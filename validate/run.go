package validate

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/dagnfs/dagnfs/internal/guard"
	"github.com/dagnfs/dagnfs/internal/srcfile"
	"github.com/dagnfs/dagnfs/validate/python/ast"
)

// Options configure a check. The zero value checks for Airflow 3 with safe
// mode on and the interpreter found on PATH.
type Options struct {
	// AirflowVersion is 2 or 3 (default 3): it picks the safe-mode test and
	// the default .airflowignore syntax.
	AirflowVersion int
	// NoSafeMode: [core] dag_discovery_safe_mode is off, every candidate is parsed.
	NoSafeMode bool
	// IgnoreSyntax is "regexp" or "glob"; "" takes the version's default.
	IgnoreSyntax string
	// Python is "auto" (python3 on PATH), "none", or an interpreter's path.
	Python string
	// PythonVersion is "3.X", the Python of the Airflow workers; "" if unknown.
	PythonVersion string
	// MaxFileSize: larger files get a warning and no further check. Default 1 MiB.
	MaxFileSize int64
	// Disable silences rules for the whole run.
	Disable []string
	// PerFileIgnores silences rules in the files a glob matches: a
	// gitignore-style pattern on the path inside the DAG folder (one without
	// a "/" matches a name at any depth) to rule ids, "all" for every rule.
	PerFileIgnores map[string][]string
	// Strict makes warnings count as errors for the exit status.
	Strict bool
	// Workers is how many files are analysed at once. Default: one per CPU,
	// less those the interpreters use.
	Workers int
	// Interpreters is how many CPython processes compile the files at once,
	// when there is an interpreter. Default: one per four CPUs.
	Interpreters int
	// Known returns what an earlier run with the same Fingerprint found in a
	// file (relative path) whose bytes have not changed since: such a file
	// is neither read nor compiled again, and its DAGs still take part in
	// the duplicate check.
	Known func(fingerprint, name string) (Known, bool)
	// Exclude lists glob patterns (on a name or a relative path) of files and
	// folders that are not part of the DAG folder, such as .git.
	Exclude []string
	// Listed holds folders that the caller's own walk already read, by the
	// path the walk reached them at (the DAG folder as given, joined with
	// the names below it): they are not listed and stat'ed again.
	Listed map[string][]Listed
	// Progress, if not nil, is told how much of the work is done: each
	// file analysed and each file compiled counts one. It is called from
	// several goroutines.
	Progress func(done, total int)

	// Env, when set, is the environment of the image Airflow runs: every
	// import is checked against it (and the DAG folder, and ExtraPaths:
	// the plugins and config folders Airflow puts on sys.path).
	Env        Environment
	ExtraPaths []string

	local    map[string]localModule // the modules of the DAG folder and ExtraPaths (with Env)
	embedded bool                   // no interpreter: the embedded checker gives the syntax verdict
	minor    int                    // the workers' Python 3 minor version, 0 if unknown
	fp       string
}

// Known is what a run found in one file, for a later run to reuse.
type Known struct {
	DAGs    []DAG
	Skipped bool // safe mode skips it
}

// Report is the result of a check. Paths are relative to the DAG folder.
type Report struct {
	AirflowVersion int          `json:"airflow_version"`
	IgnoreSyntax   string       `json:"ignore_syntax"`
	SafeMode       bool         `json:"safe_mode"`
	Files          int          `json:"files"`
	Python         string       `json:"python,omitempty"`
	Checker        string       `json:"checker"`
	Fingerprint    string       `json:"fingerprint"`
	Compiled       int          `json:"compiled"`
	DAGs           []DAG        `json:"dags"`
	DynamicDAGs    []DynamicDAG `json:"dynamic_dags"`
	Ignored        []string     `json:"ignored"`
	Skipped        []string     `json:"skipped"`
	Findings       []Finding    `json:"findings"`
	Summary        Summary      `json:"summary"`
	Strict         bool         `json:"strict"`
	// Notes say what was not checked and how to check it.
	Notes []string `json:"notes,omitempty"`
	// PathBase is the folder the findings' File paths are relative to
	// (absolute; set by Relocate), and ToolVersion the dagnfs version SARIF
	// names.
	PathBase    string `json:"path_base,omitempty"`
	ToolVersion string `json:"-"`
}

// Relocate names every finding's file relative to base ("" for the current
// directory), which is how CI systems (GitHub annotations, code scanning)
// resolve paths, and keeps the path inside the DAG folder in Rel. A file
// outside base keeps its absolute path.
func (r *Report) Relocate(folder, base string) error {
	absFolder, err := filepath.Abs(folder)
	if err != nil {
		return err
	}
	if base == "" {
		base = "."
	}
	absBase, err := filepath.Abs(base)
	if err != nil {
		return err
	}
	r.PathBase = absBase
	move := func(p string) string {
		abs := filepath.Join(absFolder, filepath.FromSlash(p))
		if rel, err := filepath.Rel(absBase, abs); err == nil && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && rel != ".." {
			return filepath.ToSlash(rel)
		}
		return abs
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		f.Rel = f.File
		if f.File == "" {
			continue
		}
		f.File = move(f.File)
		if f.Also != "" {
			// the message names it on the same base as File
			moved := move(f.Also)
			f.Message = strings.Replace(f.Message, " "+f.Also+":", " "+moved+":", 1)
			f.Also = moved
		}
	}
	return nil
}

// Summary counts findings.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

// Errors counts error findings.
func (r *Report) Errors() int { return r.Summary.Errors }

// Warnings counts warning findings.
func (r *Report) Warnings() int { return r.Summary.Warnings }

// Failed reports whether the check fails: errors, or warnings with Strict.
func (r *Report) Failed() bool { return r.Summary.Errors > 0 || (r.Strict && r.Summary.Warnings > 0) }

// OptionError is an option of Options that cannot be used. Option names the
// setting (the command's flag of the same name).
type OptionError struct {
	Option string
	Msg    string
}

func (e *OptionError) Error() string { return e.Option + " " + e.Msg }

// CheckOptions reports the first problem with o, for a usage error.
func CheckOptions(o Options) error {
	if o.AirflowVersion != 0 && o.AirflowVersion != 2 && o.AirflowVersion != 3 {
		return &OptionError{"airflow-version", fmt.Sprintf("must be 2 or 3, not %d", o.AirflowVersion)}
	}
	if o.IgnoreSyntax != "" && o.IgnoreSyntax != SyntaxRegexp && o.IgnoreSyntax != SyntaxGlob {
		return &OptionError{"ignore-syntax", fmt.Sprintf("must be regexp or glob, not %q", o.IgnoreSyntax)}
	}
	if o.PythonVersion != "" {
		if _, err := parsePythonVersion(o.PythonVersion); err != nil {
			return err
		}
	}
	for _, r := range o.Disable {
		if !KnownRule(r) {
			return &OptionError{"disable", fmt.Sprintf("%q: no such rule (rules: %s)", r, strings.Join(RuleIDs(), ", "))}
		}
	}
	if _, err := compilePerFile(o.PerFileIgnores); err != nil {
		return err
	}
	return nil
}

// perFile is one compiled per-file-ignores entry.
type perFile struct {
	rule  ignoreRule
	rules map[string]bool
}

func compilePerFile(m map[string][]string) ([]perFile, error) {
	var out []perFile
	for _, g := range slices.Sorted(maps.Keys(m)) {
		r, err := compileIgnore(g, "", SyntaxGlob)
		if err != nil || r == nil || !r.include {
			return nil, &OptionError{"per-file-ignores", fmt.Sprintf("%q is not a glob dagnfs can use (gitignore syntax, no \"!\")", g)}
		}
		pf := perFile{rule: *r, rules: map[string]bool{}}
		for _, id := range m[g] {
			if id != "all" && !KnownRule(id) {
				return nil, &OptionError{"per-file-ignores", fmt.Sprintf("%q: %q: no such rule (rules: all, %s)", g, id, strings.Join(RuleIDs(), ", "))}
			}
			pf.rules[id] = true
		}
		out = append(out, pf)
	}
	return out, nil
}

// ignoredFor reports whether a per-file-ignores entry silences f.
func ignoredFor(pfs []perFile, f Finding) bool {
	for _, pf := range pfs {
		if (pf.rules["all"] || pf.rules[f.Rule]) && ignored([]ignoreRule{pf.rule}, SyntaxGlob, f.File, false) {
			return true
		}
	}
	return false
}

func parsePythonVersion(s string) (int, error) {
	var major, minor int
	if _, err := fmt.Sscanf(s, "%d.%d", &major, &minor); err != nil || major != 3 || minor < 6 || minor > 20 {
		return 0, &OptionError{"python-version", fmt.Sprintf("%q: want 3.X, e.g. 3.12", s)}
	}
	return minor, nil
}

// fileResult is what one worker learned about one candidate.
type fileResult struct {
	analysis   *fileAnalysis
	findings   []Finding
	jobs       []compileJob
	skipped    bool
	suppressed map[string]map[int]map[string]bool // per file name (zip members too)
	embedded   int                                // files the embedded checker judged
	name       string
	// err fails the run: the file is no longer the one the walk saw.
	err error
}

// Run checks the DAG folder dir the way Airflow will see it.
//
// Run returns as soon as ctx ends, whatever it is doing (the walk, the
// parse of a large file): what is left of its work stops in the background.
func Run(ctx context.Context, dir string, o Options) (*Report, error) {
	return guard.Until(ctx, func() (*Report, error) { return runChecks(ctx, dir, o) })
}

func runChecks(ctx context.Context, dir string, o Options) (*Report, error) {
	if err := CheckOptions(o); err != nil {
		return nil, err
	}
	if o.AirflowVersion == 0 {
		o.AirflowVersion = 3
	}
	if o.IgnoreSyntax == "" {
		o.IgnoreSyntax = map[int]string{2: SyntaxRegexp, 3: SyntaxGlob}[o.AirflowVersion]
	}
	if o.MaxFileSize == 0 {
		o.MaxFileSize = 1 << 20
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	r := &Report{AirflowVersion: o.AirflowVersion, IgnoreSyntax: o.IgnoreSyntax, SafeMode: !o.NoSafeMode, Strict: o.Strict,
		DAGs: []DAG{}, DynamicDAGs: []DynamicDAG{}, Findings: []Finding{}, Skipped: []string{}}
	// Find the interpreter while the folder is walked: through a pyenv
	// shim that alone takes tens of milliseconds.
	type found struct {
		c   *Judge
		err error
	}
	judgeCh := make(chan found, 1)
	go func() {
		var c *Judge
		err := guard.Func(func() (err error) { c, err = NewJudge(ctx, o.Python); return err })()
		judgeCh <- found{c, err}
	}()
	disc, derr := discover(dir, o.IgnoreSyntax, o.MaxFileSize, append(slices.Clone(DefaultExcludes), o.Exclude...), o.Listed)
	fc := <-judgeCh
	if fc.err != nil {
		return nil, fc.err
	}
	if derr != nil {
		return nil, derr
	}
	judge := fc.c
	r.Python, r.Checker = judge.Python, judge.ID()
	r.Fingerprint = fingerprint(r.Checker, o)
	o.fp = r.Fingerprint

	o.embedded = judge.Python == ""
	if o.Interpreters <= 0 {
		// Three interpreters per four cores (two on two): CPython's
		// compile() of a file costs two to three times what its parse and
		// analysis cost here, and on two cores two interpreters beside
		// one worker were measured fastest (median 0.96 s against 1.14 s
		// for 1,000 files with one).
		o.Interpreters = max(1, (runtime.NumCPU()*3+3)/4)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
		if !o.embedded {
			o.Workers = max(1, o.Workers-o.Interpreters) // the interpreters compile on their own cores meanwhile
		}
	}
	if o.PythonVersion != "" {
		o.minor, _ = parsePythonVersion(o.PythonVersion)
	}
	if o.Env != nil {
		o.local = localModules(append([]string{dir}, o.ExtraPaths...))
		if v := o.Env.Airflow(); v != "" && !strings.HasPrefix(v, fmt.Sprintf("%d.", r.AirflowVersion)) {
			disc.findings = append(disc.findings, Finding{Rule: RuleAirflowVersion, File: ".",
				Message: fmt.Sprintf("the rules applied are Airflow %d's, but %s has apache-airflow %s: set --airflow-version %s, or capture the image the DAGs run on",
					r.AirflowVersion, o.Env.Describe(), v, strings.SplitN(v, ".", 2)[0])})
		}
	} else {
		r.Notes = append(r.Notes, "imports were not checked against the Airflow image's packages: capture its environment (dagnfs env capture --python PYTHON -o airflow-env.json) and pass --env airflow-env.json, or put env = \"airflow-env.json\" in dagnfs.toml")
	}
	r.Files = len(disc.candidates)
	r.Ignored = append([]string{}, disc.ignored...)
	findings := disc.findings

	// CPython compiles the plain files while the workers analyse them; zip
	// members follow once the archives are read.
	type compiled struct {
		found []Finding
		err   error
	}
	early := make(chan compiled, 1)
	var earlyJobs []compileJob
	if judge.Python != "" {
		for _, c := range disc.candidates {
			if _, known := o.known(c.rel); !c.zip && !known {
				earlyJobs = append(earlyJobs, c.job(""))
			}
		}
	}
	var doneWork atomic.Int64
	totalWork := len(disc.candidates) + len(earlyJobs)
	tick := func() {
		if o.Progress != nil {
			o.Progress(int(doneWork.Add(1)), totalWork)
		}
	}
	go func() {
		if len(earlyJobs) == 0 {
			early <- compiled{}
			return
		}
		var f []Finding
		err := guard.Func(func() (err error) { f, err = judge.compileParallel(ctx, earlyJobs, o.Interpreters, tick); return err })()
		early <- compiled{f, err}
	}()

	// Analyse every candidate with bounded concurrency: one parser per worker.
	results := make([]fileResult, len(disc.candidates))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Workers)
	for i, c := range disc.candidates {
		g.Go(guard.Func(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			p := parsers.Get().(*parser)
			defer parsers.Put(p)
			p.wantImports = o.Env != nil
			results[i] = analyzeCandidate(p, c, o)
			tick()
			return nil
		}))
	}
	err := g.Wait()
	done := <-early
	if err != nil {
		return nil, err
	}
	if done.err != nil {
		return nil, done.err
	}
	findings = append(findings, done.found...)
	r.Compiled += len(earlyJobs)
	for _, res := range results {
		if res.err != nil {
			return nil, res.err
		}
	}

	var jobs []compileJob
	sup := map[string]map[int]map[string]bool{}
	for _, res := range results {
		findings = append(findings, res.findings...)
		for name, s := range res.suppressed {
			sup[name] = s
		}
		r.Compiled += res.embedded
		if res.skipped {
			r.Skipped = append(r.Skipped, res.name)
		}
		if res.analysis != nil {
			r.DAGs = append(r.DAGs, res.analysis.dags...)
			r.DynamicDAGs = append(r.DynamicDAGs, res.analysis.dynamic...)
		}
		for _, j := range res.jobs {
			if j.Member != "" {
				jobs = append(jobs, j)
			}
		}
	}

	// Syntax: CPython's verdict when there is an interpreter, else the
	// embedded checker's (given by analyzeCandidate).
	if judge.Python != "" && len(jobs) > 0 {
		found, err := judge.compileAll(ctx, jobs, nil)
		if err != nil {
			return nil, err
		}
		r.Compiled += len(jobs)
		findings = append(findings, found...)
	}
	if judge.Python != "" && o.PythonVersion != "" {
		if want := o.PythonVersion; !strings.HasPrefix(judge.Version+".", want+".") {
			findings = append(findings, Finding{Rule: RulePythonVersion, File: ".",
				Message: fmt.Sprintf("the interpreter %s is Python %s but the workers run %s: verdicts may differ (check with a %s interpreter)", judge.Python, judge.Version, want, want)})
		}
	}
	// A file that does not compile defines no DAG: Airflow's import of it
	// fails. What the parser's recovery found in it (DAGs, their
	// warnings) is not counted, nor compared for duplicates.
	broken := map[string]bool{}
	for _, f := range findings {
		if f.Rule == RuleSyntax || f.Rule == RuleEncoding {
			broken[f.File] = true
		}
	}
	findings = slices.DeleteFunc(findings, func(f Finding) bool {
		return broken[f.File] && f.Rule != RuleSyntax && f.Rule != RuleEncoding && f.Rule != RulePythonVersion
	})
	r.DAGs = slices.DeleteFunc(r.DAGs, func(d DAG) bool { return broken[d.File] })
	r.DynamicDAGs = slices.DeleteFunc(r.DynamicDAGs, func(d DynamicDAG) bool { return broken[d.File] })
	findings = append(findings, duplicates(r.DAGs)...)

	// Severity, suppression, --disable.
	disabled := map[string]bool{}
	for _, d := range o.Disable {
		disabled[d] = true
	}
	perFile, _ := compilePerFile(o.PerFileIgnores) // checked by CheckOptions
	for _, f := range findings {
		if disabled[f.Rule] || suppressed(sup[f.File], f) || ignoredFor(perFile, f) {
			continue
		}
		if f.Severity == "" {
			f.Severity = ruleSeverity(f.Rule)
		}
		r.Findings = append(r.Findings, f)
	}
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	slices.SortFunc(r.DAGs, func(a, b DAG) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	for _, f := range r.Findings {
		if f.Severity == Error {
			r.Summary.Errors++
		} else {
			r.Summary.Warnings++
		}
	}
	return r, nil
}

// duplicates reports every DAG whose dag_id an earlier one (by path and
// line) already has.
func duplicates(dags []DAG) []Finding {
	sorted := slices.Clone(dags)
	slices.SortFunc(sorted, func(a, b DAG) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	first := map[string]DAG{}
	var out []Finding
	for _, d := range sorted {
		if f, ok := first[d.DagID]; ok {
			out = append(out, Finding{Rule: RuleDuplicateDagID, File: d.File, Line: d.Line, Also: f.File,
				Message: fmt.Sprintf("dag_id %q is also defined at %s:%d; in production one of them silently replaces the other", d.DagID, f.File, f.Line)})
			continue
		}
		first[d.DagID] = d
	}
	return out
}

// safeModePasses is Airflow's might_contain_dag heuristic: the words in
// content.lower(), which lowers ASCII letters only (bytes.lower).
func safeModePasses(content []byte, version int) bool {
	if !containsFold(content, "airflow") {
		return false
	}
	if version == 2 {
		return containsFold(content, "dag")
	}
	return containsFold(content, "dag") || containsFold(content, "asset")
}

// containsFold reports whether b holds the lower-case ASCII word with its
// letters in either case, ASCII letters only, without copying b: the
// candidates are found by IndexByte for each case of the first letter,
// each position looked up once.
func containsFold(b []byte, word string) bool {
	lo, up := word[0], word[0]-'a'+'A'
	nextLo, nextUp := -1, -1 // the next candidate of each case at or after i; -1 not looked up yet
	for i := 0; i+len(word) <= len(b); {
		if nextLo < i {
			if k := bytes.IndexByte(b[i:], lo); k >= 0 {
				nextLo = i + k
			} else {
				nextLo = len(b)
			}
		}
		if nextUp < i {
			if k := bytes.IndexByte(b[i:], up); k >= 0 {
				nextUp = i + k
			} else {
				nextUp = len(b)
			}
		}
		i = min(nextLo, nextUp)
		if i+len(word) > len(b) {
			return false
		}
		if foldEqual(b[i+1:i+len(word)], word[1:]) {
			return true
		}
		i++
	}
	return false
}

// foldEqual: b equals the lower-case ASCII s, ASCII letters in either case.
func foldEqual(b []byte, s string) bool {
	for j := range len(s) {
		c := b[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[j] {
			return false
		}
	}
	return true
}

func (o Options) known(name string) (Known, bool) {
	if o.Known == nil {
		return Known{}, false
	}
	return o.Known(o.fp, name)
}

// fingerprint names the checker and every option that changes what a run
// finds, so that results are reused only under the same ones.
func fingerprint(checker string, o Options) string {
	dis := slices.Clone(o.Disable)
	slices.Sort(dis)
	var pf []string
	for g, rules := range o.PerFileIgnores {
		r := slices.Clone(rules)
		slices.Sort(r)
		pf = append(pf, g+"="+strings.Join(r, ","))
	}
	slices.Sort(pf)
	key := fmt.Sprintf("v1|%s|%d|%v|%s|%s|%d|%s", checker, o.AirflowVersion, o.NoSafeMode,
		o.IgnoreSyntax, o.PythonVersion, o.MaxFileSize, strings.Join(dis, ","))
	if len(pf) > 0 {
		key += fmt.Sprintf("|%q", pf)
	}
	if o.Env != nil {
		key += fmt.Sprintf("|env=%s|%q", o.Env.Hash(), o.ExtraPaths)
	}
	h := sha256.Sum256([]byte(key))
	return checker + "/" + hex.EncodeToString(h[:8])
}

// analyzeCandidate reads one candidate and analyses it (a .py file, or the
// root modules of a zip archive), unless an earlier run's result is known.
func analyzeCandidate(p *parser, c candidate, o Options) fileResult {
	if k, ok := o.known(c.rel); ok {
		return fileResult{name: c.rel, skipped: k.Skipped, analysis: &fileAnalysis{dags: k.DAGs}}
	}
	if c.zip {
		return analyzeZip(p, c, o)
	}
	src, err := c.read()
	if errors.Is(err, srcfile.ErrChanged) {
		return fileResult{name: c.rel, err: err}
	}
	if err != nil {
		return fileResult{name: c.rel, findings: []Finding{{Rule: RuleUnreadable, File: c.rel, Message: err.Error()}}}
	}
	return analyzeSource(p, src, c.rel, c.job(""), o)
}

// analyzeSource analyses one Python file (or zip member): one parse serves
// the DAG analysis and, without an interpreter, the syntax verdict.
func analyzeSource(p *parser, src []byte, name string, job compileJob, o Options) fileResult {
	res := fileResult{jobs: []compileJob{job}, name: name}
	if s := suppressions(src); s != nil {
		res.suppressed = map[string]map[int]map[string]bool{name: s}
	}
	var a *fileAnalysis
	if o.embedded {
		res.jobs = nil
		res.embedded = 1
		text, declared, derr := decodeSource(src)
		var tree *ast.Tree
		e := derr
		if derr == nil {
			tree, e = p.parse(text, o.minor, declared)
		}
		if e != nil {
			res.findings = append(res.findings, embeddedFinding(name, e))
		}
		a = p.analyzeTree(tree, name)
	} else {
		a = p.analyze(src, name, o.minor)
	}
	if o.Env != nil && a.imports != nil {
		res.findings = append(res.findings, checkImports(a.imports, name, o)...)
	}
	discovered := o.NoSafeMode || safeModePasses(src, o.AirflowVersion)
	if !discovered {
		res.skipped = true
		if a.looksLikeDAG {
			word := map[int]string{2: `both "airflow" and "dag"`, 3: `"airflow" and "dag" or "asset"`}[o.AirflowVersion]
			res.findings = append(res.findings, Finding{Rule: RuleNotDiscovered, File: name, Line: 1,
				Message: fmt.Sprintf("this file seems to define a DAG, but safe mode parses only files that contain %s; add a comment such as \"# airflow dag\"", word)})
		}
		return res // its DAGs never load; only its syntax matters (it may be imported)
	}
	res.analysis = a
	res.findings = append(res.findings, a.findings...)
	return res
}

func embeddedFinding(name string, e *pyError) Finding {
	return Finding{Rule: e.rule, Severity: Error, File: name, Line: e.Line, Column: e.Col, Message: e.Type + ": " + e.Msg}
}

// analyzeZip checks a zip archive the way Airflow loads it: DAG modules are
// the .py files at its root.
func analyzeZip(p *parser, c candidate, o Options) fileResult {
	file, err := c.open()
	if errors.Is(err, srcfile.ErrChanged) {
		return fileResult{name: c.rel, err: err}
	}
	if err != nil {
		return fileResult{findings: []Finding{{Rule: RuleUnreadable, File: c.rel, Message: err.Error()}}}
	}
	defer file.Close()
	zr, err := zip.NewReader(file, c.size)
	if err != nil {
		return fileResult{findings: []Finding{{Rule: RuleZipInvalid, File: c.rel,
			Message: fmt.Sprintf("Airflow takes this file for a zip archive, but it cannot be read as one: %v", err)}}}
	}
	res := fileResult{}
	modules := 0
	for _, f := range zr.File {
		if path.Dir(f.Name) != "." || !strings.HasSuffix(f.Name, ".py") {
			continue
		}
		modules++
		rc, err := f.Open()
		if err != nil {
			res.findings = append(res.findings, Finding{Rule: RuleZipInvalid, File: c.rel + "/" + f.Name, Message: err.Error()})
			continue
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(ioLimit(rc, o.MaxFileSize+1))
		rc.Close()
		if err != nil {
			res.findings = append(res.findings, Finding{Rule: RuleZipInvalid, File: c.rel + "/" + f.Name, Message: err.Error()})
			continue
		}
		name := c.rel + "/" + f.Name
		job := c.job(f.Name)
		job.Name = name
		sub := analyzeSource(p, buf.Bytes(), name, job, o)
		res.findings = append(res.findings, sub.findings...)
		res.jobs = append(res.jobs, sub.jobs...)
		res.embedded += sub.embedded
		for k, v := range sub.suppressed {
			if res.suppressed == nil {
				res.suppressed = map[string]map[int]map[string]bool{}
			}
			res.suppressed[k] = v
		}
		if sub.analysis != nil {
			if res.analysis == nil {
				res.analysis = &fileAnalysis{}
			}
			res.analysis.dags = append(res.analysis.dags, sub.analysis.dags...)
			res.analysis.dynamic = append(res.analysis.dynamic, sub.analysis.dynamic...)
		}
	}
	if modules == 0 {
		res.findings = append(res.findings, Finding{Rule: RuleZipLayout, File: c.rel,
			Message: "no .py module at the root of the archive: Airflow loads DAGs only from root modules (subfolders are packages to import)"})
	}
	return res
}
