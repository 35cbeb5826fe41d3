package validate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Airflow's safe mode reads content.lower(), which lowers ASCII letters
// only: a word spelt with other letters whose lower case is ASCII (the
// dotted capital I, the Kelvin sign) is not the word. The fold search
// answers as bytes.lower() and `in` do, on every position.
func TestSafeModeFoldsASCIIOnly(t *testing.T) {
	for _, c := range []struct {
		src  string
		want bool
	}{
		{"from airflow import DAG", true},
		{"FROM AIRFLOW IMPORT dag", true},
		{"AiRfLoW dAg", true},
		{"airflow only", false},
		{"dag only", false},
		{"A\u0130RFLOW DAG", false}, // Go's unicode lower case would make it "airflow"
		{"airflow \u212Adag", true},
		{"airflo", false},
		{"xairflowx d\nag dag", true},
		{"airflo wdag", false},
		{"", false},
		{"Airflow Asset", true},
	} {
		assert.Equal(t, c.want, safeModePasses([]byte(c.src), 3), "%q", c.src)
	}
	assert.False(t, safeModePasses([]byte("airflow asset"), 2), "Airflow 2 looks for dag only")
	// Every placement of the word among letters of both cases.
	for n := 0; n < 12; n++ {
		for i := 0; i+7 <= n+7; i++ {
			src := []byte(strings.Repeat("aA", n)[:n])
			src = append(src[:i:i], append([]byte("AIRflow"), src[i:]...)...)
			src = append(src, " dag"...)
			assert.True(t, safeModePasses(src, 3), "%q", src)
			assert.False(t, containsFold(src[:len(src)-1], "airflowx"), "%q", src)
		}
	}
}
