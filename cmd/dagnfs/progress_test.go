package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/dagnfs/dagnfs/publish"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// One line through every phase: each phase is drawn, redraws are
// throttled to about ten a second however fast updates come, and the line
// is cleared at the end.
func TestProgressLine(t *testing.T) {
	var out lockedBuffer
	l := newProgressLine(&out)
	start := time.Now()
	l.update(publish.Progress{Phase: publish.PhaseValidate})
	for i := 1; i <= 20000; i++ {
		l.update(publish.Progress{Phase: publish.PhaseValidate, Done: i, Total: 20000})
	}
	l.update(publish.Progress{Phase: publish.PhasePlan})
	time.Sleep(350 * time.Millisecond) // the spinner turns on its own
	for i := 1; i <= 5000; i++ {
		l.update(publish.Progress{Phase: publish.PhaseUpload, Done: i, Total: 5000, Bytes: int64(i) << 10, TotalBytes: 5000 << 10})
	}
	for i := 1; i <= 5000; i++ {
		l.update(publish.Progress{Phase: publish.PhaseSwitch, Done: i, Total: 5000})
	}
	l.update(publish.Progress{Phase: publish.PhaseCheck, Total: 10})
	l.finish()
	elapsed := time.Since(start)
	l.update(publish.Progress{Phase: publish.PhaseCheck, Done: 10, Total: 10}) // ignored after finish
	time.Sleep(250 * time.Millisecond)                                         // nothing draws after finish

	s := out.String()
	for _, want := range []string{"validating", "planning", "uploading 1.0 KiB of 4.9 MiB", "switching", "checking Airflow can read"} {
		assert.Contains(t, s, want)
	}
	assert.Less(t, strings.Index(s, "validating"), strings.Index(s, "planning"))
	assert.Less(t, strings.Index(s, "planning"), strings.Index(s, "uploading"))
	renders := strings.Count(s, "|") / 2 // each bar is drawn between two |
	maxRenders := int(elapsed/redraw) + 2*6
	assert.LessOrEqual(t, renders, maxRenders, "30,000 updates in %v", elapsed)
	assert.GreaterOrEqual(t, strings.Count(s, "⠋")+strings.Count(s, "⠙")+strings.Count(s, "⠹")+strings.Count(s, "⠸"), 3, "the spinner turned")
	assert.True(t, strings.HasSuffix(s, "\r\033[K"), "cleared before the summary: %q", s[max(0, len(s)-80):])
	assert.Equal(t, s, out.String(), "nothing drawn after finish")
}
