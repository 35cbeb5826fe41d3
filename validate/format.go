package validate

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
)

// Formats lists the output formats of Write.
var Formats = []string{"text", "json", "junit", "github", "sarif"}

// Write prints the report in one of Formats. color adds ANSI colours to text.
func (r *Report) Write(w io.Writer, format string, color bool) error {
	switch format {
	case "text", "":
		return r.writeText(w, color)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "junit":
		return r.writeJUnit(w)
	case "github":
		return r.writeGitHub(w)
	case "sarif":
		return r.writeSARIF(w)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

func (r *Report) writeText(w io.Writer, color bool) error {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\033[" + code + "m" + s + "\033[0m"
	}
	var cur string
	for _, f := range r.Findings {
		if f.File != cur {
			cur = f.File
			fmt.Fprintln(w, paint("1", f.File))
		}
		sev := paint("33", "warning")
		if f.Severity == Error {
			sev = paint("31", "error  ")
		}
		loc := ""
		if f.Line > 0 {
			loc = fmt.Sprintf("%d:%d", f.Line, max(f.Column, 1))
		}
		fmt.Fprintf(w, "  %-8s %s %s %s\n", loc, sev, f.Message, paint("2", "["+f.Rule+"]"))
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(w)
	}
	checker := r.Checker
	if checker == "" {
		checker = "the embedded checker"
	}
	fmt.Fprintf(w, "Airflow %d (%s .airflowignore, safe mode %s): %s checked with %s, %s",
		r.AirflowVersion, r.IgnoreSyntax, map[bool]string{true: "on", false: "off"}[r.SafeMode], Count(r.Files, "file"), checker, Count(len(r.DAGs), "DAG"))
	if len(r.DynamicDAGs) > 0 {
		fmt.Fprintf(w, " and %d with a computed dag_id", len(r.DynamicDAGs))
	}
	fmt.Fprintf(w, ", %d ignored by .airflowignore, %d skipped by safe mode\n", len(r.Ignored), len(r.Skipped))
	verdict := paint("32", "OK")
	if r.Failed() {
		verdict = paint("31", "FAILED")
	}
	fmt.Fprintf(w, "%s: %s, %s\n", verdict, Count(r.Summary.Errors, "error"), Count(r.Summary.Warnings, "warning"))
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

// Count is "1 error", "2 errors".
func Count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (r *Report) writeGitHub(w io.Writer) error {
	esc := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	escProp := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	for _, f := range r.Findings {
		level := "warning"
		if f.Severity == Error || r.Strict {
			level = "error"
		}
		props := "file=" + escProp.Replace(f.File)
		if f.Line > 0 {
			props += fmt.Sprintf(",line=%d", f.Line)
			if f.Column > 0 {
				props += fmt.Sprintf(",col=%d", f.Column)
			}
		}
		props += ",title=" + escProp.Replace("dagnfs "+f.Rule)
		fmt.Fprintf(w, "::%s %s::%s\n", level, props, esc.Replace(f.Message))
	}
	return nil
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failures  []junitFailed `xml:"failure"`
}

type junitFailed struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes one test case per file that has findings, plus one for
// the whole folder, failed by errors (and by warnings with Strict).
func (r *Report) writeJUnit(w io.Writer) error {
	byFile := map[string][]Finding{}
	var order []string
	for _, f := range r.Findings {
		if _, ok := byFile[f.File]; !ok {
			order = append(order, f.File)
		}
		byFile[f.File] = append(byFile[f.File], f)
	}
	suite := junitSuite{Name: "dagnfs validate"}
	suite.Cases = append(suite.Cases, junitCase{Name: fmt.Sprintf("%d files", r.Files), ClassName: "dagnfs"})
	for _, file := range order {
		c := junitCase{Name: file, ClassName: "dagnfs"}
		for _, f := range byFile[file] {
			if f.Severity == Error || r.Strict {
				c.Failures = append(c.Failures, junitFailed{Message: f.Message, Type: f.Rule, Text: f.String()})
			}
		}
		if len(c.Failures) > 0 {
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{Name: "dagnfs", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// srcRoot is the base id of every file URI: the path base.
const srcRoot = "SRCROOT"

func sarifLevel(s Severity) string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// uriPath escapes a relative path for a URI reference.
func uriPath(p string) string {
	return (&url.URL{Path: filepath.ToSlash(p)}).EscapedPath()
}
