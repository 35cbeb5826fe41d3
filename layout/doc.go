// Package layout owns everything dagnfs keeps on an export: the names under
// .dagnfs (manifest, lock, journal, staging, history, objects), their modes,
// and the manifest, lock and journal types with their decoders.
//
// Everything read from an export is hostile until checked: the decoders bound
// the size of what they read (MaxManifest, MaxLock, MaxJournal), range-check
// generations, sizes and modes, and accept only clean relative paths, so that
// a planted or corrupt file is an error naming the file, never a guess.
//
// Nothing here may ever look like a DAG to Airflow's discovery: no name ends
// in ".py", and the folders that may hold complete zip archives (staging,
// objects) have mode 0300, which nobody, Airflow included, can list.
//
// publish writes these files and verify reads them; both import this
// package, neither imports the other, and nfs knows nothing of it.
package layout
