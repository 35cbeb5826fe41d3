// Package nfstest holds the conformance suite that every nfs.Dest
// implementation must pass, and helpers that start the in-process NFS server
// for fast tests. End-to-end tests against nfs-ganesha live in e2e/.
package nfstest
