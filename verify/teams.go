package verify

import (
	"context"
	"path/filepath"

	"github.com/dagnfs/dagnfs/share"
)

// TeamResult is one team's folder (or bundle) of a share, verified.
type TeamResult struct {
	Folder string `json:"folder"`
	*Result
	Error string `json:"error,omitempty"`
	// Err is Error, for its kind; Team the folder as the share knows it.
	Err  error        `json:"-"`
	Team share.Folder `json:"-"`
}

// VerifyTeams verifies every team's folder (or bundle) of the share sh as
// o says for one folder, a local mount's path followed into each. An error
// is the share's (its folders could not be listed); a team's is in its
// TeamResult.
func VerifyTeams(ctx context.Context, sh *share.Share, o Options) ([]TeamResult, error) {
	folders, err := sh.Folders(ctx)
	if err != nil {
		return nil, err
	}
	if o.scans == nil {
		o.scans = &scans{} // one scan of the dags folder for every team
	}
	teams := make([]TeamResult, 0, len(folders))
	for _, f := range folders {
		t := TeamResult{Folder: f.Name(), Team: f}
		to := o
		if o.LocalPath != "" {
			to.LocalPath = filepath.Join(o.LocalPath, filepath.FromSlash(f.Path))
		}
		if r, err := Verify(ctx, f.Dest(sh.Root), to); err != nil {
			t.Error, t.Err = err.Error(), err
		} else {
			t.Result = r
		}
		teams = append(teams, t)
	}
	return teams, nil
}

// TeamsOK: every team's folder was verified and passed.
func TeamsOK(teams []TeamResult) bool {
	for _, t := range teams {
		if t.Result == nil || !t.Result.OK {
			return false
		}
	}
	return true
}
