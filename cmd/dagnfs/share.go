package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/perms"
	"github.com/dagnfs/dagnfs/publish"
	"github.com/dagnfs/dagnfs/share"
	"github.com/dagnfs/dagnfs/verify"
)

const shareHelp = `Usage: dagnfs share init SHARE [flags]

Make SHARE a share: one dags folder that several teams publish into, each
into its own folder below it (SHARE/team-a, SHARE/team-b), each with its own
lock, manifest and history. It writes the share marker (` + share.MarkerName + `)
at SHARE's root; every folder below it that dagnfs publishes into is then a
team's, with no registration. From then on a publish into a team's folder:

  - is refused (exit 1) when one of its dag_ids is already served by another
    team's folder (Airflow needs dag_ids unique across the deployment: a
    duplicate silently replaces the other DAG), naming both files, the other
    team's folder, its generation and who published it;
  - is refused when its folder would hold another team's folder or lie
    inside one, or is SHARE itself.

Deletes, drift repair and garbage collection never leave a team's folder.
dagnfs status SHARE shows every team's folder in one line each.
Without a marker, folders on one export (dev and prod) are independent and
may hold the same dag_ids.

Example:
  dagnfs share init nfs://nfs.example.internal/srv/airflow/dags
  dagnfs publish ./dags nfs://nfs.example.internal/srv/airflow/dags/team-a

Flags:
`

func runShareCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("dagnfs share needs a subcommand: init (see dagnfs share --help)")
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, shareHelp)
		return errHelp
	case "init":
		o := newDestOptions()
		return o.runOn(ctx, "share init", args[1:], shareHelp, stdout, func(ctx context.Context, d nfs.Dest, dest string) error {
			// One share holds all the teams that must not share dag_ids:
			// no share inside another.
			outer, err := findShare(ctx, d, o.uid, o.gid, o.timeout, newLogger("text", false, io.Discard))
			if err != nil {
				return err
			}
			if outer != nil && outer.Dest != "" {
				defer outer.Close()
				return &publish.RefusedError{Reason: fmt.Sprintf("%s lies inside the share %s: its teams already share that share's dag_ids; publish into a folder below it instead", d, outer.Root)}
			}
			host, _ := os.Hostname()
			m, err := share.Init(ctx, d, layout.Who{Host: host, User: publish.CurrentUser(), UID: os.Getuid()}, time.Now())
			var refusal *share.Refusal
			if errors.As(err, &refusal) {
				return &publish.RefusedError{Reason: refusal.Reason}
			}
			if err != nil {
				return err
			}
			if o.format.val == "json" {
				return writeJSON(stdout, struct {
					Share  string        `json:"share"`
					Marker *share.Marker `json:"marker"`
				}{d.String(), m})
			}
			fmt.Fprintf(stdout, "%s is a share: publish each team into a folder below it (%s/TEAM)\n", d, d)
			return nil
		})
	}
	return usagef("dagnfs share: unknown subcommand %q%s: init", args[0], didYouMean(args[0], []string{"init"}))
}

// teamStatus is one team's folder in dagnfs status SHARE.
type teamStatus struct {
	Folder      string            `json:"folder"`
	Bundle      string            `json:"bundle,omitempty"`
	Team        string            `json:"team"`
	Generation  int               `json:"generation"`
	Layout      string            `json:"layout,omitempty"`
	Label       string            `json:"label,omitempty"`
	PublishedBy string            `json:"published_by,omitempty"`
	PublishedAt time.Time         `json:"published_at,omitzero"`
	DAGs        int               `json:"dags"`
	Paused      *layout.PauseInfo `json:"paused,omitempty"`
	Drift       int               `json:"drift"`
	Error       string            `json:"error,omitempty"`
}

// shareStatus prints every team's folder of the share d and returns how
// many things need attention (drift, pauses, folders that cannot be read).
func shareStatus(ctx context.Context, d nfs.Dest, m *share.Marker, o destOptions, stdout io.Writer) (int, error) {
	sh := &share.Share{Root: d, Marker: m}
	verified, err := verify.VerifyTeams(ctx, sh, verify.Options{Quick: true, As: perms.Identity{UID: uint32(o.uid), GIDs: []uint32{uint32(o.gid)}}})
	if err != nil {
		return 0, err
	}
	attention := 0
	teams := make([]teamStatus, 0, len(verified))
	for _, v := range verified {
		f := v.Team
		t := teamStatus{Folder: f.Name(), Bundle: f.Bundle, Team: sh.TeamOf(f)}
		// Its manifest unreadable (said first), or its verification failed.
		if err := cmp.Or(f.Err, v.Err); err != nil {
			t.Error = err.Error()
			attention++
			teams = append(teams, t)
			continue
		}
		r := v.Result
		t.Generation, t.Layout, t.Label, t.PublishedBy, t.PublishedAt, t.Paused = r.Generation, r.Layout, r.Label, r.PublishedBy, r.PublishedAt, r.Paused
		for _, e := range f.Manifest.Files {
			t.DAGs += len(e.DAGs)
		}
		for _, fd := range r.Findings {
			if fd.Severity != verify.Info {
				t.Drift++
			}
		}
		attention += r.Attention()
		teams = append(teams, t)
	}
	if o.format.val == "json" {
		return attention, writeJSON(stdout, struct {
			Share     string       `json:"share"`
			Teams     []teamStatus `json:"teams"`
			Attention int          `json:"attention"`
		}{d.String(), teams, attention})
	}
	fmt.Fprintf(stdout, "%s: a share of %d team folder(s)\n", d, len(teams))
	for _, t := range teams {
		if t.Error != "" {
			fmt.Fprintf(stdout, "  %-16s cannot be read: %s\n", printable(t.Folder), printable(t.Error))
			continue
		}
		line := fmt.Sprintf("  %-16s generation %d", printable(t.Folder), t.Generation)
		if t.Team != t.Folder && t.Bundle == "" {
			line = fmt.Sprintf("  %-16s (%s) generation %d", printable(t.Folder), printable(t.Team), t.Generation)
		}
		if t.Label != "" {
			line += " (" + printable(t.Label) + ")"
		}
		if !t.PublishedAt.IsZero() {
			line += fmt.Sprintf(", %d DAGs, by %s at %s", t.DAGs, printable(t.PublishedBy), t.PublishedAt.Local().Format(time.DateTime))
		}
		if t.Paused != nil {
			line += ", paused"
		}
		if t.Drift > 0 {
			line += fmt.Sprintf(", drift: %d", t.Drift)
		} else {
			line += ", no drift"
		}
		fmt.Fprintln(stdout, line)
	}
	return attention, nil
}
