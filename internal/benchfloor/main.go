// Command benchfloor measures the floor of a first publish with dagnfs's
// own NFS client and none of its logic (make bench): every file CREATEd and
// written with one FILE_SYNC WRITE from CONNS connections into a folder,
// then each RENAMEd into place from one connection, the order the server
// serves fastest. It prints the two phases and the total in milliseconds as
// JSON.
//
//	benchfloor nfs://HOST/PATH SRC_DIR [CONNS]
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dagnfs/dagnfs/nfs"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchfloor:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) < 3 {
		return fmt.Errorf("usage: benchfloor nfs://HOST/PATH SRC_DIR [CONNS]")
	}
	conns := 8
	if len(os.Args) > 3 {
		n, err := strconv.Atoi(os.Args[3])
		if err != nil || n < 1 {
			return fmt.Errorf("CONNS %q is not a positive number", os.Args[3])
		}
		conns = n
	}
	u, err := nfs.ParseURL(os.Args[1])
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(os.Args[2])
	if err != nil {
		return err
	}
	ctx := context.Background()
	d, err := nfs.DialURL(ctx, u, nfs.Options{UID: 50000, GID: 50000, Conns: conns})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Mkdir(ctx, "stage", fs.ModeDir|0o755); err != nil {
		return err
	}
	t0 := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conns)
	for _, e := range entries {
		g.Go(func() error {
			b, err := os.ReadFile(filepath.Join(os.Args[2], e.Name()))
			if err != nil {
				return err
			}
			w, err := d.Create(gctx, path.Join("stage", e.Name()), 0o644)
			if err != nil {
				return err
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
			if _, err := w.Commit(gctx); err != nil {
				return err
			}
			return w.Close()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	staged := time.Since(t0)
	t1 := time.Now()
	for _, e := range entries {
		if err := d.Rename(ctx, path.Join("stage", e.Name()), e.Name()); err != nil {
			return err
		}
	}
	renamed := time.Since(t1)
	return json.NewEncoder(os.Stdout).Encode(map[string]int64{
		"files": int64(len(entries)), "stage_ms": staged.Milliseconds(), "rename_ms": renamed.Milliseconds(),
		"total_ms": time.Since(t0).Milliseconds()})
}
