package nfs

import (
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in   string
		want URL
	}{
		{"nfs://nfs.example.internal/srv/airflow/dags", URL{Host: "nfs.example.internal", Path: "/srv/airflow/dags"}},
		{"nfs://10.0.0.5:2049/export/?mountport=20048", URL{Host: "10.0.0.5", Port: 2049, MountPort: 20048, Path: "/export"}},
		{"NFS://[::1]:2049/", URL{Host: "::1", Port: 2049, Path: "/"}},
		{"nfs://h//a//b/", URL{Host: "h", Path: "/a/b"}},
		{"nfs://h/x?vers=4.1", URL{Host: "h", Path: "/x", Version: Vers41}},
		{"nfs://h:2049/x?vers=3&mountport=20048", URL{Host: "h", Port: 2049, MountPort: 20048, Path: "/x", Version: Vers3}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := ParseURL(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, *u)
			again, err := ParseURL(u.String())
			require.NoError(t, err)
			assert.Equal(t, u, again)
		})
	}
	for _, bad := range []string{"http://h/x", "nfs:///x", "nfs://h", "nfs://h:0/x", "nfs://h:70000/x",
		"nfs://h/x?mountport=abc", "nfs://h/x?port=1", "nfs://u@h/x", "nfs://h/a/../../etc", "nfs://h/x#f", "nfs://h:abc/x",
		"nfs://h/x?vers=5", "nfs://h/x?vers=3&vers=4.1"} {
		t.Run(bad, func(t *testing.T) {
			_, err := ParseURL(bad)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "nfs://HOST")
		})
	}
}

func TestSplitExport(t *testing.T) {
	exports := []string{"/srv", "/srv/airflow", "/srv/airflowx", "/other"}
	tests := []struct{ p, export, rest string }{
		{"/srv/airflow/dags", "/srv/airflow", "dags"},
		{"/srv/airflow", "/srv/airflow", ""},
		{"/srv/airflowx/a/b", "/srv/airflowx", "a/b"},
		{"/srv/x", "/srv", "x"},
	}
	for _, tt := range tests {
		e, r, ok := splitExport(exports, tt.p)
		require.True(t, ok, tt.p)
		assert.Equal(t, tt.export, e, tt.p)
		assert.Equal(t, tt.rest, r, tt.p)
	}
	_, _, ok := splitExport(exports, "/nope/x")
	assert.False(t, ok)
	e, r, ok := splitExport([]string{"/"}, "/a/b")
	assert.True(t, ok)
	assert.Equal(t, "/", e)
	assert.Equal(t, "a/b", r)
}

// FuzzParseURL: any string parses to a URL whose path is clean and
// absolute, that prints back to a URL parsing to the same value, or fails.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"nfs://h/p", "nfs://h:2049/a/b?mountport=20048", "nfs://[::1]/x", "nfs://h/../x", "nfs://u@h/x", "nfs://h:0/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(u.Path, "/") || path.Clean(u.Path) != u.Path || strings.Contains(u.Path, "/../") {
			t.Fatalf("%q gave path %q", s, u.Path)
		}
		again, err := ParseURL(u.String())
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, u.String(), err)
		}
		if *again != *u {
			t.Fatalf("%q: %+v printed as %q parses to %+v", s, u, u.String(), again)
		}
	})
}

// Versions dagnfs does not speak are named, with the one to use instead.
func TestParseURLVersions(t *testing.T) {
	for in, want := range map[string]string{
		"nfs://h/x?vers=4":                   "use vers=4.1",
		"nfs://h/x?vers=4.2":                 "every NFSv4.2 server speaks 4.1",
		"nfs://h/x?vers=4.1&mountport=20048": "mountport is for NFSv3",
	} {
		_, err := ParseURL(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}
