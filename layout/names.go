package layout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/dagnfs/dagnfs/nfs"
)

// Where dagnfs keeps its records on the export.
const (
	Dir          = ".dagnfs"
	ManifestPath = Dir + "/manifest.json"
	LockPath     = Dir + "/lock"
	// PausePath, while it exists, makes publishes refuse to run.
	PausePath   = Dir + "/paused"
	JournalPath = Dir + "/journal.json"
	// JournalTemp is the one temporary name of the journal itself, which
	// the journal cannot list: every run removes it first.
	JournalTemp = Dir + "/staging/journal.tmp"
	HistoryDir  = Dir + "/history"
	ObjectsDir  = Dir + "/objects"
	// StagingDir holds files being written before they are renamed into
	// place (see the nfs package's write protocol).
	StagingDir = Dir + "/staging"
	// GenerationsDir holds one complete folder per generation in the
	// generations layout; Current, at the export root, is the symlink
	// that names the one Airflow sees.
	GenerationsDir = Dir + "/generations"
	Current        = "current"

	// DirMode is the mode of .dagnfs and its history: listable, so that
	// status and verify can read them.
	DirMode = fs.ModeDir | 0o755
	// HiddenMode is the mode of staging and objects: the owner may create,
	// look up, rename and remove entries, and nobody can list them.
	HiddenMode = fs.ModeDir | 0o300
	// FileMode is the mode of manifest, lock, journal and history files.
	FileMode = 0o644
	// ObjectMode is the mode of kept content in objects.
	ObjectMode = 0o444
	// GenerationsMode is the mode of GenerationsDir: everyone may pass
	// through it to the generation Current names and nobody may list it,
	// its owner included (Airflow's pods often run as the files' owner,
	// uid 50000), so a scan that reaches it finds no second copy of a DAG.
	// dagnfs makes it listable only for the moment its garbage collection
	// lists it, under the lock; IgnoreFile keeps Airflow out meanwhile.
	GenerationsMode = fs.ModeDir | 0o311
)

// Layouts: how the DAG files sit on the export.
const (
	// InPlace: the files at the export root, each replaced by a rename.
	InPlace = "in-place"
	// Generations: each generation a complete folder below
	// GenerationsDir, Current a symlink to one of them, replaced by one
	// rename.
	Generations = "generations"
	// ManifestBundle: Airflow 3's versioned bundle format (package
	// bundle): each version an immutable snapshot below versions/NAME/,
	// refs/NAME/latest.json naming the released one, replaced last.
	ManifestBundle = "manifest-bundle"
)

// Limits on what is read back from an export.
const (
	MaxManifest = 16 << 20 // bytes of one manifest (about 50,000 files); parsing it costs ~6x in memory
	MaxLock     = 64 << 10
	MaxJournal  = 8 << 20
	// MaxGeneration bounds generation numbers so that arithmetic on them
	// never overflows.
	MaxGeneration = 1 << 40
	// MaxFileSize bounds the size a manifest may record for one file.
	MaxFileSize = 1 << 50
)

// TempName returns a fresh temporary name inside StagingDir: random, and
// never ending in ".py".
func TempName() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return StagingDir + "/" + hex.EncodeToString(b[:]) + ".tmp"
}

// IsTemp reports whether name is a temporary name that TempName could have
// made (a journal is only trusted for names of that shape).
func IsTemp(name string) bool {
	rest, ok := strings.CutPrefix(name, StagingDir+"/")
	if !ok || len(rest) != 24+len(".tmp") || !strings.HasSuffix(rest, ".tmp") {
		return false
	}
	_, err := hex.DecodeString(strings.TrimSuffix(rest, ".tmp"))
	return err == nil
}

// GenerationName is the folder of generation gen, relative to the export
// root; it is also what the Current symlink holds.
func GenerationName(gen int) string { return fmt.Sprintf("%s/%d", GenerationsDir, gen) }

// ParseGenerationName returns the generation whose folder name is, as
// GenerationName writes it (and nothing else: a symlink planted elsewhere
// is not followed).
func ParseGenerationName(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, GenerationsDir+"/")
	if !ok || rest == "" || len(rest) > 14 || rest[0] == '0' {
		return 0, false
	}
	n := 0
	for _, c := range rest {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n >= 1 && n <= MaxGeneration
}

// HistoryName is where generation gen's manifest is kept.
func HistoryName(gen int) string { return fmt.Sprintf("%s/%08d.json", HistoryDir, gen) }

// ObjectName is where replaced content with this sha256 (hex) is kept.
func ObjectName(sum string) string { return ObjectsDir + "/" + sum }

// IsMeta reports whether the slash-separated relative path p is dagnfs's
// own (.dagnfs or anything below it).
func IsMeta(p string) bool { return p == Dir || strings.HasPrefix(p, Dir+"/") }

// CleanRel reports whether p is a clean, slash-separated relative path that
// stays below the export root.
func CleanRel(p string) bool {
	if p == "" || p == "." || strings.HasPrefix(p, "/") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return false
	}
	return !strings.ContainsRune(p, 0)
}

// BundlesDir holds, in a published root of versioned bundles, one folder
// per bundle with that bundle's own records (what Dir holds for an export
// of the other layouts): each bundle has its lock, manifest and history.
const BundlesDir = Dir + "/bundles"

// ForBundle is d as bundle name's records see it: Dir is
// BundlesDir/name, everything else (versions/, refs/) d's own.
func ForBundle(d nfs.Dest, name string) nfs.Dest {
	return nfs.Moved(d, Dir, BundlesDir+"/"+name)
}

// Bundles lists the bundles whose records a published root holds.
func Bundles(ctx context.Context, d nfs.Dest) ([]string, error) {
	entries, err := d.ReadDir(ctx, BundlesDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name)
		}
	}
	return out, nil
}
