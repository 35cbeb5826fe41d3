package verify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dagnfs/dagnfs/bundle"
	"github.com/dagnfs/dagnfs/internal/guard"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/perms"
	"golang.org/x/sync/errgroup"
)

// Severities of findings.
const (
	Error   = "error"
	Warning = "warning"
	Info    = "info"
)

// Rule ids of findings.
const (
	RuleNotAMount          = "not-a-mount"
	RuleFSType             = "fstype-mismatch"
	RuleManifestMissing    = "manifest-missing"
	RuleManifestCorrupt    = "manifest-corrupt"
	RuleGeneration         = "generation-mismatch"
	RuleLabel              = "label-mismatch"
	RuleWaitTimeout        = "wait-timeout"
	RuleMissing            = "file-missing"
	RuleNotRegular         = "not-a-file"
	RuleSize               = "size-mismatch"
	RuleContent            = "content-mismatch"
	RuleMTime              = "mtime-mismatch"
	RuleUnreadable         = "unreadable"
	RuleNotReadableAirflow = "not-readable-for-airflow"
	RuleNotTraversable     = "folder-not-traversable"
	RuleStale              = "stale-file-handle"
	RuleIO                 = "io-error"
	RuleTimeout            = "timeout"
	RuleUnmanaged          = "unmanaged-file"
	RuleLeftoverTemp       = "leftover-temp"
	RuleStaleLock          = "stale-lock"
	RulePublishing         = "publish-in-progress"
	RuleCurrent            = "current-mismatch"
	RuleOutsideCurrent     = "outside-current"
	RuleResolvedPath       = "pinned-generation"
	RuleMode               = "mode-mismatch"
	RuleOwner              = "owner-mismatch"
	RuleReplaced           = "file-replaced"
	RulePaused             = "pause-unreadable"
)

// Finding is one problem (or, with severity info, a fact worth knowing).
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"`
	Message  string `json:"message"`
}

func (f Finding) String() string {
	if f.File == "" {
		return fmt.Sprintf("%s [%s] %s", f.Severity, f.Rule, f.Message)
	}
	return fmt.Sprintf("%s: %s [%s] %s", f.File, f.Severity, f.Rule, f.Message)
}

// Options configure a verification.
type Options struct {
	// LocalPath is the mounted folder being verified ("" over NFS): its
	// mount is looked up in MountInfo.
	LocalPath string
	MountInfo string // default /proc/self/mountinfo
	// ExpectFSType fails unless the folder's file system has this type.
	ExpectFSType string
	// As is the identity that must be able to read everything (Airflow's).
	As perms.Identity
	// Self is the identity reading (the process, or the NFS credential).
	Self perms.Identity
	// ExpectGeneration and ExpectLabel name the generation that must be
	// visible; with Wait, verification polls until it is.
	ExpectGeneration int
	ExpectLabel      string
	Wait             time.Duration
	Poll             time.Duration // default 2s
	// Quick compares size and mtime instead of reading every file.
	Quick bool
	// DagsFolder, with LocalPath, is the folder Airflow is configured
	// with ([core] dags_folder, or a LocalDagBundle's path): Airflow's own
	// scan of it must raise nothing, enter nothing of dagnfs's and find
	// every file that defines a DAG exactly once, with each of
	// IgnoreSyntaxes (default: regexp and glob).
	DagsFolder     string
	IgnoreSyntaxes []string
	scans          *scans // shared by the teams of a share (VerifyTeams)
	// Notes are findings made before the verification (ExportRoot's).
	Notes []Finding
	Now   func() time.Time
}

// Result is one verification, as printed with --format json.
type Result struct {
	OK         bool   `json:"ok"`
	Dest       string `json:"dest"`
	Layout     string `json:"layout"`
	Generation int    `json:"generation"`
	// Current, in the generations layout, is the generation whose folder
	// the current symlink names, as this reader resolves it.
	Current int `json:"current,omitempty"`
	// Bundle and Version, in the manifest-bundle layout: the version the
	// manifest records (the reference must name it).
	Bundle      string    `json:"bundle,omitempty"`
	Version     string    `json:"version,omitempty"`
	Label       string    `json:"label"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	PublishedBy string    `json:"published_by,omitempty"`
	// PromotedFrom: the generation's files are what another destination
	// served (dagnfs promote).
	PromotedFrom *layout.Provenance `json:"promoted_from,omitempty"`
	Mount        *Mount             `json:"mount,omitempty"`
	Findings     []Finding          `json:"findings"`
	Files        int                `json:"files"`
	Bytes        int64              `json:"bytes"`
	Unreadable   int                `json:"unreadable"`
	Unmanaged    int                `json:"unmanaged"`
	DurationMS   int64              `json:"duration_ms"`
	// WaitedMS is how long --wait took until the expected generation showed.
	WaitedMS int64 `json:"waited_ms,omitempty"`
	// Paused is the destination's pause (dagnfs pause), if publishing to it
	// is paused.
	Paused *layout.PauseInfo `json:"paused,omitempty"`
	// VisibleAfterS is the time from the publish to this verification seeing
	// the generation, in seconds (the propagation delay, at most).
	VisibleAfterS float64 `json:"visible_after_s,omitempty"`
}

// Attention counts what needs someone's attention (status --check): managed
// files that differ, leftovers of an interrupted publish, a lock held or
// left behind, current not naming the manifest's generation, a pause
// (deliberate, but a forgotten one stops every deploy). Files dagnfs never
// published are listed but are not its business.
func (r *Result) Attention() int {
	n := 0
	for _, f := range r.Findings {
		if (f.Severity != Info && f.Rule != RuleUnmanaged) || f.Rule == RulePublishing {
			n++
		}
	}
	if r.Paused != nil {
		n++
	}
	return n
}

// Errors counts findings of severity error.
func (r *Result) Errors() int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == Error {
			n++
		}
	}
	return n
}

func (r *Result) add(rule, sev, file, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{Rule: rule, Severity: sev, File: file, Message: fmt.Sprintf(format, args...)})
}

// UnreadableError: the destination cannot be read at all.
type UnreadableError struct {
	Dest string
	Err  error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("cannot read %s at all: %v; %s", e.Dest, e.Err, remedy(e.Err))
}

func (e *UnreadableError) Unwrap() error { return e.Err }

// Verify checks d once (or, with Wait, until the expected generation shows).
func Verify(ctx context.Context, d nfs.Dest, o Options) (*Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.MountInfo == "" {
		o.MountInfo = "/proc/self/mountinfo"
	}
	start := o.Now()
	r := &Result{Dest: d.String(), Findings: append([]Finding{}, o.Notes...)}
	defer func() { r.DurationMS = o.Now().Sub(start).Milliseconds() }()

	if o.LocalPath != "" {
		m, err := FindMount(o.LocalPath, o.MountInfo)
		switch {
		case err != nil || m == nil:
			r.add(RuleNotAMount, Info, "", "no mount information (%v); checking the folder as it is", err)
		default:
			r.Mount = m
			if !m.IsMount {
				sev := Info
				if o.ExpectFSType != "" {
					sev = Error
				}
				r.add(RuleNotAMount, sev, "", "%s is not a mount point: it lives on %s (%s, %s); inside a pod the dags folder is the export's mount", o.LocalPath, m.Path, m.FSType, m.Source)
			}
			if o.ExpectFSType != "" && m.FSType != o.ExpectFSType {
				r.add(RuleFSType, Error, "", "the file system is %s from %s, not %s; check the pod's volume", m.FSType, m.Source, o.ExpectFSType)
			}
		}
	}

	if _, err := d.Stat(ctx, ""); err != nil {
		return r, &UnreadableError{Dest: d.String(), Err: err}
	}
	m, err := waitForGeneration(ctx, d, o, r, start)
	if err != nil {
		return r, err
	}
	if p, err := layout.ReadPause(ctx, d); err != nil {
		r.add(RulePaused, Warning, layout.PausePath, "%v", err)
	} else {
		r.Paused = p
	}
	if m != nil {
		files := d
		r.Layout = layout.InPlace
		switch {
		case m.InGenerations():
			r.Layout = layout.Generations
			files = checkCurrent(ctx, d, r, m)
		case m.InBundle():
			files = checkBundle(ctx, d, r, m)
		}
		if files == nil {
			checkLeftovers(ctx, d, o, r)
			r.OK = r.Errors() == 0
			return r, nil
		}
		l := walkExport(ctx, files)
		if m.InBundle() {
			delete(l.files, bundle.ManifestName) // the snapshot's own, checked above
		}
		checkFiles(ctx, files, o, r, m, l, &linkNotes{d: d}) // d holds FROM's promote records
		checkExtras(r, m, l)
		if err := serverFault(l); err != nil {
			// Airflow finds DAGs by listing: a server that does not answer a
			// listing (or answers one without end) serves nothing sound.
			return r, &UnreadableError{Dest: d.String(), Err: err}
		}
		if !m.InBundle() { // Airflow never scans a published root
			checkRootIgnore(ctx, d, r, m)
		}
		if o.DagsFolder != "" && o.LocalPath != "" && !m.InBundle() { // a bundle is scanned in Airflow's own copy
			checkAirflowScan(ctx, o, r, m)
		}
	}
	checkLeftovers(ctx, d, o, r)
	r.OK = r.Errors() == 0
	return r, nil
}

// waitForGeneration reads the manifest until it shows the expected
// generation or label, or Wait runs out. A nil manifest means there is
// nothing to compare the files with (the finding says why).
func waitForGeneration(ctx context.Context, d nfs.Dest, o Options, r *Result, start time.Time) (*layout.Manifest, error) {
	deadline := start.Add(o.Wait)
	for {
		m, err := layout.ReadManifest(ctx, d, layout.ManifestPath)
		var me *layout.ManifestError
		switch {
		case errors.As(err, &me):
			r.add(RuleManifestCorrupt, Error, layout.ManifestPath, "%v", me.Err)
			return nil, nil
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			r.add(ruleFor(err), Error, layout.ManifestPath, "%v; %s", err, remedy(err))
			return nil, nil
		}
		if m.Generation == 0 {
			if o.Wait <= 0 || !o.Now().Before(deadline) {
				r.add(RuleManifestMissing, Error, layout.ManifestPath, "no manifest: nothing was published here by dagnfs (or the mount shows another folder)")
				return nil, nil
			}
		} else {
			r.Generation, r.Label, r.PublishedAt, r.PromotedFrom = m.Generation, m.Label, m.PublishedAt, m.PromotedFrom
			r.PublishedBy = fmt.Sprintf("%s@%s", m.PublishedBy.User, m.PublishedBy.Host)
			genOK := o.ExpectGeneration == 0 || m.Generation >= o.ExpectGeneration
			labelOK := o.ExpectLabel == "" || m.Label == o.ExpectLabel
			// In the generations layout the set the pod sees is the one
			// current names: the wait is over when that agrees too (a
			// pod's cache may show a new manifest and an old symlink).
			currentOK := !m.InGenerations() || o.Wait <= 0 || currentNames(ctx, d, m.Folder)
			if genOK && labelOK && currentOK {
				if o.Wait > 0 {
					r.WaitedMS = o.Now().Sub(start).Milliseconds()
				}
				if !m.PublishedAt.IsZero() {
					r.VisibleAfterS = o.Now().Sub(m.PublishedAt).Seconds()
				}
				return m, nil
			}
			if o.Wait <= 0 || !o.Now().Before(deadline) {
				if !currentOK {
					r.add(RuleWaitTimeout, Error, layout.Current, "the mount shows generation %d's manifest, but %s does not name its folder yet%s", m.Generation, layout.Current, waited(o))
				}
				if !genOK {
					rule := RuleGeneration
					if o.Wait > 0 {
						rule = RuleWaitTimeout
					}
					r.add(rule, Error, layout.ManifestPath, "the mount shows generation %d, not %d%s", m.Generation, o.ExpectGeneration, waited(o))
				}
				if !labelOK {
					rule := RuleLabel
					if o.Wait > 0 {
						rule = RuleWaitTimeout
					}
					r.add(rule, Error, layout.ManifestPath, "the mount shows label %q, not %q%s", m.Label, o.ExpectLabel, waited(o))
				}
				return m, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(o.Poll, time.Until(deadline)+time.Millisecond)):
		}
	}
}

// currentNames says whether current names generation folder gen.
func currentNames(ctx context.Context, d nfs.Dest, gen int) bool {
	target, err := d.Readlink(ctx, layout.Current)
	got, ok := layout.ParseGenerationName(target)
	return err == nil && ok && got == gen
}

func waited(o Options) string {
	if o.Wait <= 0 {
		return ""
	}
	return fmt.Sprintf(" after waiting %v (NFS attribute caching can delay what a node sees: compare with other nodes, or lower actimeo)", o.Wait)
}

// listing is what one walk of the export found: the attributes of every
// file and folder (one READDIRPLUS per folder over NFS, instead of a lookup
// per file), and the folders that could not be listed.
type listing struct {
	files    map[string]nfs.FileInfo
	dirs     map[string]nfs.FileInfo
	unlisted map[string]error
}

func walkExport(ctx context.Context, d nfs.Dest) *listing {
	l := &listing{files: map[string]nfs.FileInfo{}, dirs: map[string]nfs.FileInfo{}, unlisted: map[string]error{}}
	var walk func(dir string)
	walk = func(dir string) {
		entries, err := d.ReadDir(ctx, dir)
		if err != nil {
			l.unlisted[dir] = err
			return
		}
		for _, e := range entries {
			p := path.Join(dir, e.Name)
			switch {
			case p == layout.Dir:
			case e.IsDir():
				l.dirs[p] = e
				walk(p)
			default:
				l.files[p] = e
			}
		}
	}
	walk("")
	return l
}

// lookup returns what the walk saw of name, or asks the destination when
// the walk could not list its folder.
func (l *listing) lookup(ctx context.Context, d nfs.Dest, name string) (nfs.FileInfo, error) {
	if fi, ok := l.files[name]; ok {
		return fi, nil
	}
	for dir := path.Dir(name); ; dir = path.Dir(dir) {
		key := dir
		if key == "." {
			key = ""
		}
		if _, bad := l.unlisted[key]; bad {
			return d.Stat(ctx, name)
		}
		if key == "" {
			break
		}
	}
	if fi, ok := l.dirs[name]; ok {
		return fi, nil
	}
	return nfs.FileInfo{}, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// checkFiles compares every manifest entry with the export, reading the
// files (unless Quick) a few at a time.
func checkFiles(ctx context.Context, d nfs.Dest, o Options, r *Result, m *layout.Manifest, l *listing, notes *linkNotes) {
	dirs := map[string]bool{}
	found := make([][]Finding, len(m.Files))
	unreadable := make([]bool, len(m.Files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, e := range m.Files {
		r.Files++
		r.Bytes += e.Size
		for dir := path.Dir(e.Path); dir != "."; dir = path.Dir(dir) {
			dirs[dir] = true
		}
		g.Go(guard.Func(func() error {
			found[i], unreadable[i] = checkFile(gctx, d, o, m, l, notes, e)
			return nil
		}))
	}
	g.Wait()
	for i := range found {
		r.Findings = append(r.Findings, found[i]...)
		if unreadable[i] {
			r.Unreadable++
		}
	}
	list := make([]string, 0, len(dirs)+1)
	list = append(list, "")
	for dir := range dirs {
		list = append(list, dir)
	}
	slices.Sort(list)
	for _, dir := range list {
		fi, ok := l.dirs[dir]
		if !ok {
			var err error
			if fi, err = d.Stat(ctx, dir); err != nil {
				continue // its files are reported
			}
		}
		if why := perms.Explain(o.As, fi.UID, fi.GID, fi.Mode, perms.Traverse); why != "" {
			name := dir
			if name == "" {
				name = "."
			}
			r.add(RuleNotTraversable, Error, name, "%s; every folder on the way needs x for Airflow (publish with folder mode 0755)", why)
		}
	}
}

// checkFile checks one manifest entry; it reports whether the file could
// not be read (by this process or by the Airflow identity).
func checkFile(ctx context.Context, d nfs.Dest, o Options, m *layout.Manifest, l *listing, notes *linkNotes, e layout.Entry) (out []Finding, _ bool) {
	add := func(rule, format string, args ...any) {
		out = append(out, Finding{Rule: rule, Severity: Error, File: e.Path, Message: fmt.Sprintf(format, args...)})
	}
	fi, err := l.lookup(ctx, d, e.Path)
	defer func() { notes.add(ctx, m, e, fi, out) }()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			add(RuleMissing, "listed in generation %d but not on the export", m.Generation)
			return out, false
		}
		add(ruleFor(err), "%v; %s", err, remedy(err))
		return out, true
	}
	if !fi.IsRegular() {
		add(RuleNotRegular, "is a %v, not a file", fi.Mode.Type())
		return out, false
	}
	unreadable := false
	if why := perms.Explain(o.As, fi.UID, fi.GID, fi.Mode, perms.Read); why != "" {
		add(RuleNotReadableAirflow, "%s; publish with file mode 0644 or fix the owner", why)
		unreadable = true
	}
	if fi.Size != e.Size {
		add(RuleSize, "%d bytes on the export, %d published", fi.Size, e.Size)
		return out, unreadable
	}
	if e.Mode != 0 && fi.Mode.Perm() != fs.FileMode(e.Mode).Perm() {
		add(RuleMode, "mode %04o on the export, %04o published", fi.Mode.Perm(), fs.FileMode(e.Mode).Perm())
	}
	if owner := layout.OwnerString(fi.UID, fi.GID); e.Owner != "" && owner != e.Owner {
		add(RuleOwner, "owner %s on the export, %s published", owner, e.Owner)
	}
	if e.FileID != 0 && fi.FileID != 0 && fi.FileID != e.FileID {
		add(RuleReplaced, "another file than the one published (file id %d, %d published)", fi.FileID, e.FileID)
	}
	if o.Quick {
		if !e.ModTime.IsZero() && !fi.ModTime.Equal(e.ModTime) {
			add(RuleMTime, "modified on the export at %s, published at %s", fi.ModTime.UTC().Format(time.RFC3339), e.ModTime.Format(time.RFC3339))
		}
		return out, unreadable
	}
	sum, _, err := nfs.Sum(ctx, d, e.Path, e.Size)
	if errors.Is(err, nfs.ErrTooLarge) {
		add(RuleSize, "grew past the %d bytes published while it was read", e.Size)
		return out, unreadable
	}
	if err != nil {
		add(ruleFor(err), "%v; %s", err, remedy(err))
		return out, true
	}
	if sum != e.SHA256 {
		add(RuleContent, "the content differs from what generation %d published (sha256 %s)", m.Generation, e.SHA256[:12])
	}
	return out, unreadable
}

// inPlace are the findings of a file changed in place (its content, mode or
// owner): where promote linked it, the other side serves the change too.
var inPlace = map[string]bool{RuleSize: true, RuleMode: true, RuleOwner: true, RuleMTime: true, RuleContent: true}

// linkNotes names, in the findings of a file changed in place, the other
// destinations that serve the same file because promote linked it (see
// layout.LinkNote). FROM's records are read once, and only when a file
// with more than one link changed.
type linkNotes struct {
	once    sync.Once
	d       nfs.Dest
	records []layout.PromotedTo
}

func (n *linkNotes) add(ctx context.Context, m *layout.Manifest, e layout.Entry, fi nfs.FileInfo, found []Finding) {
	if fi.Nlink < 2 || !slices.ContainsFunc(found, func(f Finding) bool { return inPlace[f.Rule] }) {
		return
	}
	n.once.Do(func() { n.records, _ = layout.ReadPromoted(ctx, n.d) })
	note := layout.LinkNote(m, e, fi.Nlink, n.records)
	for i := range found {
		if inPlace[found[i].Rule] {
			found[i].Message += note
		}
	}
}

// ExportRoot finds the export root for a dags folder as a pod sees it:
// the folder itself, or, in the generations layout, the folder that holds
// the current symlink the path names. A path that resolves to a
// generation's own folder (a dags folder set to the resolved path, as
// Airflow 2.10.0 and 2.10.1 did with symlinks) is pinned to that
// generation: the note says so.
func ExportRoot(dir string) (string, []Finding) {
	if filepath.Base(dir) == layout.Current {
		if target, err := os.Readlink(dir); err == nil {
			if _, ok := layout.ParseGenerationName(target); ok {
				return filepath.Dir(dir), nil
			}
		}
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return dir, nil
	}
	parent, base := filepath.Split(filepath.Clean(real))
	gens := filepath.Clean(parent)
	if _, ok := layout.ParseGenerationName(layout.GenerationsDir + "/" + base); ok && strings.HasSuffix(gens, filepath.FromSlash("/"+layout.GenerationsDir)) {
		root := strings.TrimSuffix(gens, filepath.FromSlash("/"+layout.GenerationsDir))
		return root, []Finding{{Rule: RuleResolvedPath, Severity: Warning, File: dir,
			Message: fmt.Sprintf("this is generation %s's own folder: a dags folder set to it never sees a later generation; set it to %s", base, filepath.Join(root, layout.Current))}}
	}
	return dir, nil
}

// checkCurrent resolves the current symlink of the generations layout and
// returns the folder it names, where the files are compared (nil when it
// names none: the findings say why). What else sits at the export root is
// outside what Airflow, pointed at current, sees.
func checkCurrent(ctx context.Context, d nfs.Dest, r *Result, m *layout.Manifest) nfs.Dest {
	target, err := d.Readlink(ctx, layout.Current)
	if err != nil {
		r.add(RuleCurrent, Error, layout.Current, "cannot read the symlink: %v; the manifest records generation %d in %s", err, m.Generation, m.Root())
		r.OK = false
		return nil
	}
	gen, ok := layout.ParseGenerationName(target)
	if !ok {
		r.add(RuleCurrent, Error, layout.Current, "points to %q, not to a generation folder dagnfs made", target)
		return nil
	}
	r.Current = gen
	if gen != m.Folder {
		r.add(RuleCurrent, Error, layout.Current, "names generation %d's folder, but the manifest (generation %d) says %s: a publish was interrupted between the two; the next publish or rollback settles it",
			gen, m.Generation, m.Root())
	}
	if entries, err := d.ReadDir(ctx, ""); err == nil {
		for _, e := range entries {
			if e.Name != layout.Dir && e.Name != layout.Current && e.Name != layout.IgnoreFile {
				r.add(RuleOutsideCurrent, Info, e.Name, "outside %s: Airflow, pointed at %s, does not see it", layout.Current, layout.Current)
			}
		}
	}
	return nfs.Sub(d, layout.GenerationName(gen))
}

// checkExtras lists files on the export that the manifest does not, and
// folders that could not be listed.
func checkExtras(r *Result, m *layout.Manifest, l *listing) {
	listed := make(map[string]bool, len(m.Files))
	for _, e := range m.Files {
		listed[e.Path] = true
	}
	var extra []string
	for p := range l.files {
		if !listed[p] {
			extra = append(extra, p)
		}
	}
	slices.Sort(extra)
	for _, p := range extra {
		r.Unmanaged++
		parsed := ""
		if strings.HasSuffix(p, ".py") || strings.HasSuffix(p, ".zip") {
			parsed = "; Airflow will parse it"
		}
		r.add(RuleUnmanaged, Warning, p, "not published by dagnfs (generation %d does not list it)%s", m.Generation, parsed)
	}
	var bad []string
	for dir := range l.unlisted {
		bad = append(bad, dir)
	}
	slices.Sort(bad)
	for _, dir := range bad {
		name := dir
		if name == "" {
			name = "."
		}
		err := l.unlisted[dir]
		r.add(ruleFor(err), Error, name, "cannot list: %v; Airflow, which finds DAGs by listing, skips this folder; %s", err, remedy(err))
	}
}

// serverFault is the first listing the server did not answer, or answered
// with a malformed or endless reply, naming the folder.
func serverFault(l *listing) error {
	dirs := slices.Sorted(maps.Keys(l.unlisted))
	for _, dir := range dirs {
		err := l.unlisted[dir]
		var te *nfs.TransportError
		if errors.As(err, &te) || errors.Is(err, nfs.ErrMalformed) || errors.Is(err, context.DeadlineExceeded) {
			name := dir
			if name == "" {
				name = "."
			}
			return fmt.Errorf("listing %s: %w", name, err)
		}
	}
	return nil
}

// checkLeftovers reports an interrupted publish's temporary files and locks.
func checkLeftovers(ctx context.Context, d nfs.Dest, o Options, r *Result) {
	li, err := layout.ReadLock(ctx, d, layout.DefaultLockTTL)
	if err != nil {
		li = nil
	}
	live := li != nil && li.Live(o.Now())
	if _, err := d.Stat(ctx, layout.JournalPath); err == nil && !live {
		// (while a publish runs, the journal is its own)
		r.add(RuleLeftoverTemp, Warning, layout.JournalPath, "an interrupted publish left temporary files in %s (nobody can list them, Airflow included); the next publish removes them", layout.StagingDir)
	}
	switch {
	case li == nil:
	case live:
		r.add(RulePublishing, Info, layout.LockPath, "%s; its lock expires %s unless it is refreshed", li.Running(), li.Expires.UTC().Format(time.RFC3339))
	case li.HolderGone():
		r.add(RuleStaleLock, Warning, layout.LockPath, "held by %s, whose process no longer runs: that publish was interrupted; the next publish takes the lock over", li.Holder)
	default:
		r.add(RuleStaleLock, Warning, layout.LockPath, "held by %s, expired %s: that publisher is gone; the next publish takes the lock over", li.Holder, li.Expires.UTC().Format(time.RFC3339))
	}
}

// ruleFor names the fault behind an error.
func ruleFor(err error) string {
	var te *nfs.TransportError
	switch {
	case errors.Is(err, syscall.ESTALE):
		return RuleStale
	case errors.Is(err, fs.ErrPermission):
		return RuleUnreadable
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return RuleTimeout
	case errors.As(err, &te), errors.Is(err, syscall.EIO):
		return RuleIO
	}
	return RuleIO
}

// remedy says what to do about a fault.
func remedy(err error) string {
	switch ruleFor(err) {
	case RuleStale:
		return "the mount holds a stale file handle (the export was recreated or the server restarted): restart the pod, or remount the volume on this node"
	case RuleUnreadable:
		return "permission denied for this user: publish with file mode 0644 and folder mode 0755, or check the export's squash options"
	case RuleTimeout:
		return "the server did not answer in time: check the NFS server and the network from this node"
	}
	var te *nfs.TransportError
	if errors.As(err, &te) {
		return "the NFS server does not answer: check that it runs and that this node reaches it"
	}
	return "an I/O error from the file system: check the NFS server's health and the node's kernel log"
}
