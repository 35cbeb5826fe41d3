package validate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dagnfs/dagnfs/validate"
)

func ExampleRun() {
	dir, _ := os.MkdirTemp("", "dagnfs-example-")
	defer os.RemoveAll(dir)
	write := func(name, src string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644)
	}
	write("a.py", "from airflow import DAG\nDAG('etl', schedule='@daily')\n")
	write("team/b.py", "from airflow import DAG\nDAG('etl', schedule=None)\n")
	r, err := validate.Run(context.Background(), dir, validate.Options{Python: "none"})
	if err != nil {
		panic(err)
	}
	for _, f := range r.Findings {
		fmt.Println(f)
	}
	fmt.Println(len(r.DAGs), "DAGs,", r.Errors(), "error")
	// Output:
	// team/b.py:2: error [duplicate-dag-id] dag_id "etl" is also defined at a.py:2; in production one of them silently replaces the other
	// 2 DAGs, 1 error
}
