package validate

import (
	"regexp"
	"strconv"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"
	python "github.com/tree-sitter/tree-sitter-python/bindings/go"
)

var pythonLang = sitter.NewLanguage(python.Language())

// parser is one tree-sitter parser; each worker owns one.
type parser struct {
	c *cParser
	// flat and scratch hold the last parses (see parseFlat).
	flat, scratch flatTree
	// gp is the Go parser, tried first (gram.go); treeSitterOnly turns it
	// off (the tests that compare the two).
	gp             gparser
	treeSitterOnly bool
	// wantImports: analyzeTree also lists the imports (validate --env).
	wantImports bool
}

func newParser() *parser { return &parser{c: newCParser()} }

func (p *parser) close() { p.c.close() }

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
	imports []Import
}

// analyze finds DAG definitions and best-practice problems in src. name is
// the file's path in the report.
func (p *parser) analyze(src []byte, name string) *fileAnalysis {
	return p.analyzeTree(p.parseFlat(src, scanSource(src)), src, name)
}

// analyzeTree analyses a parsed file.
func (p *parser) analyzeTree(root *node, src []byte, name string) *fileAnalysis {
	if root.ft().tooDeep {
		return &fileAnalysis{hasError: true} // CPython compiles no such file: no DAG, no import
	}
	a := &fileAnalysis{hasError: root.HasError()}
	if p.wantImports && !a.hasError {
		w := &importWalker{src: src}
		w.block(root, AtImport)
		a.imports = w.out
		if a.imports == nil {
			a.imports = []Import{}
		}
	}
	s := &scope{src: src, consts: map[string]string{}, dagNames: map[string]bool{"DAG": true},
		decoNames: map[string]bool{}, modNames: map[string]bool{"airflow": true, "models": true}}
	s.collect(root)
	// Every call and every decorated definition, outer before inner, in
	// the order of the source (the nodes are in document order).
	nodes := root.ft().nodes
	for i := range nodes {
		switch n := &nodes[i]; n.Kind() {
		case "call":
			if n.ChildByFieldName("function") != nil {
				s.call(n, a, name)
			}
		case "decorated_definition":
			s.decorated(n, a, name)
		}
	}
	return a
}

// scope holds what the module's top level defines.
type scope struct {
	src       []byte
	consts    map[string]string // NAME = "literal" at module level
	dagNames  map[string]bool   // names bound to the DAG class
	decoNames map[string]bool   // names bound to the @dag decorator
	modNames  map[string]bool   // module aliases under which .DAG / .dag are looked up
}

func (s *scope) text(n *node) string { return n.Utf8Text(s.src) }

func line(n *node) int { return int(n.StartPosition().Row) + 1 }

func col(n *node) int { return int(n.StartPosition().Column) + 1 }

// fieldChildren returns n's children in a field, in order (an import
// statement's names).
func fieldChildren(n *node, field string) []*node {
	var out []*node
	for i := uint(0); i < n.ChildCount(); i++ {
		if n.FieldNameForChild(uint32(i)) == field {
			out = append(out, n.Child(i))
		}
	}
	return out
}

func children(n *node) []*node {
	out := make([]*node, 0, n.NamedChildCount())
	for i := uint(0); i < n.NamedChildCount(); i++ {
		out = append(out, n.NamedChild(i))
	}
	return out
}

// collect reads module-level imports and constants.
func (s *scope) collect(root *node) {
	for _, st := range children(root) {
		switch st.Kind() {
		case "import_from_statement":
			mod := st.ChildByFieldName("module_name")
			if mod == nil || !strings.HasPrefix(s.text(mod), "airflow") {
				continue
			}
			for _, n := range fieldChildren(st, "name") {
				orig, alias := s.text(n), s.text(n)
				if n.Kind() == "aliased_import" {
					orig = s.text(n.ChildByFieldName("name"))
					alias = s.text(n.ChildByFieldName("alias"))
				}
				switch orig {
				case "DAG":
					s.dagNames[alias] = true
				case "dag":
					s.decoNames[alias] = true
				case "models", "decorators", "sdk":
					s.modNames[alias] = true
				}
			}
		case "import_statement":
			for _, n := range children(st) {
				if n.Kind() == "aliased_import" && strings.HasPrefix(s.text(n.ChildByFieldName("name")), "airflow") {
					s.modNames[s.text(n.ChildByFieldName("alias"))] = true
				}
			}
		case "expression_statement":
			as := st.NamedChild(0)
			if as == nil || as.Kind() != "assignment" {
				continue
			}
			left, right := as.ChildByFieldName("left"), as.ChildByFieldName("right")
			if left != nil && right != nil && left.Kind() == "identifier" {
				if v, ok := s.literal(right); ok {
					s.consts[s.text(left)] = v
				}
			}
		}
	}
}

// literal returns the value of a plain string literal (or of a module
// constant), without interpolation.
func (s *scope) literal(n *node) (string, bool) {
	switch n.Kind() {
	case "string":
		var b strings.Builder
		for _, c := range children(n) {
			switch c.Kind() {
			case "string_content":
				b.WriteString(s.text(c))
			case "interpolation":
				return "", false
			case "escape_sequence":
				v, err := strconv.Unquote(`"` + s.text(c) + `"`)
				if err != nil {
					return "", false
				}
				b.WriteString(v)
			}
		}
		return b.String(), true
	case "concatenated_string":
		var b strings.Builder
		for _, c := range children(n) {
			v, ok := s.literal(c)
			if !ok {
				return "", false
			}
			b.WriteString(v)
		}
		return b.String(), true
	case "identifier":
		v, ok := s.consts[s.text(n)]
		return v, ok
	case "parenthesized_expression":
		if c := n.NamedChild(0); c != nil {
			return s.literal(c)
		}
	}
	return "", false
}

// callee names what a call calls: "DAG", "models.DAG", "airflow.decorators.dag".
func (s *scope) callee(call *node) string {
	if f := call.ChildByFieldName("function"); f != nil {
		return s.text(f)
	}
	return ""
}

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
func (s *scope) call(n *node, a *fileAnalysis, name string) {
	fn := s.callee(n)
	switch {
	case s.isDAGClass(fn):
		a.looksLikeDAG = true
		s.dagCall(n, n.ChildByFieldName("arguments"), a, name, "")
	case fn == "Variable.get" || strings.HasSuffix(fn, ".Variable.get"):
		if topLevel(n) {
			a.add(RuleVariableGet, name, n, "Variable.get at module level queries the metadata database at every parse of this file; read it inside a task, or use a Jinja template such as {{ var.value.NAME }}")
		}
	case strings.Contains(strings.ToLower(fn), "dag"):
		a.looksLikeDAG = true // a factory such as build_dag(...)
	}
}

// topLevel reports whether n runs when the module is imported: it is in no
// function or lambda body.
func topLevel(n *node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if k := p.Kind(); k == "function_definition" || k == "lambda" {
			return false
		}
	}
	return true
}

// decorated handles @dag on a function.
func (s *scope) decorated(n *node, a *fileAnalysis, name string) {
	def := n.ChildByFieldName("definition")
	if def == nil || def.Kind() != "function_definition" {
		return
	}
	for _, d := range children(n) {
		if d.Kind() != "decorator" || d.NamedChild(0) == nil {
			continue
		}
		expr := d.NamedChild(0)
		var args *node
		fn := s.text(expr)
		if expr.Kind() == "call" {
			fn, args = s.callee(expr), expr.ChildByFieldName("arguments")
		}
		if !s.isDagDecorator(fn) {
			continue
		}
		a.looksLikeDAG = true
		s.dagCall(d, args, a, name, s.text(def.ChildByFieldName("name")))
	}
}

// dagCall records one DAG from the arguments of DAG(...) or @dag(...).
// funcName is the decorated function's name (the default dag_id).
func (s *scope) dagCall(at, args *node, a *fileAnalysis, name, funcName string) {
	var idNode *node
	scheduled := false
	if args != nil {
		positional := 0
		for _, arg := range children(args) {
			switch arg.Kind() {
			case "keyword_argument":
				switch s.text(arg.ChildByFieldName("name")) {
				case "dag_id":
					idNode = arg.ChildByFieldName("value")
				case "schedule", "schedule_interval", "timetable":
					scheduled = true
				}
			case "comment":
			case "list_splat", "dictionary_splat":
				scheduled = true // unknown keywords: do not guess
			default:
				if positional == 0 {
					idNode = arg
				}
				positional++
			}
			s.timeCalls(arg, a, name)
		}
	}
	switch {
	case idNode == nil && funcName != "":
		a.dags = append(a.dags, DAG{DagID: funcName, File: name, Line: line(at)})
	case idNode == nil:
		a.dynamic = append(a.dynamic, DynamicDAG{File: name, Line: line(at), Expr: "(no dag_id)"})
	default:
		if v, ok := s.literal(idNode); ok {
			a.dags = append(a.dags, DAG{DagID: v, File: name, Line: line(at)})
		} else {
			a.dynamic = append(a.dynamic, DynamicDAG{File: name, Line: line(at), Expr: s.text(idNode)})
		}
	}
	if !scheduled {
		a.add(RuleNoSchedule, name, at, "this DAG sets no schedule: Airflow 2 runs it daily by default, Airflow 3 never; say schedule=... explicitly")
	}
}

// timeCalls flags datetime.now() and friends inside a DAG's arguments.
func (s *scope) timeCalls(n *node, a *fileAnalysis, name string) {
	if n.Kind() == "lambda" {
		return
	}
	if n.Kind() == "call" && timeNowCalls[s.callee(n)] {
		a.add(RuleDatetimeNow, name, n, s.callee(n)+"() in DAG arguments changes at every parse, so the DAG is never stable; use a fixed date such as pendulum.datetime(2024, 1, 1)")
	}
	for _, c := range children(n) {
		s.timeCalls(c, a, name)
	}
}

func (a *fileAnalysis) add(rule, file string, n *node, msg string) {
	a.findings = append(a.findings, Finding{Rule: rule, Severity: ruleSeverity(rule), File: file, Line: line(n), Column: col(n), Message: msg})
}

var suppressRe = regexp.MustCompile(`#\s*dagnfs:\s*(ignore-file|ignore)(?:\[([A-Za-z0-9_,\s-]*)\])?`)

// suppressions reads "# dagnfs: ignore[rule,...]" (for its line) and
// "# dagnfs: ignore-file[rule,...]" (for the whole file); no brackets means
// every rule. The map key 0 holds the file-wide ones; "*" stands for all.
func suppressions(src []byte) map[int]map[string]bool {
	if !strings.Contains(string(src), "dagnfs:") {
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
