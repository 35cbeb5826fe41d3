package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/envindex"
	"github.com/dagnfs/dagnfs/internal/guard"
)

const envHelp = `Usage: dagnfs env capture|script [flags]

Describe the Python environment of the image Airflow runs, for
validate --env: which modules import, from which distributions, and which
names the modules under --prefix (airflow) define. Nothing is imported.

  capture  write the index: from an interpreter (--python), or from
           site-packages folders copied out of an image (--site, with
           --python-version)
  script   print a Python script that writes the same index inside any
           image: docker run --rm -i IMAGE python - < script > airflow-env.json

Run "dagnfs env capture --help" for its flags.

Example:
  dagnfs env capture --python /usr/local/bin/python3 --output airflow-env.json
  dagnfs validate dags/ --env airflow-env.json
`

const envCaptureHelp = `Usage: dagnfs env capture (--python PATH | --site DIR... --python-version 3.X) [flags]

Write the environment index (JSON; gzip when --output ends in .gz) to
--output or stdout. With --python the interpreter is asked only for its
version, platform, compiled-module suffixes, builtin modules and sys.path
(after site processing, so .pth files count); everything else is found by
reading those folders. With --site the folders' .pth files are processed
as site does and the standard library is known by name.

Example:
  dagnfs env capture --python /usr/local/bin/python3 --output airflow-env.json

Flags:
`

func runEnvCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("dagnfs env needs capture or script (see dagnfs env --help)")
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, envHelp)
		return errHelp
	case "capture":
		return runEnvCapture(ctx, args[1:], stdout, stderr)
	case "script":
		fset := pflag.NewFlagSet("env script", pflag.ContinueOnError)
		var prefixes []string
		fset.StringSliceVar(&prefixes, "prefix", envindex.DefaultPrefixes, "module prefixes whose names are read")
		if _, err := parseFlags(fset, args[1:], envScriptHelp, stdout, 0, 0); err != nil {
			return err
		}
		_, err := io.WriteString(stdout, envindex.Script(prefixes))
		return err
	}
	return usagef("dagnfs env: unknown subcommand %q%s: capture or script", args[0], didYouMean(args[0], []string{"capture", "script"}))
}

const envScriptHelp = `Usage: dagnfs env script [flags]

Print a self-contained Python script (standard library only) that writes
the environment index of the interpreter running it to stdout: the same
index dagnfs env capture --python makes.

Example:
  dagnfs env script | docker run --rm -i apache/airflow:3.0.2 python - > airflow-env.json

Flags:
`

func runEnvCapture(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var python, pyVersion, output, machine string
	var sites, prefixes []string
	fset := pflag.NewFlagSet("env capture", pflag.ContinueOnError)
	fset.StringVar(&python, "python", "", "the interpreter whose environment is captured")
	fset.StringArrayVar(&sites, "site", nil, "a site-packages folder copied out of the image (repeatable), instead of --python")
	fset.StringVar(&pyVersion, "python-version", "", "with --site: the image's Python, 3.X")
	fset.StringVar(&machine, "machine", archMachine(), "with --site: the image's CPU, as in compiled modules' names (x86_64, aarch64)")
	fset.StringSliceVar(&prefixes, "prefix", envindex.DefaultPrefixes, "module prefixes whose names are read (repeatable or comma-separated)")
	fset.StringVarP(&output, "output", "o", "", "write the index here (default stdout; .gz: gzip)")
	if _, err := parseFlags(fset, args, envCaptureHelp, stdout, 0, 0); err != nil {
		return err
	}
	var env envindex.Environment
	var err error
	switch {
	case python != "" && len(sites) > 0:
		return usagef("give --python or --site, not both")
	case python != "":
		if env, err = envindex.QueryPython(ctx, python); err != nil {
			return err
		}
	default:
		if env, err = envindex.SiteEnvironment(sites, pyVersion, machine); err != nil {
			return &usageError{err.Error()}
		}
	}
	ix, err := guard.Until(ctx, func() (*envindex.Index, error) { return envindex.Scan(env, prefixes) })
	if err != nil {
		return err
	}
	if output == "" {
		return ix.Encode(stdout, false)
	}
	tmp := output + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := ix.Encode(f, strings.HasSuffix(output, ".gz")); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, output); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: Python %s, %d modules, %d distributions\n", filepath.Clean(output), ix.Python, ix.Count(), len(ix.Distributions))
	return nil
}

// archMachine is this machine's CPU as compiled modules name it.
func archMachine() string {
	if runtime.GOARCH == "arm64" {
		return "aarch64"
	}
	return "x86_64"
}
