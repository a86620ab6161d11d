package llmobsprocessor

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// benchSpans is the batch one benchmark op processes: the collector hands the processor batches, and
// copying a fresh batch outside the timer costs less timer overhead per span than one span per op.
const benchSpans = 100

// benchPrompt is ~2 KB of ordinary support-chat prompt (English and Korean prose, an order number, a
// date, a Unix timestamp, ids and a version: things detectors must not touch) with an e-mail address
// and a phone number in the middle, as benchmarks/collector_throughput.py sends.
func benchPrompt(i int) string {
	const prose = "You are a helpful assistant for ACME Corp. The customer asked about order ORD-2024-118842, placed on " +
		"2024-11-25 at 10:32 (timestamp 1732530720123). Summarise the shipping status, the refund policy and the " +
		"warranty terms in a friendly tone, in at most five sentences, and do not invent facts. " +
		"고객님께서 주문하신 상품은 현재 배송 준비 중이며, 영업일 기준 2~3일 이내에 출고될 예정입니다. " +
		"Trace 4bf92f3577b34da6a3ce929d0e0e4736, request 550e8400-e29b-41d4-a716-446655440000, build v1.4.2. "
	pii := fmt.Sprintf("You can reach me at jane.doe%d@example.com or +82 10-1234-%04d.", i, i%10000)
	body := strings.Repeat(prose, 2048/len(prose)+1)[:2048-len(pii)-2]
	for !isRuneStart(body[len(body)-1]) { // never cut a Korean character in half
		body = body[:len(body)-1]
	}
	half := len(body) / 2
	for !isRuneStart(body[half]) {
		half--
	}
	return body[:half] + " " + pii + " " + body[half:]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// llmSpan is a chat span as the GenAI instrumentations emit it: model, provider, token counts, a
// structured input message list (system + a 2 KB user prompt with PII) and a JSON-string output.
func llmSpan(span ptrace.Span, i int, model string) {
	span.SetName("chat " + model)
	span.SetKind(ptrace.SpanKindClient)
	span.SetStartTimestamp(pcommon.Timestamp(1_732_530_720_000_000_000))
	span.SetEndTimestamp(pcommon.Timestamp(1_732_530_721_500_000_000))
	a := span.Attributes()
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr("gen_ai.provider.name", "openai")
	a.PutStr("gen_ai.request.model", model)
	a.PutStr("gen_ai.response.model", model+"-2024-08-06")
	a.PutStr("gen_ai.response.id", fmt.Sprintf("chatcmpl-%08d", i))
	a.PutInt("gen_ai.usage.input_tokens", int64(600+i%50))
	a.PutInt("gen_ai.usage.output_tokens", 80)
	a.PutDouble("gen_ai.request.temperature", 0.2)
	a.PutStr("server.address", "api.openai.com")
	msgs := a.PutEmptySlice("gen_ai.input.messages")
	for _, m := range []struct{ role, text string }{
		{"system", "You are a concise support agent."},
		{"user", benchPrompt(i)},
	} {
		msg := msgs.AppendEmpty().SetEmptyMap()
		msg.PutStr("role", m.role)
		part := msg.PutEmptySlice("parts").AppendEmpty().SetEmptyMap()
		part.PutStr("type", "text")
		part.PutStr("content", m.text)
	}
	a.PutStr("gen_ai.output.messages",
		`[{"role":"assistant","parts":[{"type":"text","content":"Your order ships within 3 days."}],"finish_reason":"stop"}]`)
}

// plainSpan is an HTTP server span with no GenAI attributes: what most of an app's spans are.
func plainSpan(span ptrace.Span, i int, _ string) {
	span.SetName("GET /api/orders/{id}")
	span.SetKind(ptrace.SpanKindServer)
	a := span.Attributes()
	a.PutStr("http.request.method", "GET")
	a.PutStr("http.route", "/api/orders/{id}")
	a.PutStr("url.path", fmt.Sprintf("/api/orders/%d", 118842+i))
	a.PutInt("http.response.status_code", 200)
	a.PutStr("server.address", "orders.internal")
	a.PutStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)")
}

// benchPriceFile is the genai-prices export `llmobs render` writes when LLMOBS_PRICE_FILE names it (as
// for BenchmarkAnnotate and the parity test), else the small committed test table. The model priced
// is one each table knows, so every LLM span is priced.
func benchPriceFile(b *testing.B) (path, model string) {
	if path := os.Getenv("LLMOBS_PRICE_FILE"); path != "" {
		return path, "gpt-4o"
	}
	b.Log("LLMOBS_PRICE_FILE not set: using internal/cost/testdata/prices.json (render collector/prices.json for the real table)")
	return "internal/cost/testdata/prices.json", "acme-1"
}

// BenchmarkProcessTraces measures the whole processor (normalise, price, mask, size budget) per span,
// through processTraces as the pipeline calls it. Every op gets a fresh copy of the batch (copied with
// the timer stopped), so masking always finds the PII still there.
func BenchmarkProcessTraces(b *testing.B) {
	prices, model := benchPriceFile(b)
	cases := []struct {
		name string
		mode string
		fill func(ptrace.Span, int, string)
	}{
		{"llm_span_2KB_pii_mask", ModeMask, llmSpan},
		{"llm_span_2KB_pii_off", ModeOff, llmSpan},
		{"plain_span_pii_mask", ModeMask, plainSpan},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg := createDefaultConfig().(*Config)
			cfg.Prices.File = prices
			cfg.PII.Mode = c.mode
			p, err := newProcessor(cfg, componenttest.NewNopTelemetrySettings())
			if err != nil {
				b.Fatal(err)
			}
			template := ptrace.NewTraces()
			rs := template.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr("service.name", "bench")
			spans := rs.ScopeSpans().AppendEmpty().Spans()
			for i := 0; i < benchSpans; i++ {
				c.fill(spans.AppendEmpty(), i, model)
			}
			checkOnce(b, p, template)

			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				td := ptrace.NewTraces()
				template.CopyTo(td)
				b.StartTimer()
				if _, err := p.processTraces(ctx, td); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perOp/benchSpans, "ns/span")
		})
	}
}

// checkOnce makes sure the benchmark measures real work: LLM spans come out priced and with the
// e-mail and phone masked, plain spans unchanged.
func checkOnce(b *testing.B, p *llmobsProcessor, template ptrace.Traces) {
	b.Helper()
	td := ptrace.NewTraces()
	template.CopyTo(td)
	if _, err := p.processTraces(context.Background(), td); err != nil {
		b.Fatal(err)
	}
	attrs := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
	if _, isLLM := attrs.Get("gen_ai.operation.name"); !isLLM {
		if attrs.Len() != 6 {
			b.Fatalf("plain span changed: %v", attrs.AsRaw())
		}
		return
	}
	if _, ok := attrs.Get("llmobs.cost.usd"); !ok {
		b.Fatalf("LLM span not priced: %v", attrs.AsRaw()["llmobs.cost.unpriced"])
	}
	msgs, _ := attrs.Get("gen_ai.input.messages")
	text := fmt.Sprint(msgs.AsRaw())
	if p.masker != nil && (strings.Contains(text, "@example.com") || !strings.Contains(text, "[EMAIL]") || !strings.Contains(text, "[PHONE]")) {
		b.Fatalf("PII not masked: %.300s", text)
	}
}
