package pii

import (
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// prompt2KB is ~2 KB of ordinary prompt text: words, numbers, dates, a version, a model name,
// punctuation and a little Korean; no PII.
func prompt2KB() string {
	const para = "You are a helpful assistant for ACME Corp. The user asked about order ORD-2024-000123 " +
		"placed on 2024-11-25 at 10:30; it shipped with version 1.2.3 of the app (build 2024.11.25). " +
		"Summarise the ticket, list 3 next steps, and keep it under 200 words. Use gpt-4o-2024-08-06 " +
		"style: concise, friendly. 안녕하세요, 오늘 회의는 3시에 시작합니다. Prices: $1,299.99 for 12 seats.\n"
	var b strings.Builder
	for b.Len() < 2048 {
		b.WriteString(para)
	}
	return b.String()[:2048]
}

// withPII puts one e-mail and one phone number into the prompt.
func withPII() string {
	p := prompt2KB()
	return p[:700] + " contact jane.doe@example.com " + p[700:1400] + " or call +1 (415) 555-2671 " + p[1400:1900]
}

func BenchmarkMaskString(b *testing.B) {
	m, _ := Compile(nil)
	for _, c := range []struct{ name, text string }{
		{"2KB_clean", prompt2KB()},
		{"2KB_email_phone", withPII()},
		{"2KB_json_clean", goJSONString(prompt2KB())},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				m.MaskString(c.text)
			}
		})
	}
}

func goJSONString(s string) string {
	var b strings.Builder
	b.WriteString(`[{"role":"user","parts":[{"type":"text","content":"`)
	b.WriteString(strings.NewReplacer("\n", `\n`, `"`, `\"`).Replace(s))
	b.WriteString(`"}]}]`)
	return b.String()
}

// BenchmarkAttributes: a span's 20 attributes, one of them a 2 KB structured message list; the
// template is copied outside the timer so every iteration masks fresh data.
func BenchmarkAttributes(b *testing.B) {
	m, _ := Compile(nil)
	for _, c := range []struct {
		name string
		text string
	}{{"20keys_2KB_clean", prompt2KB()}, {"20keys_2KB_email_phone", withPII()}} {
		tmpl := pcommon.NewMap()
		for i, k := range []string{
			"gen_ai.provider.name", "gen_ai.operation.name", "gen_ai.request.model", "gen_ai.response.model",
			"gen_ai.response.id", "server.address", "http.route", "app.user_tier", "app.feature", "app.region",
			"llmobs.cost.usd", "gen_ai.conversation.id",
		} {
			tmpl.PutStr(k, "value-"+string(rune('a'+i)))
		}
		for _, k := range []string{"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.request.max_tokens", "server.port"} {
			tmpl.PutInt(k, 1024)
		}
		tmpl.PutDouble("gen_ai.request.temperature", 0.7)
		tmpl.PutBool("app.stream", true)
		tmpl.PutStr("gen_ai.system_instructions", "You are a helpful assistant.")
		if err := tmpl.PutEmptySlice("gen_ai.input.messages").FromRaw(messages(c.text)); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			attrs := pcommon.NewMap()
			for b.Loop() {
				b.StopTimer()
				tmpl.CopyTo(attrs)
				b.StartTimer()
				m.Attributes(attrs, false)
			}
		})
	}
}

// BenchmarkFloor is the cheapest possible pass over the same 2 KB (one class look-up per byte): a
// yardstick for the other figures on a shared, noisy machine.
func BenchmarkFloor(b *testing.B) {
	s := prompt2KB()
	n := 0
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		for i := 0; i < len(s); i++ {
			if class[s[i]]&cWord != 0 {
				n++
			}
		}
	}
	if n == 0 {
		b.Fatal("no words")
	}
}
