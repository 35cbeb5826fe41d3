//go:build e2e

package e2e

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// mustZip builds a packaged DAG: a DAG module at the zip's root.
func mustZip(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("packaged_dag.py")
	require.NoError(t, err)
	_, err = w.Write([]byte(dagFile("packaged", "")))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.String()
}
