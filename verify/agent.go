package verify

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/share"
)

// Agent verifies a destination on a schedule and serves the result over
// HTTP: /healthz (alive), /readyz (the last verification passed and is
// recent), /status (the last result as JSON) and /metrics (Prometheus).
type Agent struct {
	Dest     nfs.Dest
	Options  Options
	Interval time.Duration
	Log      *slog.Logger

	mu       sync.Mutex
	last     *Result
	teams    []TeamResult // a share's, from its last verification
	lastErr  error
	lastAt   time.Time
	seenGen  int
	registry *metrics
	m        agentMetrics
}

type agentMetrics struct {
	success, duration, generation, current, manifestAge, files, unreadable, unmanaged, visibleAfter, lastRun, paused *family
	runs, findings                                                                                                   *family
	// A share's teams, by folder (at most share.MaxTeams series each).
	teamSuccess, teamGeneration, teamFiles, teamUnreadable, teamPaused, teamAge *family
}

func (a *Agent) init() {
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	r := &metrics{}
	g := func(name, help string) *family { return r.gauge("dagnfs_"+name, help) }
	a.m = agentMetrics{
		success:      g("verify_success", "1 if the last verification found no error, else 0."),
		duration:     g("verify_duration_seconds", "How long the last verification took."),
		generation:   g("generation", "The generation the mount shows."),
		current:      g("current_generation_folder", "Generations layout: the generation whose folder current names, as this node resolves it (0 in-place)."),
		manifestAge:  g("manifest_age_seconds", "Seconds since the generation the mount shows was published."),
		files:        g("files", "Files the manifest lists."),
		unreadable:   g("unreadable_files", "Files that cannot be read, by this process or by the Airflow identity."),
		unmanaged:    g("unmanaged_files", "Files on the export that dagnfs did not publish."),
		visibleAfter: g("publish_to_visible_seconds", "For the newest generation published while the agent watched: seconds from its publish to this node first seeing it (at most one interval late). NaN until one is."),
		lastRun:      g("last_verify_timestamp_seconds", "When the last verification ended (Unix time)."),
		paused:       g("paused", "Whether publishing to the destination is paused (dagnfs pause): 1 or 0."),
		runs: r.counter("dagnfs_verify_runs_total",
			"Verifications by outcome: ok, findings, or error (the destination could not be read).", "outcome"),
		findings: r.gauge("dagnfs_findings", "Findings of the last verification by rule and severity.", "rule", "severity"),

		teamSuccess:    r.gauge("dagnfs_team_verify_success", "A share: 1 if the last verification of the team's folder found no error, else 0.", "folder"),
		teamGeneration: r.gauge("dagnfs_team_generation", "A share: the generation the team's folder shows.", "folder"),
		teamFiles:      r.gauge("dagnfs_team_files", "A share: files the team's manifest lists.", "folder"),
		teamUnreadable: r.gauge("dagnfs_team_unreadable_files", "A share: files of the team that cannot be read, by this process or by the Airflow identity.", "folder"),
		teamPaused:     r.gauge("dagnfs_team_paused", "A share: whether publishing to the team's folder is paused: 1 or 0.", "folder"),
		teamAge:        r.gauge("dagnfs_team_manifest_age_seconds", "A share: seconds since the generation the team's folder shows was published.", "folder"),
	}
	a.m.visibleAfter.Set(math.NaN()) // nothing timed yet
	a.registry = r
}

// MaxConns is how many HTTP connections the agent keeps open: another one
// makes it close an idle or stalled one (shedder).
const MaxConns = 32

// Run verifies every Interval until ctx ends, serving HTTP on l; it shuts
// the server down gracefully when ctx ends.
func (a *Agent) Run(ctx context.Context, l net.Listener) error {
	a.init()
	shed := newShedder()
	srv := &http.Server{
		Handler:           a.Handler(),
		ConnState:         shed.track,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(shedListener{l, shed}) }()
	a.Log.Info("agent started", "listen", l.Addr().String(), "dest", a.Dest.String(), "interval", a.Interval)

	t := time.NewTicker(a.Interval)
	defer t.Stop()
	for {
		a.once(ctx)
		select {
		case <-ctx.Done():
			shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := srv.Shutdown(shut)
			a.Log.Info("agent stopped")
			return err
		case err := <-served:
			return err
		case <-t.C:
		}
	}
}

// once runs one verification and publishes its outcome.
func (a *Agent) once(ctx context.Context) {
	vctx, cancel := context.WithTimeout(ctx, max(a.Interval, 30*time.Second))
	defer cancel()
	o := a.Options
	o.Wait = 0
	start := time.Now()
	if m, err := share.ReadMarker(vctx, a.Dest); err == nil && m != nil {
		a.onceShare(ctx, vctx, m, o, start)
		return
	}
	r, err := Verify(vctx, a.Dest, o)
	if ctx.Err() != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last, a.lastErr, a.lastAt = r, err, time.Now()
	a.m.duration.Set(time.Since(start).Seconds())
	a.m.lastRun.Set(float64(a.lastAt.Unix()))
	a.m.findings.Reset()
	switch {
	case err != nil:
		a.m.runs.Add(1, "error")
		a.m.success.Set(0)
		a.Log.Error("verification could not read the destination", "err", err)
		return
	case r.OK:
		a.m.runs.Add(1, "ok")
		a.m.success.Set(1)
	default:
		a.m.runs.Add(1, "findings")
		a.m.success.Set(0)
	}
	for _, f := range r.Findings {
		a.m.findings.Add(1, f.Rule, f.Severity)
	}
	a.m.generation.Set(float64(r.Generation))
	a.m.current.Set(float64(r.Current))
	a.m.files.Set(float64(r.Files))
	a.m.unreadable.Set(float64(r.Unreadable))
	a.m.unmanaged.Set(float64(r.Unmanaged))
	a.m.paused.Set(map[bool]float64{true: 1, false: 0}[r.Paused != nil])
	if !r.PublishedAt.IsZero() {
		a.m.manifestAge.Set(time.Since(r.PublishedAt).Seconds())
	}
	if r.Generation != a.seenGen && r.Generation > 0 {
		if a.seenGen == 0 {
			// Published before the agent looked: its latency is not this
			// node's to tell.
			a.Log.Info("generation already there", "generation", r.Generation, "label", r.Label)
		} else {
			a.m.visibleAfter.Set(r.VisibleAfterS)
			a.Log.Info("new generation visible", "generation", r.Generation, "label", r.Label, "visible_after_s", r.VisibleAfterS)
		}
		a.seenGen = r.Generation
	}
	lvl := slog.LevelInfo
	if !r.OK {
		lvl = slog.LevelWarn
	}
	a.Log.Log(ctx, lvl, "verified", "ok", r.OK, "generation", r.Generation, "files", r.Files,
		"errors", r.Errors(), "findings", len(r.Findings), "duration_ms", r.DurationMS)
	for _, f := range r.Findings {
		if f.Severity == Error {
			a.Log.Warn("finding", "rule", f.Rule, "file", f.File, "message", f.Message)
		}
	}
}

// Handler serves the agent's endpoints.
func (a *Agent) Handler() http.Handler {
	if a.registry == nil {
		a.init()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if why := a.notReady(); why != "" {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		a.mu.Lock()
		body := struct {
			*Result
			Teams    []TeamResult `json:"teams,omitempty"`
			Error    string       `json:"error,omitempty"`
			Verified time.Time    `json:"verified_at,omitzero"`
		}{a.last, a.teams, errString(a.lastErr), a.lastAt}
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if body.Result == nil && body.Error == "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]string{"error": "no verification has finished yet"})
			return
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(body)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", metricsContentType)
		a.registry.write(w)
	})
	return mux
}

// notReady explains why the agent is not ready, or returns "".
func (a *Agent) notReady() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.last == nil && a.lastErr == nil:
		return "no verification has finished yet"
	case a.lastErr != nil:
		return "the last verification could not read the destination: " + a.lastErr.Error()
	case time.Since(a.lastAt) > 3*a.Interval+30*time.Second:
		return "the last verification is older than three intervals"
	case !a.last.OK:
		return "the last verification found errors: see /status"
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// onceShare verifies every team's folder of the share a.Dest: the agent's
// verdict is all of theirs, the team metrics one series per folder.
func (a *Agent) onceShare(ctx, vctx context.Context, m *share.Marker, o Options, start time.Time) {
	teams, ferr := VerifyTeams(vctx, &share.Share{Root: a.Dest, Marker: m}, o)
	ok := ferr == nil && TeamsOK(teams)
	if ctx.Err() != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last, a.teams, a.lastErr, a.lastAt = &Result{OK: ok, Dest: a.Dest.String(), Findings: []Finding{}}, teams, ferr, time.Now()
	a.m.duration.Set(time.Since(start).Seconds())
	a.m.lastRun.Set(float64(a.lastAt.Unix()))
	a.m.findings.Reset()
	for _, fam := range []*family{a.m.teamSuccess, a.m.teamGeneration, a.m.teamFiles, a.m.teamUnreadable, a.m.teamPaused, a.m.teamAge} {
		fam.Reset() // a team folder gone since stops being reported
	}
	switch {
	case ferr != nil:
		a.m.runs.Add(1, "error")
		a.Log.Error("verification could not list the share's teams", "err", ferr)
	case ok:
		a.m.runs.Add(1, "ok")
	default:
		a.m.runs.Add(1, "findings")
	}
	a.m.success.Set(map[bool]float64{true: 1, false: 0}[ok])
	for _, t := range teams {
		r := t.Result
		if r == nil {
			a.m.teamSuccess.Set(0, t.Folder)
			a.Log.Warn("team folder could not be verified", "folder", t.Folder, "err", t.Error)
			continue
		}
		a.m.teamSuccess.Set(map[bool]float64{true: 1, false: 0}[r.OK], t.Folder)
		a.m.teamGeneration.Set(float64(r.Generation), t.Folder)
		a.m.teamFiles.Set(float64(r.Files), t.Folder)
		a.m.teamUnreadable.Set(float64(r.Unreadable), t.Folder)
		a.m.teamPaused.Set(map[bool]float64{true: 1, false: 0}[r.Paused != nil], t.Folder)
		if !r.PublishedAt.IsZero() {
			a.m.teamAge.Set(time.Since(r.PublishedAt).Seconds(), t.Folder)
		}
		for _, f := range r.Findings {
			a.m.findings.Add(1, f.Rule, f.Severity)
		}
	}
	a.Log.Info("verified the share", "ok", ok, "teams", len(teams), "duration_ms", time.Since(start).Milliseconds())
}
