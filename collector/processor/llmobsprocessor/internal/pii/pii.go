// Package pii finds and masks personal data and secrets in telemetry text.
//
// Built-in detectors are data-driven anchored matchers run by one linear scan (scan.go): the scan
// stops only at cheap triggers (a word start, '@', ':', '=', '+', '(', '-'), and the matcher for
// that trigger looks at a short window; validators run where a checksum exists (Luhn for cards,
// mod-97 for IBANs, date for Korean RRNs, SSA rules for SSNs). Values are replaced by typed
// placeholders: [EMAIL] [PHONE] [CARD] [SSN] [KR_RRN] [IBAN] [IP] [SECRET], and [NAME] for each
// user pattern. Context secrets keep their context: password=[SECRET], Bearer [SECRET],
// https://user:[SECRET]@host.
//
// Text that holds JSON (an app that sends gen_ai.input.messages as a JSON string) is masked as
// text: a JSON escape (\n, \", \u00e9) counts as a word boundary, and no replacement ever cuts an
// escape in two, so the JSON stays valid. Masking is idempotent and leaves text without a
// detector hit unchanged (same string, no allocation).
package pii

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Pattern is a user-defined detector from llmobs.yaml `pii.patterns`: RE2 regex, masked as [NAME].
type Pattern struct {
	Name  string `mapstructure:"name"`
	Regex string `mapstructure:"regex"`
}

// Mode is pii.mode: mask (default), drop (delete GenAI content, mask the rest) or off.
type Mode string

// The modes.
const (
	ModeMask Mode = "mask"
	ModeDrop Mode = "drop"
	ModeOff  Mode = "off"
)

// ParseMode checks a pii.mode value; the empty string means mask.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", ModeMask:
		return ModeMask, nil
	case ModeDrop, ModeOff:
		return Mode(s), nil
	}
	return "", fmt.Errorf("pii.mode: %q is not a mode: fix: use mask, drop or off", s)
}

type userRule struct {
	name        string
	re          *regexp.Regexp
	placeholder string
}

// Masker holds the compiled detectors. It is safe for concurrent use.
type Masker struct {
	user []userRule
}

// Compile checks and compiles the user patterns (built-in detectors are always on). The error, if
// any, is one line naming the pattern: pii.patterns[1] (EMPLOYEE_ID): invalid RE2: ...: fix: ...
func Compile(patterns []Pattern) (*Masker, error) {
	m := &Masker{}
	for i, p := range patterns {
		re, err := compilePattern(p)
		if err != nil {
			return nil, fmt.Errorf("pii.patterns[%d] (%s): %w", i, p.Name, err)
		}
		m.user = append(m.user, userRule{name: p.Name, re: re, placeholder: "[" + p.Name + "]"})
	}
	return m, nil
}

// MaskString returns s with every detected value replaced by its placeholder, and whether it changed.
func (m *Masker) MaskString(s string) (string, bool) { return m.mask(s, nil) }

// MaskStringCounts is MaskString that also adds what it masked, by kind, to c.
func (m *Masker) MaskStringCounts(s string, c *Counts) (string, bool) { return m.mask(s, c) }

func (m *Masker) mask(s string, c *Counts) (string, bool) {
	out, changed := s, false
	for i := range m.user {
		if r, ok := m.user[i].replace(out, c); ok {
			out, changed = r, true
		}
	}
	// One scan, idempotent by construction: placeholders never match and stop every matcher; the
	// end of a match counts as a word start (as its "]" will); contexts that look back (password=,
	// scheme://user:pw@) refuse text holding a placeholder. So a second pass can only find what
	// the first pass saw byte for byte, and already masked. FuzzMask checks it on every run.
	if r, ok := maskBuiltins(out, c); ok && r != out {
		out, changed = r, true
	}
	return out, changed
}

// Attributes masks string values (and strings inside map/slice values) of attrs in place, except exempt
// keys; with drop it first removes GenAI content keys. It returns how many values changed or were removed.
func (m *Masker) Attributes(attrs pcommon.Map, drop bool) int {
	return m.attributes(attrs, drop, nil)
}

// AttributesCounts is Attributes that also adds what it masked, by kind, to c.
func (m *Masker) AttributesCounts(attrs pcommon.Map, drop bool, c *Counts) int {
	return m.attributes(attrs, drop, c)
}

func (m *Masker) attributes(attrs pcommon.Map, drop bool, c *Counts) int {
	n := 0
	if drop {
		found := false
		for k := range attrs.All() {
			if IsContentKey(k) {
				found = true
				break
			}
		}
		if found {
			attrs.RemoveIf(func(k string, _ pcommon.Value) bool {
				if IsContentKey(k) {
					n++
					return true
				}
				return false
			})
		}
	}
	for k, v := range attrs.All() {
		if !IsExemptKey(k) {
			n += m.value(v, c)
		}
	}
	return n
}

// Value masks a single value (a log body: string, map or slice) in place; returns values changed.
func (m *Masker) Value(v pcommon.Value) int { return m.value(v, nil) }

// ValueCounts is Value that also adds what it masked, by kind, to c.
func (m *Masker) ValueCounts(v pcommon.Value, c *Counts) int { return m.value(v, c) }

// value walks v in place: strings are masked, map and slice values are walked (keys of nested maps
// are structure, not content, and are kept), numbers, booleans and bytes are never touched.
func (m *Masker) value(v pcommon.Value, c *Counts) int {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if r, ok := m.mask(v.Str(), c); ok {
			v.SetStr(r)
			return 1
		}
	case pcommon.ValueTypeMap:
		n := 0
		for _, e := range v.Map().All() {
			n += m.value(e, c)
		}
		return n
	case pcommon.ValueTypeSlice:
		n := 0
		sl := v.Slice()
		for i := 0; i < sl.Len(); i++ {
			n += m.value(sl.At(i), c)
		}
		return n
	}
	return 0
}

// LogRecord masks a log record's attributes and body. With drop it also deletes the content keys
// and empties the body of GenAI event records (event name gen_ai.*, from the record's EventName or
// its event.name attribute): their body is the prompt or completion itself.
func (m *Masker) LogRecord(lr plog.LogRecord, drop bool) int {
	return m.LogRecordCounts(lr, drop, nil)
}

// LogRecordCounts is LogRecord that also adds what it masked, by kind, to c.
func (m *Masker) LogRecordCounts(lr plog.LogRecord, drop bool, c *Counts) int {
	n := m.attributes(lr.Attributes(), drop, c)
	body := lr.Body()
	if drop && IsGenAIEvent(lr) {
		if body.Type() != pcommon.ValueTypeEmpty && !(body.Type() == pcommon.ValueTypeStr && body.Str() == "") {
			body.SetStr("")
			n++
		}
		return n
	}
	return n + m.value(body, c)
}

// IsGenAIEvent reports whether lr is a GenAI event record (EventName or event.name gen_ai.*).
func IsGenAIEvent(lr plog.LogRecord) bool {
	if strings.HasPrefix(lr.EventName(), "gen_ai.") {
		return true
	}
	v, ok := lr.Attributes().Get("event.name")
	return ok && v.Type() == pcommon.ValueTypeStr && strings.HasPrefix(v.Str(), "gen_ai.")
}

// --- user patterns ---------------------------------------------------------------------------------

var patternName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// CheckPattern checks one user pattern: a name like EMPLOYEE_ID (it becomes the placeholder
// [EMPLOYEE_ID]) and a valid RE2 regex. The error is one line ending in a fix.
func CheckPattern(p Pattern) error {
	_, err := compilePattern(p)
	return err
}

func compilePattern(p Pattern) (*regexp.Regexp, error) {
	if !patternName.MatchString(p.Name) {
		return nil, fmt.Errorf("invalid name %q: fix: use capitals, digits and _, starting with a capital, e.g. EMPLOYEE_ID", p.Name)
	}
	if p.Regex == "" {
		return nil, fmt.Errorf("empty regex: fix: write a pattern, e.g. 'EMP-[0-9]{6}'")
	}
	re, err := regexp.Compile(p.Regex)
	if err != nil {
		return nil, re2Error(err)
	}
	// Any valid RE2 is accepted, as llmobs' settings check accepts it: empty matches mask nothing and
	// matches that touch a placeholder are skipped (replace), so masking still settles.
	return re, nil
}

// re2Fixes says what to write instead, per regexp/syntax error.
var re2Fixes = map[syntax.ErrorCode]string{
	syntax.ErrMissingParen:          "close every ( with )",
	syntax.ErrUnexpectedParen:       `remove the ) or escape it as \)`,
	syntax.ErrMissingBracket:        "close the character class with ]",
	syntax.ErrInvalidEscape:         `escape only punctuation, or use a class such as \d, \w, \s`,
	syntax.ErrInvalidPerlOp:         "RE2 has no look-arounds, atomic groups or backreferences: use (?:...), (?P<name>...) or flags such as (?i)",
	syntax.ErrMissingRepeatArgument: `put something before the *, + or ?, or escape it`,
	syntax.ErrInvalidRepeatOp:       "use a single quantifier (RE2 has no possessive forms)",
	syntax.ErrInvalidRepeatSize:     "use repeat counts up to 1000, min <= max",
	syntax.ErrInvalidCharRange:      "write the lower end of the range first, e.g. a-z",
	syntax.ErrInvalidNamedCapture:   "write (?P<name>...)",
	syntax.ErrTrailingBackslash:     `escape it as \\`,
	syntax.ErrInvalidCharClass:      `use e.g. [[:alpha:]] or \pL`,
	syntax.ErrInvalidUTF8:           "write the pattern as UTF-8 text",
	syntax.ErrNestingDepth:          "simplify the pattern (less nesting)",
	syntax.ErrLarge:                 "simplify the pattern (smaller repeat counts)",
}

func re2Error(err error) error {
	se, ok := err.(*syntax.Error)
	if !ok {
		return fmt.Errorf("invalid RE2: %s: fix: see https://github.com/google/re2/wiki/Syntax", oneLine(err.Error()))
	}
	fix, ok := re2Fixes[se.Code]
	if !ok {
		fix = "see https://github.com/google/re2/wiki/Syntax"
	}
	return fmt.Errorf("invalid RE2: %s in %q: fix: %s", se.Code, se.Expr, fix)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// replace masks every non-empty match of a user pattern. A match that begins or ends inside a JSON
// escape is widened to the whole escape, so JSON text stays valid.
func (u *userRule) replace(s string, c *Counts) (string, bool) {
	if u.re.FindStringIndex(s) == nil {
		return s, false
	}
	var b strings.Builder
	last := 0
	var masked [][2]int // placeholders already in s: a match touching one is skipped (idempotence)
	if strings.IndexByte(s, '[') >= 0 {
		masked = placeholderSpans(s)
	}
	for _, loc := range u.re.FindAllStringIndex(s, -1) {
		a, e := loc[0], loc[1]
		if e == a || touches(masked, a, e) {
			continue
		}
		a = escapeStartBefore(s, a, true)
		e = escapeStartBefore(s, e, false)
		if a < last {
			a = last
		}
		if e <= a {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:a])
		b.WriteString(u.placeholder)
		last = e
		if c != nil {
			c.User++
		}
	}
	if last == 0 && b.Len() == 0 {
		return s, false
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// escapeStartBefore moves x out of a JSON escape that spans it: to the escape's start (start=true)
// or its end. A backslash counts only if an even number of backslashes precede it.
func escapeStartBefore(s string, x int, start bool) int {
	for p := x - 1; p >= 0 && p >= x-5; p-- {
		if s[p] != '\\' {
			continue
		}
		q := p
		for q > 0 && s[q-1] == '\\' {
			q--
		}
		if (p-q)%2 != 0 {
			continue
		}
		if l := escapeLen(s, p); l > 0 && p+l > x {
			if start {
				return p
			}
			return p + l
		}
		return x
	}
	return x
}

// --- keys ------------------------------------------------------------------------------------------

// IsExemptKey reports whether the value of attribute k is never masked: identifiers that cost,
// metrics, dashboards and correlation read (model names such as gpt-4o-2024-08-06 must stay
// intact), token counts and the llmobs cost attributes.
func IsExemptKey(k string) bool {
	switch k {
	case "gen_ai.provider.name", "gen_ai.system", "gen_ai.operation.name",
		"gen_ai.request.model", "gen_ai.response.model", "gen_ai.response.id",
		"gen_ai.tool.call.id", "gen_ai.tool.name", "gen_ai.tool.type",
		"gen_ai.agent.id", "gen_ai.agent.name", "gen_ai.conversation.id",
		"gen_ai.data_source.id", "gen_ai.output.type", "gen_ai.evaluation.name",
		"gen_ai.embeddings.dimension.count", "error.type", "server.address", "server.port",
		"event.name", "llm.model_name", "llm.provider", "llm.system", "openinference.span.kind",
		// Conversation, user and session identity (hashed, not masked: privacy.hash_user_ids), as every
		// SDK spells it, and the MCP / JSON-RPC identifiers the MCP views group by.
		"user.id", "enduser.id", "session.id", "langfuse.user.id", "langfuse.session.id",
		"traceloop.association.properties.user_id", "traceloop.association.properties.session_id",
		"mcp.session.id", "mcp.method.name", "mcp.protocol.version", "jsonrpc.request.id",
		"jsonrpc.protocol.version", "gen_ai.evaluation.score.label":
		return true
	}
	return strings.HasPrefix(k, "llmobs.cost.") || strings.HasPrefix(k, "gen_ai.usage.")
}

// IsContentKey reports whether attribute k holds GenAI content (prompts, completions, tool
// arguments and results, retrieval text): deleted in drop mode. It covers the semantic-convention
// keys and the indexed keys of OpenLLMetry (gen_ai.prompt.0.content) and OpenInference
// (llm.input_messages.0.message.content).
func IsContentKey(k string) bool {
	switch k {
	case "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
		"gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "gen_ai.retrieval.query.text",
		"gen_ai.retrieval.documents", "gen_ai.prompt", "gen_ai.completion", "input.value", "output.value":
		return true
	}
	if strings.HasPrefix(k, "llm.input_messages.") || strings.HasPrefix(k, "llm.output_messages.") {
		return true
	}
	var rest string
	switch {
	case strings.HasPrefix(k, "gen_ai.prompt."):
		rest = k[len("gen_ai.prompt."):]
	case strings.HasPrefix(k, "gen_ai.completion."):
		rest = k[len("gen_ai.completion."):]
	default:
		return false
	}
	d := digits(rest, 0)
	return d > 0 && d < len(rest) && rest[d] == '.'
}

// placeholderSpans finds the [NAME] tokens in s (capitals, digits and _ in brackets: every placeholder
// llmobs writes has that shape).
func placeholderSpans(s string) [][2]int {
	var spans [][2]int
	for i := 0; i < len(s); i++ {
		if s[i] != '[' || i+2 >= len(s) || s[i+1] < 'A' || s[i+1] > 'Z' {
			continue
		}
		j := i + 2
		for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
			j++
		}
		if j < len(s) && s[j] == ']' {
			spans = append(spans, [2]int{i, j + 1})
			i = j
		}
	}
	return spans
}

// touches reports whether [a, e) overlaps any span.
func touches(spans [][2]int, a, e int) bool {
	for _, sp := range spans {
		if a < sp[1] && e > sp[0] {
			return true
		}
	}
	return false
}
