// Package verify checks, from where Airflow runs, that a dags folder shows
// exactly the generation dagnfs published and that Airflow's identity can
// read all of it.
//
// It reads the destination as the pods do (a mounted folder) or over NFS as
// a given uid/gid, compares every file with the manifest (size and sha256,
// or size and mtime with Quick), checks readability both by reading and by
// the POSIX rules for the Airflow identity, lists what should not be there
// (files dagnfs did not publish, leftover temporary files, an expired lock),
// and turns faults (stale handles, permission denied, I/O errors, timeouts)
// into findings with a rule id and a remedy instead of failing. Only a
// destination that cannot be read at all is an error.
package verify
