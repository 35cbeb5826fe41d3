package perms_test

import (
	"fmt"
	"io/fs"

	"github.com/dagnfs/dagnfs/perms"
)

func ExampleExplain() {
	airflow := perms.Identity{UID: 50000, GIDs: []uint32{0}}
	// A file owned by uid 50000 with mode 0044: others may read, the owner may not.
	fmt.Println(perms.Explain(airflow, 50000, 1000, 0o044, perms.Read))
	fmt.Println(perms.Allowed(airflow, 0, 0, fs.ModeDir|0o755, perms.Traverse))
	// Output:
	// uid 50000 gid 0 is in the owner class of 50000:1000 mode 0044, which grants --- but r-- is needed
	// true
}
