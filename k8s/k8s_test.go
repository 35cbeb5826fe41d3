package k8s

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func exampleOptions(name string) Options {
	o := Options{Namespace: "airflow", Image: "registry.invalid/dagnfs:1.0.0", NFSServer: "nfs.example.internal",
		NFSPath: "/srv/airflow/dags", ExpectLabel: "4f2a9c1", Wait: 5 * time.Minute}
	o.Defaults(name)
	return o
}

func exampleCronJob() PublishCronJobOptions {
	o := PublishCronJobOptions{Options: exampleOptions("dagnfs-publish"), Schedule: "*/10 * * * *",
		Repo: "https://git.example.internal/data/dags.git", Branch: "main", Subdir: "dags",
		GitSyncImage: "registry.invalid/git-sync:v4.4.0", NFSURL: "nfs://nfs.example.internal/srv/airflow/dags"}
	return o
}

// checkPod asserts the security settings every dagnfs pod must have.
func checkPod(t *testing.T, spec corev1.PodSpec, wantDags bool) {
	t.Helper()
	sc := spec.SecurityContext
	require.NotNil(t, sc)
	assert.Equal(t, int64(50000), *sc.RunAsUser)
	assert.Equal(t, int64(0), *sc.RunAsGroup)
	assert.True(t, *sc.RunAsNonRoot)
	assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, sc.SeccompProfile.Type)
	for _, c := range append(spec.InitContainers, spec.Containers...) {
		cs := c.SecurityContext
		require.NotNil(t, cs, c.Name)
		assert.True(t, *cs.ReadOnlyRootFilesystem, c.Name)
		assert.False(t, *cs.AllowPrivilegeEscalation, c.Name)
		assert.Equal(t, []corev1.Capability{"ALL"}, cs.Capabilities.Drop, c.Name)
		assert.False(t, c.Resources.Requests.Cpu().IsZero(), c.Name)
		assert.False(t, c.Resources.Requests.Memory().IsZero(), c.Name)
	}
	if wantDags {
		require.Len(t, spec.Volumes, 1)
		require.NotNil(t, spec.Volumes[0].NFS)
		assert.True(t, spec.Volumes[0].NFS.ReadOnly)
		m := spec.Containers[0].VolumeMounts[0]
		assert.Equal(t, DefaultDagsPath, m.MountPath)
		assert.True(t, m.ReadOnly)
	}
}

func TestVerifyJobRoundTrip(t *testing.T) {
	b, err := YAML(VerifyJob(exampleOptions("dagnfs-verify")))
	require.NoError(t, err)
	var job batchv1.Job
	require.NoError(t, yaml.UnmarshalStrict(b, &job))
	assert.Equal(t, "Job", job.Kind)
	checkPod(t, job.Spec.Template.Spec, true)
	assert.Equal(t, corev1.RestartPolicyNever, job.Spec.Template.Spec.RestartPolicy)
	assert.Equal(t, int32(0), *job.Spec.BackoffLimit)
	assert.Contains(t, job.Spec.Template.Spec.Containers[0].Args, "--expect-label=4f2a9c1")
	assert.Contains(t, job.Spec.Template.Spec.Containers[0].Args, "--wait=5m0s")
}

func TestAgentDaemonSetRoundTrip(t *testing.T) {
	o := exampleOptions("dagnfs-agent")
	o.PVC, o.NFSServer, o.NFSPath = "airflow-dags", "", ""
	require.NoError(t, o.Check())
	b, err := YAML(AgentDaemonSet(o))
	require.NoError(t, err)
	var ds appsv1.DaemonSet
	require.NoError(t, yaml.UnmarshalStrict(b, &ds))
	spec := ds.Spec.Template.Spec
	checkPod(t, spec, false)
	require.NotNil(t, spec.Volumes[0].PersistentVolumeClaim)
	assert.True(t, spec.Volumes[0].PersistentVolumeClaim.ReadOnly)
	c := spec.Containers[0]
	assert.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path)
	assert.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
	assert.Equal(t, "http", c.LivenessProbe.HTTPGet.Port.StrVal)
	assert.Equal(t, int32(8080), c.Ports[0].ContainerPort)
	assert.Equal(t, ds.Spec.Selector.MatchLabels, ds.Spec.Template.Labels)
}

func TestPublishCronJobRoundTrip(t *testing.T) {
	b, err := YAML(PublishCronJob(exampleCronJob()))
	require.NoError(t, err)
	var cj batchv1.CronJob
	require.NoError(t, yaml.UnmarshalStrict(b, &cj))
	spec := cj.Spec.JobTemplate.Spec.Template.Spec
	checkPod(t, spec, false)
	assert.Equal(t, batchv1.ForbidConcurrent, cj.Spec.ConcurrencyPolicy)
	assert.Contains(t, spec.InitContainers[0].Args, "--one-time")
	assert.Equal(t, []string{"publish", "/work/repo/dags", "nfs://nfs.example.internal/srv/airflow/dags", "--delete", "--format=json", "--log-format=json", "--python=none"}, spec.Containers[0].Args)
}

func TestOptionsCheck(t *testing.T) {
	o := exampleOptions("x")
	require.NoError(t, o.Check())
	o.PVC = "both"
	assert.ErrorContains(t, o.Check(), "not both")
	o = exampleOptions("x")
	o.NFSServer = ""
	assert.ErrorContains(t, o.Check(), "--nfs-server")
	o = exampleOptions("x")
	o.Image = ""
	assert.ErrorContains(t, o.Check(), "--image")
}

// The reviewed examples in deploy/ are what the code builds (regenerate
// them with make deploy).
func TestDeployExamplesAreCurrent(t *testing.T) {
	for file, obj := range map[string]any{
		"../deploy/verify-job.yaml":      VerifyJob(exampleOptions("dagnfs-verify")),
		"../deploy/agent-daemonset.yaml": AgentDaemonSet(exampleOptions("dagnfs-agent")),
		"../deploy/publish-cronjob.yaml": PublishCronJob(exampleCronJob()),
	} {
		want, err := YAML(obj)
		require.NoError(t, err)
		got, err := os.ReadFile(file)
		require.NoError(t, err, "run make deploy")
		assert.Equal(t, string(want), stripHeader(string(got)), "%s is out of date: run make deploy", file)
	}
}

func stripHeader(s string) string {
	for len(s) > 0 && s[0] == '#' {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		s = s[min(i+1, len(s)):]
	}
	return s
}

// In the generations layout the pods verify what Airflow's dags folder,
// the current symlink, names; the CronJob publishes in that layout.
func TestGenerationsLayoutManifests(t *testing.T) {
	o := Options{Image: "dagnfs:test", NFSServer: "nfs", NFSPath: "/srv/dags", Layout: "generations"}
	o.Defaults("dagnfs")
	require.NoError(t, o.Check())
	assert.Equal(t, DefaultDagsPath+"/current", o.DagsFolder())
	job := VerifyJob(o)
	assert.Equal(t, DefaultDagsPath+"/current", job.Spec.Template.Spec.Containers[0].Args[1])
	ds := AgentDaemonSet(o)
	assert.Equal(t, DefaultDagsPath+"/current", ds.Spec.Template.Spec.Containers[0].Args[1])
	assert.Equal(t, DefaultDagsPath, ds.Spec.Template.Spec.Containers[0].VolumeMounts[0].MountPath, "the export is mounted whole")
	cj := PublishCronJob(PublishCronJobOptions{Options: o, Repo: "r", GitSyncImage: "g", NFSURL: "nfs://nfs/srv/dags"})
	assert.Contains(t, cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args, "--layout=generations")

	o.Layout = "sideways"
	assert.ErrorContains(t, o.Check(), "--layout")
}
