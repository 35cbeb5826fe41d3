package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/config"
)

const configHelp = `Usage: dagnfs config [DIR] [flags]

Print the settings validate and publish would use for the DAG folder DIR
(default "."), and where each comes from: a flag, an environment variable
(DAGNFS_AIRFLOW_VERSION), the settings file, or the default. The file is
dagnfs.toml, or the [tool.dagnfs] table of a pyproject.toml, in DIR or the
nearest folder above it that has one; --config names another, --config none
reads none. Its keys are the flags' names:

  [tool.dagnfs]
  airflow-version = 2
  python-version = "3.11"
  disable = ["dag-no-schedule"]
  per-file-ignores = {"legacy/*.py" = ["datetime-now-in-dag"]}
  exclude = ["tests"]
  file-mode = "0644"
  uid = 50000
  gid = 50000
  keep = 20

Keys: ` + "%s" + `

Example:
  dagnfs config ./dags

Flags (each overrides the file, as the environment does):
`

// configSetting is one line of dagnfs config.
type configSetting struct {
	Key    string `json:"key"`
	Value  any    `json:"value"`
	Source string `json:"source"`
}

func runConfigCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	// The flags of every setting a file may hold: validate's, and publish's
	// defaults that belong to a repository.
	po := newPublishOptions()
	all := pflag.NewFlagSet("config", pflag.ContinueOnError)
	po.AddFlags(all)
	fset := pflag.NewFlagSet("config", pflag.ContinueOnError)
	for _, k := range config.Keys {
		if f := all.Lookup(k.Name); f != nil {
			fset.AddFlag(f)
		}
	}
	fset.AddFlag(all.Lookup("config"))
	format := oneOf{"text", []string{"text", "json"}}
	fset.Var(&format, "format", "output: text or json")
	names := make([]string, len(config.Keys))
	for i, k := range config.Keys {
		names[i] = k.Name
	}
	rest, st, err := parseSettings(fset, args, fmt.Sprintf(configHelp, strings.Join(names, ", ")), stdout, 0, 1, firstArgOrDot)
	if err != nil {
		return err
	}
	po.perFileIgnores = st.perFileIgnores()
	if _, err := po.checkFlags.options(); err != nil {
		return err
	}
	file := ""
	if st.file != nil {
		file = st.file.Path
	}
	var out []configSetting
	for _, k := range config.Keys {
		src := st.source[k.Name]
		if src == "" {
			src = "default"
		}
		var v any
		if k.Kind == config.Table {
			if pf := st.perFileIgnores(); pf != nil {
				v = pf
			} else {
				v = map[string][]string{}
			}
		} else {
			v = flagValue(fset.Lookup(k.Name), k.Kind)
		}
		out = append(out, configSetting{k.Name, v, src})
	}
	if format.val == "json" {
		return writeJSON(stdout, struct {
			File     string          `json:"file"`
			Settings []configSetting `json:"settings"`
		}{file, out})
	}
	switch {
	case file != "":
		fmt.Fprintf(stdout, "settings file: %s\n", file)
	case st.searched != "":
		fmt.Fprintf(stdout, "settings file: none (no dagnfs.toml or pyproject.toml with [tool.dagnfs] in %s or above)\n", st.searched)
	default:
		fmt.Fprintln(stdout, "settings file: none (--config none)")
	}
	fmt.Fprintln(stdout)
	for _, s := range out {
		fmt.Fprintf(stdout, "%-17s = %-28s %s\n", s.Key, tomlValue(s.Value), s.Source)
	}
	_ = rest
	return nil
}

// flagValue is a flag's value in the type its key has.
func flagValue(f *pflag.Flag, kind config.Kind) any {
	v := f.Value.String()
	switch kind {
	case config.Int:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	case config.Bool:
		return v == "true"
	case config.List:
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			if l := sv.GetSlice(); l != nil {
				return l
			}
		}
		return []string{}
	}
	return v
}

// tomlValue prints a value the way the file would hold it.
func tomlValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	case map[string][]string:
		keys := slices.Sorted(maps.Keys(x))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = strconv.Quote(k) + " = " + tomlValue(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}
