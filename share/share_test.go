package share

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

func TestParseMarker(t *testing.T) {
	m, err := ParseMarker("m", []byte(`{"format":1,"created_at":"2026-12-05T00:00:00Z","created_by":{"host":"h","user":"u","uid":1},"teams":[{"folder":"team-a","name":"Team A","owners":["a@x"]}]}`))
	require.NoError(t, err)
	assert.Equal(t, "Team A", (&Share{Marker: m}).Team("team-a"))
	assert.Equal(t, "team-b", (&Share{Marker: m}).Team("team-b"), "a folder the marker does not name is a team's all the same")
	for name, bad := range map[string]string{
		"format":        `{"format":2}`,
		"unknown field": `{"format":1,"owner":"x"}`,
		"not JSON":      `{"format":`,
		"absolute team": `{"format":1,"teams":[{"folder":"/etc"}]}`,
		"climbing team": `{"format":1,"teams":[{"folder":"../x"}]}`,
		"unclean team":  `{"format":1,"teams":[{"folder":"a//b"}]}`,
		"empty team":    `{"format":1,"teams":[{"folder":""}]}`,
		"too many":      `{"format":1,"teams":[` + strings.Repeat(`{"folder":"a"},`, MaxTeams) + `{"folder":"a"}]}`,
		"too large":     `{"format":1,"x":"` + strings.Repeat("a", MaxMarker) + `"}`,
	} {
		_, err := ParseMarker("m", []byte(bad))
		assert.Error(t, err, name)
	}
}

func managed(t *testing.T, root, dir string, dags ...string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(root, dir, layout.Dir), 0o755))
	m := &layout.Manifest{Format: layout.ManifestFormat, Generation: 3, PublishedAt: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), PublishedBy: layout.Who{User: "ci", Host: "runner"}}
	for _, id := range dags {
		e := layout.Entry{Path: id + ".py", SHA256: strings.Repeat("0", 64), Mode: 0o644, DAGs: []layout.EntryDAG{{ID: id, Line: 2}}}
		if id == "zipped" {
			e = layout.Entry{Path: "pack.zip", SHA256: strings.Repeat("0", 64), Mode: 0o644, DAGs: []layout.EntryDAG{{ID: id, Line: 4, Member: "inner.py"}}}
		}
		m.Files = append(m.Files, e)
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, dir, layout.ManifestPath), m.Encode(), 0o644))
}

// The walk finds every managed folder below the share and reads its
// manifest; it does not enter them, nor dotted folders, nor go deeper than
// MaxDepth.
func TestFolders(t *testing.T) {
	root := t.TempDir()
	managed(t, root, "team-a", "a1", "zipped")
	managed(t, root, "group/team-b", "b1")
	managed(t, root, "team-a/inner", "hidden") // inside a team's folder: the team's own business
	managed(t, root, ".snapshot/team-x", "x")
	managed(t, root, strings.Repeat("d/", MaxDepth)+"deep", "deep")
	require.NoError(t, os.WriteFile(filepath.Join(root, "team-a", "a1.py"), nil, 0o644))
	d, err := nfs.OpenLocal(root)
	require.NoError(t, err)
	defer d.Close()
	sh := &Share{Root: d, Marker: &Marker{Format: MarkerFormat}, Dest: "team-c"}
	fs, err := sh.Folders(context.Background())
	require.NoError(t, err)
	var paths []string
	for _, f := range fs {
		require.NoError(t, f.Err)
		paths = append(paths, f.Path)
	}
	assert.Equal(t, []string{"group/team-b", "team-a"}, paths)

	cs := Collisions("team-c", "", []DAG{{ID: "b1", File: "mine.py", Line: 7}, {ID: "new"}, {ID: "zipped", File: "z.py", Line: 1}}, fs)
	require.Len(t, cs, 2)
	assert.Equal(t, `dag_id "b1" of mine.py:7 is already served by team group/team-b: group/team-b/b1.py:2 (generation 3, published by ci@runner at 2026-12-05T00:00:00Z)`, cs[0].Describe(sh))
	assert.Equal(t, "pack.zip/inner.py", cs[1].OtherFile)
	assert.Empty(t, Collisions("team-a", "", []DAG{{ID: "a1"}}, fs), "a team's own dag_ids are no collision")

	assert.Equal(t, "", Overlap("team-c", "", fs))
	assert.Equal(t, "", Overlap("team-a", "", fs))
	assert.Contains(t, Overlap("group", "", fs), "holds group/team-b")
	assert.Contains(t, Overlap("team-a/x", "", fs), "lies inside team-a")
	assert.Contains(t, Overlap("", "", fs), "the share's root")
}

func TestFoldersAreBounded(t *testing.T) {
	root := t.TempDir()
	for i := range MaxFolders + 1 {
		require.NoError(t, os.MkdirAll(filepath.Join(root, "many", strings.Repeat("x", 1+i%7)+"-"+string(rune('a'+i%26))+"-"+strconv.Itoa(i)), 0o755))
	}
	d, err := nfs.OpenLocal(root)
	require.NoError(t, err)
	defer d.Close()
	_, err = (&Share{Root: d, Marker: &Marker{Format: MarkerFormat}}).Folders(context.Background())
	assert.ErrorContains(t, err, "more than 10000 folders")
}
