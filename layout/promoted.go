package layout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/dagnfs/dagnfs/nfs"
)

// PromotedDir, in a promote's FROM, holds one record for each TO that
// promote linked FROM's files into (PromotedTo): a hand edit in place of
// such a file changes what TO serves too, and FROM's status says so.
const PromotedDir = Dir + "/promoted"

// PromotedTo is the record FROM keeps of one promote that linked its files
// into TO.
type PromotedTo struct {
	To string `json:"to"`
	// Generation is TO's generation that the promote made; FromGeneration
	// is FROM's generation that it served.
	Generation     int       `json:"generation"`
	FromGeneration int       `json:"from_generation"`
	Linked         int       `json:"linked"`
	At             time.Time `json:"at"`
}

// Limits on what status reads of PromotedDir: a record's size and how many
// records are read.
const (
	MaxPromotedRecord = 8 << 10
	MaxPromoted       = 64
)

// PromotedName is the record of promotes into to: one per TO, replaced by
// the next promote into it.
func PromotedName(to string) string {
	sum := sha256.Sum256([]byte(to))
	return PromotedDir + "/" + hex.EncodeToString(sum[:8]) + ".json"
}

// Encode returns the record as JSON.
func (p PromotedTo) Encode() []byte {
	b, _ := json.Marshal(p)
	return b
}

// ParsePromoted decodes a record, strictly and bounded.
func ParsePromoted(b []byte) (*PromotedTo, error) {
	if len(b) > MaxPromotedRecord {
		return nil, fmt.Errorf("larger than %d KiB", MaxPromotedRecord>>10)
	}
	var p PromotedTo
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("not a promote record: %v", err)
	}
	if p.To == "" || p.Generation <= 0 || p.FromGeneration <= 0 || p.Linked < 0 {
		return nil, errors.New("not a promote record: to, generation or from_generation missing")
	}
	return &p, nil
}

// ReadPromoted returns the records of PromotedDir (at most MaxPromoted, the
// newest first); a record that cannot be read or decoded is left out.
func ReadPromoted(ctx context.Context, d nfs.Dest) ([]PromotedTo, error) {
	entries, err := d.ReadDir(ctx, PromotedDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []PromotedTo
	for _, e := range entries {
		if len(out) == MaxPromoted {
			break
		}
		if !e.IsRegular() || !strings.HasSuffix(e.Name, ".json") {
			continue
		}
		b, err := d.ReadFile(ctx, PromotedDir+"/"+e.Name, MaxPromotedRecord)
		if err != nil {
			continue
		}
		if p, err := ParsePromoted(b); err == nil {
			out = append(out, *p)
		}
	}
	slices.SortStableFunc(out, func(a, b PromotedTo) int { return b.At.Compare(a.At) })
	return out, nil
}

// LinkNote says, for a managed file found changed in place, which other
// destinations serve the very same file because promote linked it (""
// when none does): TO's manifest marks each file linked from FROM
// (Entry.Linked), and FROM keeps a record of each TO (records). A file
// with one link is nobody else's.
func LinkNote(m *Manifest, e Entry, nlink uint32, records []PromotedTo) string {
	if nlink < 2 {
		return ""
	}
	var parts []string
	if e.Linked && m.PromotedFrom != nil {
		parts = append(parts, fmt.Sprintf("promote linked it from %s (its generation %d), where it is the same file", m.PromotedFrom.From, m.PromotedFrom.Generation))
	}
	for _, p := range records {
		if p.FromGeneration == m.Generation && p.Linked > 0 {
			parts = append(parts, fmt.Sprintf("promote linked it into %s (generation %d, %s), which serves the same file unless it was published since", p.To, p.Generation, p.At.UTC().Format(time.DateTime)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ") + ": an edit in place changes both (publish and promote again, never edit in place)"
}
