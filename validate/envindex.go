package validate

import (
	"fmt"
	"strings"

	"github.com/dagnfs/dagnfs/envindex"
)

// IndexEnvironment is an environment index as validate --env checks
// imports against it; label names it in messages (the index file).
func IndexEnvironment(ix *envindex.Index, label string) Environment {
	return &environment{ix: ix, label: label, hash: ix.FileHash()}
}

type environment struct {
	ix    *envindex.Index
	label string
	hash  string
}

func (e *environment) Module(name string) (EnvModule, bool) {
	m, ok := e.ix.Lookup(name)
	if !ok {
		return EnvModule{}, false
	}
	return EnvModule{Kind: m.Kind, Dist: m.Dist, Names: m.Names, Read: m.Read, Dynamic: m.Dynamic}, true
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
