package k8s

import (
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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
	// Verify Job: the generation to wait for.
	ExpectLabel string
	Wait        time.Duration
	// Agent DaemonSet.
	Interval time.Duration
	Port     int32
	// The identity Airflow runs as.
	RunAsUser, RunAsGroup int64
}

// Defaults fills in what is not set.
func (o *Options) Defaults(name string) {
	if o.Name == "" {
		o.Name = name
	}
	if o.DagsPath == "" {
		o.DagsPath = DefaultDagsPath
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

// Check reports the first problem with o.
func (o *Options) Check() error {
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
	case o.Layout != "" && o.Layout != "in-place" && o.Layout != "generations":
		return fmt.Errorf("--layout %q is not in-place or generations", o.Layout)
	}
	return nil
}

func labels(o Options, component string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "dagnfs", "app.kubernetes.io/instance": o.Name, "app.kubernetes.io/component": component}
}

func volume(o Options) corev1.Volume {
	v := corev1.Volume{Name: "dags"}
	if o.PVC != "" {
		v.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: o.PVC, ReadOnly: true}
	} else {
		v.NFS = &corev1.NFSVolumeSource{Server: o.NFSServer, Path: o.NFSPath, ReadOnly: true}
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func podSecurity(o Options) *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsUser:      ptr(o.RunAsUser),
		RunAsGroup:     ptr(o.RunAsGroup),
		RunAsNonRoot:   ptr(true),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func containerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		ReadOnlyRootFilesystem:   ptr(true),
		AllowPrivilegeEscalation: ptr(false),
		RunAsNonRoot:             ptr(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

func resources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
	}
}

func container(o Options, args []string) corev1.Container {
	return corev1.Container{
		Name:            "dagnfs",
		Image:           o.Image,
		Args:            args,
		Resources:       resources(),
		SecurityContext: containerSecurity(),
		VolumeMounts:    []corev1.VolumeMount{{Name: "dags", MountPath: o.DagsPath, ReadOnly: true}},
	}
}

func asIdentity(o Options) string { return fmt.Sprintf("--as-uid=%d", o.RunAsUser) }

// VerifyJob is a Job that verifies the export once, waiting for the
// generation labelled ExpectLabel when given; its exit code is the verdict.
func VerifyJob(o Options) *batchv1.Job {
	args := []string{"verify", o.DagsFolder(), "--format=json", asIdentity(o), fmt.Sprintf("--as-gid=%d", o.RunAsGroup)}
	if o.ExpectLabel != "" {
		args = append(args, "--expect-label="+o.ExpectLabel)
	}
	if o.Wait > 0 {
		args = append(args, "--wait="+o.Wait.String())
	}
	pod := corev1.PodSpec{
		RestartPolicy:   corev1.RestartPolicyNever,
		SecurityContext: podSecurity(o),
		Containers:      []corev1.Container{container(o, args)},
		Volumes:         []corev1.Volume{volume(o)},
	}
	deadline := int64((o.Wait + 5*time.Minute).Seconds())
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: labels(o, "verify")},
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr(int32(0)),
			ActiveDeadlineSeconds:   &deadline,
			TTLSecondsAfterFinished: ptr(int32(3600)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels(o, "verify")},
				Spec:       pod,
			},
		},
	}
}

// AgentDaemonSet runs `dagnfs agent` on every node, with probes on its
// endpoints and Prometheus scrape annotations.
func AgentDaemonSet(o Options) *appsv1.DaemonSet {
	// Bound to the pod's own address: what the kubelet's probes and
	// Prometheus reach, and nothing else.
	args := []string{"agent", o.DagsFolder(), fmt.Sprintf("--listen=$(POD_IP):%d", o.Port), "--interval=" + o.Interval.String(),
		"--log-format=json", asIdentity(o), fmt.Sprintf("--as-gid=%d", o.RunAsGroup)}
	c := container(o, args)
	c.Env = append(c.Env, corev1.EnvVar{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}})
	c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: o.Port, Protocol: corev1.ProtocolTCP}}
	probe := func(p string, period int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: p, Port: intstr.FromString("http")}},
			PeriodSeconds:    period,
			TimeoutSeconds:   5,
			FailureThreshold: 3,
		}
	}
	c.LivenessProbe = probe("/healthz", 20)
	c.ReadinessProbe = probe("/readyz", 30)
	sel := labels(o, "agent")
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: sel},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel, Annotations: map[string]string{
					"prometheus.io/scrape": "true", "prometheus.io/port": fmt.Sprint(o.Port), "prometheus.io/path": "/metrics"}},
				Spec: corev1.PodSpec{
					SecurityContext: podSecurity(o),
					Containers:      []corev1.Container{c},
					Volumes:         []corev1.Volume{volume(o)},
					Tolerations:     []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
				},
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
	args := []string{"publish", "/work/repo/" + strings.Trim(o.Subdir, "/"), o.NFSURL, "--delete", "--format=json",
		"--log-format=json", "--python=none"}
	if o.Layout != "" {
		args = append(args, "--layout="+o.Layout)
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
}

// PublishCronJob fetches the repository with git-sync --one-time in an init
// container, then publishes its DAG folder with dagnfs over NFS (no mount
// of the export is needed: dagnfs speaks NFS itself).
func PublishCronJob(o PublishCronJobOptions) *batchv1.CronJob {
	work := corev1.Volume{Name: "work", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
	tmp := corev1.Volume{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
	mounts := []corev1.VolumeMount{{Name: "work", MountPath: "/work"}, {Name: "tmp", MountPath: "/tmp"}}
	gitSync := corev1.Container{
		Name:  "git-sync",
		Image: o.GitSyncImage,
		Args: []string{"--repo=" + o.Repo, "--ref=" + o.Branch, "--root=/work", "--link=repo", "--one-time",
			"--depth=1"},
		Env:             []corev1.EnvVar{{Name: "HOME", Value: "/tmp"}},
		Resources:       resources(),
		SecurityContext: containerSecurity(),
		VolumeMounts:    mounts,
	}
	pub := corev1.Container{
		Name:            "dagnfs",
		Image:           o.Image,
		Args:            publishArgs(o),
		Resources:       resources(),
		SecurityContext: containerSecurity(),
		VolumeMounts:    mounts,
	}
	sel := labels(o.Options, "publish")
	return &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: sel},
		Spec: batchv1.CronJobSpec{
			Schedule:          o.Schedule,
			ConcurrencyPolicy: batchv1.ForbidConcurrent,
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
				BackoffLimit: ptr(int32(1)),
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: sel},
					Spec: corev1.PodSpec{
						RestartPolicy:   corev1.RestartPolicyNever,
						SecurityContext: podSecurity(o.Options),
						InitContainers:  []corev1.Container{gitSync},
						Containers:      []corev1.Container{pub},
						Volumes:         []corev1.Volume{work, tmp},
					},
				},
			}},
		},
	}
}

// YAML serialises an object.
func YAML(obj any) ([]byte, error) { return yaml.Marshal(obj) }
