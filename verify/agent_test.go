package verify

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/publish"
	"github.com/dagnfs/dagnfs/share"
	"github.com/dagnfs/dagnfs/validate"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "timed out waiting until %s", what)
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAgentEndpoints(t *testing.T) {
	dir, d, _ := published(t, "c1")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + l.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	a := &Agent{Dest: d, Options: opts(), Interval: 100 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, l) }()

	code, body := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)
	eventually(t, "ready", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })

	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{"dagnfs_verify_success 1", "dagnfs_generation 1", "dagnfs_files 3", "dagnfs_unreadable_files 0",
		`dagnfs_verify_runs_total{outcome="ok"}`, "dagnfs_manifest_age_seconds", "dagnfs_publish_to_visible_seconds", "dagnfs_verify_duration_seconds"} {
		assert.Contains(t, metrics, want)
	}
	code, body = get(t, base+"/status")
	assert.Equal(t, http.StatusOK, code)
	var st struct {
		OK         bool   `json:"ok"`
		Generation int    `json:"generation"`
		Label      string `json:"label"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	assert.Equal(t, 1, st.Generation)
	assert.Equal(t, "c1", st.Label)
	assert.Contains(t, metrics, "\ndagnfs_paused 0")

	// A pause shows in the metrics and /status, and does not make the
	// node unready (the pods still see a whole generation).
	_, err = publish.Pause(ctx, d, publish.Owner{UID: -1, GID: -1}, "INC-3", time.Now())
	require.NoError(t, err)
	eventually(t, "paused", func() bool { _, m := get(t, base+"/metrics"); return strings.Contains(m, "\ndagnfs_paused 1") })
	_, body = get(t, base+"/status")
	assert.Contains(t, body, `"reason": "INC-3"`)
	code, _ = get(t, base+"/readyz")
	assert.Equal(t, http.StatusOK, code)

	// A file changed on the export: not ready, and the metrics say why.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.py"), []byte("tampered"), 0o644))
	eventually(t, "not ready", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusServiceUnavailable })
	_, metrics = get(t, base+"/metrics")
	assert.Contains(t, metrics, "dagnfs_verify_success 0")
	assert.True(t, strings.Contains(metrics, `dagnfs_findings{rule="size-mismatch",severity="error"} 1`), metrics)

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err, "graceful shutdown")
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not stop")
	}
}

// The publish-to-visible latency is timed only for a generation that
// appeared while the agent watched: the one already there when it started
// is not (NaN), the next one is.
func TestAgentTimesOnlyWhatItSawAppear(t *testing.T) {
	dir, d, src := published(t, "c1")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + l.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := opts()
	o.LocalPath = dir
	a := &Agent{Dest: d, Options: o, Interval: 50 * time.Millisecond}
	go a.Run(ctx, l)
	eventually(t, "ready", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })
	_, metrics := get(t, base+"/metrics")
	assert.Contains(t, metrics, "dagnfs_publish_to_visible_seconds NaN", "generation 1 was there before the agent")

	writeTree(t, src, map[string]string{"a.py": dagA + "# c2\n"})
	_, err = publish.Publish(context.Background(), publish.Options{Source: publish.Source{Dir: src, Validate: validate.Options{Python: "none"}},
		Dest: d, Owner: publish.Owner{UID: 50000, GID: 50000}, Label: "c2"})
	require.NoError(t, err)
	eventually(t, "generation 2 seen", func() bool { _, m := get(t, base+"/metrics"); return strings.Contains(m, "dagnfs_generation 2") })
	_, metrics = get(t, base+"/metrics")
	assert.NotContains(t, metrics, "dagnfs_publish_to_visible_seconds NaN", "generation 2 appeared while the agent watched")
	assert.Regexp(t, `dagnfs_publish_to_visible_seconds 0\.\d+`, metrics, "within the interval")
}

// servingAgent runs an agent on a published folder, verifying once an
// hour, until the test ends; it returns its listener and base URL once it
// answers.
func servingAgent(t *testing.T) (net.Listener, string) {
	t.Helper()
	_, d, _ := published(t, "c1")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a := &Agent{Dest: d, Options: opts(), Interval: time.Hour}
	go a.Run(ctx, l)
	base := "http://" + l.Addr().String()
	eventually(t, "serving", func() bool { c, _ := get(t, base+"/healthz"); return c == http.StatusOK })
	return l, base
}

// Clients that open connections and never finish their request cannot
// hold them: headers must arrive within 5 s, or the connection is closed.
func TestAgentUnderSlowClients(t *testing.T) {
	l, base := servingAgent(t)

	var slow []net.Conn
	for range MaxConns + 8 {
		c, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		_, err = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")) // and never the blank line
		require.NoError(t, err)
		slow = append(slow, c)
	}
	defer func() {
		for _, c := range slow {
			c.Close()
		}
	}()
	start := time.Now()
	code, _ := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Less(t, time.Since(start), 15*time.Second, "slow clients are cut off by the read-header timeout")
	// The server closed a slow client's connection.
	require.NoError(t, slow[0].SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err := io.ReadAll(slow[0])
	assert.NoError(t, err, "closed by the server (EOF), not left open")
}

// Probes answer within 100 ms whatever other clients hold open: 200 idle
// keep-alive connections and 20 slow clients that never finish their
// headers (issue 20: with 40 idle connections /healthz took 4.5 s, and a
// kubelet's probe gives up after 1 s).
func TestProbesNotStarvedByHeldConnections(t *testing.T) {
	l, base := servingAgent(t)

	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 200 { // a request answered, then the connection kept idle
		c, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		held = append(held, c)
		_, err = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		resp.Body.Close()
	}
	for range 20 { // slow loris: headers never finished
		c, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		held = append(held, c)
		_, err = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n"))
		require.NoError(t, err)
	}
	time.Sleep(stalled + 100*time.Millisecond) // the slow ones now count as stalled
	probe := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	for _, path := range []string{"/healthz", "/readyz", "/healthz", "/readyz", "/healthz"} {
		start := time.Now()
		resp, err := probe.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		took := time.Since(start)
		assert.Less(t, took, 100*time.Millisecond, "%s with 220 connections held", path)
		assert.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, resp.StatusCode)
	}
}

// On a share the agent verifies every team's folder: one verdict (ready
// only when every team is), and per-team series labelled by folder.
func TestAgentOnAShare(t *testing.T) {
	dir, d := localExport(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := share.Init(ctx, d, layout.Who{User: "admin"}, time.Now())
	require.NoError(t, err)
	for _, team := range []string{"team-a", "team-b"} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, team), 0o755))
		td, err := nfs.OpenLocal(filepath.Join(dir, team))
		require.NoError(t, err)
		src := t.TempDir()
		writeTree(t, src, map[string]string{team + ".py": strings.ReplaceAll(dagA, "'a'", "'"+team+"'")})
		_, err = publish.Publish(ctx, publish.Options{Source: publish.Source{Dir: src, Validate: validate.Options{Python: "none"}},
			Dest: td, Owner: publish.Owner{UID: 50000, GID: 50000}})
		require.NoError(t, err)
		td.Close()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + l.Addr().String()
	a := &Agent{Dest: d, Options: opts(), Interval: 100 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, l) }()
	eventually(t, "ready", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{"dagnfs_verify_success 1", `dagnfs_team_verify_success{folder="team-a"} 1`, `dagnfs_team_verify_success{folder="team-b"} 1`,
		`dagnfs_team_generation{folder="team-b"} 1`, `dagnfs_team_paused{folder="team-a"} 0`} {
		assert.Contains(t, metrics, want)
	}
	_, body := get(t, base+"/status")
	assert.Contains(t, body, `"folder": "team-b"`)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "team-b", "team-b.py"), []byte("tampered"), 0o644))
	eventually(t, "not ready", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusServiceUnavailable })
	_, metrics = get(t, base+"/metrics")
	assert.Contains(t, metrics, `dagnfs_team_verify_success{folder="team-b"} 0`)
	assert.Contains(t, metrics, `dagnfs_team_verify_success{folder="team-a"} 1`)
	assert.Contains(t, metrics, "dagnfs_verify_success 0")
	cancel()
	require.NoError(t, <-done)
}
