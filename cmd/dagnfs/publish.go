package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/perms"
	"github.com/dagnfs/dagnfs/publish"
	"github.com/dagnfs/dagnfs/share"
	"github.com/dagnfs/dagnfs/validate"
)

const publishHelp = `Usage: dagnfs publish SRC DEST [flags]

Copy the DAG folder SRC onto DEST so that every Airflow pod sees either the
old or the new version of each file, never a half-written one. DEST is
nfs://HOST[:PORT]/PATH[?mountport=N] (userspace NFSv3: no mount, no root) or a
mounted folder. Files are written under temporary names, committed, given
--file-mode and owner --uid/--gid, then renamed into place in one burst.
Unchanged files are not sent again. Only files that dagnfs published and
that nobody changed since are ever deleted, and only with --delete.

Example:
  dagnfs publish --delete ./dags nfs://nfs.example.internal/srv/airflow/dags

Flags:
`

// publishOptions are the flags of dagnfs publish.
type publishOptions struct {
	uid, gid    int
	fileMode    modeValue
	dirMode     modeValue
	concurrency int
	del         bool
	maxDelete   int
	allowEmpty  bool
	dryRun      bool
	yes         bool
	label       string
	keep        int
	layout      oneOf
	bundle      string
	grace       time.Duration
	noRepair    bool
	migrate     bool
	force       bool
	lockTTL     time.Duration
	lockTimeout time.Duration
	timeout     time.Duration
	deadline    time.Duration
	exclude     []string
	checkAs     string
	checkFlags
	format    oneOf
	logFormat oneOf
	verbose   bool
}

func newPublishOptions() *publishOptions {
	return &publishOptions{
		uid: 50000, gid: 50000, fileMode: 0o644, dirMode: 0o755, concurrency: 4, maxDelete: 100,
		keep: 10, lockTTL: layout.DefaultLockTTL, timeout: 30 * time.Second, deadline: time.Hour, checkAs: "50000:0,50000:50000", checkFlags: newCheckFlags(),
		format:    oneOf{"text", []string{"text", "json"}},
		logFormat: oneOf{"text", []string{"text", "json"}},
		layout:    oneOf{"", []string{layout.InPlace, layout.Generations, layout.ManifestBundle}},
		grace:     time.Hour,
	}
}

// AddFlags registers the flags of publish.
func (o *publishOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.del, "delete", false, "delete files that dagnfs published before and that are gone from SRC")
	f.IntVar(&o.maxDelete, "max-delete", o.maxDelete, "refuse a publish that would delete more files (-1: no limit)")
	f.BoolVar(&o.allowEmpty, "allow-empty", false, "allow publishing an empty SRC")
	f.StringVar(&o.label, "label", "", "label of this generation (default: the commit from CI variables such as GITHUB_SHA, CI_COMMIT_SHA, else the commit checked out in SRC's Git worktree)")
	f.StringArrayVar(&o.exclude, "exclude", nil, "glob of files or folders not to publish (repeatable; .git, __pycache__, *.pyc always)")
	f.Var(&o.layout, "layout", "how DAGs sit on the export: in-place (files at the root, each renamed into place), generations (a complete folder per generation behind the symlink current, switched with one rename) or manifest-bundle (Airflow 3's versioned bundle: DEST is the published root, each version a read-only snapshot, refs/NAME/latest.json replaced last; needs --bundle); default: the export's own, in-place for a new one")
	f.StringVar(&o.bundle, "bundle", "", "manifest-bundle layout: the bundle's name, as Airflow's dag_bundle_config_list names it")
	f.BoolVar(&o.migrate, "migrate", false, "move an in-place export to --layout generations: the files move into the first generation's folder (hard links), current is made, the root is cleared of what dagnfs published")
	f.BoolVar(&o.noRepair, "no-repair", false, "report published files that someone else changed on the export (and exit 1) instead of uploading them again")
	f.BoolVar(&o.force, "force", false, "publish even though the destination is paused (dagnfs pause); it stays paused")
	o.addWriteFlags(f)
	o.checkFlags.AddFlags(f)
}

// addWriteFlags registers the flags that publish and rollback share: how
// files are written, the lock, limits and output.
func (o *publishOptions) addWriteFlags(f *pflag.FlagSet) {
	f.IntVar(&o.uid, "uid", o.uid, "uid to write as over NFS (AUTH_UNIX) and to own files where the destination allows")
	f.IntVar(&o.gid, "gid", o.gid, "gid to write as over NFS and to own files where the destination allows")
	f.Var(&o.fileMode, "file-mode", "mode of published files")
	f.Var(&o.dirMode, "dir-mode", "mode of folders dagnfs creates")
	f.IntVar(&o.concurrency, "concurrency", o.concurrency, "files uploaded at once (one NFS connection each)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan and change nothing")
	f.BoolVarP(&o.yes, "yes", "y", false, "do not ask before deleting on a terminal")
	f.IntVar(&o.keep, "keep", o.keep, "generations kept on the export for rollback")
	f.DurationVar(&o.grace, "grace", o.grace, "generations layout: a generation folder stays at least this long after it stopped being current, whatever --keep says")
	f.DurationVar(&o.lockTTL, "lock-ttl", o.lockTTL, "lifetime of the lock unless refreshed; an expired lock is taken over")
	f.DurationVar(&o.lockTimeout, "lock-timeout", 0, "wait this long for a lock another publisher holds (saying who), then exit 4")
	f.DurationVar(&o.timeout, "timeout", o.timeout, "timeout of each NFS call")
	f.DurationVar(&o.deadline, "deadline", o.deadline, "the whole run ends by then, whatever happens (cleanup included)")
	f.StringVar(&o.checkAs, "check-as", o.checkAs, "identities UID:GID that must be able to read what was published")
	f.Var(&o.format, "format", "output: text or json")
	f.Var(&o.logFormat, "log-format", "format of the log lines and the error line on stderr, and of the one-line summary off a terminal on stdout: text or json")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "list every change, and log more")
}

// ciLabel is the commit that common CI systems name in their environment.
func ciLabel() string {
	for _, v := range []string{"DAGNFS_LABEL", "GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "BITBUCKET_COMMIT",
		"CIRCLE_SHA1", "BUILDKITE_COMMIT", "DRONE_COMMIT_SHA", "GIT_COMMIT"} {
		if s := strings.TrimSpace(os.Getenv(v)); s != "" {
			return s
		}
	}
	return ""
}

// startedVia says how this run was started, for the manifest: what
// DAGNFS_VIA names (the shipped CronJob sets it), "ci" in a CI job,
// "terminal" for a person, "unattended" otherwise (cron, a script).
func startedVia(stdin io.Reader) string {
	if v := strings.TrimSpace(os.Getenv("DAGNFS_VIA")); v != "" {
		return printable(v[:min(len(v), 200)])
	}
	for _, v := range []string{"CI", "TF_BUILD", "JENKINS_URL", "BUILDKITE", "GITLAB_CI", "GITHUB_ACTIONS"} {
		if s := strings.TrimSpace(os.Getenv(v)); s != "" && s != "false" && s != "0" {
			return "ci"
		}
	}
	if isTerminal(stdin) {
		return "terminal"
	}
	return "unattended"
}

func runPublishCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o := newPublishOptions()
	fset := pflag.NewFlagSet("publish", pflag.ContinueOnError)
	o.AddFlags(fset)
	rest, st, err := parseSettings(fset, args, publishHelp, stdout, 2, 2, firstArgOrDot)
	if err != nil {
		return err
	}
	o.perFileIgnores = st.perFileIgnores()
	return runPublishLike(ctx, o, rest[0], rest[1], stdin, stdout, stderr, publish.Publish)
}

func newLogger(format string, verbose bool, w io.Writer) *slog.Logger {
	return newLoggerAt(format, map[bool]slog.Level{true: slog.LevelDebug, false: slog.LevelWarn}[verbose], w)
}

func newLoggerAt(format string, lvl slog.Level, w io.Writer) *slog.Logger {
	hopts := &slog.HandlerOptions{Level: lvl}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, hopts))
	}
	return slog.New(slog.NewTextHandler(w, hopts))
}

// openDest opens an nfs:// URL or a folder.
func openDest(ctx context.Context, dest string, uid, gid int, timeout time.Duration, conns int, log *slog.Logger) (nfs.Dest, error) {
	loc, err := nfs.ParseLocation(dest) // parsed once; every layer uses loc
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	vers := os.Getenv("DAGNFS_NFS_VERSION")
	if vers != "" && vers != nfs.Vers3 && vers != nfs.Vers41 {
		return nil, usagef("DAGNFS_NFS_VERSION=%q: give 3 or 4.1 (or unset it: NFSv4.1, falling back to NFSv3)", vers)
	}
	d, err := nfs.Open(ctx, loc, nfs.Options{UID: uint32(uid), GID: uint32(gid), Timeout: timeout, Conns: conns, Log: log, Version: vers})
	if err != nil && loc.URL == nil {
		return nil, fmt.Errorf("destination folder: %w (give an existing folder or an nfs:// URL)", err)
	}
	return d, err
}

// findShare is the share d is a team's folder in (the nearest folder at or
// above it holding a share marker), nil where there is none; the folders
// above are opened as d was, one connection each.
func findShare(ctx context.Context, d nfs.Dest, uid, gid int, timeout time.Duration, log *slog.Logger) (*share.Share, error) {
	sh, err := share.Find(ctx, d, d.Location(), func(ctx context.Context, loc nfs.Location) (nfs.Dest, error) {
		// Over NFSv4.1 in d's session: the walk up may pass every folder
		// of the server's pseudo file system.
		return nfs.OpenNear(ctx, d, loc, func(ctx context.Context, loc nfs.Location) (nfs.Dest, error) {
			return openDest(ctx, loc.String(), uid, gid, timeout, 1, log)
		})
	})
	if sh != nil {
		log.Info("publishing into a share", "share", sh.Root.String(), "folder", sh.Dest)
	}
	return sh, err
}

// openOrMakeDest opens DEST for a publish. A missing last folder whose
// parent exists is made first, as any folder dagnfs makes (--dir-mode,
// owned by --uid/--gid where the destination can set owners): a new team's
// folder needs no step of its own. A missing parent is named, not made.
// unmake removes the folder made, while it is still empty, for a publish
// that then fails or is refused (nothing of it stays on the export); it
// does nothing when no folder was made.
func openOrMakeDest(ctx context.Context, dest string, o *publishOptions, log *slog.Logger) (nfs.Dest, func(context.Context), error) {
	none := func(context.Context) {}
	d, err := openDest(ctx, dest, o.uid, o.gid, o.timeout, o.concurrency, log)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return d, none, err
	}
	loc, perr := nfs.ParseLocation(dest)
	if perr != nil {
		return nil, none, err
	}
	parentLoc, name, ok := loc.Parent()
	if !ok {
		return nil, none, err
	}
	pd, perr := openDest(ctx, parentLoc.String(), o.uid, o.gid, o.timeout, 1, log)
	if errors.Is(perr, fs.ErrNotExist) {
		return nil, none, fmt.Errorf("destination %s does not exist, nor does %s, the folder that would hold it: dagnfs makes only the last folder of DEST; make the others first (%v)", loc, parentLoc, err)
	}
	if perr != nil {
		return nil, none, err
	}
	if o.dryRun {
		pd.Close()
		return nil, none, fmt.Errorf("destination %s does not exist yet: a publish makes it in %s; a dry run changes nothing", loc, parentLoc)
	}
	made := false
	unmake := func(ctx context.Context) {
		defer pd.Close()
		if !made {
			return
		}
		rctx, done := nfs.ReleaseContext(ctx)
		defer done()
		if err := pd.Rmdir(rctx, name); err == nil {
			log.Info("removed the destination folder this publish made", "dest", loc.String())
		}
	}
	if err := pd.Mkdir(ctx, name, fs.FileMode(o.dirMode)); err != nil && !errors.Is(err, fs.ErrExist) {
		unmake(ctx)
		return nil, none, fmt.Errorf("making the destination folder %s: %w", loc, err)
	} else if err == nil {
		made = true
	}
	attr := nfs.Attr{Mode: fs.FileMode(o.dirMode), UID: -1, GID: -1}
	if pd.Caps().Chown {
		attr.UID, attr.GID = o.uid, o.gid
	}
	if _, err := pd.SetAttr(ctx, name, attr); err != nil {
		unmake(ctx)
		return nil, none, fmt.Errorf("making the destination folder %s: %w", loc, err)
	}
	log.Info("made the destination folder", "dest", loc.String(), "mode", fmt.Sprintf("%04o", o.dirMode))
	d, err = openDest(ctx, dest, o.uid, o.gid, o.timeout, o.concurrency, log)
	if err != nil {
		unmake(ctx)
		return nil, none, err
	}
	return d, unmake, nil
}

func (o *publishOptions) check() ([]perms.Identity, error) {
	if o.uid < 0 || o.uid > 1<<32-1 || o.gid < 0 || o.gid > 1<<32-1 {
		return nil, usagef("--uid and --gid must be ids from 0 to 4294967295")
	}
	if o.concurrency < 1 || o.concurrency > 64 {
		return nil, usagef("--concurrency must be from 1 to 64")
	}
	if o.keep < 1 {
		return nil, usagef("--keep must be at least 1")
	}
	if o.grace < time.Minute {
		return nil, usagef("--grace must be at least 1m (pods may still read a generation that long after it was replaced; 1h is the default)")
	}
	if o.lockTTL < 10*time.Second {
		return nil, usagef("--lock-ttl must be at least 10s")
	}
	if o.lockTimeout < 0 {
		return nil, usagef("--lock-timeout must not be negative")
	}
	if o.timeout < time.Second {
		return nil, usagef("--timeout must be at least 1s")
	}
	if o.deadline < time.Second {
		return nil, usagef("--deadline must be at least 1s")
	}
	var readers []perms.Identity
	for _, s := range strings.Split(o.checkAs, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		id, err := perms.ParseIdentity(s)
		if err != nil {
			return nil, usagef("--check-as: %v", err)
		}
		readers = append(readers, id)
	}
	return readers, nil
}

// runPublishLike opens dest with o's settings and runs do (a publish of src,
// or a rollback with src "") within --deadline, then reports: with --format json always one
// JSON document on stdout, on success and on every failure.
func runPublishLike(ctx context.Context, o *publishOptions, src, dest string, stdin io.Reader, stdout, stderr io.Writer,
	do func(context.Context, publish.Options) (*publish.Result, error)) error {
	started := time.Now()
	ctx, cancel, bounded := withDeadline(ctx, o.deadline)
	defer cancel()
	var line *progressLine
	if o.format.val == "text" && isTerminal(stderr) {
		line = newProgressLine(stderr)
	}
	res, err := runPublishOn(ctx, o, src, dest, stdin, stderr, line, do)
	if line != nil {
		line.finish() // before the summary
	}
	err = bounded(err)
	if res == nil {
		res = publish.NewResult(dest)
	}
	if res.DurationMS == 0 {
		res.DurationMS = time.Since(started).Milliseconds() // a run that ended before the publish began
	}
	if src != "" {
		// Name the files of validation findings the way CI resolves them.
		if res.Validation != nil {
			res.Validation.Relocate(src, "")
		}
		var verr *publish.ValidationError
		if errors.As(err, &verr) && verr.Report != res.Validation {
			verr.Report.Relocate(src, "")
		}
	}
	next := nextSteps(res, err, dest, o.keep)
	var ie *publish.InterruptedError
	if errors.As(err, &ie) && ie.Switched > 0 && ie.Previous > 0 && o.keep >= 2 {
		ie.Undo = rollbackCommand(dest, res.Bundle, ie.Previous)
		next.undo = ie.Undo
	}
	if o.format.val == "json" {
		out := struct {
			OK    bool       `json:"ok"`
			Error *jsonError `json:"error,omitempty"`
			*publish.Result
			Undo string `json:"undo,omitempty"`
			// PauseWith is the command that keeps a rolled-back generation
			// from a scheduled publisher.
			PauseWith string `json:"pause_with,omitempty"`
		}{err == nil, errorObject(err), res, next.undo, next.pause}
		if encErr := writeJSON(stdout, out); encErr != nil {
			return encErr
		}
	} else if isTerminal(stdout) || o.verbose {
		printResult(stdout, res, err, o.verbose)
		next.print(stdout, res)
	} else {
		summaryEvent(stdout, o.logFormat.val, res, err, next)
	}
	return err
}

// findingLevel is the log level of a validation finding.
func findingLevel(f validate.Finding) slog.Level {
	if f.Severity == validate.Error {
		return slog.LevelError
	}
	return slog.LevelWarn
}

// summaryEvent is the summary off a terminal (cron, CI logs): one
// timestamped line (a JSON object with --log-format json) saying what the
// run did, then a line for each warning. A failed validation's report
// comes first, as on a terminal.
func summaryEvent(w io.Writer, format string, r *publish.Result, err error, next steps) {
	log := newLoggerAt(format, slog.LevelInfo, w)
	var verr *publish.ValidationError
	if errors.As(err, &verr) {
		if format == "json" {
			for _, f := range verr.Report.Findings {
				log.Log(context.Background(), findingLevel(f), f.Message, "rule", f.Rule, "file", f.File, "line", f.Line, "column", f.Column)
			}
		} else {
			verr.Report.Write(w, "text", false)
		}
	}
	var drift *publish.DriftError
	outcome := "published"
	switch {
	case r.DryRun && (err == nil || errors.As(err, &drift)):
		outcome = "planned (dry run)"
	case err != nil && !errors.As(err, &drift):
		outcome = "failed"
	case r.NoChange():
		outcome = "nothing to do"
	}
	attrs := []any{"dest", r.Dest, "generation", r.Generation, "previous", r.Previous}
	if r.Version != "" {
		attrs = append(attrs, "version", r.Version)
	}
	if r.Label != "" {
		attrs = append(attrs, "label", r.Label)
	}
	attrs = append(attrs, "uploaded", len(r.Uploaded), "deleted", len(r.Deleted), "unchanged", r.Unchanged, "bytes", r.Bytes)
	for _, n := range []struct {
		key string
		n   int
	}{{"left", len(r.Orphaned)}, {"not_deleted", len(r.NotDeleted)}, {"untouched", len(r.Unmanaged)},
		{"repaired", len(r.Repaired)}, {"drifted", len(r.Drifted)}, {"refused_deletes", len(r.RefusedDeletes)}, {"warnings", len(r.Warnings)}} {
		if n.n > 0 {
			attrs = append(attrs, n.key, n.n)
		}
	}
	if r.Paused != nil {
		attrs = append(attrs, "paused", r.Paused.Reason)
	}
	attrs = append(attrs, "switch_ms", r.SwitchMS, "took_ms", r.DurationMS)
	if next.undo != "" {
		attrs = append(attrs, "undo", next.undo)
	}
	if next.pause != "" {
		attrs = append(attrs, "pause_with", next.pause)
	}
	level := slog.LevelInfo
	if err != nil {
		// The message itself is the error line on stderr: said once.
		level = slog.LevelError
		_, kind, _ := classify(err)
		attrs = append(attrs, "error_kind", kind)
	}
	log.Log(context.Background(), level, outcome, attrs...)
	for _, warn := range r.Warnings {
		log.Warn(warn, "dest", r.Dest)
	}
	for _, rp := range r.Repaired {
		log.Warn("uploaded again: someone else had changed it on the export", "file", rp.Path, "change", rp.Reason)
	}
	for _, rp := range r.Drifted {
		log.Warn("left as it is (--no-repair): someone else changed it on the export", "file", rp.Path, "change", rp.Reason)
	}
	if len(r.Orphaned) > 0 {
		log.Warn("files gone from the source are left on the export (pass --delete to remove them)", "dest", r.Dest, "files", r.Orphaned[:min(len(r.Orphaned), 20)])
	}
}

// steps are the commands to offer after a publish or rollback.
type steps struct {
	undo  string // restores the generation before this run's
	keep  int
	pause string // holds a rolled-back generation against a scheduled publisher
}

// nextSteps works out the commands that undo what res did and, after a
// rollback whose bad generation came from a scheduled publisher, the one
// that stops it from publishing the source again.
func nextSteps(res *publish.Result, err error, dest string, keep int) steps {
	var drift *publish.DriftError
	if res.DryRun || (err != nil && !errors.As(err, &drift)) || res.Generation == res.Previous || res.Previous == 0 {
		return steps{}
	}
	s := steps{keep: keep}
	target := shellQuote(dest)
	if res.Bundle != "" {
		target += " --bundle " + shellQuote(res.Bundle)
	}
	if keep >= 2 {
		s.undo = rollbackCommand(dest, res.Bundle, res.Previous)
	}
	if res.Scheduled != "" && res.Paused == nil {
		reason := fmt.Sprintf("rolled back from generation %d", res.Previous)
		s.pause = fmt.Sprintf("dagnfs pause %s --reason %s", target, shellQuote(reason))
	}
	return s
}

// rollbackCommand restores generation gen of dest (of bundle, if named).
func rollbackCommand(dest, bundle string, gen int) string {
	target := shellQuote(dest)
	if bundle != "" {
		target += " --bundle " + shellQuote(bundle)
	}
	return fmt.Sprintf("dagnfs rollback %s --to %d", target, gen)
}

func (s steps) print(w io.Writer, res *publish.Result) {
	switch {
	case s.undo != "":
		fmt.Fprintf(w, "  undo        %s\n", s.undo)
	case s.keep == 1:
		fmt.Fprintf(w, "  undo        none: --keep 1 keeps no earlier generation to restore\n")
	}
	if s.pause != "" {
		fmt.Fprintf(w, "  pause       the last publish came from %s, which will publish its source again; to keep this rollback: %s\n",
			printable(res.Scheduled), s.pause)
	}
}

func runPublishOn(ctx context.Context, o *publishOptions, src, dest string, stdin io.Reader, stderr io.Writer, line *progressLine,
	do func(context.Context, publish.Options) (*publish.Result, error)) (*publish.Result, error) {
	readers, err := o.check()
	if err != nil {
		return nil, err
	}
	if src != "" {
		if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
			return nil, usagef("source %q is not a folder", src)
		}
	}
	vo, err := o.checkFlags.options()
	if err != nil {
		return nil, err
	}
	logTo := stderr
	if line != nil {
		logTo = line // log lines go above the progress line
	}
	log := newLogger(o.logFormat.val, o.verbose, logTo)
	label, uncommitted := sourceLabel(ctx, o.label, src)
	d, unmake, err := openOrMakeDest(ctx, dest, o, log)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	sh, err := findShare(ctx, d, o.uid, o.gid, o.timeout, log)
	if err != nil {
		unmake(ctx)
		return nil, err
	}
	defer sh.Close()

	popts := publish.Options{
		Source: publish.Source{Exclude: o.exclude, Validate: vo, AllowEmpty: o.allowEmpty},
		Dest:   d,
		Owner: publish.Owner{FileMode: fs.FileMode(o.fileMode), DirMode: fs.FileMode(o.dirMode),
			UID: o.uid, GID: o.gid, Readers: readers},
		Delete:      publish.Deletes{Enabled: o.del, Max: o.maxDelete},
		Lock:        publish.Locking{TTL: o.lockTTL, Wait: o.lockTimeout},
		Concurrency: o.concurrency, DryRun: o.dryRun, Label: label, Keep: o.keep,
		Layout: o.layout.val, Bundle: o.bundle, Grace: o.grace, NoRepair: o.noRepair, Migrate: o.migrate, Force: o.force,
		Version: version, Log: log, Via: startedVia(stdin), Uncommitted: uncommitted, Share: sh,
	}
	if line != nil {
		popts.Progress = line.update
	}
	if line != nil && !o.yes && isTerminal(stdin) {
		popts.Delete.Confirm = func(p *publish.Plan) bool {
			line.hold()
			fmt.Fprintf(stderr, "This publish deletes %s from %s:\n", validate.Count(len(p.Delete), "file"), d)
			for i, e := range p.Delete {
				if i == 20 && !o.verbose {
					fmt.Fprintf(stderr, "  ... and %d more (-v lists them all)\n", len(p.Delete)-i)
					break
				}
				fmt.Fprintf(stderr, "  - %s\n", printable(e.Path))
			}
			fmt.Fprint(stderr, "Go ahead? [y/N] ")
			line, _ := bufio.NewReader(stdin).ReadString('\n')
			return strings.EqualFold(strings.TrimSpace(line), "y") || strings.EqualFold(strings.TrimSpace(line), "yes")
		}
	}
	popts.Source.Dir = src
	res, err := do(ctx, popts)
	if err != nil {
		unmake(ctx) // a refused publish leaves no folder of its own behind
	}
	return res, err
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// lister writes lists of paths: the first eight on the line, or, with
// verbose, every one on a line of its own.
type lister struct {
	w       io.Writer
	verbose bool
}

// line writes "  word        what: a, b, ..." and, with verbose, each name.
func (l lister) line(word, what string, names []string) {
	const most = 8
	switch {
	case l.verbose:
		fmt.Fprintf(l.w, "  %-11s %s:\n", word, what)
		for _, n := range names {
			fmt.Fprintf(l.w, "                %s\n", printable(n))
		}
	case len(names) > most:
		fmt.Fprintf(l.w, "  %-11s %s: %s, ... (%d more; -v lists them all)\n", word, what, printable(strings.Join(names[:most], ", ")), len(names)-most)
	default:
		fmt.Fprintf(l.w, "  %-11s %s: %s\n", word, what, printable(strings.Join(names, ", ")))
	}
}

// printResult writes the summary for people.
func printResult(w io.Writer, r *publish.Result, err error, verbose bool) {
	if r == nil {
		return
	}
	var verr *publish.ValidationError
	if errors.As(err, &verr) {
		verr.Report.Write(w, "text", false)
		return
	}
	if r.Generation == 0 && err != nil {
		return
	}
	var drift *publish.DriftError
	if errors.As(err, &drift) {
		err = nil // the publish itself went through; the drift is reported below
	}
	var refused *publish.RefusedError
	nothing := r.NoChange()
	switch {
	case r.DryRun:
		fmt.Fprintf(w, "Plan for generation %d on %s (dry run: nothing was changed)\n", r.Generation, r.Dest)
	case errors.As(err, &refused):
		fmt.Fprintf(w, "Publish to %s refused: nothing was changed (generation %d stays)\n", r.Dest, r.Previous)
	case err != nil:
		fmt.Fprintf(w, "Publish to %s did not complete (generation %d)\n", r.Dest, r.Generation)
	case nothing && r.Relabelled:
		fmt.Fprintf(w, "Nothing to do: %s already holds this content as generation %d, now labelled %s\n", r.Dest, r.Generation, printable(r.Label))
	case nothing:
		fmt.Fprintf(w, "Nothing to do: %s already holds generation %d\n", r.Dest, r.Generation)
	default:
		fmt.Fprintf(w, "Published generation %d to %s\n", r.Generation, r.Dest)
	}
	uploaded, deleted := "uploaded", "deleted"
	switch {
	case r.DryRun:
		uploaded, deleted = "would upload", "would delete"
	case err != nil:
		uploaded, deleted = "planned", "planned"
	}
	l := lister{w, verbose}
	if r.Label != "" && !nothing {
		fmt.Fprintf(w, "  label       %s\n", printable(r.Label))
	}
	if r.Protocol != "" {
		fmt.Fprintf(w, "  protocol    %s\n", r.Protocol)
	}
	if p := r.PromotedFrom; p != nil {
		fmt.Fprintf(w, "  from        %s, generation %d, published there %s by %s@%s\n", printable(p.From), p.Generation,
			p.PublishedAt.Local().Format(time.DateTime), printable(p.PublishedBy.User), printable(p.PublishedBy.Host))
	}
	if len(r.Uploaded) > 0 {
		l.line(uploaded, fmt.Sprintf("%s (%s)", validate.Count(len(r.Uploaded), "file"), humanBytes(r.Bytes)), r.Uploaded)
	}
	if len(r.Deleted) > 0 {
		what := validate.Count(len(r.Deleted), "file")
		if err != nil && !r.DryRun {
			what += " to delete"
		}
		l.line(deleted, what, r.Deleted)
	}
	if len(r.RefusedDeletes) > 0 {
		l.line("refused", validate.Count(len(r.RefusedDeletes), "file")+" to delete (nothing was changed)", r.RefusedDeletes)
	}
	for _, rp := range r.Repaired {
		fmt.Fprintf(w, "  repaired    %s (someone else's change: %s): uploaded again\n", printable(rp.Path), printable(rp.Reason))
	}
	for _, rp := range r.Drifted {
		fmt.Fprintf(w, "  drifted     %s (someone else's change: %s): left as it is (--no-repair)\n", printable(rp.Path), printable(rp.Reason))
	}
	fmt.Fprintf(w, "  unchanged   %s\n", validate.Count(r.Unchanged, "file"))
	if len(r.NotDeleted) > 0 {
		l.line("not deleted", validate.Count(len(r.NotDeleted), "file")+" (changed on the export since dagnfs published them)", r.NotDeleted)
	}
	if len(r.Orphaned) > 0 {
		l.line("left", validate.Count(len(r.Orphaned), "file")+" gone from the source (pass --delete to remove them)", r.Orphaned)
	}
	if len(r.Unmanaged) > 0 {
		l.line("untouched", validate.Count(len(r.Unmanaged), "file")+" not published by dagnfs", r.Unmanaged)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "  warning     %s\n", printable(warn))
	}
	if r.Validation != nil {
		for _, f := range r.Validation.Findings {
			fmt.Fprintf(w, "  %-11s %s\n", "check", f)
		}
	}
	if !r.DryRun && err == nil && !nothing {
		switch r.Layout {
		case layout.Generations:
			fmt.Fprintf(w, "  switch      %.1f ms: %s now names %s, one rename for the whole set\n", r.SwitchMS, layout.Current, layout.GenerationName(r.Folder))
		case layout.ManifestBundle:
			fmt.Fprintf(w, "  release     %.1f ms: the reference now names %s, one rename\n", r.SwitchMS, r.Version)
		default:
			fmt.Fprintf(w, "  switch      %.1f ms (the only time old and new files stood side by side)\n", r.SwitchMS)
		}
	}
	fmt.Fprintf(w, "  took        %d ms\n", r.DurationMS)
}
