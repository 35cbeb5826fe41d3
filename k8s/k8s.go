package k8s

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// DefaultDagsPath is where Astronomer's deployments mount the dags folder.
const DefaultDagsPath = "/usr/local/airflow/dags"

// Options describe where the export is and how dagnfs runs.
type Options struct {
	Name      string
	Namespace string
	Image     string
	// The export: an NFS server and path, or a PersistentVolumeClaim.
	NFSServer, NFSPath string
	PVC                string
	DagsPath           string
	// Layout is "generations" when the export is published in that
	// layout: Airflow's dags folder is then DagsPath/current, and the
	// pods verify what it names.
	Layout string
	// Bundle, for Airflow 3's versioned bundles (the manifest-bundle
	// layout), is the bundle's name: the export is its published root,
	// which Airflow reads through the bundle, never by a scan.
	Bundle string
	// AirflowDagsFolder is the dags folder the deployment's Airflow is
	// configured with (default DagsFolder()): the pods run Airflow's own
	// scan of it.
	AirflowDagsFolder string
	// IgnoreSyntax is the deployment's [core] dag_ignore_file_syntax
	// (default glob, Airflow 3's).
	IgnoreSyntax string
	// Verify Job: the generation to wait for.
	ExpectLabel string
	Wait        time.Duration
	// Agent DaemonSet.
	Interval time.Duration
	Port     int32
	// The identity Airflow runs as.
	RunAsUser, RunAsGroup int64
	// Where the pods may run: a node selector, and the taints they
	// tolerate (none by default: the DaemonSet controller adds the ones a
	// per-node agent needs, for not-ready, unreachable, pressure and
	// unschedulable nodes).
	NodeSelector map[string]string
	Tolerations  []Toleration
}

// Defaults fills in what is not set.
func (o *Options) Defaults(name string) {
	if o.Name == "" {
		o.Name = name
	}
	if o.DagsPath == "" {
		o.DagsPath = DefaultDagsPath
	}
	if o.AirflowDagsFolder == "" {
		o.AirflowDagsFolder = o.DagsFolder()
	}
	if o.IgnoreSyntax == "" {
		o.IgnoreSyntax = "glob"
	}
	if o.Interval == 0 {
		o.Interval = time.Minute
	}
	if o.Port == 0 {
		o.Port = 8080
	}
	if o.RunAsUser == 0 {
		o.RunAsUser = 50000
	}
}

// CheckName reports a name, namespace or node selector that Kubernetes
// would refuse.
func (o *Options) CheckName() error {
	if err := CheckDNSLabel("--name", o.Name, maxNameLen); err != nil {
		return err
	}
	if o.Namespace != "" {
		if err := CheckDNSLabel("--namespace", o.Namespace, dns1123LabelMax); err != nil {
			return err
		}
	}
	return CheckLabels("--node-selector", o.NodeSelector)
}

// CheckLabels reports a label key or value that Kubernetes would refuse.
func CheckLabels(flag string, m map[string]string) error {
	for k, v := range m {
		if err := checkQualifiedName(k); err != nil {
			return fmt.Errorf("%s key %q: %s", flag, k, err)
		}
		if err := checkLabelValue(v); err != nil {
			return fmt.Errorf("%s value %q: %s", flag, v, err)
		}
	}
	return nil
}

// Check reports the first problem with o.
func (o *Options) Check() error {
	if err := o.CheckName(); err != nil {
		return err
	}
	switch {
	case o.Image == "":
		return errors.New("--image is required (the dagnfs image, see deploy/Dockerfile)")
	case o.PVC != "" && (o.NFSServer != "" || o.NFSPath != ""):
		return errors.New("give either --pvc or --nfs-server/--nfs-path, not both")
	case o.PVC == "" && (o.NFSServer == "" || o.NFSPath == ""):
		return errors.New("give the export: --nfs-server and --nfs-path, or --pvc")
	case o.NFSPath != "" && !strings.HasPrefix(o.NFSPath, "/"):
		return fmt.Errorf("--nfs-path %q must be an absolute path on the server", o.NFSPath)
	case !strings.HasPrefix(o.DagsPath, "/"):
		return fmt.Errorf("--dags-path %q must be absolute", o.DagsPath)
	case o.Layout != "" && o.Layout != "in-place" && o.Layout != "generations" && o.Layout != "manifest-bundle":
		return fmt.Errorf("--layout %q is not in-place, generations or manifest-bundle", o.Layout)
	case o.Layout == "manifest-bundle" && o.Bundle == "":
		return errors.New("--layout manifest-bundle needs --bundle: the bundle's name")
	case o.IgnoreSyntax != "" && o.IgnoreSyntax != "glob" && o.IgnoreSyntax != "regexp":
		return fmt.Errorf("--ignore-syntax %q is not glob or regexp", o.IgnoreSyntax)
	case o.AirflowDagsFolder != "" && !within(o.DagsPath, o.AirflowDagsFolder):
		return fmt.Errorf("--airflow-dags-folder %q is not at or below --dags-path %q, where the pods mount the export", o.AirflowDagsFolder, o.DagsPath)
	}
	return nil
}

// maxNameLen bounds object names: a CronJob's Jobs add 11 characters to
// its name and must stay within 63.
const maxNameLen = 52

// CheckDNSLabel reports a name that Kubernetes would refuse: names here
// become labels, so they must be DNS-1123 labels of at most most
// characters.
func CheckDNSLabel(flag, name string, most int) error {
	if err := checkDNS1123Label(name); err != nil {
		return fmt.Errorf("%s %q is not a valid name: %s", flag, name, err)
	}
	if len(name) > most {
		return fmt.Errorf("%s %q is longer than %d characters", flag, name, most)
	}
	return nil
}

// ParseLabels reads the KEY=VALUE pairs of flag.
func ParseLabels(flag string, pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q is not KEY=VALUE", flag, p)
		}
		out[k] = v
	}
	return out, CheckLabels(flag, out)
}

// ParseTolerations reads tolerations written KEY[=VALUE][:EFFECT], or "*"
// for every taint (which also keeps the pods on nodes being drained).
func ParseTolerations(specs []string) ([]Toleration, error) {
	var out []Toleration
	for _, s := range specs {
		if s == "*" {
			out = append(out, Toleration{Operator: TolerationOpExists})
			continue
		}
		kv, effect, _ := strings.Cut(s, ":")
		k, v, hasValue := strings.Cut(kv, "=")
		t := Toleration{Key: k, Operator: TolerationOpExists, Effect: effect}
		if hasValue {
			t.Operator, t.Value = TolerationOpEqual, v
		}
		switch t.Effect {
		case "", NoSchedule, PreferNoSchedule, NoExecute:
		default:
			return nil, fmt.Errorf("--tolerations %q: the effect must be NoSchedule, PreferNoSchedule or NoExecute", s)
		}
		if k == "" || checkQualifiedName(k) != nil {
			return nil, fmt.Errorf("--tolerations %q: the key must be a label key (write KEY[=VALUE][:EFFECT], or * for every taint)", s)
		}
		out = append(out, t)
	}
	return out, nil
}

// podSpec is what every dagnfs pod has: the identity, no service account
// token (dagnfs never talks to the API server), where it may run.
func podSpec(o Options, spec PodSpec) PodSpec {
	spec.SecurityContext = podSecurity(o)
	spec.AutomountServiceAccountToken = ptr(false)
	spec.NodeSelector = o.NodeSelector
	spec.Tolerations = o.Tolerations
	return spec
}

func labels(o Options, component string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "dagnfs", "app.kubernetes.io/instance": o.Name, "app.kubernetes.io/component": component}
}

func volume(o Options) Volume {
	v := Volume{Name: "dags"}
	if o.PVC != "" {
		v.PersistentVolumeClaim = &PersistentVolumeClaimVolumeSource{ClaimName: o.PVC, ReadOnly: true}
	} else {
		v.NFS = &NFSVolumeSource{Server: o.NFSServer, Path: o.NFSPath, ReadOnly: true}
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func podSecurity(o Options) *PodSecurityContext {
	return &PodSecurityContext{
		RunAsUser:      ptr(o.RunAsUser),
		RunAsGroup:     ptr(o.RunAsGroup),
		RunAsNonRoot:   ptr(true),
		SeccompProfile: &SeccompProfile{Type: "RuntimeDefault"},
	}
}

func containerSecurity() *SecurityContext {
	return &SecurityContext{
		ReadOnlyRootFilesystem:   ptr(true),
		AllowPrivilegeEscalation: ptr(false),
		RunAsNonRoot:             ptr(true),
		Capabilities:             &Capabilities{Drop: []string{"ALL"}},
	}
}

func resources() ResourceRequirements {
	return ResourceRequirements{
		Requests: map[string]string{"cpu": "50m", "memory": "64Mi"},
		Limits:   map[string]string{"memory": "256Mi"},
	}
}

func container(o Options, args []string) Container {
	return Container{
		Name:            "dagnfs",
		Image:           o.Image,
		Args:            args,
		Resources:       resources(),
		SecurityContext: containerSecurity(),
		VolumeMounts:    []VolumeMount{{Name: "dags", MountPath: o.DagsPath, ReadOnly: true}},
	}
}

func asIdentity(o Options) string { return fmt.Sprintf("--as-uid=%d", o.RunAsUser) }

// within reports whether the absolute path p is dir or below it.
func within(dir, p string) bool {
	dir, p = path.Clean(dir), path.Clean(p)
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// scanArg asks the pods for Airflow's own scan of its dags folder.
func scanArgs(o Options) []string {
	if o.Bundle != "" {
		return []string{"--bundle=" + o.Bundle}
	}
	return []string{"--dags-folder=" + o.AirflowDagsFolder, "--ignore-syntax=" + o.IgnoreSyntax}
}

// BundleClasspath is the versioned bundle class that reads what dagnfs
// publishes in the manifest-bundle layout (the airflow-manifest-bundle
// package, Airflow 3.0+).
const BundleClasspath = "airflow_manifest_bundle.local.ManifestLocalDagBundle"

// BundleConfigEnv is the environment variable of Airflow's
// dag_bundle_config_list with one ManifestLocalDagBundle per name, all
// reading the published root mounted at root. dagnfs is the publisher, so
// no source_path.
func BundleConfigEnv(names []string, root string) (EnvVar, error) {
	type entry struct {
		Name      string            `json:"name"`
		Classpath string            `json:"classpath"`
		Kwargs    map[string]string `json:"kwargs"`
	}
	if len(names) == 0 {
		return EnvVar{}, errors.New("--bundle is required: the name of each bundle (repeatable)")
	}
	if !strings.HasPrefix(root, "/") {
		return EnvVar{}, fmt.Errorf("--published-root %q must be absolute: where the pods mount the export", root)
	}
	list := make([]entry, 0, len(names))
	for _, n := range names {
		list = append(list, entry{Name: n, Classpath: BundleClasspath, Kwargs: map[string]string{"published_root": root}})
	}
	b, err := json.Marshal(list)
	if err != nil {
		return EnvVar{}, err
	}
	return EnvVar{Name: "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", Value: string(b)}, nil
}

// LocalBundleClasspath is Airflow's own bundle of a local folder.
const LocalBundleClasspath = "airflow.dag_processing.bundles.local.LocalDagBundle"

// TeamBundle is one team of a share as a bundle of Airflow 3: a folder
// (Path, relative to the share; Current: published in the generations
// layout, read through its current symlink) or a versioned bundle of a
// published root (Bundle, in the folder Path).
type TeamBundle struct {
	Name, Path, Bundle string
	Current            bool
}

// ShareBundleConfigEnv is dag_bundle_config_list for every team of a share
// mounted at root: a LocalDagBundle per team folder, a
// ManifestLocalDagBundle per versioned bundle; with multiTeam, each entry
// names its team (team_name, Airflow 3's multi-team mode).
func ShareBundleConfigEnv(teams []TeamBundle, root string, multiTeam bool) (EnvVar, error) {
	type entry struct {
		Name      string            `json:"name"`
		Classpath string            `json:"classpath"`
		Kwargs    map[string]string `json:"kwargs"`
		TeamName  string            `json:"team_name,omitempty"`
	}
	if len(teams) == 0 {
		return EnvVar{}, errors.New("the share has no team folders yet: publish one first")
	}
	if !strings.HasPrefix(root, "/") {
		return EnvVar{}, fmt.Errorf("--published-root %q must be absolute: where the pods mount the share", root)
	}
	list := make([]entry, 0, len(teams))
	seen := map[string]bool{}
	for _, t := range teams {
		if seen[t.Name] {
			return EnvVar{}, fmt.Errorf("two teams of the share would be bundle %q: name them in the share marker", t.Name)
		}
		seen[t.Name] = true
		e := entry{Name: t.Name}
		dir := path.Join(root, t.Path)
		if t.Bundle != "" {
			e.Classpath, e.Kwargs = BundleClasspath, map[string]string{"published_root": dir}
		} else {
			if t.Current {
				dir = path.Join(dir, "current")
			}
			e.Classpath, e.Kwargs = LocalBundleClasspath, map[string]string{"path": dir}
		}
		if multiTeam {
			e.TeamName = t.Name
		}
		list = append(list, e)
	}
	b, err := json.Marshal(list)
	if err != nil {
		return EnvVar{}, err
	}
	return EnvVar{Name: "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", Value: string(b)}, nil
}

// VerifyJob is a Job that verifies the export once, waiting for the
// generation labelled ExpectLabel when given; its exit code is the verdict.
func VerifyJob(o Options) *Job {
	args := []string{"verify", o.DagsFolder(), "--format=json", asIdentity(o), fmt.Sprintf("--as-gid=%d", o.RunAsGroup)}
	args = append(args, scanArgs(o)...)
	if o.ExpectLabel != "" {
		args = append(args, "--expect-label="+o.ExpectLabel)
	}
	if o.Wait > 0 {
		args = append(args, "--wait="+o.Wait.String())
	}
	pod := podSpec(o, PodSpec{
		RestartPolicy: "Never",
		Containers:    []Container{container(o, args)},
		Volumes:       []Volume{volume(o)},
	})
	deadline := int64((o.Wait + 5*time.Minute).Seconds())
	return &Job{
		TypeMeta:   TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: labels(o, "verify")},
		Spec: JobSpec{
			BackoffLimit:            ptr(int32(0)),
			ActiveDeadlineSeconds:   &deadline,
			TTLSecondsAfterFinished: ptr(int32(3600)),
			Template: PodTemplateSpec{
				ObjectMeta: ObjectMeta{Labels: labels(o, "verify")},
				Spec:       pod,
			},
		},
	}
}

// AgentDaemonSet runs `dagnfs agent` on every node, with probes on its
// endpoints and Prometheus scrape annotations.
func AgentDaemonSet(o Options) *DaemonSet {
	// Every address of the pod's own network namespace, IPv4 and IPv6:
	// what the kubelet's probes and Prometheus reach (a pod IP written
	// into the address, as host:port, is no address on an IPv6 pod).
	args := []string{"agent", o.DagsFolder(), fmt.Sprintf("--listen=:%d", o.Port), "--interval=" + o.Interval.String(),
		"--log-format=json", asIdentity(o), fmt.Sprintf("--as-gid=%d", o.RunAsGroup)}
	args = append(args, scanArgs(o)...)
	c := container(o, args)
	c.Ports = []ContainerPort{{Name: "http", ContainerPort: o.Port, Protocol: "TCP"}}
	probe := func(p string, period int32) *Probe {
		return &Probe{
			HTTPGet:          &HTTPGetAction{Path: p, Port: "http"},
			PeriodSeconds:    period,
			TimeoutSeconds:   5,
			FailureThreshold: 3,
		}
	}
	c.LivenessProbe = probe("/healthz", 20)
	c.ReadinessProbe = probe("/readyz", 30)
	sel := labels(o, "agent")
	return &DaemonSet{
		TypeMeta:   TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: sel},
		Spec: DaemonSetSpec{
			Selector: &LabelSelector{MatchLabels: sel},
			Template: PodTemplateSpec{
				ObjectMeta: ObjectMeta{Labels: sel, Annotations: map[string]string{
					"prometheus.io/scrape": "true", "prometheus.io/port": fmt.Sprint(o.Port), "prometheus.io/path": "/metrics"}},
				Spec: podSpec(o, PodSpec{
					Containers: []Container{c},
					Volumes:    []Volume{volume(o)},
				}),
			},
		},
	}
}

// DagsFolder is the folder Airflow's dags_folder names: the mount, or in
// the generations layout the current symlink in it.
func (o Options) DagsFolder() string {
	if o.Layout == "generations" {
		return strings.TrimSuffix(o.DagsPath, "/") + "/current"
	}
	return o.DagsPath
}

func publishArgs(o PublishCronJobOptions) []string {
	// One JSON line per run in the pod log (the summary off a terminal),
	// not the multi-line --format json document.
	args := []string{"publish", "/work/repo/" + strings.Trim(o.Subdir, "/"), o.NFSURL, "--delete",
		"--log-format=json", "--python=none"}
	if o.Layout != "" {
		args = append(args, "--layout="+o.Layout)
	}
	if o.Bundle != "" {
		args = append(args, "--bundle="+o.Bundle)
	}
	return args
}

// PublishCronJobOptions describe a scheduled publish from a Git repository.
type PublishCronJobOptions struct {
	Options
	Schedule     string
	Repo, Branch string
	Subdir       string // the DAG folder inside the repository
	GitSyncImage string
	NFSURL       string // where to publish (nfs://...)
	// GitSecret names a Secret with git-sync's credentials, mounted
	// read-only: for an SSH repository the keys ssh (the private key) and
	// known_hosts, for HTTPS the keys username and password (a token).
	GitSecret string
}

// DefaultGitSyncImage is the git-sync the publish CronJob runs unless told
// otherwise: the Kubernetes project's image, pinned to a v4 release.
const DefaultGitSyncImage = "registry.k8s.io/git-sync/git-sync:v4.4.0"

// gitSecretPath is where the GitSecret is mounted in git-sync's container.
const gitSecretPath = "/etc/git-secret"

// SSHRepo says whether git reaches repo over SSH.
func SSHRepo(repo string) bool {
	return strings.HasPrefix(repo, "ssh://") || (!strings.Contains(repo, "://") && strings.Contains(repo, "@") && strings.Contains(repo, ":"))
}

// PublishCronJob fetches the repository with git-sync --one-time in an init
// container, then publishes its DAG folder with dagnfs over NFS (no mount
// of the export is needed: dagnfs speaks NFS itself).
func PublishCronJob(o PublishCronJobOptions) *CronJob {
	work := Volume{Name: "work", EmptyDir: &EmptyDirVolumeSource{}}
	tmp := Volume{Name: "tmp", EmptyDir: &EmptyDirVolumeSource{}}
	mounts := []VolumeMount{{Name: "work", MountPath: "/work"}, {Name: "tmp", MountPath: "/tmp"}}
	gitSync := Container{
		Name:  "git-sync",
		Image: o.GitSyncImage,
		Args: []string{"--repo=" + o.Repo, "--ref=" + o.Branch, "--root=/work", "--link=repo", "--one-time",
			"--depth=1"},
		Env:             []EnvVar{{Name: "HOME", Value: "/tmp"}},
		Resources:       resources(),
		SecurityContext: containerSecurity(),
		VolumeMounts:    mounts,
	}
	volumes := []Volume{work, tmp}
	var fsGroup *int64
	if o.GitSecret != "" {
		// Group-readable, and the group is the pod's (fsGroup), whatever
		// --run-as-group says: git-sync (uid RunAsUser, gid RunAsGroup)
		// reads it; ssh accepts a key that another user (root) owns.
		fsGroup = ptr(o.RunAsGroup)
		volumes = append(volumes, Volume{Name: "git-secret", Secret: &SecretVolumeSource{
			SecretName: o.GitSecret, DefaultMode: ptr(int32(0o440))}})
		gitSync.VolumeMounts = append(gitSync.VolumeMounts, VolumeMount{Name: "git-secret", MountPath: gitSecretPath, ReadOnly: true})
		if SSHRepo(o.Repo) {
			gitSync.Args = append(gitSync.Args, "--ssh-key-file="+gitSecretPath+"/ssh", "--ssh-known-hosts=true",
				"--ssh-known-hosts-file="+gitSecretPath+"/known_hosts")
		} else {
			gitSync.Args = append(gitSync.Args, "--password-file="+gitSecretPath+"/password")
			gitSync.Env = append(gitSync.Env, EnvVar{Name: "GITSYNC_USERNAME", ValueFrom: &EnvVarSource{
				SecretKeyRef: &SecretKeySelector{Name: o.GitSecret, Key: "username"}}})
		}
	}
	via := "cronjob/" + o.Name
	if o.Namespace != "" {
		via = "cronjob/" + o.Namespace + "/" + o.Name
	}
	pub := Container{
		Name:  "dagnfs",
		Image: o.Image,
		Args:  publishArgs(o),
		// The label is the commit git-sync checked out (dagnfs reads it
		// from the worktree); the manifest records who publishes.
		Env:             []EnvVar{{Name: "DAGNFS_VIA", Value: via}},
		Resources:       resources(),
		SecurityContext: containerSecurity(),
		VolumeMounts:    mounts,
	}
	sel := labels(o.Options, "publish")
	spec := podSpec(o.Options, PodSpec{
		RestartPolicy:  "Never",
		InitContainers: []Container{gitSync},
		Containers:     []Container{pub},
		Volumes:        volumes,
	})
	spec.SecurityContext.FSGroup = fsGroup
	return &CronJob{
		TypeMeta:   TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: sel},
		Spec: CronJobSpec{
			Schedule:          o.Schedule,
			ConcurrencyPolicy: "Forbid",
			JobTemplate: JobTemplateSpec{Spec: JobSpec{
				BackoffLimit: ptr(int32(1)),
				Template: PodTemplateSpec{
					ObjectMeta: ObjectMeta{Labels: sel},
					Spec:       spec,
				},
			}},
		},
	}
}

// EnvCaptureJob runs script (dagnfs env script) with the Airflow image's own
// Python, so that the index describes exactly what the pods import; the
// index is the Job's log (kubectl logs job/NAME > airflow-env.json). Nothing
// is mounted: the image's own environment is what is read.
func EnvCaptureJob(o Options, airflowImage, python, script string) *Job {
	c := Container{
		Name:            "env-capture",
		Image:           airflowImage,
		Command:         []string{python, "-c", script},
		Resources:       resources(),
		SecurityContext: containerSecurity(),
		// Python writes no bytecode into the read-only image.
		Env: []EnvVar{{Name: "PYTHONDONTWRITEBYTECODE", Value: "1"}},
	}
	return &Job{
		TypeMeta:   TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: labels(o, "env-capture")},
		Spec: JobSpec{
			BackoffLimit:            ptr(int32(0)),
			ActiveDeadlineSeconds:   ptr(int64(600)),
			TTLSecondsAfterFinished: ptr(int32(3600)),
			Template: PodTemplateSpec{
				ObjectMeta: ObjectMeta{Labels: labels(o, "env-capture")},
				Spec:       podSpec(o, PodSpec{RestartPolicy: "Never", Containers: []Container{c}}),
			},
		},
	}
}

// NetworkPolicyOptions limit who reaches the agent's port.
type NetworkPolicyOptions struct {
	Options
	// PrometheusSelector selects the Prometheus pods (KEY=VALUE pairs);
	// PrometheusNamespace is their namespace, when not the agent's.
	PrometheusSelector  map[string]string
	PrometheusNamespace string
}

// AgentNetworkPolicy admits traffic to the agent pods only on their HTTP
// port and only from Prometheus. The kubelet's probes come from the node,
// which network policies do not filter on common network plugins.
func AgentNetworkPolicy(o NetworkPolicyOptions) *NetworkPolicy {
	agent := Options{Name: o.Name}
	if agent.Name == "" {
		agent.Name = "dagnfs-agent"
	}
	from := NetworkPolicyPeer{PodSelector: &LabelSelector{MatchLabels: o.PrometheusSelector}}
	if o.PrometheusNamespace != "" {
		from.NamespaceSelector = &LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": o.PrometheusNamespace}}
	}
	return &NetworkPolicy{
		TypeMeta:   TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: ObjectMeta{Name: agent.Name, Namespace: o.Namespace, Labels: labels(agent, "agent")},
		Spec: NetworkPolicySpec{
			PodSelector: LabelSelector{MatchLabels: labels(agent, "agent")},
			PolicyTypes: []string{"Ingress"},
			Ingress: []NetworkPolicyIngressRule{{
				From:  []NetworkPolicyPeer{from},
				Ports: []NetworkPolicyPort{{Protocol: "TCP", Port: o.Port}},
			}},
		},
	}
}

// YAML serialises an object as kubectl apply takes it (keys sorted, as
// kubectl prints them).
func YAML(obj any) ([]byte, error) { return yaml.Marshal(obj) }
