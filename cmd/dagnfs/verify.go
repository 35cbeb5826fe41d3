package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/bundle"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/perms"
	"github.com/dagnfs/dagnfs/share"
	"github.com/dagnfs/dagnfs/validate"
	"github.com/dagnfs/dagnfs/verify"
)

const verifyHelp = `Usage: dagnfs verify DEST [flags]

Prove that DEST (the dags folder as a pod mounts it, or an nfs:// URL read as
--as-uid/--as-gid) shows exactly the published generation and that Airflow's
identity can read all of it: the mount and its file system, the manifest
(and, with --expect-label/--expect-generation and --wait, that a publish has
become visible), every file's size and sha256 (--quick: size and mtime),
readability, folders on the way, files dagnfs did not publish, leftover
temporary files and stale locks. With --dags-folder (the folder Airflow is
configured with, DEST being the export's mount), Airflow's own scan of that
folder, as this user: it must raise nothing, enter nothing of dagnfs's, and
find every file that defines a DAG exactly once.

Example:
  dagnfs verify /usr/local/airflow/dags --expect-label "$GITHUB_SHA" --wait 5m
  dagnfs verify /usr/local/airflow/dags --dags-folder /usr/local/airflow/dags/current

Flags:
`

// verifyOptions are the flags of verify (and of agent).
type verifyOptions struct {
	asUID, asGID     int
	expectGeneration int
	expectLabel      string
	expectFSType     string
	wait, poll       time.Duration
	quick            bool
	bundle           string
	scan             scanFlags
	timeout          time.Duration
	deadline         time.Duration
	format           oneOf
}

func newVerifyOptions() *verifyOptions {
	return &verifyOptions{asUID: 50000, asGID: 50000, poll: 2 * time.Second, timeout: 30 * time.Second, deadline: 10 * time.Minute,
		format: oneOf{"text", []string{"text", "json"}}}
}

// AddFlags registers the flags.
func (o *verifyOptions) AddFlags(f *pflag.FlagSet) {
	f.IntVar(&o.asUID, "as-uid", o.asUID, "uid that must be able to read everything (and the NFS credential for nfs:// URLs)")
	f.IntVar(&o.asGID, "as-gid", o.asGID, "gid for the same")
	f.IntVar(&o.expectGeneration, "expect-generation", 0, "fail unless this generation (or a later one) is visible")
	f.StringVar(&o.expectLabel, "expect-label", "", "fail unless the visible generation has this label (e.g. the commit CI published)")
	f.StringVar(&o.expectFSType, "expect-fstype", "", "fail unless DEST is a mount of this file system type (e.g. nfs4)")
	f.DurationVar(&o.wait, "wait", 0, "poll until the expected generation is visible, at most this long")
	f.DurationVar(&o.poll, "poll", o.poll, "how often --wait looks")
	f.BoolVar(&o.quick, "quick", false, "compare size and mtime only, without reading the files")
	o.scan.AddFlags(f)
	f.StringVar(&o.bundle, "bundle", "", "a published root of versioned bundles: the bundle to verify (its released version)")
	f.DurationVar(&o.timeout, "timeout", o.timeout, "timeout of each NFS call")
	f.DurationVar(&o.deadline, "deadline", o.deadline, "one verification ends by then, whatever happens (--wait comes on top)")
	f.Var(&o.format, "format", "output: text or json")
}

func (o *verifyOptions) options(dest string) (verify.Options, error) {
	if o.asUID < 0 || o.asGID < 0 {
		return verify.Options{}, usagef("--as-uid and --as-gid must be ids")
	}
	if o.wait < 0 || o.poll <= 0 {
		return verify.Options{}, usagef("--wait must not be negative and --poll must be positive")
	}
	vo := verify.Options{ExpectFSType: o.expectFSType, ExpectGeneration: o.expectGeneration, ExpectLabel: o.expectLabel,
		Wait: o.wait, Poll: o.poll, Quick: o.quick, As: perms.Identity{UID: uint32(o.asUID), GIDs: []uint32{uint32(o.asGID)}}}
	if !nfs.IsURL(dest) {
		vo.LocalPath = dest
	}
	if err := o.scan.apply(dest, &vo); err != nil {
		return verify.Options{}, err
	}
	return vo, nil
}

// scanFlags ask for Airflow's own scan of the dags folder it is configured
// with (verify, status, agent).
type scanFlags struct {
	dagsFolder string
	syntax     oneOf
}

// AddFlags registers the flags.
func (s *scanFlags) AddFlags(f *pflag.FlagSet) {
	s.syntax = oneOf{validate.SyntaxGlob, []string{validate.SyntaxGlob, validate.SyntaxRegexp, "both"}}
	f.StringVar(&s.dagsFolder, "dags-folder", "", "the folder Airflow is configured with (AIRFLOW__CORE__DAGS_FOLDER, or the LocalDagBundle's path), DEST being the export's mount: run Airflow's own scan of it")
	f.Var(&s.syntax, "ignore-syntax", "with --dags-folder: the deployment's [core] dag_ignore_file_syntax, glob (Airflow 3's default) or regexp (Airflow 2's), or both")
}

func (s *scanFlags) apply(dest string, vo *verify.Options) error {
	if s.dagsFolder == "" {
		return nil
	}
	if nfs.IsURL(dest) {
		return usagef("--dags-folder needs DEST as the pods mount it (a folder), not an nfs:// URL: Airflow's scan reads the mount")
	}
	vo.DagsFolder = s.dagsFolder
	if v := s.syntax.val; v != "" && v != "both" {
		vo.IgnoreSyntaxes = []string{s.syntax.val}
	}
	return nil
}

// exportRoot is what to open for dest: a dags folder given as the
// generations layout's current (or resolved to a generation) is verified
// from the export root that holds it.
func exportRoot(dest string, vo *verify.Options) string {
	if nfs.IsURL(dest) {
		return dest
	}
	root, notes := verify.ExportRoot(dest)
	vo.LocalPath, vo.Notes = root, notes
	return root
}

func (o *verifyOptions) open(ctx context.Context, dest string) (nfs.Dest, error) {
	d, err := openDest(ctx, dest, o.asUID, o.asGID, o.timeout, 2, nil)
	var ue *usageError
	if err != nil && !errors.As(err, &ue) {
		return nil, &verify.UnreadableError{Dest: dest, Err: err}
	}
	if err != nil {
		return nil, err
	}
	bd, err := forBundle(d, o.bundle)
	if err != nil {
		d.Close()
	}
	return bd, err
}

// forBundle is d as bundle name's records see it, in a published root of
// versioned bundles; d itself without a name.
func forBundle(d nfs.Dest, name string) (nfs.Dest, error) {
	if name == "" {
		return d, nil
	}
	if err := bundle.CheckName(name); err != nil {
		return nil, usagef("--bundle: %v", err)
	}
	return layout.ForBundle(d, name), nil
}

// run verifies dest once, within --deadline (plus --wait).
func (o *verifyOptions) run(ctx context.Context, dest string) (*verify.Result, *shareVerify, error) {
	vo, err := o.options(dest)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel, bounded := withDeadline(ctx, o.deadline+o.wait)
	defer cancel()
	d, err := o.open(ctx, exportRoot(dest, &vo))
	if err != nil {
		return nil, nil, bounded(err)
	}
	defer d.Close()
	if m, err := share.ReadMarker(ctx, d); err != nil {
		return nil, nil, bounded(err)
	} else if m != nil {
		if vo.ExpectGeneration != 0 || vo.ExpectLabel != "" {
			return nil, nil, usagef("%s is a share: --expect-generation and --expect-label name one team's generation; verify that team's folder", d)
		}
		sv, err := verifyShare(ctx, d, m, vo)
		return nil, sv, bounded(err)
	}
	r, err := verify.Verify(ctx, d, vo)
	return r, nil, bounded(err)
}

// shareVerify is verify SHARE: every team's folder, one verdict.
type shareVerify struct {
	OK    bool         `json:"ok"`
	Share string       `json:"share"`
	Teams []teamVerify `json:"teams"`
}

type teamVerify struct {
	Folder string         `json:"folder"`
	Team   string         `json:"team"`
	Result *verify.Result `json:"result,omitempty"`
	Error  *jsonError     `json:"error,omitempty"`
}

// verifyShare verifies every team's folder of the share d as vo says for
// one folder (a local mount's path followed into each).
func verifyShare(ctx context.Context, d nfs.Dest, m *share.Marker, vo verify.Options) (*shareVerify, error) {
	sh := &share.Share{Root: d, Marker: m}
	teams, err := verify.VerifyTeams(ctx, sh, vo)
	if err != nil {
		return nil, err
	}
	sv := &shareVerify{OK: verify.TeamsOK(teams), Share: d.String(), Teams: []teamVerify{}}
	for _, t := range teams {
		tv := teamVerify{Folder: t.Folder, Team: sh.TeamOf(t.Team), Result: t.Result}
		if t.Err != nil {
			tv.Error = errorObject(t.Err)
		}
		sv.Teams = append(sv.Teams, tv)
	}
	return sv, nil
}

func printShareVerify(w io.Writer, sv *shareVerify) {
	fmt.Fprintf(w, "%s: a share of %d team folder(s)\n", sv.Share, len(sv.Teams))
	for _, t := range sv.Teams {
		if t.Error != nil {
			fmt.Fprintf(w, "  %-16s FAILED: %s\n", printable(t.Folder), printable(t.Error.Message))
			continue
		}
		r := t.Result
		verdict := "OK"
		if !r.OK {
			verdict = "FAILED"
		}
		fmt.Fprintf(w, "  %-16s %s: generation %d, %d files, %d unreadable, %s\n", printable(t.Folder), verdict, r.Generation, r.Files, r.Unreadable, validate.Count(r.Errors(), "error"))
		for _, f := range r.Findings {
			if f.Severity == verify.Error {
				fmt.Fprintf(w, "  %-16s   %s\n", "", printable(f.String()))
			}
		}
	}
	verdict := "OK"
	if !sv.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "%s: every team's folder checked\n", verdict)
}

func runVerifyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := newVerifyOptions()
	fset := pflag.NewFlagSet("verify", pflag.ContinueOnError)
	o.AddFlags(fset)
	rest, err := parseFlags(fset, args, verifyHelp, stdout, 1, 1)
	if err != nil {
		return err
	}
	r, sv, err := o.run(ctx, rest[0])
	if err == nil && sv != nil {
		if o.format.val == "json" {
			if err := writeJSON(stdout, sv); err != nil {
				return err
			}
		} else {
			printShareVerify(stdout, sv)
		}
		if !sv.OK {
			return silentFailure{}
		}
		return nil
	}
	if err != nil {
		if o.format.val == "json" {
			writeJSON(stdout, struct {
				OK    bool       `json:"ok"`
				Dest  string     `json:"dest"`
				Error *jsonError `json:"error"`
			}{false, rest[0], errorObject(err)})
		}
		return err
	}
	if o.format.val == "json" {
		if err := writeJSON(stdout, r); err != nil {
			return err
		}
	} else {
		printVerify(stdout, r)
	}
	if !r.OK {
		return silentFailure{}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printVerify(w io.Writer, r *verify.Result) {
	if r.Generation > 0 {
		fmt.Fprintf(w, "%s shows generation %d", r.Dest, r.Generation)
		if r.Label != "" {
			fmt.Fprintf(w, " (%s)", printable(r.Label))
		}
		fmt.Fprintf(w, ", published %s by %s\n", r.PublishedAt.Local().Format(time.DateTime), printable(r.PublishedBy))
	}
	if r.Mount != nil {
		fmt.Fprintf(w, "  mount       %s: %s from %s\n", r.Mount.Path, r.Mount.FSType, r.Mount.Source)
	}
	if r.Layout == layout.Generations && r.Current > 0 {
		fmt.Fprintf(w, "  current     %s (generation %d's folder, as this reader resolves it)\n", layout.GenerationName(r.Current), r.Current)
	}
	fmt.Fprintf(w, "  files       %d (%s), %d unreadable, %d not published by dagnfs\n", r.Files, humanBytes(r.Bytes), r.Unreadable, r.Unmanaged)
	if r.WaitedMS > 0 {
		fmt.Fprintf(w, "  visible     after waiting %d ms (%.1f s after the publish)\n", r.WaitedMS, r.VisibleAfterS)
	}
	for _, f := range r.Findings {
		fmt.Fprintf(w, "  %-11s %s\n", f.Severity, printable(strings.TrimPrefix(strings.TrimPrefix(f.String(), f.File+": "), f.Severity+" ")))
		if f.File != "" {
			fmt.Fprintf(w, "  %-11s   in %s\n", "", printable(f.File))
		}
	}
	verdict := "OK"
	if !r.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "%s: %s, %s in all, %d ms\n", verdict, validate.Count(r.Errors(), "error"), validate.Count(len(r.Findings), "finding"), r.DurationMS)
}

const agentHelp = `Usage: dagnfs agent DEST --listen ADDR --interval DURATION [flags]

Verify DEST on a schedule, as a sidecar next to Airflow or as a DaemonSet
(NFS attribute caches are per node, so per-node checks are the real test),
and serve the result: /healthz (alive), /readyz (the last verification
passed and is recent), /status (the last result as JSON) and /metrics
(Prometheus). Stops gracefully on SIGTERM.

Example:
  dagnfs agent /usr/local/airflow/dags --listen :8080 --interval 1m --log-format json

Flags:
`

type agentOptions struct {
	*verifyOptions
	listen    string
	interval  time.Duration
	logFormat oneOf
	verbose   bool
}

// AddFlags registers the flags.
func (o *agentOptions) AddFlags(f *pflag.FlagSet) {
	o.verifyOptions.AddFlags(f)
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address of the HTTP endpoints")
	f.DurationVar(&o.interval, "interval", time.Minute, "time between verifications")
	f.Var(&o.logFormat, "log-format", "log format on stderr: text or json")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log every verification")
}

func runAgentCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := &agentOptions{verifyOptions: newVerifyOptions(), logFormat: oneOf{"text", []string{"text", "json"}}}
	fset := pflag.NewFlagSet("agent", pflag.ContinueOnError)
	o.AddFlags(fset)
	rest, err := parseFlags(fset, args, agentHelp, stdout, 1, 1)
	if err != nil {
		return err
	}
	if o.interval < time.Second {
		return usagef("--interval must be at least 1s")
	}
	vo, err := o.options(rest[0])
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return usagef("--listen %s: %v", o.listen, err)
	}
	d, err := o.open(ctx, exportRoot(rest[0], &vo))
	if err != nil {
		l.Close()
		return err
	}
	defer d.Close()
	lvl := slog.LevelInfo
	if o.verbose {
		lvl = slog.LevelDebug
	}
	log := newLoggerAt(o.logFormat.val, lvl, stderr)
	a := &verify.Agent{Dest: d, Options: vo, Interval: o.interval, Log: log}
	return a.Run(ctx, l)
}
