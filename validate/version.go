package validate

// Parsers names the Python parsers dagnfs embeds.
type Parsers struct {
	// TreeSitter is the tree-sitter runtime's module version, Grammar the
	// tree-sitter-python grammar's, ABI the grammar's language ABI.
	TreeSitter string `json:"tree_sitter"`
	Grammar    string `json:"tree_sitter_python"`
	ABI        uint32 `json:"language_abi"`
	// GoParser says what the parser written in Go reproduces.
	GoParser string `json:"go_parser"`
}

const (
	treeSitterModule = "github.com/tree-sitter/go-tree-sitter"
	grammarModule    = "github.com/tree-sitter/tree-sitter-python"
)

// ParserVersions reports the embedded parsers; deps maps module paths to
// the versions the binary was built with (from its build information).
func ParserVersions(deps map[string]string) Parsers {
	p := Parsers{TreeSitter: deps[treeSitterModule], Grammar: deps[grammarModule], ABI: pythonLang.AbiVersion()}
	for _, v := range []*string{&p.TreeSitter, &p.Grammar} {
		if *v == "" {
			*v = "unknown" // a test binary has no module versions
		}
	}
	p.GoParser = "tree-sitter-python " + p.Grammar + " trees, node for node (anything else goes to tree-sitter)"
	return p
}
