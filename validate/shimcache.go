package validate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// A version manager's shim (pyenv, asdf) is a shell script that decides on
// every start which interpreter to run: about 0.3 s, for a probe that
// prints the interpreter's path and version. That answer is kept in the
// user's cache folder, keyed by everything the shim decides by (the shim
// itself, the version variables, and the version files it reads), and
// used only while the interpreter it names is the same file.

const (
	shimCacheMax     = 64 << 10 // bytes of cache file read, at most
	shimCacheEntries = 32
	versionFileMax   = 4 << 10 // bytes of a .python-version read for the key
)

// shimEntry is one cached resolution.
type shimEntry struct {
	Executable string `json:"executable"`
	Version    string `json:"version"`
	Size       int64  `json:"size"`
	ModTime    int64  `json:"mtime_ns"`
}

// isScript reports whether the file at p starts with "#!": a shim, not an
// interpreter.
func isScript(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [2]byte
	_, err = io.ReadFull(f, head[:])
	return err == nil && head == [2]byte{'#', '!'}
}

// shimKey names what a shim's answer depends on, or "" when it cannot be
// known (then nothing is cached).
func shimKey(shim string) string {
	fi, err := os.Stat(shim)
	if err != nil {
		return ""
	}
	h := sha256.New()
	add := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
	}
	add("v1", shim, strconv.FormatInt(fi.ModTime().UnixNano(), 10))
	for _, v := range []string{"PYENV_VERSION", "PYENV_ROOT", "PYENV_DIR", "ASDF_PYTHON_VERSION", "ASDF_DATA_DIR", "VIRTUAL_ENV", "PATH"} {
		add(v, os.Getenv(v))
	}
	// The version files pyenv and asdf read: from the current folder up,
	// then the global ones.
	readSmall := func(p string) string {
		f, err := os.Open(p)
		if err != nil {
			return "-"
		}
		defer f.Close()
		b, _ := io.ReadAll(io.LimitReader(f, versionFileMax))
		return string(b)
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			add(dir, readSmall(filepath.Join(dir, ".python-version")), readSmall(filepath.Join(dir, ".tool-versions")))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	root := os.Getenv("PYENV_ROOT")
	home, _ := os.UserHomeDir()
	if root == "" && home != "" {
		root = filepath.Join(home, ".pyenv")
	}
	add(readSmall(filepath.Join(root, "version")), readSmall(filepath.Join(home, ".tool-versions")))
	return hex.EncodeToString(h.Sum(nil))
}

func shimCachePath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "dagnfs", "python-shims.json")
}

func readShimCache(path string) map[string]shimEntry {
	m := map[string]shimEntry{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, shimCacheMax+1))
	if err != nil || len(b) > shimCacheMax || json.Unmarshal(b, &m) != nil {
		return map[string]shimEntry{} // unreadable: start again
	}
	return m
}

// cachedShim returns the interpreter a shim resolved to before, if the key
// is the same and the interpreter is the same file.
func cachedShim(shim string) (string, string, bool) {
	key, path := shimKey(shim), shimCachePath()
	if key == "" || path == "" {
		return "", "", false
	}
	e, ok := readShimCache(path)[key]
	if !ok || e.Executable == "" || e.Version == "" {
		return "", "", false
	}
	fi, err := os.Stat(e.Executable)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != e.Size || fi.ModTime().UnixNano() != e.ModTime || isScript(e.Executable) {
		return "", "", false
	}
	return e.Executable, e.Version, true
}

// storeShim records a shim's resolution; failing to is only slower.
func storeShim(shim, exe, version string) {
	key, path := shimKey(shim), shimCachePath()
	fi, err := os.Stat(exe)
	if key == "" || path == "" || err != nil {
		return
	}
	m := readShimCache(path)
	if len(m) >= shimCacheEntries {
		m = map[string]shimEntry{}
	}
	m[key] = shimEntry{Executable: exe, Version: version, Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	b, err := json.Marshal(m)
	if err != nil || len(b) > shimCacheMax {
		return
	}
	if os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".python-shims-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}
