package verify

import (
	"bytes"
	"context"

	"github.com/dagnfs/dagnfs/bundle"
	"github.com/dagnfs/dagnfs/layout"
	"github.com/dagnfs/dagnfs/nfs"
)

// RuleReference: the manifest-bundle layout's reference or snapshot
// manifest is missing, malformed, or does not name what dagnfs recorded.
const RuleReference = "bundle-reference"

// checkBundle checks, in the manifest-bundle layout, what Airflow's bundle
// reads first: the reference names the recorded version, and that
// version's snapshot manifest is well-formed, canonical, and is the one the
// reference's digest names. It returns the snapshot's folder, where the
// files are compared (nil when there is none to compare).
func checkBundle(ctx context.Context, d nfs.Dest, r *Result, m *layout.Manifest) nfs.Dest {
	r.Layout, r.Bundle, r.Version = layout.ManifestBundle, m.Bundle, m.Version
	refPath := bundle.RefPath(m.Bundle)
	b, err := d.ReadFile(ctx, refPath, bundle.MaxReference)
	if err != nil {
		r.add(RuleReference, Error, refPath, "cannot read the reference: %v; Airflow's bundle finds no version to run", err)
		return nil
	}
	ref, err := bundle.ParseReference(b, m.Bundle)
	if err != nil {
		r.add(RuleReference, Error, refPath, "%v; Airflow's bundle refuses it", err)
		return nil
	}
	if ref.Version != m.Version {
		r.add(RuleCurrent, Error, refPath, "names version %s, but the manifest (generation %d) records %s: a publish was interrupted between the two; the next publish or rollback settles it", ref.Version, m.Generation, m.Version)
	}
	snapshot := m.Root()
	mPath := snapshot + "/" + bundle.ManifestName
	mb, err := d.ReadFile(ctx, mPath, bundle.MaxManifest)
	if err != nil {
		r.add(RuleReference, Error, mPath, "cannot read the snapshot's manifest: %v", err)
		return nil
	}
	bm, err := bundle.ParseManifest(mb, m.Bundle)
	switch {
	case err != nil:
		r.add(RuleReference, Error, mPath, "%v; Airflow's bundle refuses this version", err)
	case bm.Version != m.Version:
		r.add(RuleReference, Error, mPath, "its entries give version %s, not %s, the snapshot's name: the snapshot was changed", bm.Version, m.Version)
	case !bytes.Equal(mb, bm.Encode()):
		r.add(RuleReference, Error, mPath, "not in the canonical form its digest is taken over: the snapshot was changed")
	case ref.Version == m.Version:
		if err := ref.Check(bm); err != nil {
			r.add(RuleReference, Error, refPath, "%v", err)
		}
	}
	return nfs.Sub(d, snapshot)
}
