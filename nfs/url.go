package nfs

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// URL is a parsed nfs://HOST[:PORT]/PATH[?mountport=N] destination.
type URL struct {
	Host      string
	Port      int // 0: ask the portmapper
	MountPort int // 0: ask the portmapper (or, with Port set and no portmapper, use Port)
	Path      string
	// Version is the NFS version asked for: "3", "4.1", or "" to try
	// NFSv4.1 and fall back to NFSv3 where the server does not speak it.
	Version string
}

// NFS versions a URL may ask for (?vers=).
const (
	Vers3  = "3"
	Vers41 = "4.1"
)

// Location is a destination as the user named it, parsed once and handed to
// every layer: an NFS URL, or a folder of this machine.
type Location struct {
	URL *URL   // nil for a folder
	Dir string // the folder, when URL is nil
}

// ParseLocation parses a destination: nfs://... or a folder path. Any other
// scheme is an error.
func ParseLocation(s string) (Location, error) {
	if IsURL(s) {
		u, err := ParseURL(s)
		if err != nil {
			return Location{}, err
		}
		return Location{URL: u}, nil
	}
	if strings.Contains(s, "://") {
		return Location{}, fmt.Errorf("destination %q: only nfs:// URLs and folders are supported", s)
	}
	if rest, ok := cutPrefixFold(s, "nfs:"); ok {
		// nfs:/host/path, nfs:host/path, nfs:///path: a URL misspelled,
		// not a folder named "nfs:" (one may exist, and would be written).
		return Location{}, fmt.Errorf("destination %q is not an nfs:// URL (two slashes after nfs:, then the server): did you mean nfs://%s?", s, strings.TrimLeft(rest, "/"))
	}
	if s == "" {
		return Location{}, fmt.Errorf("no destination given")
	}
	return Location{Dir: s}, nil
}

func (l Location) String() string {
	if l.URL != nil {
		return l.URL.String()
	}
	return l.Dir
}

// Host is the NFS server's name, or "" for a folder.
func (l Location) Host() string {
	if l.URL != nil {
		return l.URL.Host
	}
	return ""
}

// Parent is the location of the folder that holds l, and l's name in it;
// ok is false for a root, which has none.
func (l Location) Parent() (parent Location, name string, ok bool) {
	if l.URL != nil {
		p := path.Clean(l.URL.Path)
		if p == "/" {
			return Location{}, "", false
		}
		u := *l.URL
		u.Path = path.Dir(p)
		return Location{URL: &u}, path.Base(p), true
	}
	d := filepath.Clean(l.Dir)
	if filepath.Dir(d) == d || filepath.Base(d) == ".." || d == "." {
		return Location{}, "", false
	}
	return Location{Dir: filepath.Dir(d)}, filepath.Base(d), true
}

// Path is the path on the server, or the folder.
func (l Location) Path() string {
	if l.URL != nil {
		return l.URL.Path
	}
	return l.Dir
}

// cutPrefixFold is strings.CutPrefix, ignoring case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// IsURL reports whether s names an NFS destination rather than a folder.
func IsURL(s string) bool { return strings.HasPrefix(strings.ToLower(s), "nfs://") }

// ParseURL parses an nfs:// URL. Errors say what a correct one looks like.
func ParseURL(s string) (*URL, error) {
	const want = "want nfs://HOST[:PORT]/PATH[?vers=3|4.1][&mountport=N], e.g. nfs://nfs.example.internal/srv/airflow/dags"
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("destination %q is not a URL: %v; %s", s, err, want)
	}
	if !strings.EqualFold(u.Scheme, "nfs") {
		return nil, fmt.Errorf("destination %q: scheme %q is not nfs; %s", s, u.Scheme, want)
	}
	if u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("destination %q: user info, fragments and opaque URLs are not supported; %s", s, want)
	}
	out := &URL{Host: u.Hostname()}
	if out.Host == "" {
		return nil, fmt.Errorf("destination %q has no host; %s", s, want)
	}
	if !validHost(out.Host) {
		return nil, fmt.Errorf("destination %q: %q is neither a host name nor an IP address; %s", s, out.Host, want)
	}
	if p := u.Port(); p != "" {
		if out.Port, err = parsePort(p); err != nil {
			return nil, fmt.Errorf("destination %q: port %w; %s", s, err, want)
		}
	}
	q := u.Query()
	for k, v := range q {
		if k != "mountport" && k != "vers" {
			return nil, fmt.Errorf("destination %q: unknown option %q (vers and mountport are known); %s", s, k, want)
		}
		if len(v) > 1 {
			return nil, fmt.Errorf("destination %q: option %q given %d times; %s", s, k, len(v), want)
		}
	}
	switch v := q.Get("vers"); v {
	case "", Vers3, Vers41:
		out.Version = v
	case "4", "4.0", "4.2":
		return nil, fmt.Errorf("destination %q: vers=%s is not spoken by dagnfs: use vers=4.1 (every NFSv4.2 server speaks 4.1) or vers=3", s, v)
	default:
		return nil, fmt.Errorf("destination %q: vers=%q is not an NFS version: use vers=4.1 or vers=3; %s", s, v, want)
	}
	if out.Version == Vers41 && q.Get("mountport") != "" {
		return nil, fmt.Errorf("destination %q: mountport is for NFSv3 (NFSv4.1 has no MOUNT protocol); drop it or use vers=3", s)
	}
	if mp := q.Get("mountport"); mp != "" {
		if out.MountPort, err = parsePort(mp); err != nil {
			return nil, fmt.Errorf("destination %q: mountport %w; %s", s, err, want)
		}
	}
	if u.Path == "" || !strings.HasPrefix(u.Path, "/") {
		return nil, fmt.Errorf("destination %q has no path on the server; %s", s, want)
	}
	if i := strings.IndexFunc(u.Path, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
		return nil, fmt.Errorf("destination %q: the path has a control character (%q); %s", s, u.Path[i], want)
	}
	for _, c := range strings.Split(u.Path, "/") {
		if c == ".." {
			return nil, fmt.Errorf("destination %q: the path may not contain \"..\"; %s", s, want)
		}
	}
	out.Path = path.Clean(u.Path)
	return out, nil
}

// validHost accepts an IP address or a DNS name (letters, digits, '-', '_'
// and dots).
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a number from 1 to 65535", s)
	}
	return n, nil
}

func (u *URL) String() string {
	h := u.Host
	if u.Port != 0 {
		h = net.JoinHostPort(u.Host, strconv.Itoa(u.Port))
	} else if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	out := url.URL{Scheme: "nfs", Host: h, Path: u.Path}
	q := url.Values{}
	if u.Version != "" {
		q.Set("vers", u.Version)
	}
	if u.MountPort != 0 {
		q.Set("mountport", strconv.Itoa(u.MountPort))
	}
	out.RawQuery = q.Encode()
	return out.String()
}

// splitExport picks the export that holds p: the longest export path that is
// p or a parent folder of p. It returns that export and the rest of p below
// it, or ok=false.
func splitExport(exports []string, p string) (export, rest string, ok bool) {
	best := -1
	for _, e := range exports {
		e = path.Clean(e)
		if (e == p || e == "/" || strings.HasPrefix(p, e+"/")) && len(e) > best {
			export, best, ok = e, len(e), true
		}
	}
	if !ok {
		return "", "", false
	}
	rest = strings.TrimPrefix(strings.TrimPrefix(p, export), "/")
	return export, rest, true
}
