package envindex

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"path/filepath"
	"sort"
	"strings"
)

// distributions lists the distributions installed in the path's folders
// (*.dist-info, *.egg-info) into ix, and returns which distribution owns
// each file they record (absolute paths).
func (s *scanner) distributions(sysPath []string, ix *Index) map[string]string {
	owners := map[string]string{}
	seen := map[string]bool{}
	for _, dir := range sysPath {
		ls := s.list(location{dir: dir})
		names := make([]string, 0, len(ls))
		for n := range ls {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			meta := filepath.Join(dir, n)
			var name, version string
			var files []string
			switch {
			case strings.HasSuffix(n, ".dist-info") && ls[n]:
				name, version = metadata(filepath.Join(meta, "METADATA"))
				files = record(filepath.Join(meta, "RECORD"), dir)
			case strings.HasSuffix(n, ".egg-info") && ls[n]:
				name, version = metadata(filepath.Join(meta, "PKG-INFO"))
				files = installedFiles(filepath.Join(meta, "installed-files.txt"), meta)
				files = append(files, topLevel(filepath.Join(meta, "top_level.txt"), dir)...)
			case strings.HasSuffix(n, ".egg-info"):
				name, version = metadata(meta)
			default:
				continue
			}
			if name == "" || seen[strings.ToLower(name)] {
				continue // the first on the path is the one installed
			}
			seen[strings.ToLower(name)] = true
			ix.Distributions = append(ix.Distributions, Distribution{Name: name, Version: version})
			for _, f := range files {
				if _, ok := owners[f]; !ok {
					owners[f] = name
				}
			}
		}
	}
	sort.Slice(ix.Distributions, func(i, j int) bool {
		return strings.ToLower(ix.Distributions[i].Name) < strings.ToLower(ix.Distributions[j].Name)
	})
	return owners
}

// metadata reads Name and Version from a METADATA or PKG-INFO file.
func metadata(path string) (name, version string) {
	b, err := readBounded(path, 4<<20)
	if err != nil {
		return "", ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break // the headers end
		}
		if v, ok := strings.CutPrefix(line, "Name:"); ok && name == "" {
			name = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "Version:"); ok && version == "" {
			version = strings.TrimSpace(v)
		}
	}
	return name, version
}

// record lists the files a RECORD names, as absolute paths.
func record(path, site string) []string {
	b, err := readBounded(path, maxRecordSize)
	if err != nil {
		return nil
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var out []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil || len(rec) == 0 || rec[0] == "" {
			continue
		}
		out = append(out, filepath.Clean(filepath.Join(site, filepath.FromSlash(rec[0]))))
	}
	return out
}

// installedFiles lists an egg-info's installed-files.txt (relative to it).
func installedFiles(path, meta string) []string {
	b, err := readBounded(path, maxRecordSize)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, filepath.Clean(filepath.Join(meta, line)))
		}
	}
	return out
}

// topLevel names the package __init__ and module files of top_level.txt.
func topLevel(path, site string) []string {
	b, err := readBounded(path, 1<<20)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); identifier(line) {
			out = append(out, filepath.Join(site, line, "__init__.py"), filepath.Join(site, line+".py"))
		}
	}
	return out
}
