package pii

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode"
)

// reCase is one entry of testdata/re2_cases.json: a user pattern whose verdict llmobs' settings
// check (stack/pii.py) must share with this package's CheckPattern.
type reCase struct {
	Regex string `json:"regex"`
	Why   string `json:"why"`
}

// TestREVerdicts runs every case of testdata/re2_cases.json, and \p{NAME} in several spellings for
// every name in Go's Unicode tables and aliases, through CheckPattern, the check the processor runs
// on user patterns. A refusal must be one line ending in a fix. With LLMOBS_RE_VERDICTS=FILE it
// writes the verdicts there (pattern -> "" for accepted, else the error) for tests/test_pii.py,
// which compares them with llmobs' own check: Go's regexp is the truth the Python side follows.
func TestREVerdicts(t *testing.T) {
	data, err := os.ReadFile("testdata/re2_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []reCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	patterns := make([]string, 0, len(cases))
	for _, c := range cases {
		patterns = append(patterns, c.Regex)
	}
	var names []string
	for name := range unicode.Categories {
		names = append(names, name)
	}
	for name := range unicode.Scripts {
		names = append(names, name)
	}
	for name := range unicode.CategoryAliases {
		names = append(names, name)
	}
	for _, name := range names {
		patterns = append(patterns, `\p{`+name+`}`, `\P{^`+strings.ToLower(name)+`}`, `[\p{`+strings.ReplaceAll(name, "_", " ")+`}]`)
	}

	verdicts := make(map[string]string, len(patterns))
	for _, p := range patterns {
		verdicts[p] = ""
		if err := CheckPattern(Pattern{Name: "X", Regex: p}); err != nil {
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, "fix: ") {
				t.Errorf("%q: refusal is not one line with a fix: %q", p, msg)
			}
			verdicts[p] = msg
		}
	}
	if out := os.Getenv("LLMOBS_RE_VERDICTS"); out != "" {
		data, err := json.Marshal(verdicts)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
