package envindex

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed capture.py
var captureScript string

// Script is a self-contained Python script that writes the index of the
// interpreter running it, reading the names of modules under prefixes.
func Script(prefixes []string) string {
	quoted := make([]string, len(prefixes))
	for i, p := range prefixes {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	return strings.Replace(captureScript, `PREFIXES = ["airflow"]`, "PREFIXES = ["+strings.Join(quoted, ", ")+"]", 1)
}
