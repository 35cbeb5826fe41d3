package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/layout"
)

// promote publishes to TO exactly what FROM serves (any layout to any), its
// label and provenance recorded; a FROM edited by hand since its publish
// refuses with exit 1 and TO stays as it was.
func TestPromote(t *testing.T) {
	kinds := destKinds(t)
	for _, tg := range kinds {
		t.Run(tg.name, func(t *testing.T) {
			at := tg.folders(t, "dev", "prod", "gen")
			src := srcDir(t, map[string]string{"a.py": dagWithID("a"), "sub/b.py": dagWithID("b"), "sub/helper.sql": "select 1\n",
				".airflowignore": "scratch\n", "scratch/wip.py": dagWithID("wip")})
			code, _, errOut := runCLI(t, "publish", "--label", "abc1234", src, at("dev"))
			require.Equal(t, exitOK, code, errOut)
			code, _, errOut = runCLI(t, "publish", "--layout", "generations", src, at("gen"))
			require.Equal(t, exitOK, code, errOut)

			code, out, errOut := runCLI(t, "promote", "--dry-run", "-v", at("dev"), at("prod"))
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, "(dry run: nothing was changed)")
			assert.Regexp(t, `from +.*/dev, generation 1, published there`, out)
			assert.NoFileExists(t, filepath.Join(tg.disk, "prod", "a.py"))
			code, out, errOut = runCLI(t, "promote", "--format", "json", at("dev"), at("prod"))
			require.Equal(t, exitOK, code, errOut)
			var r struct {
				Generation   int    `json:"generation"`
				Label        string `json:"label"`
				PromotedFrom struct {
					Generation int `json:"generation"`
				} `json:"promoted_from"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &r), out)
			assert.Equal(t, 1, r.Generation)
			assert.Equal(t, "abc1234", r.Label, "FROM's label")
			assert.Equal(t, 1, r.PromotedFrom.Generation)
			for _, f := range []string{"a.py", "sub/b.py", "sub/helper.sql", "scratch/wip.py"} {
				want, err := os.ReadFile(filepath.Join(tg.disk, "dev", f))
				require.NoError(t, err)
				got, err := os.ReadFile(filepath.Join(tg.disk, "prod", f))
				require.NoError(t, err, f)
				assert.Equal(t, string(want), string(got), f)
				// Two folders of one file system: prod serves dev's very
				// files (the in-process NFS server has no LINK: copies).
				dfi, err := os.Stat(filepath.Join(tg.disk, "dev", f))
				require.NoError(t, err)
				pfi, err := os.Stat(filepath.Join(tg.disk, "prod", f))
				require.NoError(t, err)
				assert.Equal(t, tg.name == "folder", os.SameFile(dfi, pfi), "%s: linked", f)
			}
			b, err := os.ReadFile(filepath.Join(tg.disk, "prod", layout.ManifestPath))
			require.NoError(t, err)
			m, err := layout.ParseManifest("prod", b)
			require.NoError(t, err)
			require.NotNil(t, m.PromotedFrom)
			assert.Equal(t, 1, m.PromotedFrom.Generation)
			assert.Equal(t, "abc1234", m.PromotedFrom.Label)
			assert.True(t, strings.HasSuffix(m.PromotedFrom.From, "/dev"), m.PromotedFrom.From)
			code, out, errOut = runCLI(t, "status", at("prod"))
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, "promoted    from ")
			assert.Contains(t, out, "generation 1 (abc1234)")
			code, out, errOut = runCLI(t, "history", at("prod"))
			require.Equal(t, exitOK, code, errOut)
			assert.Regexp(t, `\* +1 +promote .* abc1234 \(from .*/dev, generation 1\)`, out)

			// From the generations layout to in-place: the same files.
			code, _, errOut = runCLI(t, "promote", "--label", "from-gen", at("gen"), at("prod"))
			require.Equal(t, exitOK, code, errOut)
			b, err = os.ReadFile(filepath.Join(tg.disk, "prod", layout.ManifestPath))
			require.NoError(t, err)
			m, err = layout.ParseManifest("prod", b)
			require.NoError(t, err)
			assert.Equal(t, "from-gen", m.Label, "--label wins")

			// From this destination to another kind of destination (a
			// folder from NFS, NFS from a folder).
			other := t.TempDir()
			if tg.name == "folder" {
				other = kinds[0].folders(t, "cross")("cross")
			}
			code, _, errOut = runCLI(t, "promote", at("gen"), other)
			require.Equal(t, exitOK, code, errOut)
			code, out, errOut = runCLI(t, "status", other)
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, "promoted    from ")

			// A generation FROM keeps, not the current one.
			next := srcDir(t, map[string]string{"a.py": dagWithID("a") + "# v2\n", "sub/b.py": dagWithID("b")})
			code, _, errOut = runCLI(t, "publish", "--delete", next, at("dev"))
			require.Equal(t, exitOK, code, errOut)
			code, _, errOut = runCLI(t, "promote", "--generation", "1", at("dev"), at("prod"))
			require.Equal(t, exitOK, code, errOut)
			got, err := os.ReadFile(filepath.Join(tg.disk, "prod", "a.py"))
			require.NoError(t, err)
			assert.Equal(t, dagWithID("a"), string(got), "generation 1's a.py, kept among the objects")
			assert.FileExists(t, filepath.Join(tg.disk, "prod", "sub", "helper.sql"))
			code, _, errOut = runCLI(t, "promote", "--generation", "7", at("dev"), at("prod"))
			assert.Equal(t, exitFailed, code)
			assert.Contains(t, errOut, "generation 7 is not kept")
			code, _, errOut = runCLI(t, "promote", at("dev"), at("prod")) // the current one again
			require.Equal(t, exitOK, code, errOut)
			b, err = os.ReadFile(filepath.Join(tg.disk, "prod", layout.ManifestPath))
			require.NoError(t, err)

			// A hand edit in FROM: refused, TO unchanged.
			require.NoError(t, os.WriteFile(filepath.Join(tg.disk, "dev", "sub", "b.py"), []byte(dagWithID("b")+"# hot fix\n"), 0o644))
			code, _, errOut = runCLI(t, "promote", at("dev"), at("prod"))
			assert.Equal(t, exitFailed, code, errOut)
			assert.Contains(t, errOut, "does not serve what its generation 2 published: sub/b.py holds")
			// The edit was in place: where prod's file is dev's (linked),
			// status shows the drift on both sides.
			for _, side := range []string{"dev", "prod"} {
				code, out, _ := runCLI(t, "status", "--check", at(side))
				linked := tg.name == "folder"
				assert.Equal(t, side == "dev" || linked, code == exitFailed, "%s: %s", side, out)
				assert.Equal(t, side == "dev" || linked, strings.Contains(out, "sub/b.py"), "%s: %s", side, out)
				// ... and each side names the other where the file is shared.
				names := map[string]string{"dev": "promote linked it into " + at("prod"), "prod": "promote linked it from " + at("dev")}[side]
				assert.Equal(t, linked, strings.Contains(out, names), "%s: %s", side, out)
				_, out, _ = runCLI(t, "verify", at(side))
				assert.Equal(t, linked, strings.Contains(out, names), "verify %s: %s", side, out)
			}
			after, err := os.ReadFile(filepath.Join(tg.disk, "prod", layout.ManifestPath))
			require.NoError(t, err)
			assert.Equal(t, string(b), string(after), "TO stays as it was")
			require.NoError(t, os.Remove(filepath.Join(tg.disk, "dev", "a.py")))
			code, _, errOut = runCLI(t, "promote", at("dev"), at("prod"))
			assert.Equal(t, exitFailed, code, errOut)
			assert.Contains(t, errOut, "a.py is missing")

			code, _, errOut = runCLI(t, "promote", at("prod-nothing"), at("prod"))
			assert.NotEqual(t, exitOK, code, errOut)
		})
	}
}
