package layout

import (
	"encoding/json"
	"fmt"
)

// Journal lists the temporary names a publish is about to create, so that
// the next one can remove them after a crash.
type Journal struct {
	RunID string   `json:"run_id"`
	Temps []string `json:"temps"`
}

// Encode returns the journal as JSON.
func (j Journal) Encode() []byte {
	b, _ := json.Marshal(j)
	return b
}

// ParseJournal decodes a journal. Only names that TempName could have made
// are kept: a planted journal can never name a file outside StagingDir.
func ParseJournal(b []byte) (*Journal, error) {
	if len(b) > MaxJournal {
		return nil, fmt.Errorf("larger than %d MiB", MaxJournal>>20)
	}
	var j Journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	temps := j.Temps[:0]
	for _, t := range j.Temps {
		if IsTemp(t) {
			temps = append(temps, t)
		}
	}
	j.Temps = temps
	return &j, nil
}
