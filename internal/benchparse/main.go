// Command benchparse measures validate/python's parse of the megabyte
// shapes of internal/pyshapes (make bench). It writes each shape to DIR as
// a .py file (for CPython's compile() beside it) and prints one line per
// shape: its file name, the median milliseconds of RUNS parses, the MiB
// one parse allocates, and the parse's error or "ok".
//
//	benchparse DIR [RUNS]
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dagnfs/dagnfs/internal/pyshapes"
	"github.com/dagnfs/dagnfs/validate/python"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchparse:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) < 2 {
		return fmt.Errorf("usage: benchparse DIR [RUNS]")
	}
	runs := 3
	if len(os.Args) > 2 {
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n < 1 {
			return fmt.Errorf("RUNS %q is not a positive number", os.Args[2])
		}
		runs = n
	}
	shapes := pyshapes.Megabyte(1)
	names := make([]string, 0, len(shapes))
	for name := range shapes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		src := []byte(shapes[name])
		file := strings.ReplaceAll(name, " ", "_") + ".py"
		if err := os.WriteFile(filepath.Join(os.Args[1], file), src, 0o644); err != nil {
			return err
		}
		var ms []float64
		var alloc uint64
		verdict := "ok"
		for range runs {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, e := python.ParseFile(src, 12) // the whole front end: parse, tree, checks
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
			runtime.ReadMemStats(&after)
			alloc = after.TotalAlloc - before.TotalAlloc
			if e != nil {
				verdict = e.Type
			}
		}
		slices.Sort(ms)
		fmt.Printf("%s\t%.0f\t%d\t%s\n", file, ms[len(ms)/2], alloc>>20, verdict)
	}
	return nil
}
