package envindex

import (
	"fmt"
	"strings"

	"github.com/dagnfs/dagnfs/validate"
)

// Environment is ix as validate --env uses it; label names it in messages
// (the index file).
func (ix *Index) Environment(label string) validate.Environment {
	h := ix.fileHash // the file's own bytes: no second encoding
	if h == "" {
		h = ix.Hash()
	}
	return &environment{ix: ix, label: label, hash: h}
}

type environment struct {
	ix    *Index
	label string
	hash  string
}

func (e *environment) Module(name string) (validate.EnvModule, bool) {
	m, ok := e.ix.Lookup(name)
	if !ok {
		return validate.EnvModule{}, false
	}
	return validate.EnvModule{Kind: m.Kind, Dist: m.Dist, Names: m.Names, Read: m.Read, Dynamic: m.Dynamic}, true
}

func (e *environment) Defining(prefix, name string) []string {
	var out []string
	for _, m := range e.ix.Defining(prefix, name) {
		out = append(out, m.Name)
	}
	return out
}

func (e *environment) Prefixes() []string { return e.ix.Prefixes }
func (e *environment) Hash() string       { return e.hash }

func (e *environment) Airflow() string {
	for _, d := range e.ix.Distributions {
		if strings.EqualFold(d.Name, "apache-airflow") {
			return d.Version
		}
	}
	return ""
}

func (e *environment) Describe() string {
	what := "Python " + e.ix.Python
	for _, d := range e.ix.Distributions {
		if strings.EqualFold(d.Name, "apache-airflow") {
			what += ", apache-airflow " + d.Version
		}
	}
	if e.label == "" {
		return "the environment (" + what + ")"
	}
	return fmt.Sprintf("%s (%s)", e.label, what)
}
