package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const commitA = "4f2a9c1e0b8d7a6f5e4d3c2b1a0918273645abcd"

// The layout git-sync v4 leaves: the link names a worktree whose .git file
// points into the repository's git folder, where HEAD is detached.
func gitSyncTree(t *testing.T) string {
	root := t.TempDir()
	wt := filepath.Join(root, ".worktrees", commitA)
	gitdir := filepath.Join(root, ".git", "worktrees", commitA)
	require.NoError(t, os.MkdirAll(filepath.Join(wt, "dags"), 0o755))
	require.NoError(t, os.MkdirAll(gitdir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(gitdir, "HEAD"), []byte(commitA+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(wt, ".git"), []byte("gitdir: "+gitdir+"\n"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(".worktrees", commitA), filepath.Join(root, "repo")))
	require.NoError(t, os.WriteFile(filepath.Join(wt, "dags", "a.py"), []byte(dag), 0o644))
	return filepath.Join(root, "repo", "dags")
}

func TestGitCommit(t *testing.T) {
	assert.Equal(t, commitA, gitCommit(gitSyncTree(t)), "git-sync's worktree")
	assert.Equal(t, "", gitCommit(t.TempDir()), "no repository")

	// A branch: loose ref, then packed.
	root := t.TempDir()
	g := filepath.Join(root, ".git")
	require.NoError(t, os.MkdirAll(filepath.Join(g, "refs", "heads"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "dags"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(g, "HEAD"), []byte("ref: refs/heads/main\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(g, "packed-refs"), []byte("# pack-refs with: peeled\n"+commitA+" refs/heads/main\n"), 0o644))
	assert.Equal(t, commitA, gitCommit(filepath.Join(root, "dags")))
	other := strings.Repeat("b", 40)
	require.NoError(t, os.WriteFile(filepath.Join(g, "refs", "heads", "main"), []byte(other+"\n"), 0o644))
	assert.Equal(t, other, gitCommit(filepath.Join(root, "dags")), "a loose ref wins over the packed one")
	require.NoError(t, os.WriteFile(filepath.Join(g, "refs", "heads", "main"), []byte("not a commit\n"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(g, "packed-refs")))
	assert.Equal(t, "", gitCommit(filepath.Join(root, "dags")), "garbage is no label")

	if git, err := exec.LookPath("git"); err == nil {
		repo := t.TempDir()
		for _, args := range [][]string{{"init", "-q"}, {"-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "x"}} {
			cmd := exec.Command(git, args...)
			cmd.Dir = repo
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, string(out))
		}
		cmd := exec.Command(git, "rev-parse", "HEAD")
		cmd.Dir = repo
		want, err := cmd.Output()
		require.NoError(t, err)
		assert.Equal(t, strings.TrimSpace(string(want)), gitCommit(repo), "a real clone")
	}
}

// A publish from a git-sync worktree is labelled with its commit.
func TestPublishLabelFromGitSync(t *testing.T) {
	for _, v := range []string{"DAGNFS_LABEL", "GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "BITBUCKET_COMMIT",
		"CIRCLE_SHA1", "BUILDKITE_COMMIT", "DRONE_COMMIT_SHA", "GIT_COMMIT"} {
		t.Setenv(v, "")
	}
	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	code, out, errOut := runCLI(t, "publish", gitSyncTree(t), dest)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "label="+commitA)
}

// A label taken from a Git worktree with uncommitted changes in the source
// says so, and the manifest lists the files (issue 21); a clean one does
// not, and changes outside the source do not count.
func TestDirtyWorktreeLabel(t *testing.T) {
	git, err := exec.LookPath("git")
	require.NoError(t, err, "needs git (make deps installs it)")
	repo := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command(git, append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		return strings.TrimSpace(string(out))
	}
	run("init", "-q")
	require.NoError(t, os.MkdirAll(filepath.Join(repo, "dags"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "dags", "a.py"), []byte(dag), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "README"), []byte("x"), 0o644))
	run("add", ".")
	run("commit", "-q", "-m", "one")
	head := run("rev-parse", "HEAD")
	src := filepath.Join(repo, "dags")
	manifestOf := func(dest string) map[string]any {
		b, err := os.ReadFile(filepath.Join(dest, ".dagnfs", "manifest.json"))
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	t.Setenv("DAGNFS_LABEL", "")
	for _, v := range []string{"CI", "GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "GIT_COMMIT", "BUILDKITE_COMMIT"} {
		t.Setenv(v, "")
	}

	// Clean (a change outside the source does not count).
	require.NoError(t, os.WriteFile(filepath.Join(repo, "README"), []byte("changed"), 0o644))
	dest := t.TempDir()
	require.NoError(t, os.Chmod(dest, 0o755))
	code, _, errOut := runCLI(t, "publish", src, dest)
	require.Equal(t, exitOK, code, errOut)
	m := manifestOf(dest)
	assert.Equal(t, head[:7], m["label"].(string)[:7])
	assert.NotContains(t, m["label"], "dirty")
	assert.Nil(t, m["uncommitted"])

	// Modified and untracked files in the source.
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.py"), []byte(dag+"# edited\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "b.py"), []byte("x = 1\n"), 0o644))
	code, _, errOut = runCLI(t, "publish", src, dest)
	require.Equal(t, exitOK, code, errOut)
	m = manifestOf(dest)
	assert.True(t, strings.HasSuffix(m["label"].(string), "-dirty"), m["label"])
	assert.ElementsMatch(t, []any{"a.py", "b.py"}, m["uncommitted"])
}

// The label defaults to the commit the CI system names, whichever of the
// README's variables it sets; DAGNFS_LABEL (--label's variable) comes first.
func TestCILabelVariables(t *testing.T) {
	vars := []string{"GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "BITBUCKET_COMMIT",
		"CIRCLE_SHA1", "BUILDKITE_COMMIT", "DRONE_COMMIT_SHA", "GIT_COMMIT"}
	for _, v := range append(vars, "DAGNFS_LABEL") {
		t.Setenv(v, "")
	}
	assert.Equal(t, "", ciLabel(), "no CI variable set")
	for i, v := range vars {
		t.Setenv(v, fmt.Sprintf("commit-%d", i))
		assert.Equal(t, fmt.Sprintf("commit-%d", i), ciLabel(), v)
		t.Setenv(v, "")
	}
	t.Setenv("GIT_COMMIT", "from-ci")
	t.Setenv("DAGNFS_LABEL", "given")
	assert.Equal(t, "given", ciLabel())
}

// git is run only for a label taken from a worktree: not for a source
// outside Git, nor when the label is given or comes from CI (a cron
// publish of a plain folder starts no process).
func TestGitRunOnlyForWorktreeLabels(t *testing.T) {
	bin := t.TempDir()
	calls := filepath.Join(t.TempDir(), "calls")
	require.NoError(t, os.WriteFile(filepath.Join(bin, "git"), []byte("#!/bin/sh\necho \"$*\" >> "+calls+"\nexit 0\n"), 0o755))
	t.Setenv("PATH", bin)
	t.Setenv("DAGNFS_LABEL", "")
	for _, v := range []string{"GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "BITBUCKET_COMMIT",
		"CIRCLE_SHA1", "BUILDKITE_COMMIT", "DRONE_COMMIT_SHA", "GIT_COMMIT"} {
		t.Setenv(v, "")
	}
	ran := func() string {
		b, _ := os.ReadFile(calls)
		os.Remove(calls)
		return string(b)
	}
	ctx := t.Context()

	label, files := sourceLabel(ctx, "", t.TempDir())
	assert.Equal(t, "", label, "no worktree")
	assert.Nil(t, files)
	assert.Empty(t, ran(), "git run for a folder outside Git")

	label, _ = sourceLabel(ctx, "v1", gitSyncTree(t))
	assert.Equal(t, "v1", label)
	assert.Empty(t, ran(), "git run for a given label")

	t.Setenv("GITHUB_SHA", "abc1234")
	label, _ = sourceLabel(ctx, "", gitSyncTree(t))
	assert.Equal(t, "abc1234", label)
	assert.Empty(t, ran(), "git run for a CI label")
	t.Setenv("GITHUB_SHA", "")

	label, _ = sourceLabel(ctx, "", gitSyncTree(t))
	assert.Equal(t, commitA, label, "the worktree's commit, clean by the fake git's empty status")
	assert.Contains(t, ran(), "status", "a worktree's label asks git for uncommitted files")
}
