package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/perms"
)

var errHelp = errors.New("help shown")

// parseFlags parses args into fs, falling back to DAGNFS_* environment
// variables for flags not given, and checks the number of arguments.
func parseFlags(fset *pflag.FlagSet, args []string, help string, stdout io.Writer, minArgs, maxArgs int) ([]string, error) {
	fset.SetOutput(io.Discard)
	fset.Usage = func() {}
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, help)
			fset.SetOutput(stdout)
			fset.PrintDefaults()
			fmt.Fprint(stdout, exitHelp(fset.Name()))
			return nil, errHelp
		}
		return nil, usagef("%v (see dagnfs %s --help)", err, fset.Name())
	}
	var envErr error
	fset.VisitAll(func(f *pflag.Flag) {
		if f.Changed || envErr != nil {
			return
		}
		name := envName(f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if err := fset.Set(f.Name, v); err != nil {
				envErr = usagef("%s=%q: %v", name, v, err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	rest := fset.Args()
	if len(rest) < minArgs || (maxArgs >= 0 && len(rest) > maxArgs) {
		return nil, usagef("wrong number of arguments: %s (see dagnfs %s --help)", strings.Join(quoteAll(rest), " "), fset.Name())
	}
	return rest, nil
}

func quoteAll(s []string) []string {
	if len(s) == 0 {
		return []string{"none"}
	}
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strconv.Quote(v)
	}
	return out
}

func envName(flag string) string {
	return "DAGNFS_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// exitHelp is the EXIT STATUS section of a command's help.
func exitHelp(cmd string) string {
	switch cmd {
	case "publish", "rollback":
		return `
EXIT STATUS
  0  success (or nothing to do)
  1  the source failed validation, the plan was refused (empty source,
     --max-delete, declined), or the post-publish read check failed
  2  bad usage
  3  destination error (unreachable, permission, corrupt manifest)
  4  the destination is locked by another publisher
  130 interrupted (the export holds only whole files)
`
	case "validate":
		return `
EXIT STATUS
  0  no errors (warnings allowed unless --strict)
  1  errors, or warnings with --strict
  2  bad usage
`
	case "verify":
		return `
EXIT STATUS
  0  all good
  1  findings of severity error (see --format json)
  2  bad usage
  3  the destination cannot be read at all
`
	}
	return `
EXIT STATUS
  0  success
  1  failure (the message says what to do)
  2  bad usage
  3  destination error
  130 interrupted
`
}

// modeValue is a permission mode flag written in octal.
type modeValue fs.FileMode

func (m *modeValue) String() string { return fmt.Sprintf("%04o", fs.FileMode(*m)) }
func (m *modeValue) Type() string   { return "octal" }
func (m *modeValue) Set(s string) error {
	mode, err := perms.ParseMode(s)
	if err != nil {
		return err
	}
	*m = modeValue(mode)
	return nil
}

// oneOf is a string flag limited to some values.
type oneOf struct {
	val     string
	allowed []string
}

func (o *oneOf) String() string { return o.val }
func (o *oneOf) Type() string   { return strings.Join(o.allowed, "|") }
func (o *oneOf) Set(s string) error {
	for _, a := range o.allowed {
		if s == a {
			o.val = s
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", s, strings.Join(o.allowed, ", "))
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode()&fs.ModeCharDevice != 0
}

// printable escapes control characters and invalid UTF-8 in text that came
// from an export or a server (file names, labels), so that it cannot drive
// the terminal it is printed on.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}
