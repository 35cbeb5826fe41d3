package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/publish"
	"github.com/dagnfs/dagnfs/validate"
)

const validateHelp = `Usage: dagnfs validate [DIR] [flags]

Check the DAG folder DIR (default ".") as publish does before copying: the
files it would publish, and CPython's verdict on every Python file.

Flags:
`

type validateOptions struct {
	python  string
	exclude []string
	format  oneOf
}

// AddFlags registers the flags.
func (o *validateOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.python, "python", "auto", "Python interpreter for the syntax check: auto, none or a path")
	f.StringArrayVar(&o.exclude, "exclude", nil, "glob of files or folders not to check (repeatable)")
	f.Var(&o.format, "format", "output: text or json")
}

func runValidateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := &validateOptions{format: oneOf{"text", []string{"text", "json"}}}
	fset := pflag.NewFlagSet("validate", pflag.ContinueOnError)
	o.AddFlags(fset)
	rest, err := parseFlags(fset, args, validateHelp, stdout, 0, 1)
	if err != nil {
		return err
	}
	dir := "."
	if len(rest) == 1 {
		dir = rest[0]
	}
	files, err := publish.Scan(dir, o.exclude)
	if err != nil {
		return &publish.RefusedError{Reason: err.Error()}
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Rel
	}
	r, err := validate.Files(ctx, dir, names, validate.Options{Python: o.python})
	if err != nil {
		return err
	}
	if o.format.val == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		for _, f := range r.Findings {
			fmt.Fprintln(stdout, f)
		}
		fmt.Fprintf(stdout, "%d files checked: %d errors, %d warnings\n", r.Files, r.Errors(), r.Warnings())
	}
	if r.Errors() > 0 {
		return silentFailure{}
	}
	return nil
}
