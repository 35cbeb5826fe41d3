// Package k8s builds the Kubernetes objects that run dagnfs where Airflow
// runs: a Job that verifies one publish, a DaemonSet that verifies on every
// node (NFS attribute caches are per node), and a CronJob that publishes a
// Git repository on a schedule. They are built from small types with
// k8s.io/api's field names (objects.go) and printed as YAML; the tests
// decode every manifest strictly into k8s.io/api's own types.
//
// Every pod runs as Airflow does on these deployments (uid 50000, gid 0),
// non-root, with a read-only root file system, no privilege escalation, no
// capabilities and the runtime's default seccomp profile, and mounts the
// export read-only where Airflow mounts its dags folder.
package k8s
