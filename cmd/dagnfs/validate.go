package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/envindex"
	"github.com/dagnfs/dagnfs/publish"
	"github.com/dagnfs/dagnfs/validate"
)

const validateHelp = `Usage: dagnfs validate [DIR] [flags]

Check the DAG folder DIR (default ".") the way Airflow will see it, offline:
discovery (symlinks, .airflowignore, safe mode, zip packages), CPython's
syntax verdict (or the embedded checker's), duplicate dag_ids across the
folder, and best-practice rules. Silence a rule on one line with
"# dagnfs: ignore[rule]", in a file with "# dagnfs: ignore-file[rule]", or
for the run with --disable rule.

Rules: ` + "%s" + `

Example:
  dagnfs validate ./dags --python-version 3.12 --format github

Flags:
`

// checkFlags are the validation flags; publish has them too.
type checkFlags struct {
	airflowVersion int
	safeMode       bool
	ignoreSyntax   string
	python         string
	pythonVersion  string
	maxFileSize    int64
	disable        []string
	strict         bool
	config         string
	env            string
	sysPath        []string
	// perFileIgnores comes from the configuration file only.
	perFileIgnores map[string][]string
}

func newCheckFlags() checkFlags {
	return checkFlags{airflowVersion: 3, safeMode: true, python: "auto", maxFileSize: 1 << 20}
}

// AddFlags registers the flags.
func (c *checkFlags) AddFlags(f *pflag.FlagSet) {
	f.IntVar(&c.airflowVersion, "airflow-version", c.airflowVersion, "Airflow major version whose rules apply: 2 or 3")
	f.BoolVar(&c.safeMode, "safe-mode", c.safeMode, "[core] dag_discovery_safe_mode: parse only files that mention airflow and dag")
	f.StringVar(&c.ignoreSyntax, "ignore-syntax", "", ".airflowignore syntax: regexp or glob (default: regexp for Airflow 2, glob for 3)")
	f.StringVar(&c.python, "python", c.python, "Python interpreter for the syntax verdict: auto, none (embedded checker) or a path")
	f.StringVar(&c.pythonVersion, "python-version", "", "Python version of the Airflow workers, e.g. 3.11")
	f.Int64Var(&c.maxFileSize, "max-file-size", c.maxFileSize, "bytes; larger files get a warning and no further check")
	f.StringSliceVar(&c.disable, "disable", nil, "rules to silence for the whole run (repeatable or comma-separated)")
	f.BoolVar(&c.strict, "strict", false, "warnings fail too")
	f.StringVar(&c.config, "config", "", "settings file (default: dagnfs.toml, or pyproject.toml with [tool.dagnfs], in the DAG folder or above; none: no file)")
	f.StringVar(&c.env, "env", "", "environment index of the Airflow image (dagnfs env capture): check every import against it")
	f.StringArrayVar(&c.sysPath, "sys-path", nil, "with --env: a folder Airflow puts on sys.path besides the DAG folder, such as plugins or config (repeatable)")
}

func (c *checkFlags) options() (validate.Options, error) {
	o := validate.Options{AirflowVersion: c.airflowVersion, NoSafeMode: !c.safeMode, IgnoreSyntax: c.ignoreSyntax,
		Python: c.python, PythonVersion: c.pythonVersion, MaxFileSize: c.maxFileSize, Disable: c.disable, Strict: c.strict,
		PerFileIgnores: c.perFileIgnores}
	if c.maxFileSize < 1 {
		return o, usagef("--max-file-size must be positive")
	}
	if c.env != "" {
		ix, err := envindex.Load(c.env)
		if err != nil {
			return o, usagef("--env %s: %v (make one with dagnfs env capture)", c.env, err)
		}
		o.Env, o.ExtraPaths = validate.IndexEnvironment(ix, filepath.Base(c.env)), c.sysPath
		if o.PythonVersion == "" {
			o.PythonVersion = ix.PythonVersion() // the workers' Python is the image's
		}
	} else if len(c.sysPath) > 0 {
		return o, usagef("--sys-path is for --env: it names folders the imports may come from")
	}
	if err := validate.CheckOptions(o); err != nil {
		return o, optionUsage(err)
	}
	return o, nil
}

type validateOptions struct {
	checkFlags
	exclude     []string
	format      oneOf
	listIgnored bool
	pathBase    string
}

// AddFlags registers the flags.
func (o *validateOptions) AddFlags(f *pflag.FlagSet) {
	o.checkFlags.AddFlags(f)
	f.StringArrayVar(&o.exclude, "exclude", nil, "glob of files or folders that are not part of the DAG folder (repeatable)")
	f.Var(&o.format, "format", "output: "+strings.Join(validate.Formats, ", "))
	f.BoolVar(&o.listIgnored, "list-ignored", false, "text output also lists what .airflowignore and safe mode leave out")
	f.StringVar(&o.pathBase, "path-base", "", "name files relative to this folder (default: the current directory, as CI annotations expect)")
}

func runValidateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := &validateOptions{checkFlags: newCheckFlags(), format: oneOf{"text", validate.Formats}}
	fset := pflag.NewFlagSet("validate", pflag.ContinueOnError)
	o.AddFlags(fset)
	rest, st, err := parseSettings(fset, args, fmt.Sprintf(validateHelp, strings.Join(validate.RuleIDs(), ", ")), stdout, 0, 1, firstArgOrDot)
	if err != nil {
		return err
	}
	o.perFileIgnores = st.perFileIgnores()
	dir := firstArgOrDot(rest)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usagef("%q is not a folder", dir)
	}
	vo, err := o.options()
	if err != nil {
		return err
	}
	vo.Exclude = o.exclude
	var line *progressLine
	if o.format.val == "text" && isTerminal(stderr) {
		line = newProgressLine(stderr) // the same line publish shows
		vo.Progress = func(done, total int) {
			line.update(publish.Progress{Phase: publish.PhaseValidate, Done: done, Total: total})
		}
	}
	r, err := validate.Run(ctx, dir, vo)
	if line != nil {
		line.finish() // before the report
	}
	if err != nil {
		return err
	}
	if o.pathBase != "" {
		if fi, err := os.Stat(o.pathBase); err != nil || !fi.IsDir() {
			return usagef("--path-base %q is not a folder", o.pathBase)
		}
	}
	if err := r.Relocate(dir, o.pathBase); err != nil {
		return err
	}
	r.ToolVersion = version
	if err := r.Write(stdout, o.format.val, o.format.val == "text" && isTerminal(stdout)); err != nil {
		return err
	}
	if o.listIgnored && o.format.val == "text" {
		for _, p := range r.Ignored {
			fmt.Fprintf(stdout, "  ignored by .airflowignore: %s\n", p)
		}
		for _, p := range r.Skipped {
			fmt.Fprintf(stdout, "  skipped by safe mode:      %s\n", p)
		}
	}
	if r.Failed() {
		return silentFailure{}
	}
	return nil
}

// firstArgOrDot is the folder a command's first argument names, "." when
// there is none: where the search for a configuration file starts.
func firstArgOrDot(rest []string) string {
	if len(rest) > 0 {
		return rest[0]
	}
	return "."
}

// optionUsage turns a validate.OptionError into a usage error that names
// the flag.
func optionUsage(err error) error {
	var oe *validate.OptionError
	if errors.As(err, &oe) {
		return usagef("--%s %s", oe.Option, oe.Msg)
	}
	return &usageError{err.Error()}
}
