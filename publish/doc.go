// Package publish copies a DAG folder onto a destination (nfs.Dest) so that
// Airflow only ever sees whole files, of the old or of the new generation.
//
// A publish validates the source, takes the lock (.dagnfs/lock), reads the
// manifest (.dagnfs/manifest.json), plans what to upload, leave and delete,
// stages every changed file under a temporary name in the unlistable staging
// folder, then renames them all into place in one short burst, writes the
// new manifest, and checks that Airflow's identities can read what it
// published. Unchanged files cost no data transfer and no per-file call: the
// manifest is the record of what is on the export.
//
// Deletes touch only files that the previous manifest lists and whose content
// on the export still matches it. Replaced and deleted files are kept in
// .dagnfs/objects (hard links where the server allows, copies elsewhere),
// named by their sha256, with the last generations' manifests in
// .dagnfs/history, so that an earlier generation can be restored.
//
// Everything dagnfs keeps on the export is safe from Airflow's discovery:
// nothing ends in ".py", what could be a zip archive (staged files, history
// objects) lives in folders of mode 0300 that no uid but root can list (the
// files' owner included: Airflow often runs as it), and the export root's
// .airflowignore prunes .dagnfs for every uid (see ignore.go).
package publish
