package publish

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dagnfs/dagnfs/layout"
)

func TestPause(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := context.Background()
		src := t.TempDir()
		writeTree(t, src, map[string]string{"a.py": dagA})
		o := opts(src, tg.dest)
		o.Via = "cronjob/airflow/publish"
		_, err := Publish(ctx, o)
		require.NoError(t, err)

		_, err = Pause(ctx, tg.dest, o.Owner, "  ", time.Now())
		var refused *RefusedError
		require.ErrorAs(t, err, &refused, "a pause needs a reason")
		old, err := Pause(ctx, tg.dest, o.Owner, "INC-7: broken DAG", time.Now())
		require.NoError(t, err)
		assert.Nil(t, old)

		writeTree(t, src, map[string]string{"a.py": dagA + "# v2\n"})
		res, err := Publish(ctx, o)
		var paused *PausedError
		require.ErrorAs(t, err, &paused)
		assert.Contains(t, err.Error(), "INC-7: broken DAG")
		assert.Contains(t, err.Error(), "dagnfs resume")
		assert.Equal(t, 0, res.Generation, "refused before anything was planned")
		assert.Equal(t, dagA, readTree(t, tg.dir)["a.py"])

		dry := o
		dry.DryRun = true
		res, err = Publish(ctx, dry)
		require.NoError(t, err, "a dry run shows the plan and says what the real run meets")
		assert.Equal(t, []string{"a.py"}, res.Uploaded)
		require.Len(t, res.Warnings, 1)
		assert.Contains(t, res.Warnings[0], "would be refused")

		forced := o
		forced.Force = true
		res, err = Publish(ctx, forced)
		require.NoError(t, err)
		assert.Equal(t, 2, res.Generation)
		require.NotNil(t, res.Paused)
		assert.Equal(t, "INC-7: broken DAG", res.Paused.Reason)

		// A rollback runs while paused (pausing after one is the point),
		// and names the scheduled publisher of what it replaced.
		res, err = Rollback(ctx, opts("", tg.dest), 0)
		require.NoError(t, err)
		assert.Equal(t, 3, res.Generation)
		assert.Equal(t, "cronjob/airflow/publish", res.Scheduled)
		assert.Equal(t, dagA, readTree(t, tg.dir)["a.py"])

		ended, err := Resume(ctx, tg.dest)
		require.NoError(t, err)
		require.NotNil(t, ended)
		assert.Equal(t, "INC-7: broken DAG", ended.Reason)
		ended, err = Resume(ctx, tg.dest)
		require.NoError(t, err)
		assert.Nil(t, ended, "resuming twice is not an error")
		res, err = Publish(ctx, o)
		require.NoError(t, err)
		assert.Equal(t, 4, res.Generation)
	})
}

// A pause that lands while a publish validates its source is seen under
// the lock, before anything changes.
func TestPauseSeenUnderTheLock(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.py": dagA})
	o := opts(src, d)
	_, err := apply(ctx, o, func(ctx context.Context, o Options, res *Result) (*prepared, error) {
		if _, err := Pause(ctx, d, o.Owner, "paused meanwhile", time.Now()); err != nil {
			return nil, err
		}
		return prepareSource(ctx, o, res)
	})
	var paused *PausedError
	require.ErrorAs(t, err, &paused)
	_, err = os.Stat(filepath.Join(dir, "a.py"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "nothing was published")
	held, err := layout.ReadLock(ctx, d, time.Minute)
	require.NoError(t, err)
	assert.Nil(t, held, "the lock was released")
}

func TestPauseFileIsHostile(t *testing.T) {
	ctx := context.Background()
	dir, d := localDest(t)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, layout.Dir), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, layout.PausePath), []byte("{not json"), 0o644))
	p, err := layout.ReadPause(ctx, d)
	require.NoError(t, err)
	require.NotNil(t, p, "an unreadable pause still pauses")
	assert.Contains(t, p.Reason, "unreadable")
	require.NoError(t, os.Remove(filepath.Join(dir, layout.PausePath)))
	require.NoError(t, os.Mkdir(filepath.Join(dir, layout.PausePath), 0o755))
	_, err = layout.ReadPause(ctx, d)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a regular file")
}

// Every phase of a run is reported, in order, each counted up to its total.
func TestProgressPhases(t *testing.T) {
	for _, lay := range []string{layout.InPlace, layout.Generations} {
		t.Run(lay, func(t *testing.T) {
			ctx := context.Background()
			_, d := localDest(t)
			src := t.TempDir()
			writeTree(t, src, map[string]string{"a.py": dagA, "b.py": dagB, "c.txt": "c"})
			o := opts(src, d)
			o.Layout = lay
			_, err := Publish(ctx, o)
			require.NoError(t, err)
			writeTree(t, src, map[string]string{"a.py": dagA + "# v2\n"})
			var mu sync.Mutex
			var phases []string
			last := map[string]Progress{}
			o.Progress = func(p Progress) {
				mu.Lock()
				defer mu.Unlock()
				if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
					phases = append(phases, p.Phase)
				}
				last[p.Phase] = p
			}
			_, err = Publish(ctx, o)
			require.NoError(t, err)
			want := []string{PhaseValidate, PhasePlan, PhaseUpload, PhaseSwitch, PhaseCheck}
			if lay == layout.Generations {
				want = []string{PhaseValidate, PhasePlan, PhaseLink, PhaseUpload, PhaseSwitch, PhaseCheck}
				assert.Equal(t, Progress{Phase: PhaseLink, Done: 2, Total: 2}, last[PhaseLink])
			} else {
				assert.Equal(t, Progress{Phase: PhaseSwitch, Done: 1, Total: 1}, last[PhaseSwitch])
			}
			assert.Equal(t, want, phases)
			assert.Equal(t, 1, last[PhaseUpload].Done)
			assert.Equal(t, last[PhaseValidate].Total, last[PhaseValidate].Done)
			assert.Equal(t, last[PhaseCheck].Total, last[PhaseCheck].Done)
		})
	}
}
