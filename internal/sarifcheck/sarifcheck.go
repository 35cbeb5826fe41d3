// Package sarifcheck validates a SARIF document, exactly as written,
// against the SARIF 2.1.0 JSON schema. It is for tests only: the schema is
// the one go-sarif carries (read from its module's source), so dagnfs
// itself links neither go-sarif nor a JSON-schema validator.
package sarifcheck

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/xeipuuv/gojsonschema"
)

const module = "github.com/owenrumney/go-sarif/v3"

var schema = sync.OnceValues(func() (*gojsonschema.Schema, error) {
	// Asked from this package's folder: the tests calling it may have
	// moved to a folder outside the module.
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module)
	cmd.Dir = filepath.Dir(self)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m %s: %w", module, err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pkg/report/v210/sarif/schema.go"))
	if err != nil {
		return nil, err
	}
	_, rest, ok := strings.Cut(string(src), "`")
	text, _, ok2 := strings.Cut(rest, "`")
	if !ok || !ok2 || !strings.Contains(text, `"Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"`) {
		return nil, errors.New(module + " no longer carries the 2.1.0 schema where this package reads it")
	}
	return gojsonschema.NewSchema(gojsonschema.NewStringLoader(text))
})

// Validate reports every way doc breaks the SARIF 2.1.0 schema.
func Validate(doc []byte) error {
	s, err := schema()
	if err != nil {
		return err
	}
	res, err := s.Validate(gojsonschema.NewBytesLoader(doc))
	if err != nil {
		return err
	}
	if !res.Valid() {
		var msgs []string
		for _, e := range res.Errors() {
			msgs = append(msgs, e.String())
		}
		return errors.New("not SARIF 2.1.0: " + strings.Join(msgs, "; "))
	}
	return nil
}
