package validate

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/dagnfs/dagnfs/validate/python/ast"
	"github.com/dagnfs/dagnfs/validate/python/module"
)

// DAG is one DAG definition found in a file.
type DAG struct {
	DagID string `json:"dag_id"`
	File  string `json:"file"`
	Line  int    `json:"line"`
}

// DynamicDAG is a DAG whose dag_id is not a literal: counted, not guessed.
type DynamicDAG struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Expr string `json:"expr"`
}

// fileAnalysis is what the syntax tree of one file tells.
type fileAnalysis struct {
	dags     []DAG
	dynamic  []DynamicDAG
	findings []Finding
	// looksLikeDAG: the file calls something DAG-like (used for files safe
	// mode skips).
	looksLikeDAG bool
	hasError     bool
	// imports, when the parser wants them and the file parses.
	imports []module.Import
}

// analyze finds DAG definitions and best-practice problems in raw source
// whose verdict comes from an interpreter: the tree is built without
// judging the source (a file the interpreter refuses defines nothing, and
// its findings are dropped, whatever the builder made of it). name is the
// file's path in the report.
func (p *parser) analyze(raw []byte, name string, minor int) *fileAnalysis {
	src, _, derr := decodeSource(raw)
	if derr != nil {
		return &fileAnalysis{hasError: true}
	}
	if minor == 0 {
		minor = newest
	}
	tree, _ := p.py.BuildTree(src, minor)
	return p.analyzeTree(tree, name)
}

// analyzeTree analyses a parsed file; a file that does not compile (tree
// nil) defines nothing: Airflow records its import error instead.
func (p *parser) analyzeTree(t *ast.Tree, name string) *fileAnalysis {
	if t == nil {
		return &fileAnalysis{hasError: true}
	}
	a := &fileAnalysis{}
	if p.wantImports {
		a.imports = module.TreeImports(t)
	}
	s := &scope{t: t, consts: map[string]string{}, dagNames: map[string]bool{"DAG": true},
		decoNames: map[string]bool{}, modNames: map[string]bool{"airflow": true, "models": true}}
	s.collect()
	// Every call and every decorated definition, outer before inner, in
	// the order of the source.
	t.Walk(t.Root(), func(n *ast.Node) bool {
		switch n.Kind {
		case ast.Call:
			s.call(n, a, name)
		case ast.FunctionDef, ast.AsyncFunctionDef:
			s.decorated(n, a, name)
		}
		return true
	})
	return a
}

// scope holds what the module's top level defines.
type scope struct {
	t         *ast.Tree
	consts    map[string]string // NAME = "literal" at module level
	dagNames  map[string]bool   // names bound to the DAG class
	decoNames map[string]bool   // names bound to the @dag decorator
	modNames  map[string]bool   // module aliases under which .DAG / .dag are looked up
}

// line and col are where a node starts: its line from 1, its column from 1
// in bytes.
func (s *scope) line(n *ast.Node) int { l, _ := s.t.Position(n.Off); return l }

func (s *scope) col(n *ast.Node) int { _, c := s.t.Position(n.Off); return c + 1 }

// collect reads module-level imports and constants.
func (s *scope) collect() {
	t := s.t
	for st := range t.All(t.Root(), ast.Body) {
		switch st.Kind {
		case ast.ImportFrom:
			mod := t.Child(st, ast.ModuleName)
			if st.Level() != 0 || mod == nil || !strings.HasPrefix(t.Name(mod), "airflow") {
				continue
			}
			for al := range t.All(st, ast.Names) {
				orig, alias := t.Alias(al)
				switch orig {
				case "DAG":
					s.dagNames[alias] = true
				case "dag":
					s.decoNames[alias] = true
				case "models", "decorators", "sdk":
					s.modNames[alias] = true
				}
			}
		case ast.Import:
			for al := range t.All(st, ast.Names) {
				if as := t.Child(al, ast.AsName); as != nil && strings.HasPrefix(t.Name(t.Child(al, ast.Ident)), "airflow") {
					s.modNames[t.Name(as)] = true
				}
			}
		case ast.Assign:
			var targets []*ast.Node
			for tg := range t.All(st, ast.Targets) {
				targets = append(targets, tg)
			}
			if len(targets) == 1 && targets[0].Kind == ast.Name {
				if v, ok := s.literal(t.Child(st, ast.Value)); ok {
					s.consts[t.Name(targets[0])] = v
				}
			}
		}
	}
}

// literal returns the value of a plain string literal (an f-string with
// no field included) or of a module constant.
func (s *scope) literal(n *ast.Node) (string, bool) {
	if n == nil {
		return "", false
	}
	switch n.Kind {
	case ast.Constant:
		if n.Op == ast.Str {
			return s.t.String(n)
		}
	case ast.JoinedStr:
		var b strings.Builder
		for c := range s.t.Children(n) {
			v, ok := s.t.String(c)
			if !ok {
				return "", false // a field: interpolated
			}
			b.WriteString(v)
		}
		return b.String(), true
	case ast.Name:
		v, ok := s.consts[s.t.Name(n)]
		return v, ok
	}
	return "", false
}

// dotted names what an expression names: "DAG", "models.DAG",
// "airflow.decorators.dag"; its source text when it is no dotted name.
func (s *scope) dotted(n *ast.Node) string { return s.t.Dotted(n) }

// callee names what a call calls.
func (s *scope) callee(call *ast.Node) string { return s.dotted(s.t.Child(call, ast.Func)) }

func (s *scope) isDAGClass(name string) bool {
	if s.dagNames[name] {
		return true
	}
	mod, last, ok := cutLast(name)
	return ok && last == "DAG" && s.isAirflowModule(mod)
}

func (s *scope) isDagDecorator(name string) bool {
	if s.decoNames[name] {
		return true
	}
	mod, last, ok := cutLast(name)
	return ok && last == "dag" && s.isAirflowModule(mod)
}

func (s *scope) isAirflowModule(mod string) bool {
	first, _, _ := strings.Cut(mod, ".")
	return s.modNames[first] || s.modNames[mod]
}

func cutLast(name string) (string, string, bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

var timeNowCalls = map[string]bool{
	"datetime.now": true, "datetime.datetime.now": true, "datetime.utcnow": true, "datetime.datetime.utcnow": true,
	"datetime.today": true, "datetime.datetime.today": true, "date.today": true, "datetime.date.today": true,
	"pendulum.now": true, "pendulum.today": true, "timezone.utcnow": true, "time.time": true,
}

// call looks at one call: a DAG, a factory, or Variable.get.
func (s *scope) call(n *ast.Node, a *fileAnalysis, name string) {
	fn := s.callee(n)
	switch {
	case s.isDAGClass(fn):
		a.looksLikeDAG = true
		s.dagCall(n, n, a, name, "")
	case fn == "Variable.get" || strings.HasSuffix(fn, ".Variable.get"):
		if s.topLevel(n) {
			s.add(a, RuleVariableGet, name, n, "Variable.get at module level queries the metadata database at every parse of this file; read it inside a task, or use a Jinja template such as {{ var.value.NAME }}")
		}
	case strings.Contains(strings.ToLower(fn), "dag"):
		a.looksLikeDAG = true // a factory such as build_dag(...)
	}
}

// topLevel reports whether n runs when the module is imported: it is in no
// function or lambda body.
func (s *scope) topLevel(n *ast.Node) bool {
	for p := s.t.Parent(n); p != nil; p = s.t.Parent(p) {
		if p.Kind == ast.FunctionDef || p.Kind == ast.AsyncFunctionDef || p.Kind == ast.Lambda {
			return false
		}
	}
	return true
}

// decorated handles @dag on a function.
func (s *scope) decorated(def *ast.Node, a *fileAnalysis, name string) {
	for d := range s.t.All(def, ast.Decorators) {
		fn, call := s.dotted(d), (*ast.Node)(nil)
		if d.Kind == ast.Call {
			fn, call = s.callee(d), d
		}
		if !s.isDagDecorator(fn) {
			continue
		}
		a.looksLikeDAG = true
		s.dagCall(d, call, a, name, s.t.Name(s.t.Child(def, ast.Ident)))
	}
}

// dagCall records one DAG from the arguments of DAG(...) or @dag(...)
// (call nil: @dag without them). funcName is the decorated function's name
// (the default dag_id).
func (s *scope) dagCall(at, call *ast.Node, a *fileAnalysis, name, funcName string) {
	var idNode *ast.Node
	scheduled := false
	if call != nil {
		positional := 0
		for arg := range s.t.Children(call) {
			switch arg.Field {
			case ast.Keywords:
				kw := s.t.Child(arg, ast.ArgName)
				switch {
				case kw == nil:
					scheduled = true // **kwargs: unknown keywords, do not guess
				case s.t.Name(kw) == "dag_id":
					idNode = s.t.Child(arg, ast.Value)
				case s.t.Name(kw) == "schedule" || s.t.Name(kw) == "schedule_interval" || s.t.Name(kw) == "timetable":
					scheduled = true
				}
			case ast.Args:
				if arg.Kind == ast.Starred {
					scheduled = true // *args: do not guess
				} else if positional == 0 {
					idNode = arg
				}
				positional++
			default:
				continue // the function called
			}
			s.timeCalls(arg, a, name)
		}
	}
	switch {
	case idNode == nil && funcName != "":
		a.dags = append(a.dags, DAG{DagID: funcName, File: name, Line: s.line(at)})
	case idNode == nil:
		a.dynamic = append(a.dynamic, DynamicDAG{File: name, Line: s.line(at), Expr: "(no dag_id)"})
	default:
		if v, ok := s.literal(idNode); ok {
			a.dags = append(a.dags, DAG{DagID: v, File: name, Line: s.line(at)})
		} else {
			a.dynamic = append(a.dynamic, DynamicDAG{File: name, Line: s.line(at), Expr: s.t.Text(idNode)})
		}
	}
	if !scheduled {
		s.add(a, RuleNoSchedule, name, at, "this DAG sets no schedule: Airflow 2 runs it daily by default, Airflow 3 never; say schedule=... explicitly")
	}
}

// timeCalls flags datetime.now() and friends inside a DAG's arguments
// (not in lambdas, which run later).
func (s *scope) timeCalls(n *ast.Node, a *fileAnalysis, name string) {
	s.t.Walk(n, func(x *ast.Node) bool {
		if x.Kind == ast.Lambda {
			return false
		}
		if x.Kind == ast.Call && timeNowCalls[s.callee(x)] {
			s.add(a, RuleDatetimeNow, name, x, s.callee(x)+"() in DAG arguments changes at every parse, so the DAG is never stable; use a fixed date such as pendulum.datetime(2024, 1, 1)")
		}
		return true
	})
}

func (s *scope) add(a *fileAnalysis, rule, file string, n *ast.Node, msg string) {
	a.findings = append(a.findings, Finding{Rule: rule, Severity: ruleSeverity(rule), File: file, Line: s.line(n), Column: s.col(n), Message: msg})
}

var suppressRe = regexp.MustCompile(`#\s*dagnfs:\s*(ignore-file|ignore)(?:\[([A-Za-z0-9_,\s-]*)\])?`)

// suppressions reads "# dagnfs: ignore[rule,...]" (for its line) and
// "# dagnfs: ignore-file[rule,...]" (for the whole file); no brackets means
// every rule. The map key 0 holds the file-wide ones; "*" stands for all.
func suppressions(src []byte) map[int]map[string]bool {
	if !bytes.Contains(src, []byte("dagnfs:")) {
		return nil
	}
	out := map[int]map[string]bool{}
	for i, l := range strings.Split(string(src), "\n") {
		for _, m := range suppressRe.FindAllStringSubmatch(l, -1) {
			key := i + 1
			if m[1] == "ignore-file" {
				key = 0
			}
			if out[key] == nil {
				out[key] = map[string]bool{}
			}
			if strings.TrimSpace(m[2]) == "" {
				out[key]["*"] = true
				continue
			}
			for _, r := range strings.Split(m[2], ",") {
				out[key][strings.TrimSpace(r)] = true
			}
		}
	}
	return out
}

func suppressed(s map[int]map[string]bool, f Finding) bool {
	for _, key := range []int{0, f.Line} {
		if set := s[key]; set != nil && (set["*"] || set[f.Rule]) {
			return true
		}
	}
	return false
}
