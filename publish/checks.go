package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
	"github.com/dagnfs/dagnfs/perms"
)

func checkWritable(ctx context.Context, d nfs.Dest) error {
	fi, err := d.Stat(ctx, "")
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("destination %s is not a folder", d)
	}
	folder := ""
	if mfi, err := d.Stat(ctx, layout.Dir); err == nil {
		folder, fi = layout.Dir, mfi // publishing needs .dagnfs; the root only to add files
	}
	ok, err := d.CanWrite(ctx, folder)
	if err != nil {
		return err
	}
	if folder == layout.Dir && ok {
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
	if folder == layout.Dir {
		return metaPermissionError(d, folder, fi)
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
	pe := &PermissionError{
		Dest: d.String(), Folder: shown, Identity: id.String(), Detail: detail,
		Remedy: remedy(d, folder, id, fi), OwnerUID: -1, OwnerGID: -1,
	}
	if fi.UID != 0 {
		pe.OwnerUID, pe.OwnerGID = int(fi.UID), int(fi.GID)
	}
	return pe
}

func remedy(d nfs.Dest, folder string, id perms.Identity, fi nfs.FileInfo) string {
	loc := d.Location()
	admin, where := "the admin", path.Join(loc.Path(), folder)
	if loc.Host() != "" {
		admin = "the admin of " + loc.Host()
	}
	r := fmt.Sprintf("ask %s to run \"chown %d:%d %s\" (or to make it writable for gid %d)", admin, id.UID, id.GIDs[0], where, id.GIDs[0])
	if fi.UID != 0 {
		r += fmt.Sprintf(", or publish as its owner, uid %d gid %d", fi.UID, fi.GID)
	}
	return r
}

// ensureMetaDir creates one of dagnfs's folders if it is missing, owned by
// --uid/--gid where the destination can chown (so that a later publish as
// that user can write in it), and checks that it is a folder this identity
// can write in.
func ensureMetaDir(ctx context.Context, d nfs.Dest, o Owner, name string, mode fs.FileMode) error {
	fi, created, err := ensureDir(ctx, d, name, mode)
	if err != nil {
		return err
	}
	if created {
		if fi, err = d.Stat(ctx, name); err != nil {
			return err
		}
	}
	if d.Caps().Chown && (fi.UID != uint32(o.UID) || fi.GID != uint32(o.GID)) && o.UID >= 0 && o.GID >= 0 {
		if fi, err = d.SetAttr(ctx, name, nfs.Attr{Mode: fi.Mode.Perm(), UID: o.UID, GID: o.GID}); err != nil {
			return err
		}
	}
	if had := fi.Mode.Perm(); had != mode.Perm() {
		// a folder of an older dagnfs, or changed by hand: its mode is
		// what keeps Airflow out of it
		if fi, err = d.SetAttr(ctx, name, nfs.Attr{Mode: mode.Perm(), UID: -1, GID: -1}); err != nil {
			return fmt.Errorf("%s/%s has mode %04o, and setting %04o failed: %w", d, name, had, mode.Perm(), err)
		}
	}
	if perms.Allowed(d.Identity(), fi.UID, fi.GID, fi.Mode, perms.Write|perms.Exec) {
		return nil // by the mode; a server that refuses all the same says so at the first write
	}
	ok, err := d.CanWrite(ctx, name) // ACLs or the server may allow what the mode does not
	if err != nil {
		return err
	}
	if !ok {
		return metaPermissionError(d, name, fi)
	}
	return nil
}

// metaPermissionError says which of dagnfs's folders this identity cannot
// write in, whose it is, and the command that fixes it.
func metaPermissionError(d nfs.Dest, name string, fi nfs.FileInfo) error {
	id := d.Identity()
	detail := perms.Explain(id, fi.UID, fi.GID, fi.Mode, perms.Write|perms.Exec)
	if detail == "" {
		detail = fmt.Sprintf("owner %d:%d mode %04o; the server refuses", fi.UID, fi.GID, fi.Mode.Perm())
	}
	where := path.Join(d.Location().Path(), layout.Dir)
	return &PermissionError{
		Dest: d.String(), Folder: name, Identity: id.String(), Detail: detail,
		Remedy: fmt.Sprintf("an earlier publish as another user made it; as root on the server run \"chown -R %d:%d %s\", or publish once as root owning the files as uid %d gid %d, which hands it over",
			id.UID, id.GIDs[0], where, id.UID, id.GIDs[0]),
		OwnerUID: int(id.UID), OwnerGID: int(id.GIDs[0]), AsRoot: true,
	}
}

// ensureDir creates a folder if it is missing, or checks that what is there
// is a folder and returns its attributes (a folder it created costs no
// second call: created, and no attributes).
func ensureDir(ctx context.Context, d nfs.Dest, name string, mode fs.FileMode) (fi nfs.FileInfo, created bool, err error) {
	err = d.Mkdir(ctx, name, mode.Perm())
	if err == nil {
		return nfs.FileInfo{}, true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nfs.FileInfo{}, false, err
	}
	if fi, err = d.Stat(ctx, name); err != nil {
		return nfs.FileInfo{}, false, err
	}
	if !fi.IsDir() {
		return nfs.FileInfo{}, false, fmt.Errorf("%s/%s exists on the destination and is not a folder; move it away", d, name)
	}
	return fi, false, nil
}

// checkPlannedReadable refuses, before anything is written, a publish whose
// files a reader could not read as dagnfs is about to make them: with the
// modes it sets (--file-mode, --dir-mode), the owner it gives (--uid/--gid
// where the destination can set owners, else the identity that writes),
// below the destination folder as it is. What the server does on its own
// (root squash, ACLs) is for the read check after the switch.
func checkPlannedReadable(ctx context.Context, d nfs.Dest, o Options) error {
	uid, gid := uint32(o.Owner.UID), uint32(o.Owner.GID)
	if !d.Caps().Chown || o.Owner.UID < 0 || o.Owner.GID < 0 {
		id := d.Identity()
		uid = id.UID
		if len(id.GIDs) > 0 {
			gid = id.GIDs[0]
		}
	}
	root, err := d.Stat(ctx, "")
	if err != nil {
		return err
	}
	owner := fmt.Sprintf("owned by %d:%d", uid, gid)
	// Airflow lists the folder it is given: the destination itself in
	// place, a generation's folder (dagnfs's) behind current otherwise.
	rootNeeds := perms.ReadDir
	if o.Layout != "" && o.Layout != layout.InPlace {
		rootNeeds = perms.Traverse
	}
	for _, id := range o.Owner.Readers {
		for _, c := range []struct {
			what         string
			owner, group uint32
			mode         fs.FileMode
			want         perms.Access
			fix, setting string
		}{
			{"the destination folder " + d.String(), root.UID, root.GID, root.Mode, rootNeeds,
				"give the folder a mode or owner that lets it list the folder (dagnfs does not change it)", ""},
			{"every folder dagnfs makes (" + owner + ")", uid, gid, fs.ModeDir | o.Owner.DirMode, perms.ReadDir,
				"--dir-mode 0755, or --uid/--gid that it reads as", "dir-mode"},
			{"every published file (" + owner + ")", uid, gid, o.Owner.FileMode, perms.Read,
				"--file-mode 0644, or --uid/--gid that it reads as", "file-mode"},
		} {
			if why := perms.Explain(id, c.owner, c.group, c.mode, c.want); why != "" {
				return &RefusedError{Setting: c.setting, Reason: fmt.Sprintf(
					"Airflow's identity %s could not read %s: %s; nothing was written: %s (or --check-as, if Airflow runs as another identity)",
					id, c.what, why, c.fix)}
			}
		}
	}
	return nil
}

// checkReadable checks that every reader identity can read each uploaded
// file and traverse every folder on its way, as the destination reports
// owner and mode (for files: as it reported them when they were sealed; a
// rename does not change them). The root is always checked.
func checkReadable(ctx context.Context, d nfs.Dest, o Options, files []SourceFile, known map[string]nfs.FileInfo) error {
	readers := o.Owner.Readers
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
	total, done := len(order)+len(files), 0
	o.report(Progress{Phase: PhaseCheck, Total: total})
	check := func(name string, want perms.Access) error {
		done++
		defer o.report(Progress{Phase: PhaseCheck, Done: done, Total: total})
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

// metaAttr is the attribute of dagnfs's own files: owned by --uid/--gid
// where the destination can chown, so that a later publish as that user can
// replace them.
func metaAttr(d nfs.Dest, o Owner) nfs.Attr {
	a := nfs.Attr{Mode: layout.FileMode, UID: -1, GID: -1}
	if d.Caps().Chown {
		a.UID, a.GID = o.UID, o.GID
	}
	return a
}
