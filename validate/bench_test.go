package validate

import (
	"context"
	"os"
	"testing"
)

// BenchmarkRun checks the folder in DAGNFS_BENCH_DIR (scripts/gendags.py).
func BenchmarkRun(b *testing.B) {
	dir := os.Getenv("DAGNFS_BENCH_DIR")
	if dir == "" {
		b.Skip("set DAGNFS_BENCH_DIR to a generated DAG folder (scripts/gendags.py)")
	}
	for b.Loop() {
		if _, err := Run(context.Background(), dir, Options{Python: "none"}); err != nil {
			b.Fatal(err)
		}
	}
}
