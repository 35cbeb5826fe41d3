package publish

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/perms"
	"github.com/dagnfs/dagnfs/validate"
)

// Options configure a publish. Zero values are replaced by the defaults
// noted.
type Options struct {
	Source      string
	Dest        nfs.Dest
	FileMode    fs.FileMode // default 0644
	DirMode     fs.FileMode // default 0755
	UID, GID    int         // owner to set where the destination can chown; -1 leaves it
	Concurrency int         // default 4
	Delete      bool
	MaxDelete   int // refuse a publish deleting more; <0 unlimited
	AllowEmpty  bool
	DryRun      bool
	Label       string
	Keep        int           // generations kept for rollback; default 10
	LockTTL     time.Duration // default 10m
	Exclude     []string
	Readers     []perms.Identity // default perms.Airflow
	Validate    validate.Options
	Version     string
	// Action is recorded in the manifest: "publish" (default) or "rollback".
	Action string

	Log      *slog.Logger
	Progress func(Progress)
	// Confirm is asked before a publish that deletes files; false cancels it.
	Confirm func(p *Plan) bool
	Now     func() time.Time
}

// Progress reports the upload.
type Progress struct {
	Files, TotalFiles int
	Bytes, TotalBytes int64
}

// Plan is what a publish will do.
type Plan struct {
	Generation int
	Upload     []SourceFile // new or changed
	New        int          // of Upload, how many are new
	Unchanged  int
	Delete     []Entry  // managed files gone from the source, content unchanged
	NotDeleted []string // managed files gone from the source but changed on the export
	Orphaned   []string // managed files gone from the source, left without --delete
	Unmanaged  []string // files on the export dagnfs never published (listed with --delete)
	Bytes      int64
}

// Result is what a publish did, as reported in --format json.
type Result struct {
	Dest       string   `json:"dest"`
	Generation int      `json:"generation"`
	Previous   int      `json:"previous_generation"`
	Label      string   `json:"label,omitempty"`
	DryRun     bool     `json:"dry_run"`
	Uploaded   []string `json:"uploaded"`
	Deleted    []string `json:"deleted"`
	Unchanged  int      `json:"unchanged"`
	NotDeleted []string `json:"not_deleted"`
	Orphaned   []string `json:"orphaned"`
	Unmanaged  []string `json:"unmanaged"`
	Bytes      int64    `json:"bytes"`
	SwitchMS   float64  `json:"switch_ms"`
	DurationMS int64    `json:"duration_ms"`
	Calls      int64    `json:"nfs_calls,omitempty"`
	Warnings   []string `json:"warnings"`

	Validation *validate.Report `json:"validation,omitempty"`
}

func (o *Options) defaults() {
	if o.FileMode == 0 {
		o.FileMode = 0o644
	}
	if o.DirMode == 0 {
		o.DirMode = 0o755
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Keep <= 0 {
		o.Keep = 10
	}
	if o.LockTTL <= 0 {
		o.LockTTL = 10 * time.Minute
	}
	if o.Readers == nil {
		o.Readers = perms.Airflow
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

type caller interface{ Calls() int64 }

// Publish runs one publish. On error the Result holds what is known so far.
func Publish(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	start := o.Now()
	res := &Result{Dest: o.Dest.String(), Label: o.Label, DryRun: o.DryRun,
		Uploaded: []string{}, Deleted: []string{}, NotDeleted: []string{}, Orphaned: []string{}, Unmanaged: []string{}, Warnings: []string{}}
	defer func() {
		res.DurationMS = o.Now().Sub(start).Milliseconds()
		if c, ok := o.Dest.(caller); ok {
			res.Calls = c.Calls()
		}
	}()

	// 1. The source: scan, validate, hash.
	files, err := Scan(o.Source, o.Exclude)
	if err != nil {
		return res, &RefusedError{Reason: err.Error()}
	}
	if len(files) == 0 && !o.AllowEmpty {
		return res, &RefusedError{Reason: fmt.Sprintf("source %s holds no files; refusing to publish an empty generation (pass --allow-empty if that is what you want)", o.Source)}
	}
	if err := hashAll(ctx, files, o.Concurrency); err != nil {
		return res, err
	}
	vo := o.Validate
	vo.Exclude = append(slices.Clone(vo.Exclude), o.Exclude...)
	vo.Known = knownResults(ctx, o.Dest, files)
	report, err := validate.Run(ctx, o.Source, vo)
	if err != nil {
		return res, err
	}
	res.Validation = report
	if report.Failed() {
		return res, &ValidationError{Report: report}
	}

	// 2. The destination: a folder this identity can write.
	d := o.Dest
	if err := checkWritable(ctx, d); err != nil {
		return res, err
	}

	// 3. The lock, then leftovers of a crashed run, then the manifest.
	var lk *lock
	if !o.DryRun {
		if err := ensureDir(ctx, d, MetaDir, metaMode); err != nil {
			return res, err
		}
		host, _ := os.Hostname()
		who := currentUser()
		info := LockInfo{Holder: fmt.Sprintf("%s@%s pid %d", who, host, os.Getpid()), Host: host, User: who, PID: os.Getpid(), RunID: randomID()}
		if lk, err = acquire(ctx, d, info, o.LockTTL, o.Now, o.Log); err != nil {
			return res, err
		}
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		go lk.keepAlive(ctx, cancel)
		defer func() {
			cancel(nil)
			rctx, done := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer done()
			if err := lk.release(rctx); err != nil {
				o.Log.Warn("could not release the lock", "err", err)
			}
		}()
		for _, dir := range []struct {
			name string
			mode fs.FileMode
		}{{nfs.StagingDir, hiddenMode}, {ObjectsDir, hiddenMode}, {HistoryDir, metaMode}} {
			if err := ensureDir(ctx, d, dir.name, dir.mode); err != nil {
				return res, err
			}
		}
		if err := recoverJournal(ctx, d, o.Log); err != nil {
			return res, err
		}
	}
	prev, err := ReadManifest(ctx, d, ManifestPath)
	if err != nil {
		return res, err
	}
	res.Previous = prev.Generation

	// 4. The plan.
	plan, err := makePlan(ctx, d, o, files, prev)
	if err != nil {
		return res, err
	}
	res.Generation = plan.Generation
	res.Unchanged = plan.Unchanged
	res.Bytes = plan.Bytes
	res.NotDeleted, res.Orphaned, res.Unmanaged = nonNil(plan.NotDeleted), nonNil(plan.Orphaned), nonNil(plan.Unmanaged)
	for _, f := range plan.Upload {
		res.Uploaded = append(res.Uploaded, f.Rel)
	}
	for _, e := range plan.Delete {
		res.Deleted = append(res.Deleted, e.Path)
	}
	if o.MaxDelete >= 0 && len(plan.Delete) > o.MaxDelete {
		return res, &RefusedError{Reason: fmt.Sprintf("the publish would delete %d files, more than --max-delete %d; check the source folder, or raise --max-delete", len(plan.Delete), o.MaxDelete)}
	}
	if o.DryRun {
		return res, nil
	}
	if len(plan.Upload) == 0 && len(plan.Delete) == 0 && len(plan.NotDeleted) == 0 && prev.Generation > 0 && prev.Label == o.Label {
		res.Generation = prev.Generation // nothing to do: no new generation
		if prev.Checked != report.Fingerprint {
			// Validated under other options: record this run's results, so
			// that the next publish reuses them (same generation).
			recordValidation(prev, report, files)
			if err := nfs.WriteFile(ctx, d, nfs.TempName(), ManifestPath, prev.encode(), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}); err != nil {
				return res, err
			}
		}
		return res, checkReadable(ctx, d, o.Readers, nil, nil)
	}
	if len(plan.Delete) > 0 && o.Confirm != nil && !o.Confirm(plan) {
		return res, &RefusedError{Reason: "publish cancelled at the confirmation prompt; nothing was changed"}
	}

	// 5. Stage, switch, record.
	ex := &executor{d: d, o: o, plan: plan, prev: prev, sealed: map[string]nfs.FileInfo{}, report: report, files: files}
	next, switchDur, err := ex.run(ctx)
	res.SwitchMS = float64(switchDur.Microseconds()) / 1000
	res.Warnings = append(res.Warnings, ex.warnings...)
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, ErrLockLost) {
			err = cause
		}
		return res, err
	}
	if err := writeHistory(ctx, d, next, o.Keep, o.Log); err != nil {
		res.Warnings = append(res.Warnings, "history: "+err.Error())
	}

	// 6. Can Airflow read what was published?
	return res, checkReadable(ctx, d, o.Readers, plan.Upload, ex.sealed)
}

// knownResults gives the validator what the current manifest records about
// files whose bytes have not changed, when it was validated with the same
// fingerprint: those files need no second reading. A manifest that cannot
// be read here means every file is checked.
func knownResults(ctx context.Context, d nfs.Dest, files []SourceFile) func(fp, name string) (validate.Known, bool) {
	m, err := ReadManifest(ctx, d, ManifestPath)
	if err != nil || m.Checked == "" {
		return nil
	}
	sums := make(map[string]string, len(files))
	for _, f := range files {
		sums[f.Rel] = f.Sum
	}
	entries := m.index()
	return func(fp, name string) (validate.Known, bool) {
		e, ok := entries[name]
		if fp != m.Checked || !ok || sums[name] != e.SHA256 {
			return validate.Known{}, false
		}
		k := validate.Known{Skipped: e.SafeModeSkipped}
		for _, dag := range e.DAGs {
			file := name
			if dag.Member != "" {
				file += "/" + dag.Member
			}
			k.DAGs = append(k.DAGs, validate.DAG{DagID: dag.ID, File: file, Line: dag.Line})
		}
		return k, true
	}
}

// recordValidation stores in each entry what validation found in its file.
// Only entries whose bytes are the source's are described by the report.
func recordValidation(m *Manifest, r *validate.Report, files []SourceFile) {
	if r == nil {
		return
	}
	sums := make(map[string]string, len(files))
	for _, f := range files {
		sums[f.Rel] = f.Sum
	}
	idx := make(map[string]int, len(m.Files))
	for i, e := range m.Files {
		m.Files[i].DAGs, m.Files[i].SafeModeSkipped = nil, false
		if sums[e.Path] == e.SHA256 {
			idx[e.Path] = i
		}
	}
	// A DAG's file is a published path, or a member inside one (a zip).
	owner := func(file string) (int, string, bool) {
		for p := file; ; {
			if i, ok := idx[p]; ok {
				return i, strings.TrimPrefix(strings.TrimPrefix(file, p), "/"), true
			}
			j := strings.LastIndexByte(p, '/')
			if j < 0 {
				return 0, "", false
			}
			p = p[:j]
		}
	}
	for _, dag := range r.DAGs {
		if i, member, ok := owner(dag.File); ok {
			m.Files[i].DAGs = append(m.Files[i].DAGs, EntryDAG{ID: dag.DagID, Line: dag.Line, Member: member})
		}
	}
	for _, name := range r.Skipped {
		if i, ok := idx[name]; ok {
			m.Files[i].SafeModeSkipped = true
		}
	}
	m.Checked = r.Fingerprint
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// hashAll computes every file's sha256 with bounded concurrency.
func hashAll(ctx context.Context, files []SourceFile, n int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	for i := range files {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			sum, _, err := hashFile(files[i].Abs)
			files[i].Sum = sum
			return err
		})
	}
	return g.Wait()
}

func hashFile(name string) (string, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

func checkWritable(ctx context.Context, d nfs.Dest) error {
	fi, err := d.Stat(ctx, "")
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("destination %s is not a folder", d)
	}
	folder := ""
	if mfi, err := d.Stat(ctx, MetaDir); err == nil {
		folder, fi = MetaDir, mfi // publishing needs .dagnfs; the root only to add files
	}
	ok, err := d.CanWrite(ctx, folder)
	if err != nil {
		return err
	}
	if folder == MetaDir && ok {
		ok, err = d.CanWrite(ctx, "")
		if err != nil {
			return err
		}
		folder = ""
		if fi, err = d.Stat(ctx, ""); err != nil {
			return err
		}
	}
	if ok {
		return nil
	}
	id := d.Identity()
	detail := perms.Explain(id, fi.UID, fi.GID, fi.Mode, perms.Write|perms.Exec)
	if detail == "" {
		detail = fmt.Sprintf("owner %d:%d mode %04o; the server refuses (root squash or export options)", fi.UID, fi.GID, fi.Mode.Perm())
	}
	shown := folder
	if shown == "" {
		shown = "."
	}
	return &PermissionError{
		Dest: d.String(), Folder: shown, Identity: id.String(), Detail: detail,
		Remedy: remedy(d, folder, id, fi),
	}
}

func remedy(d nfs.Dest, folder string, id perms.Identity, fi nfs.FileInfo) string {
	admin, where := "the admin", path.Join(d.String(), folder)
	if u, err := nfs.ParseURL(d.String()); err == nil {
		admin, where = "the admin of "+u.Host, path.Join(u.Path, folder)
	}
	r := fmt.Sprintf("ask %s to run \"chown %d:%d %s\" (or to make it writable for gid %d)", admin, id.UID, id.GIDs[0], where, id.GIDs[0])
	if fi.UID != 0 {
		r += fmt.Sprintf(", or publish with --uid %d --gid %d, its owner", fi.UID, fi.GID)
	}
	return r
}

// ensureDir creates a folder if it is missing and checks that it is one.
func ensureDir(ctx context.Context, d nfs.Dest, name string, mode fs.FileMode) error {
	err := d.Mkdir(ctx, name, mode.Perm())
	if err == nil || !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := d.Stat(ctx, name)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s/%s exists on the destination and is not a folder; move it away", d, name)
	}
	return nil
}

// journal lists the temporary names a publish is about to create, so that
// the next one can remove them after a crash.
type journal struct {
	RunID string   `json:"run_id"`
	Temps []string `json:"temps"`
}

func recoverJournal(ctx context.Context, d nfs.Dest, log *slog.Logger) error {
	b, err := d.ReadFile(ctx, JournalPath, maxMeta)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		log.Warn("ignoring an unreadable journal", "path", JournalPath, "err", err)
	}
	removed := 0
	for _, t := range j.Temps {
		if !strings.HasPrefix(t, nfs.StagingDir+"/") || !cleanRel(t) {
			continue
		}
		if err := d.Remove(ctx, t); err == nil {
			removed++
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if removed > 0 {
		log.Info("removed temporary files of an interrupted publish", "files", removed, "run", j.RunID)
	}
	return d.Remove(ctx, JournalPath)
}

func makePlan(ctx context.Context, d nfs.Dest, o Options, files []SourceFile, prev *Manifest) (*Plan, error) {
	p := &Plan{Generation: prev.Generation + 1}
	old := prev.index()
	inSource := make(map[string]bool, len(files))
	for _, f := range files {
		inSource[f.Rel] = true
		e, ok := old[f.Rel]
		if ok && e.SHA256 == f.Sum && e.Size == f.Size && fs.FileMode(e.Mode) == o.FileMode.Perm() {
			p.Unchanged++
			continue
		}
		if !ok {
			p.New++
		}
		p.Upload = append(p.Upload, f)
		p.Bytes += f.Size
	}
	for _, e := range prev.Files {
		if inSource[e.Path] {
			continue
		}
		if !o.Delete {
			p.Orphaned = append(p.Orphaned, e.Path)
			continue
		}
		same, err := matches(ctx, d, e)
		if err != nil {
			return nil, err
		}
		if same {
			p.Delete = append(p.Delete, e)
		} else {
			p.NotDeleted = append(p.NotDeleted, e.Path)
		}
	}
	if o.Delete {
		managed := prev.index()
		for _, f := range files {
			managed[f.Rel] = Entry{}
		}
		var err error
		if p.Unmanaged, err = unmanaged(ctx, d, "", managed); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// matches reports whether the export still holds e's content at e.Path.
func matches(ctx context.Context, d nfs.Dest, e Entry) (bool, error) {
	fi, err := d.Stat(ctx, e.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsRegular() || fi.Size != e.Size {
		return false, nil
	}
	b, err := d.ReadFile(ctx, e.Path, e.Size)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]) == e.SHA256, nil
}

// unmanaged lists the files under dir that are not in managed.
func unmanaged(ctx context.Context, d nfs.Dest, dir string, managed map[string]Entry) ([]string, error) {
	entries, err := d.ReadDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		p := path.Join(dir, e.Name)
		if p == MetaDir {
			continue
		}
		if e.IsDir() {
			sub, err := unmanaged(ctx, d, p, managed)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		if _, ok := managed[p]; !ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// executor carries out a plan.
type executor struct {
	d        nfs.Dest
	o        Options
	plan     *Plan
	prev     *Manifest
	warnings []string
	mu       sync.Mutex
	noLink   atomic.Bool
	sealed   map[string]nfs.FileInfo // what the destination reported at Seal
	report   *validate.Report        // the source's validation
	files    []SourceFile
}

func (ex *executor) warn(format string, args ...any) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	ex.warnings = append(ex.warnings, fmt.Sprintf(format, args...))
}

func (ex *executor) attr() nfs.Attr {
	a := nfs.Attr{Mode: ex.o.FileMode, UID: -1, GID: -1}
	if ex.d.Caps().Chown {
		a.UID, a.GID = ex.o.UID, ex.o.GID
	}
	return a
}

// run stages, switches and writes the manifest; it returns the new manifest
// and how long the switch took.
func (ex *executor) run(ctx context.Context) (*Manifest, time.Duration, error) {
	d, o, plan := ex.d, ex.o, ex.plan

	// Journal every temporary name before creating any.
	pend := make([]*nfs.Pending, len(plan.Upload))
	temps := make([]string, len(plan.Upload))
	for i := range temps {
		temps[i] = nfs.TempName()
	}
	j, _ := json.Marshal(journal{RunID: randomID(), Temps: temps})
	if len(temps) > 0 {
		if err := nfs.WriteFile(ctx, d, nfs.TempName(), JournalPath, j, nfs.Attr{Mode: 0o644, UID: -1, GID: -1}); err != nil {
			return nil, 0, err
		}
	}
	defer func() {
		for _, p := range pend {
			p.Cleanup()
		}
	}()

	if err := ex.makeDirs(ctx); err != nil {
		return nil, 0, err
	}

	// Stage every changed file.
	var done atomic.Int64
	var doneBytes atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	for i, f := range plan.Upload {
		g.Go(func() error {
			p, err := ex.stage(gctx, temps[i], f)
			pend[i] = p
			if err != nil {
				return err
			}
			if o.Progress != nil {
				o.Progress(Progress{Files: int(done.Add(1)), TotalFiles: len(plan.Upload),
					Bytes: doneBytes.Add(f.Size), TotalBytes: plan.Bytes})
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, err
	}

	// Keep the content about to be replaced or deleted, for rollback.
	oldIdx := ex.prev.index()
	var keep []Entry
	for _, f := range plan.Upload {
		if e, ok := oldIdx[f.Rel]; ok {
			keep = append(keep, e)
		}
	}
	keep = append(keep, plan.Delete...)
	ex.keepObjects(ctx, keep)

	// The switch: every rename and delete in one burst.
	action := o.Action
	if action == "" {
		action = "publish"
	}
	next := &Manifest{Format: 1, Generation: plan.Generation, Action: action, PublishedAt: o.Now().UTC(),
		PublishedBy: Who{User: currentUser(), UID: os.Getuid()}, Label: o.Label, Tool: "dagnfs " + o.Version}
	next.PublishedBy.Host, _ = os.Hostname()
	committed := make([]bool, len(pend))
	deleted := make([]bool, len(plan.Delete))
	// One connection, in order: concurrent RENAMEs into one folder contend
	// on the server (nfs-ganesha: 4 workers took 4x longer than one).
	t0 := time.Now()
	var switchErr error
	for i, p := range pend {
		if switchErr = p.Commit(ctx); switchErr != nil {
			break
		}
		committed[i] = true
		ex.sealed[p.Final()] = p.Info()
	}
	for i, e := range plan.Delete {
		if switchErr != nil {
			break
		}
		if err := d.Remove(ctx, e.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			switchErr = err
			break
		}
		deleted[i] = true
	}
	switchDur := time.Since(t0)

	// The new manifest records what is really on the export, even after a
	// partial switch: each file is whole, old or new.
	idx := ex.prev.index()
	for i, f := range plan.Upload {
		if committed[i] {
			idx[f.Rel] = Entry{Path: f.Rel, Size: f.Size, SHA256: f.Sum, Mode: Mode(o.FileMode.Perm()), ModTime: ex.sealed[f.Rel].ModTime.UTC()}
		}
	}
	for i, e := range plan.Delete {
		if deleted[i] {
			delete(idx, e.Path)
		}
	}
	for _, p := range plan.NotDeleted {
		delete(idx, p) // changed by someone else: no longer ours
	}
	for _, e := range idx {
		next.Files = append(next.Files, e)
	}
	recordValidation(next, ex.report, ex.files)
	mctx := ctx
	if switchErr != nil {
		var cancel context.CancelFunc
		mctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	if err := nfs.WriteFile(mctx, d, nfs.TempName(), ManifestPath, next.encode(), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}); err != nil {
		return nil, switchDur, errors.Join(switchErr, fmt.Errorf("writing the manifest: %w", err))
	}
	if switchErr != nil {
		return nil, switchDur, fmt.Errorf("switch interrupted (every file on the export is whole; the manifest records which are new): %w", switchErr)
	}
	ex.removeEmptyDirs(ctx)
	if len(temps) > 0 {
		if err := d.Remove(ctx, JournalPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			ex.warn("could not remove %s: %v", JournalPath, err)
		}
	}
	return next, switchDur, nil
}

// makeDirs creates the folders that new files need, parents first.
func (ex *executor) makeDirs(ctx context.Context) error {
	known := map[string]bool{"": true}
	for _, e := range ex.prev.Files {
		for dir := path.Dir(e.Path); dir != "."; dir = path.Dir(dir) {
			known[dir] = true
		}
	}
	var need []string
	for _, f := range ex.plan.Upload {
		for dir := path.Dir(f.Rel); dir != "." && !known[dir]; dir = path.Dir(dir) {
			known[dir] = true
			need = append(need, dir)
		}
	}
	slices.Sort(need) // a parent sorts before its children
	for _, dir := range need {
		if err := ensureDir(ctx, ex.d, dir, ex.o.DirMode); err != nil {
			return err
		}
		a := nfs.Attr{Mode: ex.o.DirMode, UID: -1, GID: -1}
		if ex.d.Caps().Chown {
			a.UID, a.GID = ex.o.UID, ex.o.GID
		}
		if _, err := ex.d.SetAttr(ctx, dir, a); err != nil {
			return err
		}
	}
	return nil
}

// stage writes one file under its temporary name and seals it.
func (ex *executor) stage(ctx context.Context, tmp string, f SourceFile) (*nfs.Pending, error) {
	src, err := os.Open(f.Abs)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	p, err := nfs.NewPending(ctx, ex.d, tmp, f.Rel, ex.attr())
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(p, src); err != nil {
		return p, err
	}
	if p.Sum() != f.Sum {
		return p, fmt.Errorf("%s changed while it was being published; publish again", f.Rel)
	}
	return p, p.Seal()
}

// keepObjects keeps the content of files about to be replaced or deleted in
// .dagnfs/objects, by hard link where possible and by copy elsewhere.
func (ex *executor) keepObjects(ctx context.Context, entries []Entry) {
	for _, e := range entries {
		obj := objectName(e.SHA256)
		if !ex.noLink.Load() {
			err := ex.d.Link(ctx, e.Path, obj)
			if err == nil || errors.Is(err, fs.ErrExist) {
				continue
			}
			if errors.Is(err, fs.ErrNotExist) {
				continue // already gone from the export: nothing to keep
			}
			ex.noLink.Store(true) // no hard links here: copy from now on
		}
		if _, err := ex.d.Stat(ctx, obj); err == nil {
			continue
		}
		same, err := matches(ctx, ex.d, e)
		if err != nil || !same {
			continue // only content that matches its name is kept
		}
		b, err := ex.d.ReadFile(ctx, e.Path, e.Size)
		if err == nil {
			err = nfs.WriteFile(ctx, ex.d, nfs.TempName(), obj, b, nfs.Attr{Mode: 0o444, UID: -1, GID: -1})
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			ex.warn("could not keep %s for rollback: %v", e.Path, err)
		}
	}
}

// removeEmptyDirs removes folders that deletes emptied, if nothing else is
// in them.
func (ex *executor) removeEmptyDirs(ctx context.Context) {
	dirs := map[string]bool{}
	for _, e := range ex.plan.Delete {
		for dir := path.Dir(e.Path); dir != "."; dir = path.Dir(dir) {
			dirs[dir] = true
		}
	}
	list := make([]string, 0, len(dirs))
	for d := range dirs {
		list = append(list, d)
	}
	slices.SortFunc(list, func(a, b string) int { return len(b) - len(a) }) // children first
	for _, dir := range list {
		_ = ex.d.Rmdir(ctx, dir) // fails, harmlessly, when not empty
	}
}

// writeHistory keeps next in .dagnfs/history and forgets generations beyond
// keep, with the objects only they referenced.
func writeHistory(ctx context.Context, d nfs.Dest, next *Manifest, keep int, log *slog.Logger) error {
	if err := nfs.WriteFile(ctx, d, nfs.TempName(), historyName(next.Generation), next.encode(), nfs.Attr{Mode: 0o644, UID: -1, GID: -1}); err != nil {
		return err
	}
	hist, err := ReadHistory(ctx, d)
	if err != nil || len(hist) <= keep {
		return err
	}
	live := map[string]bool{}
	for _, m := range hist[:keep] {
		for _, e := range m.Files {
			live[e.SHA256] = true
		}
	}
	for _, m := range hist[keep:] {
		for _, e := range m.Files {
			if !live[e.SHA256] {
				live[e.SHA256] = true // remove once
				if err := d.Remove(ctx, objectName(e.SHA256)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
		}
		if err := d.Remove(ctx, historyName(m.Generation)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		log.Debug("forgot generation", "generation", m.Generation)
	}
	return nil
}

// checkReadable checks that every reader identity can read each uploaded
// file and traverse every folder on its way, as the destination reports
// owner and mode (for files: as it reported them when they were sealed; a
// rename does not change them). The root is always checked.
func checkReadable(ctx context.Context, d nfs.Dest, readers []perms.Identity, files []SourceFile, known map[string]nfs.FileInfo) error {
	var problems []string
	dirs := map[string]bool{"": true}
	var order []string
	for _, f := range files {
		for dir := path.Dir(f.Rel); dir != "."; dir = path.Dir(dir) {
			if !dirs[dir] {
				dirs[dir] = true
				order = append(order, dir)
			}
		}
	}
	order = append([]string{""}, order...)
	check := func(name string, want perms.Access) error {
		fi, ok := known[name]
		if !ok {
			var err error
			if fi, err = d.Stat(ctx, name); err != nil {
				return err
			}
		}
		for _, id := range readers {
			if why := perms.Explain(id, fi.UID, fi.GID, fi.Mode, want); why != "" {
				shown := name
				if shown == "" {
					shown = "the export root"
				}
				problems = append(problems, fmt.Sprintf("%s: %s", shown, why))
				break
			}
		}
		return nil
	}
	for _, dir := range order {
		if err := check(dir, perms.Traverse); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := check(f.Rel, perms.Read); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return &CheckError{Problems: problems}
	}
	return nil
}
