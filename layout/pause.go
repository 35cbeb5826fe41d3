package layout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/dagnfs/dagnfs/nfs"
)

// PauseInfo is the content of PausePath: while it exists, publishes to the
// export are refused unless forced.
type PauseInfo struct {
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	Since  time.Time `json:"since"`
}

// MaxReason bounds the length of a pause's reason.
const MaxReason = 1000

// Encode returns the pause as JSON.
func (p PauseInfo) Encode() []byte {
	b, _ := json.Marshal(p)
	return b
}

// ParsePause decodes a pause.
func ParsePause(b []byte) (*PauseInfo, error) {
	if len(b) > MaxLock {
		return nil, fmt.Errorf("larger than %d KiB", MaxLock>>10)
	}
	var p PauseInfo
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if len(p.Reason) > MaxReason || len(p.By) > MaxReason {
		return nil, fmt.Errorf("reason or author longer than %d bytes", MaxReason)
	}
	return &p, nil
}

// ReadPause returns the pause on d, or nil when publishing is not paused. A
// pause file that cannot be decoded still pauses (someone meant to stop
// publishes): its reason says it is unreadable. Anything but a regular file
// at PausePath is an error: dagnfs never writes one.
func ReadPause(ctx context.Context, d nfs.Dest) (*PauseInfo, error) {
	b, err := d.ReadFile(ctx, PausePath, MaxLock)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, nfs.ErrNotRegular):
		return nil, fmt.Errorf("%s/%s is not a regular file (dagnfs never makes one); remove it: %w", d, PausePath, err)
	case err != nil && !errors.Is(err, nfs.ErrTooLarge):
		return nil, err
	}
	p, perr := ParsePause(b)
	if err == nil && perr == nil {
		return p, nil
	}
	if perr == nil {
		perr = err
	}
	return &PauseInfo{Reason: "unreadable pause file (" + strings.TrimSpace(perr.Error()) + ")", By: "unknown"}, nil
}
