package k8s

import (
	"errors"
	"strings"
)

// Kubernetes' rules for names, label keys and label values (the API
// server's validation; TestNameRulesMatchKubernetes compares these with
// k8s.io/apimachinery's own on many strings).

const (
	dns1123LabelMax     = 63
	dns1123SubdomainMax = 253
	labelMax            = 63
)

var (
	errDNSLabel = errors.New("use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit (for example my-name)")
	errLabelKey = errors.New("a label key is NAME or PREFIX/NAME: NAME has at most 63 letters, digits, '-', '_' or '.', " +
		"starting and ending with a letter or digit; PREFIX is a lower-case DNS subdomain (for example example.com/my-name)")
	errLabelValue = errors.New("a label value is empty or has at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit")
)

// checkDNS1123Label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 bytes.
func checkDNS1123Label(s string) error {
	if !isDNS1123Label(s) {
		return errDNSLabel
	}
	return nil
}

func isDNS1123Label(s string) bool { return len(s) <= dns1123LabelMax && isDNSPart(s) }

// isDNS1123Subdomain: DNS parts joined by dots, at most 253 bytes in all.
func isDNS1123Subdomain(s string) bool {
	if s == "" || len(s) > dns1123SubdomainMax {
		return false
	}
	for part := range strings.SplitSeq(s, ".") {
		if !isDNSPart(part) {
			return false
		}
	}
	return true
}

// isDNSPart: [a-z0-9]([-a-z0-9]*[a-z0-9])?, of any length.
func isDNSPart(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// checkQualifiedName is a label key: NAME or PREFIX/NAME.
func checkQualifiedName(s string) error {
	name := s
	if prefix, rest, ok := strings.Cut(s, "/"); ok {
		if !isDNS1123Subdomain(prefix) {
			return errLabelKey
		}
		name = rest
	}
	if name == "" || !isLabelName(name) {
		return errLabelKey
	}
	return nil
}

// checkLabelValue: empty, or a label name.
func checkLabelValue(s string) error {
	if s != "" && !isLabelName(s) {
		return errLabelValue
	}
	return nil
}

// isLabelName: ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], at most 63 bytes.
func isLabelName(s string) bool {
	if s == "" || len(s) > labelMax || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func isAlnum(c byte) bool { return isLowerAlnum(c) || 'A' <= c && c <= 'Z' }
