package k8s

import (
	"encoding/json"
	"io/fs"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/dagnfs/dagnfs/perms"
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

// decode is what kubectl reads of obj: its YAML decoded strictly into
// k8s.io/api's type T (an unknown or misspelt field fails).
func decode[T any](t *testing.T, obj any) T {
	t.Helper()
	b, err := YAML(obj)
	require.NoError(t, err)
	var v T
	require.NoError(t, yaml.UnmarshalStrict(b, &v), string(b))
	// Go's JSON decoder matches field names without regard to case:
	// what k8s.io/api writes back must be what dagnfs wrote, name for name.
	back, err := yaml.Marshal(v)
	require.NoError(t, err)
	assert.Equal(t, canonical(t, b), canonical(t, back), "the manifest as k8s.io/api reads it")
	return v
}

// canonical is a YAML document without the nulls and empty objects that
// k8s.io/api's types write for fields left unset.
func canonical(t *testing.T, doc []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(doc, &v))
	var prune func(v any) any
	prune = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if x = prune(x); x == nil {
					delete(v, k)
				} else {
					v[k] = x
				}
			}
			if len(v) == 0 {
				return nil
			}
		case []any:
			for i, x := range v {
				v[i] = prune(x)
			}
		}
		return v
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "status") // the server's, never written
	}
	return prune(v)
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
	require.NotNil(t, spec.AutomountServiceAccountToken)
	assert.False(t, *spec.AutomountServiceAccountToken, "dagnfs never talks to the API server")
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
	assert.Equal(t, []string{"publish", "/work/repo/dags", "nfs://nfs.example.internal/srv/airflow/dags", "--delete", "--log-format=json", "--python=none"}, spec.Containers[0].Args)
}

// Every manifest, with every option, decodes strictly into its API type,
// carries the options, and has no status block or null timestamp.
func TestEveryManifestDecodesStrictly(t *testing.T) {
	o := exampleOptions("dagnfs")
	o.NodeSelector = map[string]string{"node-pool": "airflow"}
	var err error
	o.Tolerations, err = ParseTolerations([]string{"dedicated=airflow:NoSchedule", "spot"})
	require.NoError(t, err)
	require.NoError(t, o.Check())
	ssh := exampleCronJob()
	ssh.Options, ssh.Repo, ssh.GitSecret = o, "git@git.example.internal:data/dags.git", "deploy-key"
	https := exampleCronJob()
	https.Options, https.GitSecret = o, "dags-token"
	for name, c := range map[string]struct {
		obj any
		pod func(t *testing.T, obj any) *corev1.PodSpec
	}{
		"job": {VerifyJob(o), func(t *testing.T, obj any) *corev1.PodSpec {
			v := decode[batchv1.Job](t, obj)
			return &v.Spec.Template.Spec
		}},
		"daemonset": {AgentDaemonSet(o), func(t *testing.T, obj any) *corev1.PodSpec {
			v := decode[appsv1.DaemonSet](t, obj)
			return &v.Spec.Template.Spec
		}},
		"cronjob ssh": {PublishCronJob(ssh), func(t *testing.T, obj any) *corev1.PodSpec {
			v := decode[batchv1.CronJob](t, obj)
			return &v.Spec.JobTemplate.Spec.Template.Spec
		}},
		"cronjob https": {PublishCronJob(https), func(t *testing.T, obj any) *corev1.PodSpec {
			v := decode[batchv1.CronJob](t, obj)
			return &v.Spec.JobTemplate.Spec.Template.Spec
		}},
		"env capture": {EnvCaptureJob(o, "registry.invalid/airflow:3.0.2", "python", "print(1)"), func(t *testing.T, obj any) *corev1.PodSpec {
			v := decode[batchv1.Job](t, obj)
			return &v.Spec.Template.Spec
		}},
		"networkpolicy": {AgentNetworkPolicy(NetworkPolicyOptions{Options: o, PrometheusSelector: map[string]string{"app": "prometheus"},
			PrometheusNamespace: "monitoring"}), func(t *testing.T, obj any) *corev1.PodSpec {
			decode[networkingv1.NetworkPolicy](t, obj)
			return nil
		}},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := YAML(c.obj)
			require.NoError(t, err)
			assert.NotContains(t, string(b), "status:")
			assert.NotContains(t, string(b), "creationTimestamp")
			spec := c.pod(t, c.obj)
			if spec == nil {
				return
			}
			checkPod(t, *spec, false)
			assert.Equal(t, map[string]string{"node-pool": "airflow"}, spec.NodeSelector)
			assert.Equal(t, []corev1.Toleration{
				{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "airflow", Effect: corev1.TaintEffectNoSchedule},
				{Key: "spot", Operator: corev1.TolerationOpExists}}, spec.Tolerations)
		})
	}

	// The credentials: mounted read-only for git-sync only, the way its
	// protocol needs them; the publisher is named for the manifest.
	spec := decode[batchv1.CronJob](t, PublishCronJob(ssh)).Spec.JobTemplate.Spec.Template.Spec
	gs := spec.InitContainers[0]
	assert.Contains(t, gs.Args, "--ssh-key-file=/etc/git-secret/ssh")
	assert.Contains(t, gs.Args, "--ssh-known-hosts-file=/etc/git-secret/known_hosts")
	assert.Equal(t, corev1.VolumeMount{Name: "git-secret", MountPath: "/etc/git-secret", ReadOnly: true}, gs.VolumeMounts[len(gs.VolumeMounts)-1])
	assert.Equal(t, "deploy-key", spec.Volumes[len(spec.Volumes)-1].Secret.SecretName)
	for _, m := range spec.Containers[0].VolumeMounts {
		assert.NotEqual(t, "git-secret", m.Name, "dagnfs does not see the credentials")
	}
	assert.Equal(t, []corev1.EnvVar{{Name: "DAGNFS_VIA", Value: "cronjob/airflow/dagnfs"}}, spec.Containers[0].Env)
	gs = decode[batchv1.CronJob](t, PublishCronJob(https)).Spec.JobTemplate.Spec.Template.Spec.InitContainers[0]
	assert.Contains(t, gs.Args, "--password-file=/etc/git-secret/password")
	assert.Equal(t, "username", gs.Env[len(gs.Env)-1].ValueFrom.SecretKeyRef.Key)
	assert.Empty(t, AgentDaemonSet(exampleOptions("dagnfs")).Spec.Template.Spec.Tolerations, "no taint tolerated unless asked")
}

func TestNamesAndPlacementChecked(t *testing.T) {
	for _, name := range []string{"Dagnfs", "dag_nfs", "-x", strings.Repeat("a", 53), ""} {
		o := exampleOptions(name)
		o.Name = name
		assert.ErrorContains(t, o.Check(), "--name", name)
	}
	o := exampleOptions("x")
	o.Namespace = "Air Flow"
	assert.ErrorContains(t, o.Check(), "--namespace")
	o = exampleOptions("x")
	o.NodeSelector = map[string]string{"pool": "not valid!"}
	assert.ErrorContains(t, o.Check(), "--node-selector value")
	for _, bad := range []string{"key=v:Sometimes", ":NoSchedule", "=v"} {
		_, err := ParseTolerations([]string{bad})
		assert.ErrorContains(t, err, "--tolerations", bad)
	}
	tol, err := ParseTolerations([]string{"*"})
	require.NoError(t, err)
	assert.Equal(t, []Toleration{{Operator: TolerationOpExists}}, tol)
	_, err = ParseLabels("--node-selector", []string{"novalue"})
	assert.ErrorContains(t, err, "KEY=VALUE")
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
		"../deploy/agent-networkpolicy.yaml": AgentNetworkPolicy(NetworkPolicyOptions{Options: Options{Name: "dagnfs-agent", Namespace: "airflow", Port: 8080},
			PrometheusSelector: map[string]string{"app.kubernetes.io/name": "prometheus"}, PrometheusNamespace: "monitoring"}),
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

	// The pods run Airflow's own scan of the dags folder Airflow is
	// configured with: by default the one the layout needs.
	assert.Contains(t, job.Spec.Template.Spec.Containers[0].Args, "--dags-folder="+DefaultDagsPath+"/current")
	assert.Contains(t, ds.Spec.Template.Spec.Containers[0].Args, "--dags-folder="+DefaultDagsPath+"/current")
	set := o
	set.AirflowDagsFolder = DefaultDagsPath // a deployment left at the export root
	require.NoError(t, set.Check())
	assert.Contains(t, VerifyJob(set).Spec.Template.Spec.Containers[0].Args, "--dags-folder="+DefaultDagsPath)
	set.AirflowDagsFolder = "/opt/airflow/dags"
	assert.ErrorContains(t, set.Check(), "not at or below --dags-path")
	inPlace := Options{Image: "dagnfs:test", NFSServer: "nfs", NFSPath: "/srv/dags"}
	inPlace.Defaults("dagnfs")
	assert.Contains(t, VerifyJob(inPlace).Spec.Template.Spec.Containers[0].Args, "--dags-folder="+DefaultDagsPath)

	o.Layout = "sideways"
	assert.ErrorContains(t, o.Check(), "--layout")
}

// Airflow 3's versioned bundles: the pods verify the bundle (no scan of the
// published root, which Airflow never scans), the CronJob publishes it,
// and bundle-config is the dag_bundle_config_list that reads it.
func TestBundleManifests(t *testing.T) {
	o := Options{Image: "dagnfs:test", NFSServer: "nfs", NFSPath: "/srv/bundles", Bundle: "team-a"}
	o.Defaults("dagnfs")
	require.NoError(t, o.Check())
	args := VerifyJob(o).Spec.Template.Spec.Containers[0].Args
	assert.Contains(t, args, "--bundle=team-a")
	for _, a := range args {
		assert.NotContains(t, a, "--dags-folder", "a published root is not scanned")
	}
	assert.Contains(t, AgentDaemonSet(o).Spec.Template.Spec.Containers[0].Args, "--bundle=team-a")
	cj := PublishCronJob(PublishCronJobOptions{Options: o, Repo: "r", GitSyncImage: "g", NFSURL: "nfs://nfs/srv/bundles"})
	assert.Contains(t, cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args, "--bundle=team-a")

	env, err := BundleConfigEnv([]string{"team-a", "team-b"}, "/usr/local/airflow/bundles")
	require.NoError(t, err)
	assert.Equal(t, "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", env.Name)
	var list []struct {
		Name      string            `json:"name"`
		Classpath string            `json:"classpath"`
		Kwargs    map[string]string `json:"kwargs"`
	}
	require.NoError(t, json.Unmarshal([]byte(env.Value), &list))
	require.Len(t, list, 2)
	assert.Equal(t, "team-b", list[1].Name)
	assert.Equal(t, "airflow_manifest_bundle.local.ManifestLocalDagBundle", list[0].Classpath)
	assert.Equal(t, map[string]string{"published_root": "/usr/local/airflow/bundles"}, list[0].Kwargs, "no source_path: dagnfs publishes")
	_, err = BundleConfigEnv(nil, "/x")
	assert.Error(t, err)
	o.Layout, o.Bundle = "manifest-bundle", ""
	assert.ErrorContains(t, o.Check(), "needs --bundle")
}

// The agent's listen address is one on IPv4 and IPv6 pods alike (issue
// 20: "$(POD_IP):8080" is "fd00::5:8080" on an IPv6 pod, no address).
func TestAgentListensOnEveryPodFamily(t *testing.T) {
	o := exampleOptions("dagnfs-agent")
	var listen string
	for _, a := range AgentDaemonSet(o).Spec.Template.Spec.Containers[0].Args {
		if v, ok := strings.CutPrefix(a, "--listen="); ok {
			listen = v
		}
	}
	require.NotEmpty(t, listen)
	for _, podIP := range []string{"10.1.2.3", "fd00::5"} {
		addr := strings.ReplaceAll(listen, "$(POD_IP)", podIP) // as the kubelet expands it
		host, port, err := net.SplitHostPort(addr)
		require.NoError(t, err, "pod IP %s: %q", podIP, addr)
		assert.Equal(t, "8080", port)
		if host != "" {
			assert.NotNil(t, net.ParseIP(host), "pod IP %s: %q", podIP, addr)
		}
	}
}

// git-sync can read its credentials as the printed CronJob mounts them,
// whatever group the pod runs as: the pod's view is rendered from the
// manifest as the kubelet makes it (files owned by root, their group the
// pod's fsGroup when one is set, else root's; the secret's defaultMode,
// group-readable under an fsGroup) and checked against the uid, gid and
// supplementary groups git-sync runs with (issue 21: with --run-as-group
// 50000 the key was root:root 0440).
func TestGitSyncReadsItsSecret(t *testing.T) {
	for _, group := range []int64{0, 50000} {
		for _, repo := range []string{"git@git.example.internal:data/dags.git", "https://git.example.internal/data/dags.git"} {
			o := exampleCronJob()
			o.RunAsGroup, o.Repo, o.GitSecret = group, repo, "dags-credentials"
			b, err := YAML(PublishCronJob(o))
			require.NoError(t, err)
			var cj batchv1.CronJob
			require.NoError(t, yaml.UnmarshalStrict(b, &cj))
			spec := cj.Spec.JobTemplate.Spec.Template.Spec
			require.Len(t, spec.InitContainers, 1)
			c := spec.InitContainers[0]

			// Who git-sync runs as.
			uid, gid := *spec.SecurityContext.RunAsUser, int64(0)
			if spec.SecurityContext.RunAsGroup != nil {
				gid = *spec.SecurityContext.RunAsGroup
			}
			if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil {
				uid = *sc.RunAsUser
			}
			if sc := c.SecurityContext; sc != nil && sc.RunAsGroup != nil {
				gid = *sc.RunAsGroup
			}
			id := perms.Identity{UID: uint32(uid), GIDs: []uint32{uint32(gid)}}
			if fg := spec.SecurityContext.FSGroup; fg != nil {
				id.GIDs = append(id.GIDs, uint32(*fg))
			}
			for _, g := range spec.SecurityContext.SupplementalGroups {
				id.GIDs = append(id.GIDs, uint32(g))
			}

			// The secret's files as the kubelet makes them.
			var mountPath, volName string
			for _, m := range c.VolumeMounts {
				if m.MountPath == gitSecretPath {
					mountPath, volName = m.MountPath, m.Name
				}
			}
			require.NotEmpty(t, mountPath, "the secret is mounted")
			var sec *corev1.SecretVolumeSource
			for _, v := range spec.Volumes {
				if v.Name == volName {
					sec = v.Secret
				}
			}
			require.NotNil(t, sec)
			mode := fs.FileMode(0o644)
			if sec.DefaultMode != nil {
				mode = fs.FileMode(*sec.DefaultMode)
			}
			fileGID := uint32(0)
			if fg := spec.SecurityContext.FSGroup; fg != nil {
				fileGID, mode = uint32(*fg), mode|0o440
			}
			var files []string
			for _, a := range c.Args {
				for _, flag := range []string{"--ssh-key-file=", "--ssh-known-hosts-file=", "--password-file="} {
					if p, ok := strings.CutPrefix(a, flag); ok {
						files = append(files, p)
					}
				}
			}
			require.NotEmpty(t, files)
			for _, f := range files {
				assert.True(t, strings.HasPrefix(f, mountPath+"/"), f)
				assert.True(t, perms.Allowed(id, 0, fileGID, mode, perms.Read),
					"--run-as-group %d, %s: git-sync (uid %d, groups %v) cannot read %s (root:%d %04o)", group, repo, uid, id.GIDs, f, fileGID, mode)
			}
		}
	}
}

func TestShareBundleConfigEnv(t *testing.T) {
	env, err := ShareBundleConfigEnv([]TeamBundle{{Name: "a", Path: "a", Current: true}, {Name: "b", Path: "grp", Bundle: "b"}}, "/dags", true)
	require.NoError(t, err)
	assert.Equal(t, `[{"name":"a","classpath":"airflow.dag_processing.bundles.local.LocalDagBundle","kwargs":{"path":"/dags/a/current"},"team_name":"a"},`+
		`{"name":"b","classpath":"airflow_manifest_bundle.local.ManifestLocalDagBundle","kwargs":{"published_root":"/dags/grp"},"team_name":"b"}]`, env.Value)
	_, err = ShareBundleConfigEnv([]TeamBundle{{Name: "a", Path: "a"}, {Name: "a", Path: "x/a"}}, "/dags", false)
	assert.ErrorContains(t, err, `two teams of the share would be bundle "a"`)
	_, err = ShareBundleConfigEnv([]TeamBundle{{Name: "a", Path: "a"}}, "dags", false)
	assert.ErrorContains(t, err, "must be absolute")
	_, err = ShareBundleConfigEnv(nil, "/dags", false)
	assert.ErrorContains(t, err, "no team folders")
}
