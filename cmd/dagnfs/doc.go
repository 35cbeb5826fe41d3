// Command dagnfs validates Airflow DAG folders, publishes them onto NFS
// exports atomically and readable for Airflow's uid/gid 50000, and verifies
// from inside the cluster what the pods see. Run "dagnfs help".
//
// Each command has an options struct with AddFlags and a run function that
// the tests call directly; flags fall back to DAGNFS_* environment
// variables; exit codes are decided in one place (exitCode).
package main
