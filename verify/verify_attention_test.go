package verify

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dagnfs/dagnfs/layout"
)

// What status --check counts: findings above info but files dagnfs never
// published, a publish in progress, a pause.
func TestAttention(t *testing.T) {
	r := &Result{}
	assert.Equal(t, 0, r.Attention())
	r.Findings = []Finding{{Rule: RuleUnmanaged, Severity: Warning}, {Rule: "x", Severity: Info}}
	assert.Equal(t, 0, r.Attention(), "unmanaged files and information are not dagnfs's business")
	r.Findings = append(r.Findings, Finding{Rule: RulePublishing, Severity: Info}, Finding{Rule: RuleStaleLock, Severity: Warning}, Finding{Rule: "size", Severity: Error})
	assert.Equal(t, 3, r.Attention())
	r.Paused = &layout.PauseInfo{Reason: "freeze"}
	assert.Equal(t, 4, r.Attention())
}
