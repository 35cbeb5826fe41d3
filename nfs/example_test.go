package nfs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dagnfs/dagnfs/nfs"
)

func ExampleParseURL() {
	u, err := nfs.ParseURL("nfs://nfs.example.internal:2049/srv/airflow/dags?mountport=20048")
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Host, u.Port, u.MountPort, u.Path)
	_, err = nfs.ParseURL("nfs://nfs.example.internal")
	fmt.Println(err != nil)
	// Output:
	// nfs.example.internal 2049 20048 /srv/airflow/dags
	// true
}

func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "dagnfs-example-")
	defer os.RemoveAll(dir)
	d, err := nfs.OpenLocal(dir)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	ctx := context.Background()
	// The caller chooses where files are staged; nobody can list there.
	_ = d.Mkdir(ctx, "staging", 0o300)
	// The file appears whole under its name, or not at all.
	err = nfs.WriteFile(ctx, d, "staging/0001.tmp", "hello.py", []byte("print('hi')\n"), nfs.Attr{Mode: 0o644, UID: -1, GID: -1})
	fmt.Println(err)
	b, _ := os.ReadFile(filepath.Join(dir, "hello.py"))
	fmt.Print(string(b))
	// Output:
	// <nil>
	// print('hi')
}
