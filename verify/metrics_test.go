package verify

import (
	"math"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What /metrics serves is read back by Prometheus's own text parser
// (linked by the tests only): every family, its type, its series, their
// labels (escaped) and values (NaN and exponents included).
func TestMetricsParseAsPrometheus(t *testing.T) {
	a := &Agent{}
	h := a.Handler()
	a.m.success.Set(1)
	a.m.lastRun.Set(1733400000)
	a.m.duration.Set(0.0123)
	a.m.findings.Add(1, "size-mismatch", "error")
	a.m.findings.Add(1, "odd \"rule\" \\ with\nnewline", "warn")
	a.m.runs.Add(1, "ok")
	a.m.runs.Add(1, "ok")
	a.m.runs.Add(1, "error")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	assert.Equal(t, "text/plain; version=0.0.4; charset=utf-8", rec.Header().Get("Content-Type"))

	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	require.NoError(t, err)
	assert.Len(t, fams, 13)
	gauge := func(name string) float64 {
		f := fams[name]
		require.NotNil(t, f, name)
		assert.Equal(t, "GAUGE", f.GetType().String(), name)
		require.Len(t, f.Metric, 1, name)
		return f.Metric[0].GetGauge().GetValue()
	}
	assert.Equal(t, 1.0, gauge("dagnfs_verify_success"))
	assert.Equal(t, 1733400000.0, gauge("dagnfs_last_verify_timestamp_seconds"))
	assert.Equal(t, 0.0123, gauge("dagnfs_verify_duration_seconds"))
	assert.Equal(t, 0.0, gauge("dagnfs_paused"))
	assert.True(t, math.IsNaN(gauge("dagnfs_publish_to_visible_seconds")))

	runs := map[string]float64{}
	require.Equal(t, "COUNTER", fams["dagnfs_verify_runs_total"].GetType().String())
	for _, m := range fams["dagnfs_verify_runs_total"].Metric {
		runs[m.Label[0].GetValue()] = m.GetCounter().GetValue()
	}
	assert.Equal(t, map[string]float64{"ok": 2, "error": 1}, runs)
	found := map[[2]string]float64{}
	for _, m := range fams["dagnfs_findings"].Metric {
		found[[2]string{m.Label[0].GetValue(), m.Label[1].GetValue()}] = m.GetGauge().GetValue()
	}
	assert.Equal(t, map[[2]string]float64{{"size-mismatch", "error"}: 1, {"odd \"rule\" \\ with\nnewline", "warn"}: 1}, found)

	// A vector's series go with Reset, and an empty vector is not written.
	a.m.findings.Reset()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	fams, err = p.TextToMetricFamilies(rec.Body)
	require.NoError(t, err)
	assert.NotContains(t, fams, "dagnfs_findings")
}
