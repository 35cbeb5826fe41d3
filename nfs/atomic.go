package nfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"sync"
	"time"
)

// Pending is one file on its way onto a destination, written under a
// temporary name. The steps are described in the package documentation.
//
//	p, err := nfs.NewPending(ctx, d, tmp, final, attr)
//	defer p.Cleanup(ctx)
//	... p.Write(...) ...
//	if err := p.Seal(ctx); err != nil { return err }
//	return p.Commit(ctx)
type Pending struct {
	d         Dest
	tmp       string
	final     string
	attr      Attr
	w         Writer
	h         hash.Hash
	n         int64
	info      FileInfo
	sealed    bool
	done      bool
	committed bool
	// sum is the content's sha256 where nothing was written (LinkedPending).
	sum    string
	linked bool
}

// NewPending creates the temporary file tmp exclusively, with its final
// mode (nobody can list the staging folder), for what will become final;
// where the destination can, together with its first WRITE (CreateFresh),
// so that an error making it comes from Write or Seal.
func NewPending(ctx context.Context, d Dest, tmp, final string, attr Attr) (*Pending, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // nothing was sent: nothing to clean up
	}
	// Writable by its owner until Seal gives it attr's mode: a server that
	// opens the file for each WRITE (go-nfs, behind dagnfs serve) cannot
	// fill one created read-only, such as a file kept for rollback (0444).
	w, err := CreateFresh(ctx, d, tmp, attr.Mode.Perm()|0o200)
	if err != nil {
		if ctx.Err() != nil {
			// Cancelled while the CREATE was in flight: the server may have
			// made the file all the same. Best effort; the journal covers
			// what this misses.
			cctx, cancel := CleanupContext(ctx)
			_ = d.Remove(cctx, tmp)
			cancel()
		}
		return nil, err
	}
	return &Pending{d: d, tmp: tmp, final: final, attr: attr, w: w, h: sha256.New()}, nil
}

// TempPath is the temporary name.
func (p *Pending) TempPath() string { return p.tmp }

// Final is the name the file will have.
func (p *Pending) Final() string { return p.final }

// ReadFrom adds r's content up to its end, read straight into the
// destination's buffers where it can (Stream calls it).
func (p *Pending) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := p.w.(io.ReaderFrom)
	if !ok {
		b := bufs.Get().(*[]byte)
		defer bufs.Put(b)
		return io.CopyBuffer(struct{ io.Writer }{p}, r, *b)
	}
	n, err := rf.ReadFrom(io.TeeReader(r, p.h))
	p.n += n
	return n, err
}

// Write adds content.
func (p *Pending) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.h.Write(b[:n])
	p.n += int64(n)
	return n, err
}

// Size is how many bytes were written.
func (p *Pending) Size() int64 { return p.n }

// Sum is the sha256 of what was written, in hex.
func (p *Pending) Sum() string {
	if p.h == nil {
		return p.sum
	}
	return hex.EncodeToString(p.h.Sum(nil))
}

// Info is what the destination reported after Seal.
func (p *Pending) Info() FileInfo { return p.info }

// LinkedPending is a Pending whose temporary file tmp link makes (a hard
// link to a file whose content the caller checked, LinkAcross): nothing is
// written. The linked file must be the one checked, unchanged (want's file
// id, size and mtime), and have the mode and owner attr asks, which a link
// cannot change without changing the original: otherwise tmp is removed
// again and the error is errors.ErrUnsupported, for the caller to copy
// instead. sum is the content's sha256. It is sealed: only Commit (or
// Keep) remains.
func LinkedPending(ctx context.Context, d Dest, tmp, final string, attr Attr, want FileInfo, sum string, link func(context.Context) error) (*Pending, error) {
	size := want.Size
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := link(ctx); err != nil {
		return nil, err
	}
	p := &Pending{d: d, tmp: tmp, final: final, attr: attr, n: size, sum: sum}
	fi, err := d.Stat(ctx, tmp)
	if err == nil && (!p.attrOK(fi) || fi.Size != size || !fi.IsRegular() || fi.FileID != want.FileID || !fi.ModTime.Equal(want.ModTime)) {
		err = errors.ErrUnsupported // not the file checked, or not as this publish sets it
	}
	if err != nil {
		cctx, cancel := CleanupContext(ctx)
		_ = d.Remove(cctx, tmp)
		cancel()
		return nil, pathErr("link", final, err)
	}
	p.info, p.sealed, p.linked = fi, true, true
	return p, nil
}

// Linked tells whether the file is a link to another's (LinkedPending).
func (p *Pending) Linked() bool { return p.linked }

// Seal commits the content to stable storage, checks its size on the
// destination and sets mode and owner where the destination did not apply
// them at creation. After Seal only Commit remains.
func (p *Pending) Seal(ctx context.Context) error {
	fi, err := p.w.Commit(ctx)
	if err == nil && !p.attrOK(fi) {
		fi, err = p.w.SetAttr(ctx, p.attr)
	}
	if cerr := p.w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if !p.attrOK(fi) {
		return pathErr("setattr", p.final, fmt.Errorf("the destination keeps mode %04o owner %d:%d, not %04o %d:%d",
			fi.Mode.Perm(), fi.UID, fi.GID, p.attr.Mode.Perm(), p.attr.UID, p.attr.GID))
	}
	if fi.Size != p.n {
		return pathErr("write", p.final, fmt.Errorf("the destination holds %d bytes of the %d written", fi.Size, p.n))
	}
	p.info, p.sealed = fi, true
	return nil
}

func (p *Pending) attrOK(fi FileInfo) bool {
	return fi.Mode.Perm() == p.attr.Mode.Perm() &&
		(p.attr.UID < 0 || fi.UID == uint32(p.attr.UID)) && (p.attr.GID < 0 || fi.GID == uint32(p.attr.GID))
}

// Commit renames the sealed file over its final name. A rename reported as
// failed is checked: if the final name now is the temporary file (same file
// id), the rename worked and only its reply was lost.
func (p *Pending) Commit(ctx context.Context) error {
	if !p.sealed {
		return pathErr("rename", p.final, errors.New("commit before seal"))
	}
	return p.renamed(ctx, p.d.Rename(ctx, p.tmp, p.final))
}

// renamed ends Commit after the rename: one reported failed is checked.
func (p *Pending) renamed(ctx context.Context, err error) error {
	if err != nil {
		if fi, serr := p.d.Stat(ctx, p.final); serr == nil && fi.FileID == p.info.FileID && p.info.FileID != 0 {
			if _, gone := p.d.Stat(ctx, p.tmp); errors.Is(gone, fs.ErrNotExist) {
				err = nil
			}
		}
	}
	if err != nil {
		return err
	}
	p.done, p.committed = true, true
	return nil
}

// CommitAll commits sealed files, all of one destination, in order, as Commit
// would one by one, in few round trips where the destination batches
// renames (BatchRenamer), and stops at the first that fails: it returns
// how many were committed and that one's error. progress, if not nil,
// hears how many are committed as they are.
func CommitAll(ctx context.Context, pend []*Pending, progress func(done int)) (int, error) {
	done := 0
	for done < len(pend) {
		p := pend[done]
		if !p.sealed {
			return done, pathErr("rename", p.final, errors.New("commit before seal"))
		}
		// The sealed files from here, a progress step at a time.
		var pairs []RenamePair
		for _, q := range pend[done:min(len(pend), done+commitStep)] {
			if !q.sealed {
				break
			}
			pairs = append(pairs, RenamePair{q.tmp, q.final})
		}
		n, err := RenameAll(ctx, p.d, pairs)
		for _, q := range pend[done : done+n] {
			q.done, q.committed = true, true
		}
		done += n
		if n > 0 && progress != nil {
			progress(done)
		}
		if err != nil {
			// The one that failed, alone, as Commit checks it: a lost reply
			// may have renamed it already.
			if err := pend[done].Commit(ctx); err != nil {
				return done, err
			}
			done++
			if progress != nil {
				progress(done)
			}
		}
	}
	return done, nil
}

// commitStep is how many renames CommitAll hands a batch renamer at once:
// progress is heard that often.
const commitStep = 256

// Committed reports whether Commit renamed the file into place.
func (p *Pending) Committed() bool { return p.committed }

// Abandon ends the file without removing it: its caller removes the
// temporary name itself (with others, several at a time), or the folder
// it was written in.
func (p *Pending) Abandon() {
	if p == nil || p.done {
		return
	}
	p.done = true
	if p.w != nil {
		p.w.Close()
	}
}

// Keep ends a sealed file written at its final name (tmp and final the
// same: a folder nobody sees yet), which needs no rename.
func (p *Pending) Keep() error {
	if !p.sealed || p.tmp != p.final {
		return pathErr("keep", p.final, errors.New("keep needs a sealed file written at its final name"))
	}
	p.done = true
	return nil
}

// Cleanup removes the temporary file unless Commit succeeded. It is safe to
// call more than once and after Commit. ctx is the run's context: the
// removal runs under CleanupContext(ctx), so that a dead server costs the
// run CleanupBudget in all and not a timeout per file (what is left behind
// is named in the caller's journal).
func (p *Pending) Cleanup(ctx context.Context) error {
	if p == nil || p.done {
		return nil
	}
	p.done = true
	if p.w != nil {
		p.w.Close()
	}
	cctx, cancel := CleanupContext(ctx)
	defer cancel()
	if err := cctx.Err(); err != nil {
		return err
	}
	if err := p.d.Remove(cctx, p.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// CleanupBudget is how long the cleanup after a failed or interrupted run
// may take in all (the records of a partial switch, the temporary files,
// the journal); the lock's release then has ReleaseBudget of its own, so
// that an interrupted run ends within about three seconds even when the
// server has stopped answering.
const CleanupBudget = 2 * time.Second

// ReleaseBudget is how long the release of a run's lock may take after the
// run failed or was interrupted (ReleaseContext).
const ReleaseBudget = time.Second

// ReleaseContext returns a context for releasing a run's lock at its end:
// ctx while the run is alive, and otherwise a context of ReleaseBudget of
// its own, which the cleanup before it cannot have spent.
func ReleaseContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() == nil {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(context.WithoutCancel(ctx), ReleaseBudget)
}

// A run's cleanup shares one budget: the first CleanupContext starts it and
// every later one (lock release, temporary files, the manifest after a
// partial switch) ends at the same deadline.
type cleanup struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
}

type cleanupKey struct{}

// WithCleanup gives a run one cleanup budget (see CleanupContext); stop
// releases it when the run ends.
func WithCleanup(ctx context.Context) (context.Context, func()) {
	c := &cleanup{}
	return context.WithValue(ctx, cleanupKey{}, c), func() {
		c.once.Do(func() {}) // no budget is started after the run
		if c.cancel != nil {
			c.cancel()
		}
	}
}

// CleanupContext returns a context for cleaning up after ctx failed or was
// cancelled: not cancelled with ctx, but ending CleanupBudget after the first
// cleanup of the run's end began (WithCleanup), or after CleanupBudget from
// now outside one. While ctx is still alive it is ctx with CleanupBudget.
func CleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	c, ok := ctx.Value(cleanupKey{}).(*cleanup)
	if !ok {
		return context.WithTimeout(context.WithoutCancel(ctx), CleanupBudget)
	}
	if ctx.Err() == nil {
		// The run goes on (one step failed and is tidied up, such as a
		// file kept for rollback that could not be copied): this cleanup
		// has a budget of its own and leaves the run's alone, which a lock
		// released minutes later would otherwise find spent.
		return context.WithTimeout(ctx, CleanupBudget)
	}
	c.once.Do(func() { c.ctx, c.cancel = context.WithTimeout(context.WithoutCancel(ctx), CleanupBudget) })
	if c.ctx == nil { // the run is over
		cctx, cancel := context.WithCancel(context.Background())
		cancel()
		return cctx, cancel
	}
	return c.ctx, func() {}
}

// Finishing returns a context for a step that, once begun, should not be
// cut short by ctx's end: the switch to a new generation and the records
// that say so. It is not cancelled with ctx; it ends when the run's
// cleanup budget, which ctx's end starts (CleanupContext), runs out.
func Finishing(ctx context.Context) (context.Context, context.CancelFunc) {
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		cctx, done := CleanupContext(ctx)
		context.AfterFunc(cctx, func() { cancel(); done() })
	})
	return fctx, func() { stop(); cancel() }
}

// WriteFile writes data to name with the whole protocol; tmp is its
// temporary name, which the caller chooses in a folder of the same
// destination.
func WriteFile(ctx context.Context, d Dest, tmp, name string, data []byte, attr Attr) error {
	p, err := StageFile(ctx, d, tmp, name, data, attr)
	if err != nil {
		return err
	}
	defer p.Cleanup(ctx)
	if err := p.Commit(ctx); err != nil {
		return err
	}
	return Flush(ctx, d)
}

// StageFile is WriteFile up to the rename: data sealed under tmp, for the
// caller to Commit (then Flush) or Cleanup.
func StageFile(ctx context.Context, d Dest, tmp, name string, data []byte, attr Attr) (*Pending, error) {
	p, err := NewPending(ctx, d, tmp, name, attr)
	if err != nil {
		return nil, err
	}
	if _, err = p.Write(data); err == nil {
		err = p.Seal(ctx)
	}
	if err != nil {
		p.Cleanup(ctx)
		return nil, err
	}
	return p, nil
}

// Lchowner is a destination that can give a symbolic link an owner: a
// local folder (as root). Over NFS a link belongs to the credential that
// made it, which is the owner already.
type Lchowner interface {
	Lchown(ctx context.Context, name string, uid, gid int) error
}

// Flusher is a destination that makes renames durable in a batch (a folder
// syncs the folders that received names; NFS needs nothing: its RENAME is
// on stable storage when it answers).
type Flusher interface {
	Flush(ctx context.Context) error
}

// Flush makes d's renames durable where d needs it.
func Flush(ctx context.Context, d Dest) error {
	if f, ok := d.(Flusher); ok {
		return f.Flush(ctx)
	}
	return nil
}

// Optional capabilities. A destination that has one implements its
// interface; a wrapper (Sub, Moved) implements every one by forwarding to
// what it wraps. Callers use the functions below, never a type switch of
// their own, so a capability works the same through any wrapper.

// FreshCreator is a destination that can make a file under a fresh name
// (one nobody else uses: a temporary name) in the same round trip as its
// first WRITE (NFSv4.1: OPEN and WRITE in one COMPOUND). Unlike Create,
// CreateFresh sends nothing: an error making the file, an existing name
// included, comes from the Writer's first Write, Commit or SetAttr.
type FreshCreator interface {
	CreateFresh(ctx context.Context, name string, mode fs.FileMode) (Writer, error)
}

// CreateFresh creates name, a fresh temporary name, as FreshCreator says
// where d can, and by Create elsewhere.
func CreateFresh(ctx context.Context, d Dest, name string, mode fs.FileMode) (Writer, error) {
	if f, ok := d.(FreshCreator); ok {
		return f.CreateFresh(ctx, name, mode)
	}
	return d.Create(ctx, name, mode)
}

// Neighbour is a destination that can open another folder of its server
// without connections or a session of its own (NFSv4.1: its session). The
// folder returned is usable while this destination is open; closing it
// ends nothing of this one's. A URL it cannot reach so is
// errors.ErrUnsupported.
type Neighbour interface {
	Near(ctx context.Context, u *URL) (Dest, error)
}

// OpenNear opens loc, a folder near d (a folder above it, say), through d
// where d can (Neighbour), and with open otherwise.
func OpenNear(ctx context.Context, d Dest, loc Location, open func(context.Context, Location) (Dest, error)) (Dest, error) {
	if n, ok := d.(Neighbour); ok && loc.URL != nil {
		nd, err := n.Near(ctx, loc.URL)
		if !errors.Is(err, errors.ErrUnsupported) {
			return nd, err
		}
	}
	return open(ctx, loc)
}

// CallCounter is a destination that counts its protocol calls (NFS).
type CallCounter interface{ Calls() int64 }

// HandleKeeper is a destination that can keep the handles its listings
// return, for one Link each (NFS: a folder's worth of links without a
// LOOKUP each).
type HandleKeeper interface{ KeepListedHandles(on bool) }

// BatchLinker is a destination that makes many hard links in few round
// trips (NFSv4.1: several LINKs in one COMPOUND).
type BatchLinker interface {
	LinkAll(ctx context.Context, links []LinkPair, concurrency int) []error
}

// BatchRenamer is a destination that renames many names in few round
// trips (NFSv4.1: several RENAMEs in one COMPOUND). RenameAll renames in
// order and stops at the first rename that fails: it returns how many were
// made and that one's error (whose rename may have been made all the same
// when its reply was lost).
type BatchRenamer interface {
	RenameAll(ctx context.Context, pairs []RenamePair) (int, error)
}

// RenamePair is one rename: From becomes To.
type RenamePair struct{ From, To string }

// RenameAll renames each pair in order, as BatchRenamer says, in batches
// where d can and one by one elsewhere, and stops at the first that fails.
func RenameAll(ctx context.Context, d Dest, pairs []RenamePair) (int, error) {
	if b, ok := d.(BatchRenamer); ok {
		return b.RenameAll(ctx, pairs)
	}
	for i, p := range pairs {
		if err := d.Rename(ctx, p.From, p.To); err != nil {
			return i, err
		}
	}
	return len(pairs), nil
}

// LinkPair is one hard link to make: New, a link to Existing.
type LinkPair struct{ Existing, New string }

// LinkAll makes each link of links as Link would, in batches where d can,
// with up to concurrency calls at once; the error of links[i] is errs[i].
// A failed link does not stop the others.
func LinkAll(ctx context.Context, d Dest, links []LinkPair, concurrency int) (errs []error) {
	if b, ok := d.(BatchLinker); ok {
		return b.LinkAll(ctx, links, concurrency)
	}
	return linkEach(ctx, links, concurrency, func(ctx context.Context, l LinkPair) error { return d.Link(ctx, l.Existing, l.New) })
}

// linkEach runs link for each pair, concurrency at a time.
func linkEach(ctx context.Context, links []LinkPair, concurrency int, link func(context.Context, LinkPair) error) []error {
	errs := make([]error, len(links))
	for i := range errs {
		errs[i] = context.Canceled // until it runs: a cancelled run starts no more
	}
	parallel(ctx, len(links), concurrency, func(i int) { errs[i] = link(ctx, links[i]) })
	return errs
}

// parallel runs fn(0) ... fn(n-1), concurrency at a time, and starts no
// more once ctx ends.
func parallel(ctx context.Context, n, concurrency int, fn func(i int)) {
	sem := make(chan struct{}, max(1, concurrency))
	var wg sync.WaitGroup
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
}

// BatchRemover is a destination that removes many files in few round
// trips (NFSv4.1: several REMOVEs in one COMPOUND).
type BatchRemover interface {
	RemoveAll(ctx context.Context, names []string, concurrency int) []error
}

// RemoveAll removes each file (or symlink) of names as Remove would, in
// batches where d can, with up to concurrency calls at once; the error of
// names[i] is errs[i]. A failed remove does not stop the others.
func RemoveAll(ctx context.Context, d Dest, names []string, concurrency int) []error {
	if b, ok := d.(BatchRemover); ok {
		return b.RemoveAll(ctx, names, concurrency)
	}
	errs := make([]error, len(names))
	for i := range errs {
		errs[i] = context.Canceled // until it runs
	}
	parallel(ctx, len(names), concurrency, func(i int) { errs[i] = d.Remove(ctx, names[i]) })
	return errs
}

// Calls is how many protocol calls d has sent (0 where it counts none).
func Calls(d Dest) int64 {
	if c, ok := d.(CallCounter); ok {
		return c.Calls()
	}
	return 0
}

// KeepListedHandles turns d's keeping of listed handles on or off, where d
// has it.
func KeepListedHandles(d Dest, on bool) {
	if k, ok := d.(HandleKeeper); ok {
		k.KeepListedHandles(on)
	}
}

// Lchown gives the symbolic link name an owner where d can (Lchowner); where
// it cannot, the link already belongs to the identity that made it and
// nothing is done.
func Lchown(ctx context.Context, d Dest, name string, uid, gid int) error {
	l, ok := d.(Lchowner)
	if !ok {
		return nil
	}
	if err := l.Lchown(ctx, name, uid, gid); !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}
