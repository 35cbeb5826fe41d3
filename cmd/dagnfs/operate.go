package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/perms"
	"github.com/dagnfs/dagnfs/publish"
	"github.com/dagnfs/dagnfs/share"
	"github.com/dagnfs/dagnfs/verify"
)

// destOptions are the flags to reach a destination as a publisher does.
type destOptions struct {
	bundle   string
	uid, gid int
	timeout  time.Duration
	deadline time.Duration
	format   oneOf
	extra    func(*pflag.FlagSet) // a command's own flags
}

// AddFlags registers the flags.
func (o *destOptions) AddFlags(f *pflag.FlagSet) {
	f.IntVar(&o.uid, "uid", 50000, "uid to act as over NFS")
	f.IntVar(&o.gid, "gid", 50000, "gid to act as over NFS")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of each NFS call")
	f.DurationVar(&o.deadline, "deadline", 10*time.Minute, "the command ends by then, whatever happens")
	f.Var(&o.format, "format", "output: text or json")
	f.StringVar(&o.bundle, "bundle", "", "a published root of versioned bundles (--layout manifest-bundle): the bundle whose records to read")
	if o.extra != nil {
		o.extra(f)
	}
}

// runOn parses a command's flags and its one argument, DEST, opens DEST and
// runs fn on it within --deadline.
func (o *destOptions) runOn(ctx context.Context, name string, args []string, help string, stdout io.Writer,
	fn func(ctx context.Context, d nfs.Dest, dest string) error) error {
	fset := pflag.NewFlagSet(name, pflag.ContinueOnError)
	o.AddFlags(fset)
	rest, err := parseFlags(fset, args, help, stdout, 1, 1)
	if err != nil {
		return err
	}
	ctx, cancel, bounded := withDeadline(ctx, o.deadline)
	defer cancel()
	d, err := openDest(ctx, rest[0], o.uid, o.gid, o.timeout, 2, nil)
	if err != nil {
		return bounded(err)
	}
	defer d.Close()
	if d, err = forBundle(d, o.bundle); err != nil {
		return err
	}
	return bounded(fn(ctx, d, rest[0]))
}

func newDestOptions() destOptions {
	return destOptions{format: oneOf{"text", []string{"text", "json"}}}
}

const statusHelp = `Usage: dagnfs status DEST [flags]

Show what DEST holds: the generation, its label, when and by whom it was
published, how many files, who holds the lock, and the drift between the
manifest and the export (files missing or changed in size or mtime, files
dagnfs did not publish). With --check it exits 1 when anything needs
attention (drift, an interrupted publish, a lock held or left behind, in the
generations layout current not naming the manifest's generation), 0 when
all is well: a health check for cron and alerting.

Example:
  dagnfs status --check nfs://nfs.example.internal/srv/airflow/dags

Flags:
`

func runStatusCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := newDestOptions()
	var check bool
	var scan scanFlags
	o.extra = func(f *pflag.FlagSet) {
		f.BoolVar(&check, "check", false, "exit 1 when anything needs attention: drift, an interrupted publish, a lock held or left behind, current not naming the manifest's generation, Airflow's scan of --dags-folder failing (for cron health checks)")
		scan.AddFlags(f)
	}
	return o.runOn(ctx, "status", args, statusHelp, stdout, func(ctx context.Context, d nfs.Dest, dest string) error {
		attention, err := status(ctx, d, dest, o, scan, stdout)
		if err == nil && check && attention > 0 {
			return silentFailure{}
		}
		return err
	})
}

// status prints what DEST holds and returns how many things need
// attention.
func status(ctx context.Context, d nfs.Dest, dest string, o destOptions, scan scanFlags, stdout io.Writer) (int, error) {
	if m, err := share.ReadMarker(ctx, d); err != nil {
		return 0, err
	} else if m != nil {
		return shareStatus(ctx, d, m, o, stdout)
	}
	vo := verify.Options{Quick: true, As: perms.Identity{UID: uint32(o.uid), GIDs: []uint32{uint32(o.gid)}}}
	if !nfs.IsURL(dest) {
		vo.LocalPath = dest
	}
	if err := scan.apply(dest, &vo); err != nil {
		return 0, err
	}
	r, err := verify.Verify(ctx, d, vo)
	if err != nil {
		return 0, err
	}
	for _, f := range r.Findings {
		if f.Rule == verify.RuleManifestCorrupt {
			// Not "nothing published": dagnfs cannot tell what it owns.
			return 0, &layout.ManifestError{Path: f.File, Err: errors.New(f.Message)}
		}
	}
	lock, err := layout.ReadLock(ctx, d, layout.DefaultLockTTL)
	if err != nil {
		return 0, err
	}
	attention := r.Attention()
	st := struct {
		*verify.Result
		Lock      *layout.LockInfo `json:"lock"`
		Attention int              `json:"attention"`
	}{r, lock, attention}
	if o.format.val == "json" {
		return attention, writeJSON(stdout, st)
	}
	if r.Generation == 0 {
		if names, _ := layout.Bundles(ctx, d); len(names) > 0 {
			fmt.Fprintf(stdout, "%s: a published root of versioned bundles (%s): name one with --bundle\n", r.Dest, strings.Join(names, ", "))
			return attention, nil
		}
		fmt.Fprintf(stdout, "%s: nothing published by dagnfs\n", r.Dest)
	} else {
		fmt.Fprintf(stdout, "%s\n  generation  %d", r.Dest, r.Generation)
		if r.Label != "" {
			fmt.Fprintf(stdout, " (%s)", printable(r.Label))
		}
		fmt.Fprintf(stdout, "\n  published   %s by %s (%s ago)\n", r.PublishedAt.Local().Format(time.DateTime), printable(r.PublishedBy), time.Since(r.PublishedAt).Round(time.Second))
		fmt.Fprintf(stdout, "  files       %d (%s)\n", r.Files, humanBytes(r.Bytes))
		if p := r.PromotedFrom; p != nil {
			fmt.Fprintf(stdout, "  promoted    from %s, generation %d", printable(p.From), p.Generation)
			if p.Label != "" {
				fmt.Fprintf(stdout, " (%s)", printable(p.Label))
			}
			fmt.Fprintf(stdout, ", published there %s by %s@%s\n", p.PublishedAt.Local().Format(time.DateTime), printable(p.PublishedBy.User), printable(p.PublishedBy.Host))
		}
		switch r.Layout {
		case layout.Generations:
			fmt.Fprintf(stdout, "  layout      generations: %s names %s\n", layout.Current, layout.GenerationName(r.Current))
		case layout.ManifestBundle:
			fmt.Fprintf(stdout, "  layout      manifest-bundle: bundle %s, version %s\n", r.Bundle, r.Version)
		}
	}
	if r.Paused != nil {
		fmt.Fprintf(stdout, "  paused      %s; publishes are refused until dagnfs resume %s\n", pauseLine(r.Paused), shellQuote(dest))
	}
	switch {
	case lock != nil && lock.Live(time.Now()):
		fmt.Fprintf(stdout, "  lock        %s, held until %s\n", printable(lock.Running()), lock.Expires.Local().Format(time.DateTime))
	case lock != nil:
		fmt.Fprintf(stdout, "  lock        left by %s, whose publisher is gone (the lock expired, or its process no longer runs): the next publish takes it over, dagnfs unlock %s removes it\n", printable(lock.Holder), shellQuote(dest))
	default:
		fmt.Fprintf(stdout, "  lock        free\n")
	}
	drift := 0
	for _, f := range r.Findings {
		if f.Severity != verify.Info {
			drift++
			fmt.Fprintf(stdout, "  drift       %s\n", printable(f.String()))
		}
	}
	if drift == 0 {
		fmt.Fprintf(stdout, "  drift       none: the export matches the manifest\n")
	}
	return attention, nil
}

const historyHelp = `Usage: dagnfs history DEST [flags]

List the generations kept on DEST (publish --keep), newest first: the ones
dagnfs rollback can restore.

Example:
  dagnfs history nfs://nfs.example.internal/srv/airflow/dags

Flags:
`

func runHistoryCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := newDestOptions()
	return o.runOn(ctx, "history", args, historyHelp, stdout, func(ctx context.Context, d nfs.Dest, dest string) error {
		return history(ctx, d, dest, o, stdout)
	})
}

// pauseLine describes a pause in one line.
func pauseLine(p *layout.PauseInfo) string {
	when := ""
	if !p.Since.IsZero() {
		when = " since " + p.Since.Local().Format(time.DateTime)
	}
	return fmt.Sprintf("by %s%s: %s", printable(p.By), when, printable(p.Reason))
}

func history(ctx context.Context, d nfs.Dest, dest string, o destOptions, stdout io.Writer) error {
	cur, err := layout.ReadManifest(ctx, d, layout.ManifestPath)
	if err != nil {
		return err
	}
	hist, err := layout.ReadHistory(ctx, d, cur.Generation)
	if err != nil {
		return err
	}
	paused, err := layout.ReadPause(ctx, d)
	if err != nil {
		return err
	}
	type row struct {
		Generation  int       `json:"generation"`
		Current     bool      `json:"current"`
		Action      string    `json:"action"`
		Label       string    `json:"label"`
		PublishedAt time.Time `json:"published_at"`
		PublishedBy string    `json:"published_by"`
		Via         string    `json:"via,omitempty"`
		Files       int       `json:"files"`
		Version     string    `json:"version,omitempty"`
		// PromotedFrom: a promote's FROM and its generation.
		PromotedFrom *layout.Provenance `json:"promoted_from,omitempty"`
	}
	rows := []row{}
	if cur.Generation > 0 && (len(hist) == 0 || hist[0].Generation != cur.Generation) {
		// Its history file is missing (a publish stopped between the
		// two): the current generation is listed all the same.
		hist = append([]*layout.Manifest{cur}, hist...)
	}
	for _, m := range hist {
		rows = append(rows, row{m.Generation, m.Generation == cur.Generation, m.Action, m.Label, m.PublishedAt,
			m.PublishedBy.User + "@" + m.PublishedBy.Host, m.PublishedBy.Via, len(m.Files), m.Version, m.PromotedFrom})
	}
	target := shellQuote(dest)
	if o.bundle != "" {
		target += " --bundle " + shellQuote(o.bundle)
	}
	if o.format.val == "json" {
		return writeJSON(stdout, struct {
			Dest        string            `json:"dest"`
			Paused      *layout.PauseInfo `json:"paused,omitempty"`
			Generations []row             `json:"generations"`
		}{dest, paused, rows})
	}
	if paused != nil {
		fmt.Fprintf(stdout, "paused %s (dagnfs resume %s)\n", pauseLine(paused), shellQuote(dest))
	}
	if len(rows) == 0 {
		fmt.Fprintf(stdout, "%s: no generations kept\n", d)
		return nil
	}
	fmt.Fprintf(stdout, "%-4s %-10s %-8s %-19s %-24s %6s  %s\n", "", "generation", "action", "published", "by", "files", "label")
	for _, r := range rows {
		mark := ""
		if r.Current {
			mark = "*"
		}
		label := printable(r.Label)
		if r.Version != "" {
			label = strings.TrimSpace(label + " " + r.Version[:min(len(r.Version), len("sha256-")+12)])
		}
		if p := r.PromotedFrom; p != nil {
			label = strings.TrimSpace(fmt.Sprintf("%s (from %s, generation %d)", label, printable(p.From), p.Generation))
		}
		fmt.Fprintf(stdout, "%-4s %-10d %-8s %-19s %-24s %6d  %s\n", mark, r.Generation, r.Action, r.PublishedAt.Local().Format(time.DateTime), printable(r.PublishedBy), r.Files, label)
	}
	for _, r := range rows {
		if !r.Current {
			fmt.Fprintf(stdout, "restore one with: dagnfs rollback %s --to %d\n", target, r.Generation)
			break
		}
	}
	return nil
}

const rollbackHelp = `Usage: dagnfs rollback DEST [--to GEN] [flags]

Restore an earlier generation (default: the one before the current) as a new
generation, like a revert: the same atomic protocol, lock and checks as a
publish, recorded in the manifest as a rollback. Files that later
generations added are removed unless someone changed them since; files
placed by anyone else are never touched.

Example:
  dagnfs rollback nfs://nfs.example.internal/srv/airflow/dags --to 41

Flags:
`

func runRollbackCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o := newPublishOptions()
	var to int
	fset := pflag.NewFlagSet("rollback", pflag.ContinueOnError)
	o.addWriteFlags(fset)
	fset.IntVar(&to, "to", 0, "the generation to restore (default: the one before the current)")
	fset.StringVar(&o.bundle, "bundle", "", "a published root of versioned bundles: the bundle whose version to release again")
	// No DAG folder: the settings file is looked for from the current one.
	rest, _, err := parseSettings(fset, args, rollbackHelp, stdout, 1, 1, func([]string) string { return "." })
	if err != nil {
		return err
	}
	if to < 0 {
		return usagef("--to must be a generation number")
	}
	return runPublishLike(ctx, o, "", rest[0], stdin, stdout, stderr, func(ctx context.Context, po publish.Options) (*publish.Result, error) {
		return publish.Rollback(ctx, po, to)
	})
}

const unlockHelp = `Usage: dagnfs unlock DEST [flags]

Show who holds DEST's lock, and remove it when that publisher is gone: the
lock expired (its holder stopped refreshing it), or its holder was a process
of this host that no longer runs. A live lock is removed only with --force,
which asks for a confirmation when run on a terminal (--yes skips it; off a
terminal, in cron or CI, nothing asks): removing the lock of a publish that
is still running lets a second one run beside it.

Example:
  dagnfs unlock nfs://nfs.example.internal/srv/airflow/dags

Flags:
`

func runUnlockCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o := newDestOptions()
	var force, yes bool
	o.extra = func(f *pflag.FlagSet) {
		f.BoolVar(&force, "force", false, "remove the lock even though its holder may still be running")
		f.BoolVarP(&yes, "yes", "y", false, "with --force: do not ask")
	}
	return o.runOn(ctx, "unlock", args, unlockHelp, stdout, func(ctx context.Context, d nfs.Dest, dest string) error {
		confirm := func(held *layout.LockInfo) bool {
			if yes || !isTerminal(stdin) {
				return true // off a terminal (cron, CI) --force is the confirmation
			}
			fmt.Fprint(stderr, "The lock is live: its publisher may still be running. Remove it? [y/N] ")
			line, _ := bufio.NewReader(stdin).ReadString('\n')
			a := strings.TrimSpace(line)
			return strings.EqualFold(a, "y") || strings.EqualFold(a, "yes")
		}
		held, why, err := publish.Unlock(ctx, d, force, confirm, time.Now())
		if held == nil && err == nil {
			fmt.Fprintf(stdout, "%s is not locked\n", dest)
			return nil
		}
		if held != nil {
			fmt.Fprintf(stdout, "%s is locked by %s since %s, until %s\n", dest, printable(held.Holder),
				held.Acquired.Local().Format(time.DateTime), held.Expires.Local().Format(time.DateTime))
		}
		if err != nil {
			var le *publish.LockedError
			if errors.As(err, &le) {
				le.Lock = strings.TrimSuffix(dest, "/") + "/" + layout.LockPath
			}
			return err
		}
		switch why {
		case publish.UnlockExpired:
			fmt.Fprintln(stdout, "  the lock expired: its publisher stopped refreshing it")
		case publish.UnlockGone:
			fmt.Fprintf(stdout, "  its publisher, process %d of this host, no longer runs\n", held.PID)
		}
		fmt.Fprintln(stdout, "  lock removed")
		return nil
	})
}

const pauseHelp = `Usage: dagnfs pause DEST --reason TEXT [flags]

Stop publishes to DEST until dagnfs resume DEST: each publish is refused with
exit status 5 (publish --force goes ahead, once). Rollbacks still run: pause
after a rollback so that the next scheduled publish does not bring the bad
source back. status, history and the agent (/status, dagnfs_paused) show
the pause and its reason. A publish already running finishes.

Example:
  dagnfs pause nfs://nfs.example.internal/srv/airflow/dags --reason "rolled back: orders DAG broken, see INC-123"

Flags:
`

func runPauseCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := newDestOptions()
	var reason string
	o.extra = func(f *pflag.FlagSet) {
		f.StringVar(&reason, "reason", "", "why publishing stops, for whoever finds it paused (required)")
	}
	return o.runOn(ctx, "pause", args, pauseHelp, stdout, func(ctx context.Context, d nfs.Dest, dest string) error {
		if strings.TrimSpace(reason) == "" {
			return usagef("--reason is required: say why publishing stops, for whoever finds %s paused", dest)
		}
		old, err := publish.Pause(ctx, d, publish.Owner{UID: o.uid, GID: o.gid}, reason, time.Now())
		if err != nil {
			return err
		}
		p, err := layout.ReadPause(ctx, d)
		if err != nil {
			return err
		}
		held, _ := layout.ReadLock(ctx, d, layout.DefaultLockTTL)
		if o.format.val == "json" {
			return writeJSON(stdout, struct {
				Dest     string            `json:"dest"`
				Paused   *layout.PauseInfo `json:"paused"`
				Replaced *layout.PauseInfo `json:"replaced,omitempty"`
				Undo     string            `json:"undo"`
			}{dest, p, old, "dagnfs resume " + shellQuote(dest)})
		}
		fmt.Fprintf(stdout, "Paused %s: publishes are refused (exit 5) until it is resumed\n", dest)
		fmt.Fprintf(stdout, "  reason      %s\n", printable(p.Reason))
		if old != nil {
			fmt.Fprintf(stdout, "  replaced    the pause by %s since %s (%s)\n", printable(old.By), old.Since.Local().Format(time.DateTime), printable(old.Reason))
		}
		if held != nil && held.Live(time.Now()) {
			fmt.Fprintf(stdout, "  running     a publish by %s holds the lock: it finishes; the ones after it are refused\n", printable(held.Holder))
		}
		fmt.Fprintf(stdout, "  undo        dagnfs resume %s\n", shellQuote(dest))
		return nil
	})
}

const resumeHelp = `Usage: dagnfs resume DEST [flags]

End a pause (dagnfs pause): publishes to DEST run again, from the next one.

Example:
  dagnfs resume nfs://nfs.example.internal/srv/airflow/dags

Flags:
`

func runResumeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := newDestOptions()
	return o.runOn(ctx, "resume", args, resumeHelp, stdout, func(ctx context.Context, d nfs.Dest, dest string) error {
		p, err := publish.Resume(ctx, d)
		if err != nil {
			return err
		}
		if o.format.val == "json" {
			return writeJSON(stdout, struct {
				Dest  string            `json:"dest"`
				Ended *layout.PauseInfo `json:"ended"`
			}{dest, p})
		}
		if p == nil {
			fmt.Fprintf(stdout, "%s is not paused: publishes run\n", dest)
			return nil
		}
		fmt.Fprintf(stdout, "Resumed %s: publishes run again\n", dest)
		fmt.Fprintf(stdout, "  ended       the pause by %s since %s (%s)\n", printable(p.By), p.Since.Local().Format(time.DateTime), printable(p.Reason))
		return nil
	})
}

// shellQuote quotes s for a POSIX shell when it needs it, so that a
// printed command can be pasted as it is.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
