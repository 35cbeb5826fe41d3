// Package server is a small NFSv3 server (github.com/willscott/go-nfs) that
// exports one local folder as "/", MOUNT and NFS on one TCP port, with no
// portmapper. It backs `dagnfs serve` and the fast unit tests. It is not a
// production server: it ignores AUTH_UNIX credentials (files are owned by the
// server process) and checks no permissions.
package server
