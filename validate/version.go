package validate

// Parsers says what reads Python in dagnfs: its own front end, in Go
// (package python), for the Python versions the workers may run.
type Parsers struct {
	FrontEnd string   `json:"front_end"`
	Pythons  []string `json:"python_versions"`
}

// ParserVersions reports the embedded Python front end.
func ParserVersions() Parsers {
	return Parsers{
		FrontEnd: "pure Go, from CPython's tokenizer, PEG grammar and compiler checks",
		Pythons:  []string{"3.9", "3.10", "3.11", "3.12", "3.13"},
	}
}
