package pii

import (
	"encoding/json"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// withLuhn appends the Luhn check digit to prefix (an independent implementation, for test data).
func withLuhn(prefix string) string {
	for d := byte('0'); d <= '9'; d++ {
		s := prefix + string(d)
		sum := 0
		for i := 0; i < len(s); i++ {
			x := int(s[len(s)-1-i] - '0')
			if i%2 == 1 {
				x *= 2
				if x > 9 {
					x -= 9
				}
			}
			sum += x
		}
		if sum%10 == 0 {
			return s
		}
	}
	panic("unreachable")
}

// group inserts sep between groups of the given sizes.
func group(digits, sep string, sizes ...int) string {
	var parts []string
	for _, n := range sizes {
		parts = append(parts, digits[:n])
		digits = digits[n:]
	}
	return strings.Join(parts, sep)
}

type tc struct{ in, want string }

func positives() map[string][]tc {
	unlisted := withLuhn("280012345678901")  // Luhn-valid, outside every issuer range OTTL listed
	unlisted2 := withLuhn("210012345678901") // also; ungrouped it reads as a 2036 µs timestamp
	nineteen := withLuhn("411111111111111100")
	return map[string][]tc{
		"EMAIL": {
			{"mail jane.doe@example.com now", "mail [EMAIL] now"},
			{"jane@example.com.", "[EMAIL]."},
			{"x@example.com-foo", "[EMAIL]-foo"},
			{"USER123@EXAMPLE.ORG", "[EMAIL]"},
			{"x_y.z%tag@mx1.mail-server.net", "[EMAIL]"},
			{"..jane@x.io", "..[EMAIL]"},
			{`{\"to\":\"jane@x.io\"}`, `{\"to\":\"[EMAIL]\"}`},
			{`line\njane@x.io`, `line\n[EMAIL]`},
			{`\u00e9jane@x.io\u00e9`, `\u00e9[EMAIL]\u00e9`},
			{"메일jane@x.io입니다", "메일[EMAIL]입니다"},
		},
		"PHONE": {
			{"+1 (415) 555-2671", "[PHONE]"},
			{"+1-415-555-2671", "[PHONE]"},
			{"+14155552671", "[PHONE]"},
			{"(415) 555-2671", "[PHONE]"},
			{"(415)555-2671", "[PHONE]"},
			{"415-555-2671", "[PHONE]"},
			{"415.555.2671", "[PHONE]"},
			{"415 555 2671", "[PHONE]"},
			{"1-800-555-0199", "[PHONE]"},
			{"1 (415) 555-2671", "[PHONE]"},
			{"+44 20 7946 0958", "[PHONE]"},
			{"020 7946 0958", "[PHONE]"},
			{"07700 900123", "[PHONE]"},
			{"010-1234-5678", "[PHONE]"},
			{"010 2345 6789", "[PHONE]"},
			{"010.2345.6789", "[PHONE]"},
			{"01012345678", "[PHONE]"},
			{"0101234567", "[PHONE]"},
			{"011-234-5678", "[PHONE]"},
			{"02-312-3456", "[PHONE]"},
			{"(02) 312-3456", "[PHONE]"},
			{"82-10-1234-5678", "[PHONE]"},
			{"821012345678", "[PHONE]"},
			{"0082 2 312 3456", "[PHONE]"},
			{"+821012345678", "[PHONE]"},
			{"+33 1 23 45 67 89", "[PHONE]"},
			{"call +1 415 555 2671.", "call [PHONE]."},
			{`tel:\n010-1234-5678\n`, `tel:\n[PHONE]\n`},
			{"전화010-1234-5678요", "전화[PHONE]요"},
		},
		"CARD": {
			{"4111 1111 1111 1111", "[CARD]"},
			{"4111-1111-1111-1111", "[CARD]"},
			{"4111.1111.1111.1111", "[CARD]"},
			{"4111111111111111", "[CARD]"},
			{"4012888888881881", "[CARD]"},
			{"3782 822463 10005", "[CARD]"},
			{"378282246310005", "[CARD]"},
			{"3056 930902 5904", "[CARD]"},
			{"6011 1111 1111 1117", "[CARD]"},
			{"2223 0031 2200 3222", "[CARD]"},
			{"4222222222222", "[CARD]"},
			{unlisted, "[CARD]"}, // the case: outside the old issuer prefixes
			{group(unlisted, " ", 4, 4, 4, 4), "[CARD]"},
			{group(unlisted, "-", 4, 4, 4, 4), "[CARD]"},
			{group(unlisted2, " ", 4, 4, 4, 4), "[CARD]"},
			{nineteen, "[CARD]"},
			{group(nineteen, " ", 4, 4, 4, 4, 3), "[CARD]"},
			{group(nineteen, "-", 4, 4, 4, 4, 3), "[CARD]"},
			{"4111 1111 1111 1111 2024", "[CARD] 2024"},
			{"card:4111111111111111,", "card:[CARD],"},
			{`\n4111 1111 1111 1111\n`, `\n[CARD]\n`},
			{"카드4111111111111111입니다", "카드[CARD]입니다"},
		},
		"SSN": {
			{"123-45-6789", "[SSN]"},
			{"123 45 6789", "[SSN]"},
			{"SSN: 078-05-1120.", "SSN: [SSN]."},
			{"001-01-0001", "[SSN]"},
			{`ssn\n219-09-9999`, `ssn\n[SSN]`},
		},
		"KR_RRN": {
			{"900101-1234567", "[KR_RRN]"},
			{"9001011234567", "[KR_RRN]"},
			{"751120 4234567", "[KR_RRN]"},
			{"900101 - 1234567", "[KR_RRN]"},
			{"000229-3456789", "[KR_RRN]"},
			{"주민번호900101-2234567입니다", "주민번호[KR_RRN]입니다"},
		},
		"IBAN": {
			{"DE89 3704 0044 0532 0130 00", "[IBAN]"},
			{"DE89370400440532013000", "[IBAN]"},
			{"DE89-3704-0044-0532-0130-00", "[IBAN]"},
			{"GB82 WEST 1234 5698 7654 32", "[IBAN]"},
			{"NO93 8601 1117 947", "[IBAN]"},
			{"IBAN: FR14 2004 1010 0505 0001 3M02 606, thanks", "IBAN: [IBAN], thanks"},
			{"DE89 3704 0044 0532 0130 00 ZZ", "[IBAN] ZZ"},
		},
		"IP": {
			{"192.168.0.12", "[IP]"},
			{"host 8.8.8.8.", "host [IP]."},
			{"255.255.255.255", "[IP]"},
			{"::ffff:192.0.2.128", "[IP]"},
			{"::FFFF:192.0.2.128", "[IP]"},
			{"2001:db8::8a2e:370:7334", "[IP]"},
			{"2001:0db8:85a3:0000:0000:8a2e:0370:7334", "[IP]"},
			{"fe80::1ff:fe23:4567:890a", "[IP]"},
			{"64:ff9b::192.0.2.1", "[IP]"},
			{"[2001:db8::1]:443", "[[IP]]:443"},
		},
		"SECRET": {
			{"sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", "[SECRET]"},
			{"sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123", "[SECRET]"},
			{"sk_live_abcdefghij0123456789", "[SECRET]"},
			{"rk_live_abcdefghij0123456789", "[SECRET]"},
			{"AKIAIOSFODNN7EXAMPLE", "[SECRET]"},
			{"ghp_1234567890abcdefghijklmnopqrstuvwxyzAB", "[SECRET]"},
			{"github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "[SECRET]"},
			{"glpat-abcdefghij1234567890", "[SECRET]"},
			{"xoxb-1234567890-1234567890123-AbCdEf", "[SECRET]"},
			{"xapp-1-A0123456789-0123456789012-abcdef", "[SECRET]"},
			{"AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "[SECRET]"},
			{"ya29.a0AfH6SMBabcdefghijklmnop", "[SECRET]"},
			{"hf_abcdefghijklmnopqrstuvwxyzABCDEF1234", "[SECRET]"},
			{"gsk_" + strings.Repeat("a1", 20), "[SECRET]"},
			{"xai-" + strings.Repeat("B2", 20), "[SECRET]"},
			{"npm_" + strings.Repeat("c3", 18), "[SECRET]"},
			{"SG.abcdefghijklmnop.qrstuvwxyz012345", "[SECRET]"},
			{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKKF2QT4fw", "[SECRET]"},
			{"password=hunter2!Secret", "password=[SECRET]"},
			{"Password: 'hunter22'", "Password: '[SECRET]'"},
			{"DB_PASSWORD=Sup3rS3cret", "DB_PASSWORD=[SECRET]"},
			{`{"api_key": "c3VwZXJzZWNyZXQ"}`, `{"api_key": "[SECRET]"}`},
			{`{\"api_key\": \"c3VwZXJzZWNyZXQ\"}`, `{\"api_key\": \"[SECRET]\"}`},
			{"x-api-key: abcd1234", "x-api-key: [SECRET]"},
			{"api key: abcd1234", "api key: [SECRET]"},
			{"client_secret=abcd1234", "client_secret=[SECRET]"},
			{"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG", "aws_secret_access_key = [SECRET]"},
			{"비밀번호: qwerty1234", "비밀번호: [SECRET]"},
			{`\ube44\ubc00\ubc88\ud638: qwerty1234`, `\ube44\ubc00\ubc88\ud638: [SECRET]`},
			{`password=p\u00e4ssw\u00f6rd`, `password=[SECRET]`},
			{"Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [SECRET]"},
			{"Authorization: Bearer abc.def-ghi", "Authorization: Bearer [SECRET]"},
			{"bearer mF_9.B5f-4.1JqM", "bearer [SECRET]"},
			{"postgres://admin:tops3cr3t@db.internal:5432/app", "postgres://admin:[SECRET]@db.internal:5432/app"},
			{`https:\/\/user:pw123@host`, `https:\/\/user:[SECRET]@host`},
			{"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----!", "[SECRET]!"},
			{`-----BEGIN PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END PRIVATE KEY-----\"`, `[SECRET]\"`},
			{`key: -----BEGIN EC PRIVATE KEY-----\nMIIEowIBAAK\nabc`, `key: [SECRET]`},
		},
	}
}

func TestDetectors(t *testing.T) {
	m, err := Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for kind, cases := range positives() {
		for _, c := range cases {
			n++
			got, changed := m.MaskString(c.in)
			if got != c.want || !changed {
				t.Errorf("%s: %q -> %q (changed=%v), want %q", kind, c.in, got, changed, c.want)
			}
			var counts Counts
			m.MaskStringCounts(c.in, &counts)
			sum := counts.User
			for _, v := range counts.Builtin {
				sum += v
			}
			if sum == 0 {
				t.Errorf("%s: %q: no count", kind, c.in)
			}
		}
	}
	t.Logf("%d positive cases", n)
}

var negatives = []string{
	"Order ORD-2024-000123 shipped", "Invoice INV-000123-2024",
	"ms 1732450000000", "µs 1732450000123456", "ns 1732450000123456789", "s 1732450000",
	"20241125123456", "20241125123456789", withLuhn("210012345678901"),
	"550e8400-e29b-41d4-a716-446655440000", "6F9619FF-8B86-D011-B42D-00C04FC964FF",
	"trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7",
	"4111 1111 1111 1112", "4111111111111112", "4111-1111-1111-1112", // Luhn-invalid
	withLuhn("987654321098765"), withLuhn("123456789012"), withLuhn("700012341234123"), // MII 9, 1, 7
	"version 1.2.3", "v10.4.1", "build 2024.11.25", "$1,299.99", "€2.500,00", "1,234,567",
	"2024-11-25", "2024-11-25T10:30:00Z", "10:30", "12:30:45.123",
	"gpt-4o-2024-08-06", "claude-3-5-sonnet-20241022", "gemini-1.5-pro-002",
	"std::vector<int>", "a[::2]", "MAC 00:1A:2B:3C:4D:5E", "0x80070005",
	"the bearer of good news", "password reset link sent", "max_tokens: 4096", "api key rotation",
	"sk-learn-compatible-estimators-for-everyone", "sk-short1",
	"000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", "123-45 6789",
	"901301-1234567", "900230-1234567", "900101-5234567", "9001011234567890",
	"DE89 3704 0044 0532 0130 01", "DE89370400440532013001", "XX00 1234",
	"256.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4x",
	"+15% growth", "+20 target", "(415) 155-2671", "415-155-2671", "94105-1234", "0317-8471",
	"ISBN 978-3-16-148410-0", "room 1203, floor 12", "36.5°C", "37.5665, 126.9780",
	"user@localhost", "a@b", "@handle", "email me @ noon",
	"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
	"https://example.com/path?q=1", "postgres://db.internal:5432/app",
	"Bearer [SECRET]", "password=[SECRET]", "[EMAIL] [PHONE] [CARD] [SSN] [KR_RRN] [IBAN] [IP] [SECRET]",
	"",
}

func TestNegatives(t *testing.T) {
	m, err := Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range negatives {
		for _, in := range []string{s, "text " + s + " text", `\n` + s + `\n`} {
			if got, changed := m.MaskString(in); changed || got != in {
				t.Errorf("%q -> %q", in, got)
			}
		}
	}
}

// JSON text stays valid: every value masked inside a JSON-encoded string, next to escapes.
func TestJSONTextStaysValid(t *testing.T) {
	m, _ := Compile(nil)
	for kind, cases := range positives() {
		for _, c := range cases {
			for _, text := range []string{c.in, "\n" + c.in + "\n", "\"" + c.in + "\"", "é" + c.in + "é", "\t" + c.in} {
				raw, _ := json.Marshal(map[string]any{"content": text})
				got, _ := m.MaskString(string(raw))
				if !json.Valid([]byte(got)) {
					t.Errorf("%s: %s -> invalid JSON %s", kind, raw, got)
				}
			}
		}
	}
}

// Any valid RE2 is accepted (llmobs' settings check accepts exactly RE2 syntax): a pattern that can
// match the empty string masks only non-empty matches, and one that could match inside a placeholder
// leaves placeholders alone, so masking still settles.
func TestUserPatternsThatCouldMatchEmptyOrPlaceholders(t *testing.T) {
	m, err := Compile([]Pattern{{"DIGITS", `\d*`}, {"CODE", `[A-Z]{3,}`}})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"order 123 for ABC":            "order [DIGITS] for [CODE]",
		"mail jane@example.com please": "mail [EMAIL] please",
		"already [EMAIL] and [CODE]":   "already [EMAIL] and [CODE]",
		"no match here":                "no match here",
	} {
		got, _ := m.MaskString(in)
		if got != want {
			t.Errorf("MaskString(%q) = %q, want %q", in, got, want)
		}
		if again, _ := m.MaskString(got); again != got {
			t.Errorf("not idempotent: %q -> %q", got, again)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		p    Pattern
		want string
	}{
		{Pattern{"EMPLOYEE_ID", `EMP-(\d+`}, `pii.patterns[0] (EMPLOYEE_ID): invalid RE2: missing closing ) in "EMP-(\\d+": fix: close every ( with )`},
		{Pattern{"LOOK", `(?=x)abc`}, `pii.patterns[0] (LOOK): invalid RE2: invalid or unsupported Perl syntax in "(?=": fix: RE2 has no look-arounds`},
		{Pattern{"employee", `E\d+`}, `pii.patterns[0] (employee): invalid name "employee": fix:`},
		{Pattern{"E", ``}, `pii.patterns[0] (E): empty regex: fix:`},
	}
	for _, c := range cases {
		_, err := Compile([]Pattern{c.p})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: error %v, want prefix %q", c.p, err, c.want)
		}
		if err := CheckPattern(c.p); err == nil {
			t.Errorf("CheckPattern(%+v) accepted", c.p)
		}
	}
	// the index names the failing pattern
	_, err := Compile([]Pattern{{"OK", `OK-\d+`}, {"EMPLOYEE_ID", `(abc`}})
	if err == nil || !strings.HasPrefix(err.Error(), "pii.patterns[1] (EMPLOYEE_ID): invalid RE2: missing closing )") {
		t.Errorf("got %v", err)
	}
	if err := CheckPattern(Pattern{"EMPLOYEE_ID", `EMP-[0-9]{6}`}); err != nil {
		t.Errorf("valid pattern refused: %v", err)
	}
}

func TestUserPatterns(t *testing.T) {
	m, err := Compile([]Pattern{{"EMPLOYEE_ID", `EMP-[0-9]{6}`}, {"ACCOUNT", `ACCT-\d{3}-\d{2}-\d{4}`}, {"TAG", `n[0-9]{3}x`}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []tc{
		{"id EMP-123456 and jane@x.io", "id [EMPLOYEE_ID] and [EMAIL]"},
		{"ACCT-123-45-6789", "[ACCOUNT]"}, // user patterns run first: not [SSN]
		{`a\n123x`, `a[TAG]`},             // widened to the whole \n escape: JSON stays valid
		{"no match here", "no match here"},
	} {
		got, _ := m.MaskString(c.in)
		if got != c.want {
			t.Errorf("%q -> %q, want %q", c.in, got, c.want)
		}
	}
	var counts Counts
	m.MaskStringCounts("EMP-123456 EMP-654321 jane@x.io", &counts)
	if counts.User != 2 || counts.Builtin[KindEmail] != 1 {
		t.Errorf("counts %+v", counts)
	}
}

func TestAttributes(t *testing.T) {
	m, _ := Compile(nil)
	attrs := pcommon.NewMap()
	attrs.PutStr("gen_ai.request.model", "gpt-4o-2024-08-06")
	attrs.PutStr("server.address", "10.0.0.1")
	attrs.PutStr("gen_ai.response.id", "chatcmpl-4111111111111111")
	attrs.PutStr("llmobs.cost.usd_note", "jane@x.io")
	attrs.PutInt("gen_ai.usage.input_tokens", 4111111111111111)
	attrs.PutDouble("app.ratio", 0.5)
	attrs.PutBool("app.flag", true)
	attrs.PutStr("app.note", "mail jane@x.io")
	attrs.PutStr("app.clean", "nothing here")
	attrs.PutStr("gen_ai.output.messages", `[{"role":"assistant","parts":[{"type":"text","content":"call\n010-1234-5678"}]}]`)
	msgs := attrs.PutEmptySlice("gen_ai.input.messages")
	if err := msgs.FromRaw(messages("my card 4111 1111 1111 1111, ip 10.0.0.1")); err != nil {
		t.Fatal(err)
	}
	nested := attrs.PutEmptyMap("app.nested")
	nested.PutStr("ssn", "123-45-6789")
	nested.PutInt("n", 123456789)
	if n := m.Attributes(attrs, false); n != 4 {
		t.Errorf("changed %d values, want 4", n)
	}
	want := map[string]string{
		"gen_ai.request.model":   "gpt-4o-2024-08-06",
		"server.address":         "10.0.0.1",
		"gen_ai.response.id":     "chatcmpl-4111111111111111",
		"llmobs.cost.usd_note":   "jane@x.io",
		"app.note":               "mail [EMAIL]",
		"app.clean":              "nothing here",
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"call\n[PHONE]"}]}]`,
	}
	for k, w := range want {
		if v, _ := attrs.Get(k); v.Str() != w {
			t.Errorf("%s = %q, want %q", k, v.Str(), w)
		}
	}
	if v, _ := attrs.Get("gen_ai.usage.input_tokens"); v.Int() != 4111111111111111 {
		t.Errorf("int changed: %d", v.Int())
	}
	v, _ := attrs.Get("gen_ai.input.messages")
	if v.Type() != pcommon.ValueTypeSlice {
		t.Fatalf("messages no longer structured: %s", v.Type())
	}
	content, _ := v.Slice().At(1).Map().Get("parts")
	text, _ := content.Slice().At(0).Map().Get("content")
	if text.Str() != "my card [CARD], ip [IP]" {
		t.Errorf("nested content %q", text.Str())
	}
	if s, _ := nested.Get("ssn"); s.Str() != "[SSN]" {
		t.Errorf("nested map %q", s.Str())
	}
	if n, _ := nested.Get("n"); n.Int() != 123456789 {
		t.Errorf("nested int changed")
	}
	// idempotent on the pdata level
	if n := m.Attributes(attrs, false); n != 0 {
		t.Errorf("second pass changed %d values", n)
	}
}

func TestAttributesDrop(t *testing.T) {
	m, _ := Compile(nil)
	attrs := pcommon.NewMap()
	for _, k := range []string{
		"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions", "gen_ai.prompt",
		"gen_ai.prompt.0.content", "gen_ai.completion.12.role", "llm.input_messages.0.message.content",
		"llm.output_messages.1.message.content", "input.value", "output.value", "gen_ai.tool.call.arguments",
	} {
		attrs.PutStr(k, "some content")
	}
	attrs.PutStr("gen_ai.prompt.x.content", "kept jane@x.io") // not an indexed key
	attrs.PutStr("gen_ai.request.model", "gpt-4o")
	attrs.PutStr("app.note", "jane@x.io")
	if n := m.Attributes(attrs, true); n != 13 {
		t.Errorf("changed/removed %d, want 13", n)
	}
	if attrs.Len() != 3 {
		t.Errorf("left %v", attrs.AsRaw())
	}
	if v, _ := attrs.Get("gen_ai.prompt.x.content"); v.Str() != "kept [EMAIL]" {
		t.Errorf("got %q", v.Str())
	}
}

func TestLogRecord(t *testing.T) {
	m, _ := Compile(nil)
	newRecord := func(event string, attr bool) plog.LogRecord {
		lr := plog.NewLogRecord()
		if attr {
			lr.Attributes().PutStr("event.name", event)
		} else {
			lr.SetEventName(event)
		}
		lr.Body().SetStr("my mail jane@x.io")
		lr.Attributes().PutStr("gen_ai.input.messages", "x")
		return lr
	}
	for _, c := range []struct {
		event      string
		attr, drop bool
		body       string
		n          int
	}{
		{"gen_ai.user.message", false, true, "", 2},
		{"gen_ai.choice", true, true, "", 2},
		{"gen_ai.choice", false, false, "my mail [EMAIL]", 1},
		{"app.event", false, true, "my mail [EMAIL]", 2},
	} {
		lr := newRecord(c.event, c.attr)
		if n := m.LogRecord(lr, c.drop); n != c.n || lr.Body().Str() != c.body {
			t.Errorf("%+v: n=%d body=%q", c, n, lr.Body().Str())
		}
	}
	lr := plog.NewLogRecord()
	if err := lr.Body().SetEmptyMap().FromRaw(map[string]any{"content": "ssn 123-45-6789", "list": []any{"10.0.0.1", 3}}); err != nil {
		t.Fatal(err)
	}
	if n := m.Value(lr.Body()); n != 2 {
		t.Errorf("map body: %d changes: %v", n, lr.Body().AsRaw())
	}
	if got := lr.Body().AsString(); got != `{"content":"ssn [SSN]","list":["[IP]",3]}` {
		t.Errorf("map body %s", got)
	}
}

// A clean record costs no allocation: values are set only when they changed.
func TestNoAllocWhenClean(t *testing.T) {
	m, _ := Compile(nil)
	attrs := pcommon.NewMap()
	attrs.PutStr("app.note", strings.Repeat("nothing to see here, version 1.2.3 at 10:30. ", 40))
	if err := attrs.PutEmptySlice("gen_ai.input.messages").FromRaw(messages("hello there")); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(100, func() { m.Attributes(attrs, false) }); a != 0 {
		t.Errorf("%v allocations for a clean map", a)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeMask, "mask": ModeMask, "drop": ModeDrop, "off": ModeOff} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseMode("redact"); err == nil || !strings.Contains(err.Error(), "fix: use mask, drop or off") {
		t.Errorf("got %v", err)
	}
}

func TestIdentifiersAreNeverMasked(t *testing.T) {
	m, err := Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	attrs := pcommon.NewMap()
	ids := map[string]string{
		"user.id":                "jane@example.com",
		"session.id":             "+1 415 555 2671",
		"gen_ai.conversation.id": "4111 1111 1111 1111",
		"mcp.session.id":         "192.168.0.1",
		"jsonrpc.request.id":     "123-45-6789",
	}
	for k, v := range ids {
		attrs.PutStr(k, v)
	}
	attrs.PutStr("app.note", "jane@example.com")
	m.Attributes(attrs, false)
	for k, v := range ids {
		if got, _ := attrs.Get(k); got.Str() != v {
			t.Errorf("%s masked: %q", k, got.Str())
		}
	}
	if got, _ := attrs.Get("app.note"); got.Str() != "[EMAIL]" {
		t.Errorf("a non-identifier was not masked: %q", got.Str())
	}
}
