package layout

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A promote record comes from the export: bounded, strictly decoded, and
// only what promote writes.
func TestParsePromoted(t *testing.T) {
	rec := PromotedTo{To: "nfs://h/srv/prod", Generation: 3, FromGeneration: 2, Linked: 5, At: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
	got, err := ParsePromoted(rec.Encode())
	require.NoError(t, err)
	assert.Equal(t, rec, *got)
	for name, b := range map[string]string{
		"too large":     `{"to":"` + strings.Repeat("x", MaxPromotedRecord) + `","generation":1,"from_generation":1}`,
		"unknown field": `{"to":"x","generation":1,"from_generation":1,"evil":true}`,
		"no target":     `{"generation":1,"from_generation":1}`,
		"no generation": `{"to":"x","from_generation":1}`,
		"not JSON":      `{"to":`,
	} {
		_, err := ParsePromoted([]byte(b))
		assert.Error(t, err, name)
	}
	assert.NotEqual(t, PromotedName("a"), PromotedName("b"))
	assert.True(t, strings.HasPrefix(PromotedName("a"), PromotedDir+"/"))
}

// LinkNote names the other side only for a file with more than one link.
func TestLinkNote(t *testing.T) {
	m := &Manifest{Generation: 2, PromotedFrom: &Provenance{From: "/dags/dev", Generation: 7}}
	recs := []PromotedTo{{To: "/dags/prod", Generation: 4, FromGeneration: 2, Linked: 1}, {To: "/dags/old", Generation: 1, FromGeneration: 1, Linked: 1}}
	assert.Empty(t, LinkNote(m, Entry{Linked: true}, 1, recs))
	n := LinkNote(m, Entry{Linked: true}, 3, recs)
	assert.Contains(t, n, "from /dags/dev (its generation 7)")
	assert.Contains(t, n, "into /dags/prod (generation 4")
	assert.NotContains(t, n, "/dags/old", "a record of another generation of FROM")
	assert.NotContains(t, LinkNote(m, Entry{}, 3, nil), "/dags/dev", "a file TO copied")
}
