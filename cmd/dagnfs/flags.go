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
	"golang.org/x/sys/unix"

	"github.com/dagnfs/dagnfs/config"
	"github.com/dagnfs/dagnfs/perms"
)

var errHelp = errors.New("help shown")

// parseFlags parses args into fs, falling back to DAGNFS_* environment
// variables for flags not given, and checks the number of arguments.
func parseFlags(fset *pflag.FlagSet, args []string, help string, stdout io.Writer, minArgs, maxArgs int) ([]string, error) {
	rest, _, err := parseSettings(fset, args, help, stdout, minArgs, maxArgs, nil)
	return rest, err
}

// settings says where each flag's value came from, and holds the
// configuration file's settings that are not flags.
type settings struct {
	// source maps a flag to "flag", "env NAME" or "file PATH"; a flag not
	// in it has its default.
	source map[string]string
	// file is the configuration file read, nil for none.
	file *config.Config
	// searched is the folder the search for a file started from.
	searched string
}

// parseSettings is parseFlags that then reads the configuration file (the
// --config flag, or the one found from the folder dirOf names, if dirOf is
// not nil) into every flag that neither the command line nor the
// environment set.
func parseSettings(fset *pflag.FlagSet, args []string, help string, stdout io.Writer, minArgs, maxArgs int,
	dirOf func(rest []string) string) ([]string, *settings, error) {
	fset.SetOutput(io.Discard)
	fset.Usage = func() {}
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, help)
			fset.SetOutput(stdout)
			fset.PrintDefaults()
			fmt.Fprint(stdout, exitHelp(fset.Name()))
			return nil, nil, errHelp
		}
		return nil, nil, usagef("%v%s (see dagnfs %s --help)", err, flagSuggestion(fset, err), fset.Name())
	}
	st := &settings{source: map[string]string{}}
	fset.Visit(func(f *pflag.Flag) { st.source[f.Name] = "flag" })
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
			st.source[f.Name] = "env " + name
		}
	})
	if envErr != nil {
		return nil, nil, envErr
	}
	rest := fset.Args()
	if len(rest) < minArgs || (maxArgs >= 0 && len(rest) > maxArgs) {
		return nil, nil, usagef("wrong number of arguments: %s (see dagnfs %s --help)", strings.Join(quoteAll(rest), " "), fset.Name())
	}
	if dirOf != nil {
		if err := st.readFile(fset, dirOf(rest)); err != nil {
			return nil, nil, err
		}
	}
	return rest, st, nil
}

// readFile finds and reads the configuration file, then sets the flags it
// names that have no value from the command line or the environment. A key
// that is not a flag of this command (keep, for validate) is left alone.
func (st *settings) readFile(fset *pflag.FlagSet, dir string) error {
	path := ""
	if f := fset.Lookup("config"); f != nil {
		path = f.Value.String()
	}
	switch path {
	case "none":
		return nil
	case "":
		st.searched = dir
		found, err := config.Find(dir)
		if err != nil {
			return &usageError{err.Error() + " (fix it, or pass --config none)"}
		}
		if found == "" {
			return nil
		}
		path = found
	}
	load := config.Load // a file named with --config: a link is followed (a ConfigMap's are links)
	if st.searched != "" {
		load = config.LoadFound
	}
	c, err := load(path)
	if err != nil {
		return &usageError{err.Error() + " (fix it, or pass --config none)"}
	}
	st.file = c
	if c.PerFileIgnores != nil {
		st.source["per-file-ignores"] = "file " + c.Path
	}
	for _, k := range config.Keys {
		vals, ok := c.Values[k.Name]
		f := fset.Lookup(k.Name)
		if !ok || f == nil || st.source[k.Name] != "" {
			continue
		}
		for _, v := range vals {
			if err := fset.Set(k.Name, v); err != nil {
				return usagef("%s: %s = %q: %v", c.Path, k.Name, v, err)
			}
		}
		if len(vals) == 0 { // an empty list clears the default
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				_ = sv.Replace(nil)
			}
		}
		st.source[k.Name] = "file " + c.Path
	}
	return nil
}

// perFileIgnores is the configuration file's per-file-ignores, or nil.
func (st *settings) perFileIgnores() map[string][]string {
	if st == nil || st.file == nil {
		return nil
	}
	return st.file.PerFileIgnores
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
	case "publish":
		return `
EXIT STATUS
  0  success (or nothing to do)
  1  the source failed validation, the plan was refused (empty source,
     --max-delete, declined), or the post-publish read check failed
  2  bad usage
  3  destination error (unreachable, permission, corrupt manifest)
  4  the destination is locked by another publisher
  5  the destination is paused (dagnfs pause); --force publishes anyway
  130 interrupted (the export holds only whole files)
`
	case "rollback":
		return `
EXIT STATUS
  0  success
  1  the generation is not kept, the prompt was declined, or the
     post-rollback read check failed
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
	case "k8s verify-job", "k8s agent-daemonset", "k8s agent-networkpolicy", "k8s publish-cronjob", "k8s env-capture-job":
		return `
EXIT STATUS
  0  the manifest was printed
  2  bad usage (nothing was printed)
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

// isTerminal reports whether f is a terminal: a character device that
// answers a terminal's ioctl (/dev/null, which cron and CI give as stdin,
// is a character device too, but no terminal).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(file.Fd()), unix.TCGETS)
	return err == nil
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
