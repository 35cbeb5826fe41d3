package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/dagnfs/dagnfs/internal/guard"
	"github.com/dagnfs/dagnfs/layout"
)

// sourceLabel is a publish's label: the one given, else a CI job's commit
// (ciLabel), else the commit checked out in the Git worktree that holds
// src. A worktree with uncommitted changes publishes what no commit holds:
// its label says so ("-dirty") and uncommitted lists the files for the
// manifest. git is run only for a label taken from a worktree.
func sourceLabel(ctx context.Context, given, src string) (label string, uncommitted []string) {
	if label = given; label == "" {
		label = ciLabel()
	}
	if label != "" || src == "" {
		return label, nil
	}
	if label = gitCommit(src); label == "" {
		return "", nil
	}
	files, total, ok := gitUncommitted(ctx, src, layout.MaxUncommitted)
	if !ok || total == 0 {
		return label, nil
	}
	if total > len(files) {
		files = append(files, fmt.Sprintf("and %d more", total-len(files)))
	}
	return label + "-dirty", files
}

// gitCommit is the commit checked out in the Git worktree that holds dir
// (a clone, or a git-sync worktree whose .git is a file naming its git
// folder), or "" when there is none or it cannot be read. Nothing is run:
// the files are read, each bounded.
func gitCommit(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := abs; ; d = filepath.Dir(d) {
		if gitDir := findGitDir(filepath.Join(d, ".git")); gitDir != "" {
			return resolveHead(gitDir)
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// findGitDir returns the git folder that p (a .git folder or file) names.
func findGitDir(p string) string {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return ""
	case fi.IsDir():
		return p
	case fi.Size() > 4096:
		return ""
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir:")
	if !ok {
		return ""
	}
	g := strings.TrimSpace(rest)
	if !filepath.IsAbs(g) {
		g = filepath.Join(filepath.Dir(p), g)
	}
	return g
}

// resolveHead reads HEAD: a detached commit, or a branch (loose, packed, or
// in the common folder of a linked worktree).
func resolveHead(gitDir string) string {
	head := readSmall(filepath.Join(gitDir, "HEAD"))
	ref, isRef := strings.CutPrefix(head, "ref: ")
	if !isRef {
		return commitOrEmpty(head)
	}
	dirs := []string{gitDir}
	if common := readSmall(filepath.Join(gitDir, "commondir")); common != "" {
		if !filepath.IsAbs(common) {
			common = filepath.Join(gitDir, common)
		}
		dirs = append(dirs, common)
	}
	for _, g := range dirs {
		if c := commitOrEmpty(readSmall(filepath.Join(g, filepath.FromSlash(ref)))); c != "" {
			return c
		}
		packed, err := os.ReadFile(filepath.Join(g, "packed-refs"))
		if err != nil || len(packed) > 16<<20 {
			continue
		}
		for _, line := range bytes.Split(packed, []byte("\n")) {
			if sum, name, ok := strings.Cut(string(line), " "); ok && name == ref {
				return commitOrEmpty(sum)
			}
		}
	}
	return ""
}

func readSmall(p string) string {
	fi, err := os.Stat(p)
	if err != nil || fi.Size() > 4096 {
		return ""
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// commitOrEmpty returns s if it is a full SHA-1 or SHA-256 commit id.
func commitOrEmpty(s string) string {
	if len(s) != 40 && len(s) != 64 {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return ""
		}
	}
	return s
}

// gitUncommitted lists the files under dir that differ from the commit
// checked out (modified, added, deleted, untracked; ignored files are
// not), relative to dir, at most max of them, with how many there are in
// all. ok is false when it cannot tell (no git, not a worktree, slow):
// git is asked, for at most gitTimeout.
func gitUncommitted(ctx context.Context, dir string, max int) (files []string, total int, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C")
	cmd.SysProcAttr = guard.DiesWithParent()
	out, err := cmd.Output()
	if err != nil {
		return nil, 0, false
	}
	pcmd := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--show-prefix")
	pcmd.SysProcAttr = guard.DiesWithParent()
	prefix, err := pcmd.Output()
	if err != nil {
		return nil, 0, false
	}
	pre := strings.TrimSpace(string(prefix))
	entries := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		if len(e) < 4 {
			continue
		}
		if e[0] == 'R' || e[0] == 'C' {
			i++ // the rename's source follows
		}
		total++
		if len(files) < max {
			files = append(files, strings.TrimPrefix(e[3:], pre))
		}
	}
	return files, total, true
}

// gitTimeout bounds the git status of a label.
const gitTimeout = 5 * time.Second
