package main

import (
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
