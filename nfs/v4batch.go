package nfs

import (
	"context"
	"errors"
	"path"
	"syscall"
)

// Batches: many LINKs or REMOVEs in one COMPOUND each, as many as the
// session's operation limit allows. A compound stops at its first failing
// operation: the items before it are done, that item has its error, and
// the items after it, like those of a compound whose reply was lost, are
// done one by one, an item found already done (a link made, a name gone)
// counting as done.

// errUnbatched: an item could not be put in its batch (its file or folder
// not found): every item of the batch is done one by one, each with its
// own error.
var errUnbatched = errors.New("not batched")

func isTransport(err error) bool {
	var te *TransportError
	return errors.As(err, &te)
}

// batched runs n items in batches of opsEach operations per item, up to
// concurrency compounds at once. send sends items [lo, hi) in one compound
// and says how many were done before the first failure (err: that
// failure, or the compound's); one does item i alone, maybeDone when an
// earlier compound may have done it already. The error of item i is
// errs[i].
func (r *Remote4) batched(ctx context.Context, n, opsEach, concurrency int, op string, name func(i int) string,
	send func(lo, hi int) (int, error), one func(i int, maybeDone bool) error) []error {
	per := 1
	if s := r.cs.sess.Load(); s != nil {
		per = max(1, (int(s.maxOps)-1)/opsEach)
	}
	errs := make([]error, n)
	for i := range errs {
		errs[i] = context.Canceled // until its batch runs
	}
	parallel(ctx, (n+per-1)/per, concurrency, func(b int) {
		lo, hi := b*per, min((b+1)*per, n)
		done, err := send(lo, hi)
		lost := errors.Is(err, errDone) || isTransport(err)
		for i := lo; i < hi; i++ {
			switch {
			case i-lo < done:
				errs[i] = nil
			case i-lo == done && err != nil && !lost && !errors.Is(err, errUnbatched):
				errs[i] = pathErr(op, name(i), err)
			default:
				errs[i] = one(i, lost)
			}
		}
	})
	return errs
}

// LinkAll implements BatchLinker: PUTFH SAVEFH PUTFH LINK for each link,
// the files' handles from the last listings where kept.
func (r *Remote4) LinkAll(ctx context.Context, links []LinkPair, concurrency int) []error {
	return r.batched(ctx, len(links), 4, concurrency, "link", func(i int) string { return links[i].New },
		func(lo, hi int) (int, error) { return r.linkBatch(ctx, links[lo:hi]) },
		func(i int, maybeDone bool) error {
			return r.linkFrom(ctx, r, links[i].Existing, links[i].New, maybeDone)
		})
}

// linkBatch sends one compound of links and says how many were made before
// the first that failed.
func (r *Remote4) linkBatch(ctx context.Context, links []LinkPair) (int, error) {
	made := 0
	err := r.run(ctx, func(c *conn, cmp *compound, attempt int) error {
		if attempt > 0 {
			return errDone // a lost reply: the caller goes one by one
		}
		made = 0
		for _, l := range links {
			if errors.Join(checkName("link", l.Existing), checkName("link", l.New)) != nil {
				return errUnbatched
			}
			var fh []byte
			if cached, ok := r.listed.LoadAndDelete(l.Existing); ok {
				fh = cached.(listedFile).fh
			} else {
				f, _, err := r.object(ctx, c, l.Existing)
				if err != nil {
					return errUnbatched // Link says whose it is
				}
				fh = f
			}
			dir, err := r.dir(ctx, c, parentOf(l.New))
			if err != nil {
				return errUnbatched
			}
			cmp.putfh(fh)
			cmp.op(opSavefh)
			cmp.putfh(dir)
			cmp.op(opLink).str(path.Base(l.New))
		}
		return nil
	}, func(_ *conn, rep *v4Reply, _ int) error {
		for range links {
			for _, op := range []uint32{opPutfh, opSavefh, opPutfh, opLink} {
				if err := rep.next(op); err != nil {
					return err
				}
			}
			rep.d.skipChangeInfo()
			made++
		}
		return nil
	})
	if errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EXDEV) {
		err = errors.ErrUnsupported
	}
	return made, err
}

// RemoveAll implements BatchRemover: removeOps for each name.
func (r *Remote4) RemoveAll(ctx context.Context, names []string, concurrency int) []error {
	return r.batched(ctx, len(names), 5, concurrency, "remove", func(i int) string { return names[i] },
		func(lo, hi int) (int, error) { return r.removeBatch(ctx, names[lo:hi]) },
		func(i int, maybeDone bool) error { return r.remove(ctx, "remove", names[i], false, maybeDone) })
}

// removeBatch sends one compound of removals and says how many were made
// before the first that failed.
func (r *Remote4) removeBatch(ctx context.Context, names []string) (int, error) {
	made := 0
	err := r.run(ctx, func(c *conn, cmp *compound, attempt int) error {
		if attempt > 0 {
			return errDone // a lost reply: one by one
		}
		made = 0
		for _, name := range names {
			if checkName("remove", name) != nil || name == "" {
				return errUnbatched
			}
			dir, err := r.dir(ctx, c, parentOf(name))
			if err != nil {
				return errUnbatched
			}
			removeOps(cmp, dir, path.Base(name), false)
		}
		return nil
	}, func(_ *conn, rep *v4Reply, _ int) error {
		for range names {
			if err := readRemove(rep, false, false); err != nil {
				return err
			}
			made++
		}
		return nil
	})
	return made, err
}

// RenameAll implements BatchRenamer: RENAMEs in order, as many to a
// compound as the session allows (PUTFH SAVEFH PUTFH only where the
// folders change from the rename before), until one fails.
func (r *Remote4) RenameAll(ctx context.Context, pairs []RenamePair) (int, error) {
	done := 0
	for done < len(pairs) {
		n, err := r.renameBatch(ctx, pairs[done:])
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// renameBatch sends the first renames of pairs that fit in one compound
// and says how many were made before the first that failed (or before a
// name the compound could not hold: the next batch starts with it).
func (r *Remote4) renameBatch(ctx context.Context, pairs []RenamePair) (int, error) {
	made, sent := 0, 0
	var dirs [][2][]byte // of each rename sent: nil where the one before's
	err := r.run(ctx, func(c *conn, cmp *compound, attempt int) error {
		if attempt > 0 {
			return errDone // a lost reply: the caller goes one by one
		}
		sent, dirs = 0, nil
		limit := 64
		if s := r.cs.sess.Load(); s != nil {
			limit = int(s.maxOps) - 1 // SEQUENCE's
		}
		var last [2]string
		for i, p := range pairs {
			if err := errors.Join(checkName("rename", p.From), checkName("rename", p.To)); err != nil {
				if i == 0 {
					return err
				}
				break
			}
			want := [2]string{parentOf(p.From), parentOf(p.To)}
			ops := 1
			if i == 0 || want != last {
				ops = 4
			}
			if len(cmp.ops)+ops > limit {
				break
			}
			if ops == 4 {
				fd, err := r.dir(ctx, c, want[0])
				if err == nil {
					var td []byte
					if td, err = r.dir(ctx, c, want[1]); err == nil {
						cmp.putfh(fd)
						cmp.op(opSavefh)
						cmp.putfh(td)
						dirs = append(dirs, [2][]byte{fd, td})
					}
				}
				if err != nil {
					if i == 0 {
						return err
					}
					break
				}
				last = want
			} else {
				dirs = append(dirs, [2][]byte{})
			}
			e := cmp.op(opRename)
			e.str(path.Base(p.From))
			e.str(path.Base(p.To))
			sent++
		}
		return nil
	}, func(_ *conn, rep *v4Reply, _ int) error {
		for i := range sent {
			if dirs[i][0] != nil {
				for _, op := range []uint32{opPutfh, opSavefh, opPutfh} {
					if err := rep.next(op); err != nil {
						return err
					}
				}
			}
			if err := rep.next(opRename); err != nil {
				return err
			}
			rep.d.skipChangeInfo()
			rep.d.skipChangeInfo()
			made++
		}
		return nil
	})
	for _, p := range pairs[:made] {
		r.handles.Delete(p.From)
		r.handles.Delete(p.To)
	}
	if err != nil && made < len(pairs) {
		return made, pathErr("rename", pairs[made].From, err)
	}
	return made, err
}
