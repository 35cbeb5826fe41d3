// Package e2e holds the end-to-end tests: the dagnfs binary publishing to a
// real nfs-ganesha server (Root_Squash export) that `make e2e` installs,
// starts and stops (scripts/ganesha.sh). Results are read back from the
// server's disk, through a second NFS client (libnfs-utils' nfs-cat), and as
// uid 50000 (setpriv). Build tag: e2e.
package e2e
