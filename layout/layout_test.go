package layout

import (
	"path"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sum = strings.Repeat("ab", 32)

func TestParseManifestRefuses(t *testing.T) {
	for name, bad := range map[string]string{
		"not JSON":          `{not json`,
		"two documents":     `{"format":1,"generation":1} {}`,
		"generation 0":      `{"format":1,"generation":0}`,
		"generation 2^63-1": `{"format":1,"generation":9223372036854775807}`,
		"unknown format":    `{"format":9,"generation":1}`,
		"escaping path":     `{"format":1,"generation":2,"files":[{"path":"../x","size":1,"sha256":"` + sum + `","mode":"0644"}]}`,
		"own folder":        `{"format":1,"generation":2,"files":[{"path":".dagnfs/lock","size":1,"sha256":"` + sum + `","mode":"0644"}]}`,
		"bad sum":           `{"format":1,"generation":2,"files":[{"path":"x","size":1,"sha256":"zz","mode":"0644"}]}`,
		"negative size":     `{"format":1,"generation":2,"files":[{"path":"x","size":-1,"sha256":"` + sum + `","mode":"0644"}]}`,
		"listed twice":      `{"format":1,"generation":2,"files":[{"path":"x","size":1,"sha256":"` + sum + `","mode":"0644"},{"path":"x","size":1,"sha256":"` + sum + `","mode":"0644"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseManifest(ManifestPath, []byte(bad))
			var me *ManifestError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, ManifestPath, me.Path)
		})
	}
	_, err := ParseManifest(ManifestPath, make([]byte, MaxManifest+1))
	assert.ErrorContains(t, err, "larger than")
}

func TestManifestRoundTrip(t *testing.T) {
	m := &Manifest{Format: ManifestFormat, Generation: 3, Action: "publish", PublishedAt: time.Unix(1700000000, 0).UTC(),
		Files: []Entry{{Path: "b.py", Size: 3, SHA256: sum, Mode: 0o644}, {Path: "a/c.py", Size: 1, SHA256: sum, Mode: 0o640}}}
	got, err := ParseManifest("m", m.Encode())
	require.NoError(t, err)
	assert.Equal(t, m, got)
	assert.Equal(t, "a/c.py", got.Files[0].Path, "sorted by path")
}

func TestJournalKeepsOnlyStagingNames(t *testing.T) {
	tmp := TempName()
	j, err := ParseJournal([]byte(`{"run_id":"r","temps":["` + tmp + `","../../etc/passwd",".dagnfs/manifest.json",".dagnfs/staging/../lock"]}`))
	require.NoError(t, err)
	assert.Equal(t, []string{tmp}, j.Temps)
}

func TestTempNames(t *testing.T) {
	a, b := TempName(), TempName()
	assert.NotEqual(t, a, b)
	assert.True(t, IsTemp(a))
	assert.NotEqual(t, ".py", path.Ext(a))
	assert.Equal(t, StagingDir, path.Dir(a))
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format":1,"generation":2,"files":[{"path":"a.py","size":1,"sha256":"` + sum + `","mode":"0644","dags":[{"dag_id":"x","line":3}]}]}`))
	f.Add([]byte(`{"format":1,"generation":1,"files":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest("m", b)
		if err != nil {
			return
		}
		if m.Generation < 1 || m.Generation > MaxGeneration {
			t.Fatalf("generation %d accepted", m.Generation)
		}
		for _, e := range m.Files {
			if !CleanRel(e.Path) || IsMeta(e.Path) || e.Size < 0 {
				t.Fatalf("entry %+v accepted", e)
			}
		}
		again, err := ParseManifest("m", m.Encode())
		if err != nil {
			t.Fatalf("an accepted manifest does not parse again: %v", err)
		}
		if len(again.Files) != len(m.Files) || again.Generation != m.Generation {
			t.Fatalf("round trip changed the manifest")
		}
	})
}

func FuzzParseLock(f *testing.F) {
	f.Add([]byte(`{"holder":"a@b pid 1","host":"b","pid":1,"run_id":"r","expires":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLock(b)
		if err == nil && (l.RunID == "" || l.Expires.IsZero() || l.PID < 0) {
			t.Fatalf("lock %+v accepted", l)
		}
	})
}

func FuzzParseJournal(f *testing.F) {
	f.Add([]byte(`{"run_id":"r","temps":[".dagnfs/staging/0123456789abcdef01234567.tmp","../x"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := ParseJournal(b)
		if err != nil {
			return
		}
		for _, tmp := range j.Temps {
			if !IsTemp(tmp) || path.Dir(tmp) != StagingDir || !CleanRel(tmp) {
				t.Fatalf("journal name %q accepted", tmp)
			}
		}
	})
}
