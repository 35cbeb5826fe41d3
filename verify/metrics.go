package verify

import (
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// metrics holds the agent's gauges and counters and writes them in
// Prometheus's text exposition format (version 0.0.4): families sorted by
// name, series by label values, as Prometheus's own client writes them.
// dagnfs does not link that client: its package initialisation cost every
// command about 3 ms of start-up, for thirteen numbers.
type metrics struct {
	mu       sync.Mutex
	families []*family
}

// family is one metric: a name, its help, and its series by label values.
type family struct {
	m      *metrics
	name   string
	help   string
	kind   string // "gauge" or "counter"
	labels []string
	series map[string]*series
}

type series struct {
	values []string
	v      float64
}

// metricsContentType is the type of what write produces.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

func (m *metrics) add(name, help, kind string, labels []string) *family {
	f := &family{m: m, name: name, help: help, kind: kind, labels: labels, series: map[string]*series{}}
	m.families = append(m.families, f)
	slices.SortFunc(m.families, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	return f
}

// gauge adds a gauge; with labels it is a vector whose series appear once
// set.
func (m *metrics) gauge(name, help string, labels ...string) *family {
	f := m.add(name, help, "gauge", labels)
	if len(labels) == 0 {
		f.Set(0)
	}
	return f
}

// counter adds a counter vector.
func (m *metrics) counter(name, help string, labels ...string) *family {
	return m.add(name, help, "counter", labels)
}

func (f *family) at(values []string) *series {
	if len(values) != len(f.labels) {
		panic("metric " + f.name + ": wrong number of label values") // a programming error
	}
	key := strings.Join(values, "\xff")
	s := f.series[key]
	if s == nil {
		s = &series{values: slices.Clone(values)}
		f.series[key] = s
	}
	return s
}

// Set sets the series of values to v.
func (f *family) Set(v float64, values ...string) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	f.at(values).v = v
}

// Add adds v to the series of values.
func (f *family) Add(v float64, values ...string) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	f.at(values).v += v
}

// Reset drops every series of a vector.
func (f *family) Reset() {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	clear(f.series)
}

// write writes every family that has a series.
func (m *metrics) write(w io.Writer) error {
	m.mu.Lock()
	var b strings.Builder
	for _, f := range m.families {
		if len(f.series) == 0 {
			continue
		}
		b.WriteString("# HELP " + f.name + " " + escape(f.help, false) + "\n")
		b.WriteString("# TYPE " + f.name + " " + f.kind + "\n")
		all := make([]*series, 0, len(f.series))
		for _, s := range f.series {
			all = append(all, s)
		}
		slices.SortFunc(all, func(a, b *series) int { return slices.Compare(a.values, b.values) })
		for _, s := range all {
			b.WriteString(f.name)
			if len(f.labels) > 0 {
				b.WriteByte('{')
				for i, l := range f.labels {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString(l + `="` + escape(s.values[i], true) + `"`)
				}
				b.WriteByte('}')
			}
			b.WriteString(" " + formatFloat(s.v) + "\n")
		}
	}
	m.mu.Unlock()
	_, err := io.WriteString(w, b.String())
	return err
}

// escape escapes a help text (backslash, newline) or a label value (also
// the double quote).
func escape(s string, quote bool) string {
	if !strings.ContainsAny(s, "\\\n\"") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '"' && quote:
			b.WriteString(`\"`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
