package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/bundle"
	"github.com/dagnfs/dagnfs/envindex"
	"github.com/dagnfs/dagnfs/k8s"
	"github.com/dagnfs/dagnfs/share"
)

const k8sHelp = `Usage: dagnfs k8s KIND [flags]

Print Kubernetes manifests (YAML with k8s.io/api's fields) that run
dagnfs where Airflow runs: the export mounted read-only, uid 50000 gid 0,
non-root, read-only root file system, no privilege escalation, no
capabilities, no service account token. Pipe them to kubectl apply -f -.

Kinds:
  verify-job           a Job that verifies one publish (--expect-label,
                       --wait); its exit code is the verdict
  agent-daemonset      a DaemonSet running dagnfs agent on every node, with
                       probes on /healthz and /readyz and Prometheus
                       annotations
  agent-networkpolicy  a NetworkPolicy that lets only Prometheus reach the
                       agents' port
  publish-cronjob      a CronJob that fetches a Git repository (git-sync
                       --one-time) and publishes its DAG folder over NFS
  env-capture-job      a Job that writes the environment index of the
                       Airflow image to its log (validate --env)
  bundle-config        Airflow 3's dag_bundle_config_list for the versioned
                       bundles dagnfs publishes (--layout manifest-bundle)

Run "dagnfs k8s KIND --help" for a kind's flags.

Example:
  dagnfs k8s agent-daemonset --namespace airflow --image registry.example.internal/dagnfs:1.4.0 \
    --nfs-server nfs.example.internal --nfs-path /srv/airflow/dags | kubectl apply -f -
`

// k8sKind is one kind of manifest: its help, its own flags, and how it is
// made.
type k8sKind struct {
	help  string
	flags func(f *pflag.FlagSet, o *k8sOptions)
	make  func(ctx context.Context, o *k8sOptions) (any, error)
}

const exportExample = ` --namespace airflow \
    --image registry.example.internal/dagnfs:1.4.0 --nfs-server nfs.example.internal --nfs-path /srv/airflow/dags`

var k8sKinds = map[string]k8sKind{
	"verify-job": {
		help: `Usage: dagnfs k8s verify-job [flags]

A Job that mounts the export as Airflow does and runs dagnfs verify once,
waiting up to --wait for the generation labelled --expect-label; its exit
code is the verdict (kubectl wait --for=condition=complete).

Example:
  dagnfs k8s verify-job` + exportExample + ` \
    --expect-label "$GITHUB_SHA" | kubectl apply -f -

Flags:
`,
		flags: func(f *pflag.FlagSet, o *k8sOptions) {
			o.addExport(f)
			o.addPlacement(f)
			f.StringVar(&o.ExpectLabel, "expect-label", "", "the label (commit) to wait for")
			o.addAirflowDagsFolder(f)
			f.DurationVar(&o.Wait, "wait", 5*time.Minute, "how long to wait for it")
		},
		make: func(ctx context.Context, o *k8sOptions) (any, error) {
			if err := o.ready("dagnfs-verify"); err != nil {
				return nil, err
			}
			return k8s.VerifyJob(o.Options), nil
		},
	},
	"agent-daemonset": {
		help: `Usage: dagnfs k8s agent-daemonset [flags]

A DaemonSet that runs dagnfs agent on every node (or on the nodes
--node-selector picks), verifying the export every --interval and serving
/healthz, /readyz, /status and /metrics on --port of the pod's address. It
tolerates no taint unless told (--tolerations): the DaemonSet controller
adds what a per-node agent needs (not-ready, unreachable, pressure,
unschedulable); add the taints of the nodes Airflow runs on.

Example:
  dagnfs k8s agent-daemonset` + exportExample + ` \
    --node-selector node-pool=airflow --tolerations dedicated=airflow:NoSchedule | kubectl apply -f -

Flags:
`,
		flags: func(f *pflag.FlagSet, o *k8sOptions) {
			o.addExport(f)
			o.addPlacement(f)
			f.DurationVar(&o.Interval, "interval", time.Minute, "time between verifications")
			o.addAirflowDagsFolder(f)
			f.Int32Var(&o.Port, "port", 8080, "HTTP port")
		},
		make: func(ctx context.Context, o *k8sOptions) (any, error) {
			if err := o.ready("dagnfs-agent"); err != nil {
				return nil, err
			}
			return k8s.AgentDaemonSet(o.Options), nil
		},
	},
	"bundle-config": {
		help: `Usage: dagnfs k8s bundle-config --bundle NAME [--bundle NAME...] [flags]
       dagnfs k8s bundle-config --share SHARE [flags]

The environment variable of Airflow 3's dag_bundle_config_list, as an entry
of a container's env list, with one ManifestLocalDagBundle per --bundle,
reading the published root that the pods mount at --published-root (dagnfs
publishes, so no source_path). The image needs the airflow-manifest-bundle
package.

With --share, one bundle per team of the share (dagnfs share init), read
from the share itself: a LocalDagBundle for each team folder (its current
symlink in the generations layout), a ManifestLocalDagBundle for each
versioned bundle, all below --published-root, where the pods mount the
share; --multi-team names each entry's team_name (Airflow 3's multi-team
mode).

Example:
  dagnfs k8s bundle-config --bundle team-a --bundle team-b --published-root /usr/local/airflow/bundles
  dagnfs k8s bundle-config --share nfs://nfs.example.internal/srv/airflow/dags --multi-team

Flags:
`,
		flags: func(f *pflag.FlagSet, o *k8sOptions) {
			f.StringArrayVar(&o.bundles, "bundle", nil, "a bundle's name (repeatable)")
			f.StringVar(&o.DagsPath, "published-root", k8s.DefaultDagsPath, "where the pods mount the export that dagnfs publishes the bundles to")
			f.StringVar(&o.share, "share", "", "a share (dagnfs share init): one bundle per team, read from it")
			f.BoolVar(&o.multiTeam, "multi-team", false, "with --share: each entry names its team_name")
			f.IntVar(&o.uid, "uid", 50000, "with --share: the AUTH_SYS uid that reads the share")
			f.IntVar(&o.gid, "gid", 50000, "with --share: the AUTH_SYS gid that reads the share")
		},
		make: func(ctx context.Context, o *k8sOptions) (any, error) {
			if o.share != "" {
				if len(o.bundles) > 0 {
					return nil, usagef("give --share or --bundle, not both")
				}
				return shareBundleConfig(ctx, o)
			}
			for _, n := range o.bundles {
				if err := bundle.CheckName(n); err != nil {
					return nil, usagef("--bundle: %v", err)
				}
			}
			env, err := k8s.BundleConfigEnv(o.bundles, o.DagsPath)
			if err != nil {
				return nil, &usageError{err.Error()}
			}
			return env, nil
		},
	},
	"agent-networkpolicy": {
		help: `Usage: dagnfs k8s agent-networkpolicy [flags]

A NetworkPolicy that admits traffic to the agent pods (those of
agent-daemonset with the same --name) only on --port, and only from the
Prometheus pods --prometheus-selector picks, in the agents' namespace or in
--prometheus-namespace. The kubelet's probes come from the node, which
network policies do not filter on common network plugins.

Example:
  dagnfs k8s agent-networkpolicy --namespace airflow \
    --prometheus-selector app.kubernetes.io/name=prometheus --prometheus-namespace monitoring | kubectl apply -f -

Flags:
`,
		flags: func(f *pflag.FlagSet, o *k8sOptions) {
			f.StringVar(&o.Name, "name", "", "the agent DaemonSet's name (default dagnfs-agent)")
			f.StringVar(&o.Namespace, "namespace", "", "namespace")
			f.Int32Var(&o.Port, "port", 8080, "the agents' HTTP port")
			f.StringArrayVar(&o.promSelector, "prometheus-selector", []string{"app.kubernetes.io/name=prometheus"}, "labels KEY=VALUE of the Prometheus pods (repeatable)")
			f.StringVar(&o.promNamespace, "prometheus-namespace", "", "Prometheus's namespace, when not the agents' own")
		},
		make: func(ctx context.Context, o *k8sOptions) (any, error) {
			o.Defaults("dagnfs-agent")
			sel, err := k8s.ParseLabels("--prometheus-selector", o.promSelector)
			switch {
			case err != nil:
				return nil, &usageError{err.Error()}
			case len(sel) == 0:
				return nil, usagef("--prometheus-selector needs the KEY=VALUE labels of the Prometheus pods")
			}
			if err := o.checkNames(); err != nil {
				return nil, err
			}
			if o.promNamespace != "" {
				if err := k8s.CheckDNSLabel("--prometheus-namespace", o.promNamespace, 63); err != nil {
					return nil, &usageError{err.Error()}
				}
			}
			return k8s.AgentNetworkPolicy(k8s.NetworkPolicyOptions{Options: o.Options, PrometheusSelector: sel,
				PrometheusNamespace: o.promNamespace}), nil
		},
	},
	"env-capture-job": {
		help: `Usage: dagnfs k8s env-capture-job --image AIRFLOW_IMAGE [flags]

A Job that runs dagnfs env script with the Python of the Airflow image the
deployment runs (not the dagnfs image), as uid 50000: the environment index
is the Job's log. Nothing is mounted and nothing of the environment is
imported.

  kubectl -n airflow logs job/dagnfs-env-capture > airflow-env.json

Example:
  dagnfs k8s env-capture-job --namespace airflow --image registry.example.internal/airflow:3.0.2 | kubectl apply -f -

Flags:
`,
		flags: func(f *pflag.FlagSet, o *k8sOptions) {
			f.StringVar(&o.Name, "name", "", "object name (default dagnfs-env-capture)")
			f.StringVar(&o.Namespace, "namespace", "", "namespace")
			f.StringVar(&o.Image, "image", "", "the Airflow image whose environment is captured")
			f.StringVar(&o.python, "python", "python", "the image's interpreter")
			f.StringSliceVar(&o.prefixes, "prefix", envindex.DefaultPrefixes, "module prefixes whose names are read")
			f.Int64Var(&o.RunAsUser, "run-as-user", 50000, "uid of the pod (Airflow's)")
			f.Int64Var(&o.RunAsGroup, "run-as-group", 0, "gid of the pod (Airflow's)")
			o.addPlacement(f)
		},
		make: func(ctx context.Context, o *k8sOptions) (any, error) {
			o.Defaults("dagnfs-env-capture")
			if o.Image == "" {
				return nil, usagef("--image is required: the Airflow image whose environment is captured")
			}
			if err := o.checkNames(); err != nil {
				return nil, err
			}
			return k8s.EnvCaptureJob(o.Options, o.Image, o.python, envindex.Script(o.prefixes)), nil
		},
	},
	"publish-cronjob": {
		help: `Usage: dagnfs k8s publish-cronjob [flags]

A CronJob that fetches --repo at --branch with git-sync --one-time and
publishes its --subdir over NFS to --nfs-url (no mount of the export is
needed: dagnfs speaks NFS itself). Each generation's label is the commit
git-sync checked out, and the manifest records the CronJob as the
publisher (so that a rollback offers to pause it). --git-secret names a
Secret mounted read-only for git-sync (group-readable for the pod's group):
keys ssh and known_hosts for an SSH repository, username and password (a
token) for HTTPS. git-sync is ` + k8s.DefaultGitSyncImage + ` unless
--git-sync-image names another.

Example:
  dagnfs k8s publish-cronjob` + exportExample + ` \
    --repo git@git.example.internal:data/dags.git --git-secret dags-deploy-key | kubectl apply -f -

Flags:
`,
		flags: func(f *pflag.FlagSet, o *k8sOptions) {
			o.addExport(f)
			o.addPlacement(f)
			f.StringVar(&o.schedule, "schedule", "*/10 * * * *", "cron schedule")
			f.StringVar(&o.repo, "repo", "", "Git repository URL (https://... or git@host:path)")
			f.StringVar(&o.branch, "branch", "main", "branch")
			f.StringVar(&o.subdir, "subdir", "dags", "the DAG folder inside the repository")
			f.StringVar(&o.gitSyncImage, "git-sync-image", k8s.DefaultGitSyncImage, "the git-sync image (v4)")
			f.StringVar(&o.gitSecret, "git-secret", "", "Secret with git-sync's credentials: ssh and known_hosts, or username and password")
			f.StringVar(&o.nfsURL, "nfs-url", "", "where to publish (default nfs://SERVER/PATH)")
		},
		make: func(ctx context.Context, o *k8sOptions) (any, error) {
			o.Defaults("dagnfs-publish")
			if o.nfsURL == "" && o.NFSServer != "" {
				o.nfsURL = "nfs://" + o.NFSServer + o.NFSPath
			}
			var missing []string
			for _, m := range []struct {
				given bool
				flag  string
			}{{o.Image != "", "--image (the dagnfs image, see deploy/Dockerfile)"}, {o.repo != "", "--repo"},
				{o.gitSyncImage != "", "--git-sync-image"}, {o.nfsURL != "", "--nfs-url (or --nfs-server and --nfs-path)"}} {
				if !m.given {
					missing = append(missing, m.flag)
				}
			}
			if len(missing) > 0 {
				return nil, usagef("publish-cronjob needs %s", strings.Join(missing, ", "))
			}
			if err := o.checkNames(); err != nil {
				return nil, err
			}
			if o.gitSecret != "" {
				if err := k8s.CheckDNSLabel("--git-secret", o.gitSecret, 253); err != nil {
					return nil, &usageError{err.Error()}
				}
			}
			return k8s.PublishCronJob(k8s.PublishCronJobOptions{Options: o.Options, Schedule: o.schedule, Repo: o.repo,
				Branch: o.branch, Subdir: o.subdir, GitSyncImage: o.gitSyncImage, NFSURL: o.nfsURL, GitSecret: o.gitSecret}), nil
		},
	},
}

type k8sOptions struct {
	k8s.Options
	schedule, repo, branch, subdir, gitSyncImage, gitSecret, nfsURL string
	bundles                                                         []string
	nodeSelector, tolerations, promSelector, prefixes               []string
	promNamespace, python                                           string
	share                                                           string
	multiTeam                                                       bool
	uid, gid                                                        int
}

// shareBundleConfig reads the share's teams and makes their bundle list.
func shareBundleConfig(ctx context.Context, o *k8sOptions) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	d, err := openDest(ctx, o.share, o.uid, o.gid, 30*time.Second, 2, nil)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	m, err := share.ReadMarker(ctx, d)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, usagef("%s is not a share (no %s): dagnfs share init makes one", d, share.MarkerName)
	}
	sh := &share.Share{Root: d, Marker: m}
	folders, err := sh.Folders(ctx)
	if err != nil {
		return nil, err
	}
	var teams []k8s.TeamBundle
	for _, f := range folders {
		if f.Err != nil {
			return nil, fmt.Errorf("team folder %s: %w", f.Name(), f.Err)
		}
		name := strings.ReplaceAll(sh.TeamOf(f), "/", "-")
		teams = append(teams, k8s.TeamBundle{Name: name, Path: f.Path, Bundle: f.Bundle, Current: f.Manifest.InGenerations()})
	}
	env, err := k8s.ShareBundleConfigEnv(teams, o.DagsPath, o.multiTeam)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return env, nil
}

// addExport registers where the export is and who the pods run as.
func (o *k8sOptions) addExport(f *pflag.FlagSet) {
	f.StringVar(&o.Name, "name", "", "object name (default dagnfs-verify, dagnfs-agent or dagnfs-publish)")
	f.StringVar(&o.Namespace, "namespace", "", "namespace")
	f.StringVar(&o.Image, "image", "", "the dagnfs image (deploy/Dockerfile builds one)")
	f.StringVar(&o.NFSServer, "nfs-server", "", "NFS server of the export")
	f.StringVar(&o.NFSPath, "nfs-path", "", "path of the export on the server")
	f.StringVar(&o.PVC, "pvc", "", "a PersistentVolumeClaim holding the export, instead of --nfs-server/--nfs-path")
	f.StringVar(&o.DagsPath, "dags-path", k8s.DefaultDagsPath, "where Airflow mounts the export")
	f.StringVar(&o.Bundle, "bundle", "", "Airflow 3's versioned bundle (the manifest-bundle layout): its name; the export is its published root")
	f.StringVar(&o.Layout, "layout", "", "generations: the export is published with --layout generations; Airflow's dags folder is DAGS-PATH/current, and the pods verify what it names")
	f.Int64Var(&o.RunAsUser, "run-as-user", 50000, "uid of the pods (Airflow's)")
	f.Int64Var(&o.RunAsGroup, "run-as-group", 0, "gid of the pods (Airflow's)")
}

// addAirflowDagsFolder registers the dags folder the deployment's Airflow
// is configured with, which the pods scan as Airflow does.
func (o *k8sOptions) addAirflowDagsFolder(f *pflag.FlagSet) {
	f.StringVar(&o.IgnoreSyntax, "ignore-syntax", "glob", "the deployment's [core] dag_ignore_file_syntax: glob (Airflow 3's default) or regexp (Airflow 2's)")
	f.StringVar(&o.AirflowDagsFolder, "airflow-dags-folder", "", "the dags folder the deployment's Airflow is configured with (its AIRFLOW__CORE__DAGS_FOLDER, or the LocalDagBundle's path), at or below --dags-path; the pods run Airflow's own scan of it (default: DAGS-PATH, or DAGS-PATH/current with --layout generations)")
}

// addPlacement registers where the pods may run.
func (o *k8sOptions) addPlacement(f *pflag.FlagSet) {
	f.StringArrayVar(&o.nodeSelector, "node-selector", nil, "KEY=VALUE node label the pods must run on (repeatable)")
	f.StringArrayVar(&o.tolerations, "tolerations", nil, "taints to tolerate: KEY[=VALUE][:EFFECT], or * for all (repeatable; default none)")
}

// checkNames parses the placement flags and checks every name.
func (o *k8sOptions) checkNames() error {
	var err error
	if o.NodeSelector, err = k8s.ParseLabels("--node-selector", o.nodeSelector); err != nil {
		return &usageError{err.Error()}
	}
	if o.Tolerations, err = k8s.ParseTolerations(o.tolerations); err != nil {
		return &usageError{err.Error()}
	}
	if err := o.CheckName(); err != nil {
		return &usageError{err.Error()}
	}
	return nil
}

// ready fills in defaults and checks everything a pod that mounts the
// export needs.
func (o *k8sOptions) ready(name string) error {
	o.Defaults(name)
	if err := o.checkNames(); err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return &usageError{err.Error()}
	}
	return nil
}

func runK8sCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
		fmt.Fprint(stdout, k8sHelp)
		return errHelp
	}
	if len(args) == 0 {
		return usagef("dagnfs k8s needs a kind: verify-job, agent-daemonset, agent-networkpolicy, publish-cronjob, env-capture-job or bundle-config (see dagnfs k8s --help)")
	}
	kind, ok := k8sKinds[args[0]]
	if !ok {
		return usagef("dagnfs k8s: unknown kind %q%s: verify-job, agent-daemonset, agent-networkpolicy, publish-cronjob, env-capture-job or bundle-config (see dagnfs k8s --help)",
			args[0], didYouMean(args[0], slices.Sorted(maps.Keys(k8sKinds))))
	}
	o := &k8sOptions{}
	fset := pflag.NewFlagSet("k8s "+args[0], pflag.ContinueOnError)
	kind.flags(fset, o)
	if _, err := parseFlags(fset, args[1:], kind.help, stdout, 0, 0); err != nil {
		return err
	}
	obj, err := kind.make(ctx, o)
	if err != nil {
		return err
	}
	b, err := k8s.YAML(obj)
	if err != nil {
		return err
	}
	switch {
	case o.Bundle != "":
		fmt.Fprintf(stdout, "# Airflow reads bundle %s through its dag_bundle_config_list: dagnfs k8s bundle-config --bundle %s --published-root %s\n", o.Bundle, o.Bundle, o.DagsPath)
	case o.Layout == "generations":
		fmt.Fprintf(stdout, "# Airflow's dags folder must be the symlink: AIRFLOW__CORE__DAGS_FOLDER=%s\n", o.DagsFolder())
	}
	_, err = stdout.Write(b)
	return err
}
