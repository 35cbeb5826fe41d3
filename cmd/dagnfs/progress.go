package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/dagnfs/dagnfs/publish"
)

// redraw is the shortest time between two redraws of the progress line.
const redraw = 100 * time.Millisecond

// phaseNames are the words the progress line shows for each phase.
var phaseNames = map[string]string{
	publish.PhaseValidate: "validating",
	publish.PhasePlan:     "planning",
	publish.PhaseLink:     "linking unchanged files",
	publish.PhaseUpload:   "uploading",
	publish.PhaseSwitch:   "switching",
	publish.PhaseCheck:    "checking Airflow can read",
}

// progressLine is the one progress display of a run on a terminal: a bar
// for the phase under way (a spinner where it is not counted), replaced
// by the next phase's on the same line, redrawn at most every 100 ms, and
// cleared before the summary.
type progressLine struct {
	mu    sync.Mutex
	w     io.Writer
	phase string
	total int
	bar   *progressbar.ProgressBar
	done  bool
	stop  chan struct{}
}

// newProgressLine starts a progress line on w; finish ends it.
func newProgressLine(w io.Writer) *progressLine {
	l := &progressLine{w: w, stop: make(chan struct{})}
	go l.spin()
	return l
}

// spin turns the spinner of a phase that is not counted (the bar's own
// spinner goroutine is off: it would draw after the bar is gone).
func (l *progressLine) spin() {
	t := time.NewTicker(redraw)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			if l.bar != nil && l.total <= 0 {
				_ = l.bar.Add(1)
			}
			l.mu.Unlock()
		}
	}
}

// update shows p; it may be called from several goroutines.
func (l *progressLine) update(p publish.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return
	}
	desc := phaseNames[p.Phase]
	if p.Phase == publish.PhaseUpload && p.TotalBytes > 0 {
		desc = fmt.Sprintf("%s %s of %s", desc, humanBytes(p.Bytes), humanBytes(p.TotalBytes))
	}
	if p.Phase != l.phase || p.Total != l.total || l.bar == nil {
		l.clear()
		l.phase, l.total = p.Phase, p.Total
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(l.w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionThrottle(redraw),
			progressbar.OptionSetWidth(24),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionSetSpinnerChangeInterval(0),
		}
		max := p.Total
		if max <= 0 {
			max = -1 // a spinner
		} else {
			opts = append(opts, progressbar.OptionShowCount())
		}
		l.bar = progressbar.NewOptions(max, opts...)
		if max < 0 {
			_ = l.bar.Add(1) // drawn at once
			return
		}
	}
	if p.Total > 0 {
		_ = l.bar.Set(min(p.Done, p.Total))
		if p.TotalBytes > 0 {
			l.bar.Describe(desc)
		}
	}
}

// hold clears the line for a prompt or a log line; the next update draws
// it again.
func (l *progressLine) hold() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
}

// Write writes a log line above the progress line (which the next update
// draws again).
func (l *progressLine) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
	return l.w.Write(b)
}

// finish clears the line for good: nothing is drawn after it.
func (l *progressLine) finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		close(l.stop)
	}
	l.clear()
	l.done = true
}

func (l *progressLine) clear() {
	if l.bar != nil {
		_ = l.bar.Exit()
		fmt.Fprint(l.w, "\r\033[K")
		l.bar = nil
	}
}
