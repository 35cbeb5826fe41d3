// Package bundle is the on-disk format of Airflow 3's versioned
// ManifestLocalDagBundle (airflow-manifest-bundle, schema 1), which reads
// immutable, content-addressed snapshots from a shared folder, its
// published root:
//
//	versions/<bundle>/sha256-<hex>/            one snapshot per version, read-only
//	versions/<bundle>/sha256-<hex>/.airflow-bundle-manifest.json
//	refs/<bundle>/latest.json                  the release reference, replaced last
//
// A version is "sha256-" and the sha256 of the canonical JSON of
// {"schema_version": 1, "files": [{"path", "sha256", "size", "executable"}]};
// the manifest adds the bundle's name, the version, the local backend, the
// file count and total size; the reference names the version and the
// manifest's own sha256. Canonical JSON is Python's
// json.dumps(sort_keys=True, separators=(",", ":")): keys sorted, no
// spaces. This package writes it byte for byte (no trailing newline), and
// keeps paths to ASCII, where every JSON encoder agrees.
//
// Parse* make the consumer's checks: schema 1, its own bundle name, a
// sha256- version, the local backend, sorted unique safe relative paths
// (never the manifest itself), count and total size, and the version
// recomputed from the entries. What the files hold is checked against the
// manifest by whoever reads them (verify, and the bundle itself).
package bundle
