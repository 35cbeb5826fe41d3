package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/validate"
)

// commit is set at build time with -ldflags "-X main.commit=..."; without
// it the Go toolchain's VCS stamp is used.
var commit = ""

const versionHelp = `Usage: dagnfs version [flags]

Print dagnfs's version, the commit it was built from, the Go version and
platform, and the Python front end it embeds (pure Go, written from
CPython's own rules) with the Python versions it reads.

Example:
  dagnfs version --format json

Flags:
`

// buildInfo is what dagnfs version reports.
type buildInfo struct {
	Version  string           `json:"version"`
	Commit   string           `json:"commit"`
	Go       string           `json:"go"`
	Platform string           `json:"platform"`
	Parsers  validate.Parsers `json:"parsers"`
}

func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Commit == "" {
			modified := false
			for _, s := range info.Settings {
				switch s.Key {
				case "vcs.revision":
					b.Commit = s.Value
				case "vcs.modified":
					modified = s.Value == "true"
				}
			}
			if modified && b.Commit != "" {
				b.Commit += "-dirty"
			}
		}
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	b.Parsers = validate.ParserVersions()
	return b
}

func runVersionCmd(args []string, stdout io.Writer) error {
	format := oneOf{"text", []string{"text", "json"}}
	fset := pflag.NewFlagSet("version", pflag.ContinueOnError)
	fset.Var(&format, "format", "output: text or json")
	if _, err := parseFlags(fset, args, versionHelp, stdout, 0, 0); err != nil {
		return err
	}
	b := currentBuild()
	if format.val == "json" {
		return writeJSON(stdout, b)
	}
	fmt.Fprintf(stdout, "dagnfs %s\n", b.Version)
	fmt.Fprintf(stdout, "  commit              %s\n", b.Commit)
	fmt.Fprintf(stdout, "  go                  %s %s\n", b.Go, b.Platform)
	fmt.Fprintf(stdout, "  python front end    %s; Python %s\n", b.Parsers.FrontEnd, strings.Join(b.Parsers.Pythons, ", "))
	return nil
}
