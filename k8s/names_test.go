package k8s

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The name rules are the API server's: k8s.io/apimachinery (linked by the
// tests only) decides the same on every string here.
func TestNameRulesMatchKubernetes(t *testing.T) {
	parts := []string{"", "a", "A", "0", "-", "_", ".", "/", "a-b", "a_b", "a.b", "-a", "a-", ".a", "a.", "_a", "a_",
		"ab", "Ab", "a b", "é", "a/b", "a//b", "/a", "a/", "ex.com", "ex..com", "Ex.com", "ex-.com", "ex.com/Name_1.x",
		"x.y.z/a-b", strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a.", 126) + "a", strings.Repeat("a.", 127) + "a"}
	var inputs []string
	for _, p := range parts {
		for _, q := range parts {
			inputs = append(inputs, p+q, p+"/"+q)
		}
	}
	for _, s := range inputs {
		assert.Equal(t, len(validation.IsDNS1123Label(s)) == 0, checkDNS1123Label(s) == nil, "DNS label %q", s)
		assert.Equal(t, len(validation.IsDNS1123Subdomain(s)) == 0, isDNS1123Subdomain(s), "DNS subdomain %q", s)
		assert.Equal(t, len(validation.IsQualifiedName(s)) == 0, checkQualifiedName(s) == nil, "label key %q", s)
		assert.Equal(t, len(validation.IsValidLabelValue(s)) == 0, checkLabelValue(s) == nil, "label value %q", s)
	}
}
