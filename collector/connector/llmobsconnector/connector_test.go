package llmobsconnector

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmobs/otelcol-llmobs/connector/llmobsconnector/internal/metadata"
)

func run(t *testing.T, cfg *Config, spans ...map[string]any) map[string][]pmetric.NumberDataPoint {
	t.Helper()
	sink := new(consumertest.MetricsSink)
	conn, err := NewFactory().CreateTracesToMetrics(context.Background(), connectortest.NewNopSettings(metadata.Type), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "app")
	rs.Resource().Attributes().PutStr("host.name", "h") // not a label
	ss := rs.ScopeSpans().AppendEmpty()
	for _, attrs := range spans {
		if err := ss.Spans().AppendEmpty().Attributes().FromRaw(attrs); err != nil {
			t.Fatal(err)
		}
	}
	if err := conn.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	out := map[string][]pmetric.NumberDataPoint{}
	for _, md := range sink.AllMetrics() {
		rm := md.ResourceMetrics().At(0)
		if _, ok := rm.Resource().Attributes().Get("host.name"); ok {
			t.Error("a resource attribute other than service and environment reached the metrics")
		}
		ms := rm.ScopeMetrics().At(0).Metrics()
		for i := 0; i < ms.Len(); i++ {
			m := ms.At(i)
			if m.Type() == pmetric.MetricTypeHistogram {
				h := m.Histogram().DataPoints().At(0)
				if h.Count() != 1 || h.Sum() != 0.3 || h.BucketCounts().At(bucket(0.3)) != 1 {
					t.Errorf("ttfc histogram: count %d sum %v", h.Count(), h.Sum())
				}
				dp := pmetric.NewNumberDataPoint()
				dp.SetIntValue(int64(h.Count()))
				h.Attributes().CopyTo(dp.Attributes())
				out[m.Name()] = append(out[m.Name()], dp)
				continue
			}
			if !m.Sum().IsMonotonic() || m.Sum().AggregationTemporality() != pmetric.AggregationTemporalityDelta {
				t.Errorf("%s is not a monotonic delta sum", m.Name())
			}
			for j := 0; j < m.Sum().DataPoints().Len(); j++ {
				out[m.Name()] = append(out[m.Name()], m.Sum().DataPoints().At(j))
			}
		}
	}
	return out
}

func value(dp pmetric.NumberDataPoint) float64 {
	if dp.ValueType() == pmetric.NumberDataPointValueTypeDouble {
		return dp.DoubleValue()
	}
	return float64(dp.IntValue())
}

func byLabel(dps []pmetric.NumberDataPoint, label string) map[string]float64 {
	out := map[string]float64{}
	for _, dp := range dps {
		v, _ := dp.Attributes().Get(label)
		out[v.AsString()] += value(dp)
	}
	return out
}

func TestCostTokensAndFinishReasons(t *testing.T) {
	llm := func(extra map[string]any) map[string]any {
		m := map[string]any{"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	got := run(t, &Config{},
		llm(map[string]any{"llmobs.cost.usd": 0.25, "gen_ai.usage.input_tokens": int64(100), "gen_ai.usage.output_tokens": 7.9,
			"gen_ai.usage.cache_read.input_tokens": "30", "gen_ai.response.finish_reasons": []any{"stop", "tool_calls", "weird"}}),
		llm(map[string]any{"llmobs.cost.usd": 0.5, "gen_ai.usage.input_tokens": int64(50), "gen_ai.response.finish_reasons": "MAX_TOKENS"}),
		llm(map[string]any{"llmobs.cost.unpriced": true, "gen_ai.usage.input_tokens": int64(10), "gen_ai.response.finish_reasons": []any{"weird"}}),
		llm(map[string]any{"gen_ai.usage.input_tokens": int64(-5), "gen_ai.response.finish_reasons": []any{}}),
		// An agent span carries its calls' usage: never counted again.
		map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": int64(1000), "gen_ai.response.finish_reasons": []any{"stop"}},
		// Streaming: time to first chunk.
		llm(map[string]any{"gen_ai.response.time_to_first_chunk": 0.3}),
		// A span with nothing to count.
		map[string]any{"http.route": "/"},
	)
	if c := byLabel(got[metricCost], attrRequestModel); c["gpt-4o"] != 0.75 || len(c) != 1 {
		t.Errorf("cost = %v", c)
	}
	if u := byLabel(got[metricUnpriced], attrProvider); u["openai"] != 1 {
		t.Errorf("unpriced = %v", u)
	}
	tok := byLabel(got[metricTokens], attrTokenType)
	if tok["input"] != 160 || tok["output"] != 7 || tok["cache_read"] != 30 || len(tok) != 3 {
		t.Errorf("tokens = %v (negative counts and agent spans must not count)", tok)
	}
	fin := byLabel(got[metricFinish], attrFinishReason)
	want := map[string]float64{"stop": 1, "tool_call": 1, "length": 1, "other": 2}
	if len(fin) != len(want) {
		t.Errorf("finish reasons = %v, want %v", fin, want)
	}
	for k, v := range want {
		if fin[k] != v {
			t.Errorf("finish reasons = %v, want %v", fin, want)
		}
	}
	if ttfc := got[metricTTFC]; len(ttfc) != 1 || ttfc[0].IntValue() != 1 {
		t.Errorf("ttfc = %v", ttfc)
	}
}

func TestDefaultsAndExtraLabels(t *testing.T) {
	got := run(t, &Config{Labels: []string{"llmobs.feature"}},
		map[string]any{"llmobs.cost.usd": 1.0},
		map[string]any{"llmobs.cost.usd": 2.0, "gen_ai.provider.name": "anthropic", "llmobs.feature": "search"},
	)
	dps := got[metricCost]
	if len(dps) != 2 {
		t.Fatalf("%d cost points, want 2", len(dps))
	}
	for _, dp := range dps {
		p, _ := dp.Attributes().Get(attrProvider)
		f, _ := dp.Attributes().Get("llmobs.feature")
		m, _ := dp.Attributes().Get(attrRequestModel)
		switch p.Str() {
		case unknownValue:
			if f.Str() != noneValue || m.Str() != unknownValue || dp.DoubleValue() != 1 {
				t.Errorf("defaults: %v", dp.Attributes().AsRaw())
			}
		case "anthropic":
			if f.Str() != "search" || dp.DoubleValue() != 2 {
				t.Errorf("labels: %v", dp.Attributes().AsRaw())
			}
		default:
			t.Errorf("unexpected point %v", dp.Attributes().AsRaw())
		}
	}
}

func TestNothingToCountSendsNothing(t *testing.T) {
	if got := run(t, &Config{}, map[string]any{"http.route": "/"}); len(got) != 0 {
		t.Fatalf("metrics for a span with nothing to count: %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (&Config{Labels: []string{"a", "a"}}).Validate(); err == nil {
		t.Fatal("a repeated label was accepted")
	}
	if err := (&Config{Labels: []string{""}}).Validate(); err == nil {
		t.Fatal("an empty label was accepted")
	}
}

func BenchmarkConsumeTraces(b *testing.B) {
	conn, _ := NewFactory().CreateTracesToMetrics(context.Background(), connectortest.NewNopSettings(metadata.Type), &Config{}, consumertest.NewNop())
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "app")
	ss := rs.ScopeSpans().AppendEmpty()
	for i := 0; i < 200; i++ {
		_ = ss.Spans().AppendEmpty().Attributes().FromRaw(map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
			"llmobs.cost.usd": 0.01, "gen_ai.usage.input_tokens": int64(1000), "gen_ai.usage.output_tokens": int64(100),
			"gen_ai.response.finish_reasons": []any{"stop"},
		})
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = conn.ConsumeTraces(context.Background(), td)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/200, "ns/span")
}

var _ = pcommon.NewMap
