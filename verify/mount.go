package verify

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// Mount describes the file system a path lives on, from /proc/self/mountinfo.
type Mount struct {
	Path    string `json:"path"`     // the mount point
	FSType  string `json:"fstype"`   // e.g. nfs, nfs4
	Source  string `json:"source"`   // e.g. nfs.example.internal:/srv/airflow/dags
	IsMount bool   `json:"is_mount"` // the checked path is itself the mount point
	Options string `json:"options"`
}

// FindMount returns the mount that holds path, read from a mountinfo file
// (normally /proc/self/mountinfo).
func FindMount(path, mountinfo string) (*Mount, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	f, err := os.Open(mountinfo)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var best *Mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		left, right, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		lf, rf := strings.Fields(left), strings.Fields(right)
		if len(lf) < 6 || len(rf) < 2 {
			continue
		}
		mp := unescape(lf[4])
		if mp != "/" && abs != mp && !strings.HasPrefix(abs, mp+"/") {
			continue
		}
		if best == nil || len(mp) >= len(best.Path) {
			best = &Mount{Path: mp, FSType: rf[0], Source: unescape(rf[1]), Options: lf[5]}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if best != nil {
		best.IsMount = best.Path == abs
	}
	return best, nil
}

// unescape decodes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			n := 0
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				n = n*8 + int(c-'0')
			}
			if ok {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
