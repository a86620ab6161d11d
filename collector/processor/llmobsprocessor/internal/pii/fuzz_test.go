package pii

import (
	"strings"
	"testing"
)

// FuzzMask: the masker never panics, is idempotent, reports a change exactly when the text
// changed, and a changed text carries a placeholder. Seeds: the corpus in every context, plain and
// JSON-escaped, plus testdata/fuzz/FuzzMask (regressions found by earlier runs).
//
//	go test -run='^$' -fuzz=FuzzMask -fuzztime=60s ./internal/pii
func FuzzMask(f *testing.F) {
	c := loadCorpus(f)
	for _, it := range c.items() {
		f.Add(it.text)
		f.Add(pyJSON(f, messages(it.text)))
	}
	for _, neg := range c.Negatives {
		f.Add(neg)
		f.Add(goJSON(f, messages(neg)))
	}
	for _, s := range []string{
		"", "@", "a@b", "::", "::ffff:", "+", "(", "-----BEGIN", `\`, `\u`, `\u00e9@x.io`,
		"-----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\n-----END RSA PRIVATE KEY-----",
		"password=\\u00e9\\u00e9", "https://u:p@h", "Bearer ", "1:2:3:4:5:6:7:8:9", "1::2::3",
	} {
		f.Add(s)
	}
	for _, s := range idempotenceEdges {
		f.Add(s)
	}
	m, err := Compile(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, changed := m.MaskString(s)
		if changed == (out == s) {
			t.Fatalf("changed=%v but out==in is %v: %q -> %q", changed, out == s, s, out)
		}
		if changed && !containsPlaceholder(out) {
			t.Fatalf("changed without a placeholder: %q -> %q", s, out)
		}
		again, changed2 := m.MaskString(out)
		if changed2 || again != out {
			t.Fatalf("not idempotent:\n in   %q\n once %q\n twice %q", s, out, again)
		}
	})
}

func containsPlaceholder(s string) bool {
	for _, p := range placeholders {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// idempotenceEdges are texts where a placeholder's "]" is a word boundary that the original text
// did not have, or where a context sees a placeholder on the second pass.
var idempotenceEdges = []string{
	"AKIAIOSFODNN7EXAMPLEab::1",             // token ends inside a word: the rest starts a word
	"AKIAIOSFODNN7EXAMPLEpassword=abcd1234", // context word right after a match
	"postgres://u:4111111111111111.xyz@h",   // URL password partly masked already
	"postgres://u:4111111111111111@h",
	"https://u:[IP]x@h",
	"://415 555 2671:pw@h", // the user was not a URL user before the phone was masked
	"ghp_1234567890abcdefghijklmnopqrstuvwxyzAB-415-555-2671",
}

func TestIdempotenceEdges(t *testing.T) {
	m, _ := Compile(nil)
	for _, s := range idempotenceEdges {
		once, _ := m.MaskString(s)
		if twice, changed := m.MaskString(once); changed {
			t.Errorf("%q -> %q -> %q", s, once, twice)
		}
	}
}
