package perms

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAllowed(t *testing.T) {
	airflow := Identity{UID: 50000, GIDs: []uint32{0}}
	tests := []struct {
		name         string
		id           Identity
		owner, group uint32
		mode         fs.FileMode
		want         Access
		ok           bool
	}{
		{"other can read 0644", airflow, 0, 0o1, 0o644, Read, true},
		{"group 0 reads 0640 root:root", airflow, 0, 0, 0o640, Read, true},
		{"other cannot read 0640", airflow, 1, 1, 0o640, Read, false},
		{"owner class wins over other", airflow, 50000, 7, 0o047, Read, false},
		{"group class wins over other", airflow, 1, 0, 0o604, Read, false},
		{"owner reads 0400", airflow, 50000, 1, 0o400, Read, true},
		{"folder 0755 traversable", airflow, 0, 0, fs.ModeDir | 0o755, Traverse, true},
		{"folder 0750 root:1 not traversable", airflow, 0, 1, fs.ModeDir | 0o750, Traverse, false},
		{"folder 0700 lists for owner", airflow, 50000, 1, fs.ModeDir | 0o700, ReadDir, true},
		{"write needs w", airflow, 0, 0, fs.ModeDir | 0o755, Write | Exec, false},
		{"root writes anything", Identity{UID: 0, GIDs: []uint32{0}}, 1, 1, fs.ModeDir | 0o500, Write | Exec, true},
		{"root exec needs an x bit", Identity{UID: 0}, 1, 1, 0o644, Exec, false},
		{"root exec with one x bit", Identity{UID: 0}, 1, 1, 0o645, Exec, true},
		{"supplementary group", Identity{UID: 5, GIDs: []uint32{9, 50000}}, 1, 50000, 0o640, Read, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.ok, Allowed(tt.id, tt.owner, tt.group, tt.mode, tt.want))
			if tt.ok {
				assert.Empty(t, Explain(tt.id, tt.owner, tt.group, tt.mode, tt.want))
			} else {
				assert.Contains(t, Explain(tt.id, tt.owner, tt.group, tt.mode, tt.want), "is needed")
			}
		})
	}
}

func TestParseIdentity(t *testing.T) {
	id, err := ParseIdentity("50000:0,50000")
	require.NoError(t, err)
	assert.Equal(t, Identity{UID: 50000, GIDs: []uint32{0, 50000}}, id)
	id, err = ParseIdentity("1000")
	require.NoError(t, err)
	assert.Equal(t, Identity{UID: 1000, GIDs: []uint32{1000}}, id)
	for _, bad := range []string{"", "x:1", "1:y", "-1", "99999999999"} {
		_, err := ParseIdentity(bad)
		assert.Error(t, err, bad)
	}
}

func TestAccessString(t *testing.T) {
	assert.Equal(t, "r-x", (Read | Exec).String())
	assert.Equal(t, "---", Access(0).String())
}

func TestParseMode(t *testing.T) {
	m, err := ParseMode("0640")
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o640), m)
	for _, bad := range []string{"", "999", "0o644", "-1", "1777"} {
		_, err := ParseMode(bad)
		assert.Error(t, err, bad)
	}
}
