package cost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FormatVersion is the price file format this package reads (stack/prices.py FORMAT).
const FormatVersion = 1

// Load reads the price file written by `llmobs render` and merges the overrides. Every regex is
// compiled here, once. The error is one line naming the file, the key and a fix.
func Load(path string, overrides []Override) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("price file %s: cannot read it (%v) (fix: run `llmobs render` or point prices.file at the exported file)", path, err)
	}
	t, err := parse(data, overrides)
	if err != nil {
		return nil, fmt.Errorf("price file %s: %w", path, err)
	}
	return t, nil
}

// badKey is a problem at a JSON path, with the fix.
type badKey struct{ key, problem, fix string }

func (e *badKey) Error() string {
	return strings.Join(strings.Fields(fmt.Sprintf("%s: %s (fix: %s)", e.key, e.problem, e.fix)), " ")
}

func bad(key, fix, format string, args ...any) error {
	return &badKey{key: key, problem: fmt.Sprintf(format, args...), fix: fix}
}

const fixFormat = "see the price file format in stack/prices.py, or export the file again with `llmobs render`"

func parse(data []byte, overrides []Override) (*Table, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, bad("(file)", "export it again with `llmobs render`", "not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, bad("(file)", "keep one JSON document", "text after the JSON document")
	}
	root, err := object(doc, "", []string{"format", "providers"}, "genai_prices_version", "provider_names")
	if err != nil {
		return nil, err
	}
	if n, ok := root["format"].(json.Number); !ok || n.String() != strconv.Itoa(FormatVersion) {
		return nil, bad("format", "export the file with the llmobs version of this collector", "format %v is not %d", root["format"], FormatVersion)
	}
	t := &Table{byID: map[string]*provider{}, names: map[string]*provider{}, now: time.Now}
	t.cache.half = defaultCacheEntries / 2
	if v, ok := root["genai_prices_version"]; ok {
		if t.version, err = str(v, "genai_prices_version", false); err != nil {
			return nil, err
		}
	}
	list, err := array(root["providers"], "providers")
	if err != nil {
		return nil, err
	}
	for i, raw := range list {
		p, err := parseProvider(raw, fmt.Sprintf("providers[%d]", i))
		if err != nil {
			return nil, err
		}
		if t.byID[p.id] != nil {
			return nil, bad(fmt.Sprintf("providers[%d].id", i), "merge the two entries", "provider %q is listed twice", p.id)
		}
		t.byID[p.id] = p
		t.providers = append(t.providers, p)
	}
	for _, p := range t.providers {
		for _, id := range p.fallbackIDs {
			if f := t.byID[id]; f != nil { // genai-prices skips an unknown fallback too
				p.fallbacks = append(p.fallbacks, f)
			}
		}
	}
	if v, ok := root["provider_names"]; ok {
		names, err := object(v, "provider_names", nil, "*")
		if err != nil {
			return nil, err
		}
		for name, raw := range names {
			key := "provider_names." + name
			id, err := str(raw, key, false)
			if err != nil {
				return nil, err
			}
			if t.byID[id] == nil {
				return nil, bad(key, "name a provider of this file", "unknown provider id %q", id)
			}
			t.names[strings.ToLower(strings.TrimSpace(name))] = t.byID[id]
		}
	}
	for i, o := range overrides {
		ov, err := parseOverride(o, fmt.Sprintf("overrides[%d]", i))
		if err != nil {
			return nil, err
		}
		t.overrides = append(t.overrides, ov)
	}
	return t, nil
}

func parseProvider(raw any, key string) (*provider, error) {
	obj, err := object(raw, key, []string{"id", "models"}, "provider_match", "model_match", "fallback_model_providers")
	if err != nil {
		return nil, err
	}
	p := &provider{}
	if p.id, err = str(obj["id"], key+".id", false); err != nil {
		return nil, err
	}
	for _, name := range []string{"provider_match", "model_match"} {
		if v := obj[name]; v != nil {
			c, err := parseClause(v, key+"."+name)
			if err != nil {
				return nil, err
			}
			if name == "provider_match" {
				p.providerMatch = c
			} else {
				p.modelMatch = c
			}
		}
	}
	if v, ok := obj["fallback_model_providers"]; ok && v != nil {
		ids, err := array(v, key+".fallback_model_providers")
		if err != nil {
			return nil, err
		}
		for j, id := range ids {
			s, err := str(id, fmt.Sprintf("%s.fallback_model_providers[%d]", key, j), false)
			if err != nil {
				return nil, err
			}
			p.fallbackIDs = append(p.fallbackIDs, s)
		}
	}
	models, err := array(obj["models"], key+".models")
	if err != nil {
		return nil, err
	}
	for j, m := range models {
		md, err := parseModel(m, fmt.Sprintf("%s.models[%d]", key, j))
		if err != nil {
			return nil, err
		}
		p.models = append(p.models, md)
	}
	return p, nil
}

func parseModel(raw any, key string) (*model, error) {
	obj, err := object(raw, key, []string{"id", "match", "prices"})
	if err != nil {
		return nil, err
	}
	m := &model{}
	if m.id, err = str(obj["id"], key+".id", false); err != nil {
		return nil, err
	}
	if m.match, err = parseClause(obj["match"], key+".match"); err != nil {
		return nil, err
	}
	key += ".prices"
	if _, isSet := obj["prices"].(map[string]any); isSet {
		set, err := parseSet(obj["prices"], key)
		if err != nil {
			return nil, err
		}
		m.cands = []candidate{{kind: always, set: set}}
		return m, nil
	}
	conds, err := array(obj["prices"], key)
	if err != nil {
		return nil, err
	}
	if len(conds) == 0 {
		return nil, bad(key, "give a price set, or remove the model", "empty list of prices")
	}
	for i, c := range conds {
		cand, err := parseCandidate(c, fmt.Sprintf("%s[%d]", key, i))
		if err != nil {
			return nil, err
		}
		m.cands = append(m.cands, cand)
	}
	return m, nil
}

func parseCandidate(raw any, key string) (candidate, error) {
	var c candidate
	obj, err := object(raw, key, []string{"prices"}, "constraint")
	if err != nil {
		return c, err
	}
	if c.set, err = parseSet(obj["prices"], key+".prices"); err != nil {
		return c, err
	}
	if obj["constraint"] == nil {
		return c, nil
	}
	ckey := key + ".constraint"
	con, err := object(obj["constraint"], ckey, nil, "start_date", "time_of_day")
	if err != nil {
		return c, err
	}
	if len(con) != 1 {
		return c, bad(ckey, "keep one of start_date, time_of_day", "a constraint needs exactly one of start_date, time_of_day")
	}
	if v, ok := con["start_date"]; ok {
		s, err := str(v, ckey+".start_date", false)
		if err != nil {
			return c, err
		}
		day, err := time.ParseInLocation(time.DateOnly, s, time.UTC)
		if err != nil {
			return c, bad(ckey+".start_date", "write YYYY-MM-DD", "%q is not a date", s)
		}
		c.kind, c.from = fromDate, day.UnixNano()
		return c, nil
	}
	tod, err := object(con["time_of_day"], ckey+".time_of_day", []string{"start", "end"})
	if err != nil {
		return c, err
	}
	c.kind = timeOfDay
	for _, edge := range []string{"start", "end"} {
		ekey := ckey + ".time_of_day." + edge
		s, err := str(tod[edge], ekey, false)
		if err != nil {
			return c, err
		}
		at, err := time.ParseInLocation(time.TimeOnly, s, time.UTC)
		if err != nil || len(s) != len(time.TimeOnly) {
			return c, bad(ekey, "write HH:MM:SS (UTC)", "%q is not a time of day", s)
		}
		ns := int64(at.Hour())*int64(time.Hour) + int64(at.Minute())*int64(time.Minute) + int64(at.Second())*int64(time.Second)
		if edge == "start" {
			c.start = ns
		} else {
			c.end = ns
		}
	}
	return c, nil
}

func parseSet(raw any, key string) (priceSet, error) {
	var s priceSet
	obj, err := object(raw, key, nil, "input_mtok", "cache_read_mtok", "cache_write_mtok", "output_mtok", "request_usd")
	if err != nil {
		return s, err
	}
	fields := []struct {
		name string
		p    *price
		has  *bool
	}{
		{"input_mtok", &s.in, &s.hasIn},
		{"cache_read_mtok", &s.cacheRead, &s.hasCacheRead},
		{"cache_write_mtok", &s.cacheWrite, &s.hasCacheWrite},
		{"output_mtok", &s.out, &s.hasOut},
		{"request_usd", &s.request, &s.hasRequest},
	}
	for _, f := range fields {
		v, ok := obj[f.name]
		if !ok {
			continue
		}
		if *f.p, err = parsePrice(v, key+"."+f.name); err != nil {
			return s, err
		}
		*f.has = true
	}
	return s, nil
}

func parsePrice(raw any, key string) (price, error) {
	var p price
	if _, tiered := raw.(map[string]any); !tiered {
		f, err := number(raw, key)
		p.base = f
		return p, err
	}
	obj, err := object(raw, key, []string{"base", "tiers"})
	if err != nil {
		return p, err
	}
	if p.base, err = number(obj["base"], key+".base"); err != nil {
		return p, err
	}
	tiers, err := array(obj["tiers"], key+".tiers")
	if err != nil {
		return p, err
	}
	for i, raw := range tiers {
		tkey := fmt.Sprintf("%s.tiers[%d]", key, i)
		to, err := object(raw, tkey, []string{"start", "price"})
		if err != nil {
			return p, err
		}
		start, err := number(to["start"], tkey+".start")
		if err != nil || start != math.Trunc(start) || len(p.tiers) > 0 && start < p.tiers[len(p.tiers)-1].start {
			return p, bad(tkey+".start", "sort tiers by start", "expected a whole token count >= the previous tier's")
		}
		pr, err := number(to["price"], tkey+".price")
		if err != nil {
			return p, err
		}
		p.tiers = append(p.tiers, tier{start: start, price: pr})
	}
	return p, nil
}

// ---------------------------------------------------------------- match clauses

type clauseKind uint8

const (
	equals clauseKind = iota
	startsWith
	endsWith
	contains
	regex
	anyOf
	allOf
)

// clause is a genai-prices match clause on a lower-cased name.
type clause struct {
	kind      clauseKind
	text      string         // lower-cased literal
	re, notRe *regexp.Regexp // regex: re must match (if set) and notRe must not (if set)
	subs      []*clause
}

func (c *clause) match(s string) bool {
	switch c.kind {
	case equals:
		return s == c.text
	case startsWith:
		return strings.HasPrefix(s, c.text)
	case endsWith:
		return strings.HasSuffix(s, c.text)
	case contains:
		return strings.Contains(s, c.text)
	case regex:
		return (c.re == nil || c.re.MatchString(s)) && (c.notRe == nil || !c.notRe.MatchString(s))
	case anyOf:
		for _, sub := range c.subs {
			if sub.match(s) {
				return true
			}
		}
		return false
	case allOf:
		for _, sub := range c.subs {
			if !sub.match(s) {
				return false
			}
		}
		return true
	}
	return false
}

var literalKinds = map[string]clauseKind{"equals": equals, "starts_with": startsWith, "ends_with": endsWith, "contains": contains}

func parseClause(raw any, key string) (*clause, error) {
	obj, err := object(raw, key, nil, "equals", "starts_with", "ends_with", "contains", "regex", "not_regex", "or", "and")
	if err != nil {
		return nil, err
	}
	_, hasRe := obj["regex"]
	_, hasNot := obj["not_regex"]
	if n := len(obj); n == 0 || n > 1 && !(n == 2 && hasRe && hasNot) {
		return nil, bad(key, "split it into or/and clauses", "a match clause needs exactly one of equals, starts_with, ends_with, contains, regex (+ not_regex), or, and")
	}
	for name, v := range obj {
		switch name {
		case "equals", "starts_with", "ends_with", "contains":
			s, err := str(v, key+"."+name, true)
			if err != nil {
				return nil, err
			}
			return &clause{kind: literalKinds[name], text: strings.ToLower(s)}, nil
		case "or", "and":
			items, err := array(v, key+"."+name)
			if err != nil {
				return nil, err
			}
			if len(items) == 0 {
				return nil, bad(key+"."+name, "list at least one clause", "empty list")
			}
			c := &clause{kind: anyOf}
			if name == "and" {
				c.kind = allOf
			}
			for i, item := range items {
				sub, err := parseClause(item, fmt.Sprintf("%s.%s[%d]", key, name, i))
				if err != nil {
					return nil, err
				}
				c.subs = append(c.subs, sub)
			}
			return c, nil
		}
	}
	c := &clause{kind: regex}
	for _, name := range []string{"regex", "not_regex"} {
		v, ok := obj[name]
		if !ok {
			continue
		}
		s, err := str(v, key+"."+name, false)
		if err != nil {
			return nil, err
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, bad(key+"."+name, "write RE2 syntax (no lookarounds; use not_regex for a negative condition)", "%v", err)
		}
		if name == "regex" {
			c.re = re
		} else {
			c.notRe = re
		}
	}
	return c, nil
}

// ---------------------------------------------------------------- overrides

func parseOverride(o Override, key string) (override, error) {
	ov := override{provider: strings.ToLower(strings.TrimSpace(o.Provider)), model: strings.ToLower(o.Model)}
	if ov.provider == "" {
		return ov, bad(key+".provider", "name the gen_ai.provider.name value or genai-prices provider id", "empty provider")
	}
	if o.Model == "" {
		return ov, bad(key+".model", "name the model (or a prefix with match: starts_with)", "empty model")
	}
	switch o.Match {
	case "", "equals":
	case "starts_with":
		ov.prefix = true
	default:
		return ov, bad(key+".match", "use equals or starts_with", "unknown match %q", o.Match)
	}
	prices := []struct {
		name string
		v    *float64
		p    *price
		has  *bool
	}{
		{"input", &o.Input, &ov.set.in, &ov.set.hasIn},
		{"output", &o.Output, &ov.set.out, &ov.set.hasOut},
		{"cache_read", o.CacheRead, &ov.set.cacheRead, &ov.set.hasCacheRead},
		{"cache_write", o.CacheWrite, &ov.set.cacheWrite, &ov.set.hasCacheWrite},
	}
	for _, p := range prices {
		if p.v == nil {
			continue
		}
		if *p.v < 0 || math.IsNaN(*p.v) || math.IsInf(*p.v, 0) {
			return ov, bad(key+"."+p.name, "give a price >= 0 in USD per million tokens", "price %v is not a non-negative number", *p.v)
		}
		p.p.base, *p.has = *p.v, true
	}
	return ov, nil
}

// ---------------------------------------------------------------- JSON helpers

// object checks that raw is an object with the required keys and no keys beyond required and
// optional (optional "*" allows any).
func object(raw any, key string, required []string, optional ...string) (map[string]any, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, bad(orFile(key), fixFormat, "expected an object, got %s", kind(raw))
	}
	if !slices.Contains(optional, "*") {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !slices.Contains(required, k) && !slices.Contains(optional, k) {
				return nil, bad(join(key, k), "remove it or fix its spelling", "unknown key")
			}
		}
	}
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			return nil, bad(join(key, k), fixFormat, "missing")
		}
	}
	return obj, nil
}

func array(raw any, key string) ([]any, error) {
	a, ok := raw.([]any)
	if !ok {
		return nil, bad(key, fixFormat, "expected a list, got %s", kind(raw))
	}
	return a, nil
}

func str(raw any, key string, emptyOK bool) (string, error) {
	s, ok := raw.(string)
	if !ok || (!emptyOK && s == "") {
		return "", bad(key, "write a non-empty JSON string", "expected a non-empty string, got %s", kind(raw))
	}
	return s, nil
}

func number(raw any, key string) (float64, error) {
	n, ok := raw.(json.Number)
	if !ok {
		return 0, bad(key, "write a non-negative JSON number", "expected a number, got %s", kind(raw))
	}
	f, err := n.Float64()
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return 0, bad(key, "write a non-negative JSON number", "%s is not a non-negative finite number", n)
	}
	return f, nil
}

func kind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(truncate(v))
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func join(key, k string) string {
	if key == "" {
		return k
	}
	return key + "." + k
}

func orFile(key string) string {
	if key == "" {
		return "(file)"
	}
	return key
}
