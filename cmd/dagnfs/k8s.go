package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/k8s"
)

const k8sHelp = `Usage: dagnfs k8s verify-job|agent-daemonset|publish-cronjob [flags]

Print Kubernetes manifests (YAML built from k8s.io/api types) that run
dagnfs where Airflow runs: the export mounted read-only at --dags-path,
uid 50000 gid 0, non-root, read-only root file system, no privilege
escalation, no capabilities.

  verify-job       a Job that verifies one publish (--expect-label, --wait);
                   its exit code is the verdict
  agent-daemonset  a DaemonSet running dagnfs agent on every node, with
                   probes on /healthz and /readyz and Prometheus annotations
  publish-cronjob  a CronJob that fetches a Git repository (git-sync
                   --one-time) and publishes its DAG folder over NFS

Flags:
`

type k8sOptions struct {
	k8s.Options
	schedule, repo, branch, subdir, gitSyncImage, nfsURL string
}

// AddFlags registers the flags.
func (o *k8sOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Name, "name", "", "object name (default dagnfs-verify, dagnfs-agent or dagnfs-publish)")
	f.StringVar(&o.Namespace, "namespace", "", "namespace")
	f.StringVar(&o.Image, "image", "", "the dagnfs image (deploy/Dockerfile builds one)")
	f.StringVar(&o.NFSServer, "nfs-server", "", "NFS server of the export")
	f.StringVar(&o.NFSPath, "nfs-path", "", "path of the export on the server")
	f.StringVar(&o.PVC, "pvc", "", "a PersistentVolumeClaim holding the export, instead of --nfs-server/--nfs-path")
	f.StringVar(&o.DagsPath, "dags-path", k8s.DefaultDagsPath, "where Airflow mounts the export")
	f.StringVar(&o.Layout, "layout", "", "generations: the export is published with --layout generations; Airflow's dags folder is DAGS-PATH/current, and the pods verify what it names")
	f.StringVar(&o.ExpectLabel, "expect-label", "", "verify-job: the label (commit) to wait for")
	f.DurationVar(&o.Wait, "wait", 5*time.Minute, "verify-job: how long to wait for it")
	f.DurationVar(&o.Interval, "interval", time.Minute, "agent-daemonset: time between verifications")
	f.Int32Var(&o.Port, "port", 8080, "agent-daemonset: HTTP port")
	f.Int64Var(&o.RunAsUser, "run-as-user", 50000, "uid of the pods (Airflow's)")
	f.Int64Var(&o.RunAsGroup, "run-as-group", 0, "gid of the pods (Airflow's)")
	f.StringVar(&o.schedule, "schedule", "*/10 * * * *", "publish-cronjob: cron schedule")
	f.StringVar(&o.repo, "repo", "", "publish-cronjob: Git repository URL")
	f.StringVar(&o.branch, "branch", "main", "publish-cronjob: branch")
	f.StringVar(&o.subdir, "subdir", "dags", "publish-cronjob: the DAG folder inside the repository")
	f.StringVar(&o.gitSyncImage, "git-sync-image", "", "publish-cronjob: the git-sync image")
	f.StringVar(&o.nfsURL, "nfs-url", "", "publish-cronjob: where to publish (default nfs://SERVER/PATH)")
}

func runK8sCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "verify-job" && args[0] != "agent-daemonset" && args[0] != "publish-cronjob") {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fmt.Fprint(stdout, k8sHelp)
			return nil
		}
		return usagef("dagnfs k8s needs verify-job, agent-daemonset or publish-cronjob (see dagnfs k8s --help)")
	}
	kind := args[0]
	o := &k8sOptions{}
	fset := pflag.NewFlagSet("k8s "+kind, pflag.ContinueOnError)
	o.AddFlags(fset)
	if _, err := parseFlags(fset, args[1:], k8sHelp, stdout, 0, 0); err != nil {
		return err
	}
	var obj any
	switch kind {
	case "verify-job":
		o.Defaults("dagnfs-verify")
		if err := o.Check(); err != nil {
			return &usageError{err.Error()}
		}
		obj = k8s.VerifyJob(o.Options)
	case "agent-daemonset":
		o.Defaults("dagnfs-agent")
		if err := o.Check(); err != nil {
			return &usageError{err.Error()}
		}
		obj = k8s.AgentDaemonSet(o.Options)
	case "publish-cronjob":
		o.Defaults("dagnfs-publish")
		if o.nfsURL == "" && o.NFSServer != "" {
			o.nfsURL = "nfs://" + o.NFSServer + o.NFSPath
		}
		switch {
		case o.Image == "":
			return usagef("--image is required")
		case o.repo == "" || o.gitSyncImage == "" || o.nfsURL == "":
			return usagef("publish-cronjob needs --repo, --git-sync-image and --nfs-url (or --nfs-server and --nfs-path)")
		}
		obj = k8s.PublishCronJob(k8s.PublishCronJobOptions{Options: o.Options, Schedule: o.schedule, Repo: o.repo,
			Branch: o.branch, Subdir: o.subdir, GitSyncImage: o.gitSyncImage, NFSURL: o.nfsURL})
	}
	b, err := k8s.YAML(obj)
	if err != nil {
		return err
	}
	if o.Layout == "generations" {
		fmt.Fprintf(stdout, "# Airflow's dags folder must be the symlink: AIRFLOW__CORE__DAGS_FOLDER=%s\n", o.DagsFolder())
	}
	_, err = stdout.Write(b)
	return err
}
