package llmobsprocessor

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor/internal/metadata"
)

func newTestTraces(t *testing.T, cfg *Config, tel *componenttest.Telemetry) (*consumertest.TracesSink, func(ptrace.Traces)) {
	t.Helper()
	sink := new(consumertest.TracesSink)
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	p, err := NewFactory().CreateTraces(context.Background(), set, cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return sink, func(td ptrace.Traces) {
		if err := p.ConsumeTraces(context.Background(), td); err != nil {
			t.Fatal(err)
		}
	}
}

func counter(t *testing.T, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		total += dp.Value
	}
	return total
}

func TestTracesPipelineNormalisesAndCutsVisibly(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	cfg := createDefaultConfig().(*Config)
	cfg.PII.Mode = ModeOff
	cfg.Limits = LimitsConfig{MaxValueBytes: 1024, MaxRecordBytes: 4096}
	sink, consume := newTestTraces(t, cfg, tel)

	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("deployment.environment", "staging")
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.Attributes().PutStr("gen_ai.system", "bedrock")
	span.Attributes().PutInt("gen_ai.usage.prompt_tokens", 12)
	span.Attributes().PutStr("gen_ai.prompt", strings.Repeat("x", 5000))
	consume(td)

	got := sink.AllTraces()[0].ResourceSpans().At(0)
	if v, _ := got.Resource().Attributes().Get("deployment.environment.name"); v.Str() != "staging" {
		t.Errorf("resource not normalised: %q", v.Str())
	}
	attrs := got.ScopeSpans().At(0).Spans().At(0).Attributes()
	if v, _ := attrs.Get("gen_ai.provider.name"); v.Str() != "aws.bedrock" {
		t.Errorf("provider = %q", v.Str())
	}
	if v, _ := attrs.Get("gen_ai.usage.input_tokens"); v.Int() != 12 {
		t.Errorf("input tokens = %d", v.Int())
	}
	prompt, _ := attrs.Get("gen_ai.prompt")
	if len(prompt.Str()) > 1024 || !strings.Contains(prompt.Str(), truncatedMarker) {
		t.Errorf("prompt not cut visibly: %d bytes", len(prompt.Str()))
	}
	if n := counter(t, tel, "otelcol_llmobs_truncated_values"); n != 1 {
		t.Errorf("truncated_values = %d, want 1", n)
	}
	if n := counter(t, tel, "otelcol_llmobs_truncated_bytes"); n != int64(5000-strings.Index(prompt.Str(), truncatedMarker)) {
		t.Errorf("truncated_bytes = %d", n)
	}
}

func TestLogsPipelineCopiesEventName(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.PII.Mode = ModeOff
	sink := new(consumertest.LogsSink)
	p, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("gen_ai.choice")
	lr.Attributes().PutStr("gen_ai.system", "openai")
	if err := p.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	attrs := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	if v, _ := attrs.Get("event.name"); v.Str() != "gen_ai.choice" {
		t.Errorf("event.name = %q", v.Str())
	}
	if v, _ := attrs.Get("gen_ai.provider.name"); v.Str() != "openai" {
		t.Errorf("provider = %q", v.Str())
	}
}

func TestCreateRefusesAMissingPriceFile(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Prices.File = "testdata/does-not-exist.json"
	_, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	if err == nil || !strings.Contains(err.Error(), "does-not-exist.json") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error = %v, want one line naming the file", err)
	}
}
