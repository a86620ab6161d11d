package pii

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// The independent corpus shared with the Python end-to-end tests (tests/pii_corpus): this file
// sits in collector/processor/llmobsprocessor/internal/pii, five levels below the repository root.
const corpusPath = "../../../../../tests/pii_corpus/pii.json"

type corpusEntry struct {
	Value  string `json:"value"`
	Before string `json:"before"`
	After  string `json:"after"`
}

type corpus struct {
	Contexts  []string                 `json:"contexts"`
	Positives map[string][]corpusEntry `json:"positives"`
	Negatives []string                 `json:"negatives"`
}

func loadCorpus(t testing.TB) corpus {
	t.Helper()
	raw, err := os.ReadFile(filepath.FromSlash(corpusPath))
	if err != nil {
		t.Fatalf("read the PII corpus: %v", err)
	}
	var c corpus
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("parse %s: %v", corpusPath, err)
	}
	if len(c.Positives) == 0 || len(c.Negatives) == 0 || len(c.Contexts) == 0 {
		t.Fatalf("%s: empty corpus", corpusPath)
	}
	return c
}

type corpusItem struct {
	kind, value, text string
}

// items puts every positive in every context (the Python side rotates contexts; all of them is
// stricter).
func (c corpus) items() []corpusItem {
	kinds := make([]string, 0, len(c.Positives))
	for k := range c.Positives {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var out []corpusItem
	for _, kind := range kinds {
		for _, e := range c.Positives[kind] {
			core := e.Before + e.Value + e.After
			for _, ctx := range c.Contexts {
				out = append(out, corpusItem{kind, e.Value, strings.Replace(ctx, "{}", core, 1)})
			}
			out = append(out, corpusItem{kind, e.Value, "line one\n" + core})
		}
	}
	return out
}

// pyJSON encodes v like Python's json.dumps (ensure_ascii): non-ASCII as \uXXXX, no HTML escaping.
func pyJSON(t testing.TB, v any) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, r := range strings.TrimSuffix(b.String(), "\n") {
		if r < 0x80 {
			out.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&out, `\u%04x`, u)
		}
	}
	return out.String()
}

// goJSON encodes v with encoding/json defaults (UTF-8, <>& as \u003c ...).
func goJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func messages(text string) []any {
	return []any{
		map[string]any{"role": "system", "parts": []any{map[string]any{"type": "text", "content": "You are a helpful assistant."}}},
		map[string]any{"role": "user", "parts": []any{map[string]any{"type": "text", "content": text}}},
	}
}

// userContent decodes the masked JSON messages and returns the user's text.
func userContent(t *testing.T, masked string) string {
	t.Helper()
	var msgs []map[string]any
	if err := json.Unmarshal([]byte(masked), &msgs); err != nil {
		t.Fatalf("masked JSON no longer parses: %v\n%s", err, masked)
	}
	return msgs[1]["parts"].([]any)[0].(map[string]any)["content"].(string)
}

// carriers: name -> mask text as that carrier and return what a reader gets back, plus every
// string of the masked record (to look for leaks).
func carriers(t *testing.T, m *Masker) map[string]func(text string) (string, []string) {
	structured := func(text string) (string, []string) {
		attrs := pcommon.NewMap()
		attrs.PutStr("gen_ai.request.model", "gpt-4o-2024-08-06")
		if err := attrs.PutEmptySlice("gen_ai.input.messages").FromRaw(messages(text)); err != nil {
			t.Fatal(err)
		}
		m.Attributes(attrs, false)
		v, _ := attrs.Get("gen_ai.input.messages")
		got := v.Slice().At(1).Map()
		parts, _ := got.Get("parts")
		content, _ := parts.Slice().At(0).Map().Get("content")
		if model, _ := attrs.Get("gen_ai.request.model"); model.Str() != "gpt-4o-2024-08-06" {
			t.Fatalf("exempt key changed: %q", model.Str())
		}
		return content.Str(), []string{v.AsString()}
	}
	asJSON := func(enc func(testing.TB, any) string) func(string) (string, []string) {
		return func(text string) (string, []string) {
			out, _ := m.MaskString(enc(t, messages(text)))
			return userContent(t, out), []string{out}
		}
	}
	return map[string]func(string) (string, []string){
		"string": func(text string) (string, []string) {
			out, _ := m.MaskString(text)
			return out, []string{out}
		},
		"messages.structured": structured,
		"messages.json_py":    asJSON(pyJSON),
		"messages.json_go":    asJSON(goJSON),
		"log.map_body": func(text string) (string, []string) {
			lr := plog.NewLogRecord()
			if err := lr.Body().SetEmptyMap().FromRaw(map[string]any{"content": text, "index": 1}); err != nil {
				t.Fatal(err)
			}
			m.LogRecord(lr, false)
			c, _ := lr.Body().Map().Get("content")
			return c.Str(), []string{lr.Body().AsString()}
		},
	}
}

func TestCorpusPositives(t *testing.T) {
	c := loadCorpus(t)
	m, err := Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	total := map[string]int{}
	for _, it := range c.items() {
		for name, carry := range carriers(t, m) {
			got, all := carry(it.text)
			total[it.kind]++
			leaked := false
			for _, s := range all {
				leaked = leaked || strings.Contains(s, it.value)
			}
			if leaked || !strings.Contains(got, "["+it.kind+"]") {
				t.Errorf("%s %s: %q -> %q", it.kind, name, it.text, got)
				continue
			}
			found[it.kind]++
			// idempotent on what a reader gets back
			if again, changed := m.MaskString(got); changed {
				t.Errorf("%s %s: not idempotent: %q -> %q", it.kind, name, got, again)
			}
		}
	}
	kinds := make([]string, 0, len(total))
	for k := range total {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		t.Logf("recall %-7s %4d/%4d", k, found[k], total[k])
	}
}

func TestCorpusNegatives(t *testing.T) {
	c := loadCorpus(t)
	m, err := Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, neg := range c.Negatives {
		for _, ctx := range c.Contexts {
			text := strings.Replace(ctx, "{}", neg, 1)
			if out, changed := m.MaskString(text); changed || out != text {
				t.Errorf("negative changed: %q -> %q", text, out)
			}
			for _, enc := range []func(testing.TB, any) string{pyJSON, goJSON} {
				js := enc(t, messages(text))
				if out, changed := m.MaskString(js); changed || out != js {
					t.Errorf("negative changed in JSON: %q -> %q", js, out)
				}
			}
		}
		attrs := pcommon.NewMap()
		if err := attrs.PutEmptySlice("gen_ai.input.messages").FromRaw(messages(neg)); err != nil {
			t.Fatal(err)
		}
		attrs.PutStr("app.note", neg)
		if n := m.Attributes(attrs, false); n != 0 {
			t.Errorf("negative changed in attributes (%d): %q", n, neg)
		}
	}
}
