package llmobsprocessor

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor/internal/cost"
	"github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor/internal/metadata"
	"github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor/internal/pii"
)

type llmobsProcessor struct {
	prices *cost.Table // nil: pricing off
	masker *pii.Masker // nil: masking off
	drop   bool        // pii.mode drop: GenAI content deleted
	limit  limiter
	hasher *userHasher // nil: user ids kept as sent
	labels *labeler    // nil: no bounded metric labels
	tel    *telemetry
}

func newProcessor(cfg *Config, set component.TelemetrySettings) (*llmobsProcessor, error) {
	p := &llmobsProcessor{limit: limiter{maxValue: cfg.Limits.MaxValueBytes, maxRecord: cfg.Limits.MaxRecordBytes}}
	if cfg.Prices.File != "" {
		table, err := cost.Load(cfg.Prices.File, cfg.Prices.Overrides)
		if err != nil {
			return nil, err
		}
		p.prices = table
	}
	if cfg.PII.Mode != ModeOff {
		masker, err := pii.Compile(cfg.PII.Patterns)
		if err != nil {
			return nil, err
		}
		p.masker, p.drop = masker, cfg.PII.Mode == ModeDrop
	}
	if cfg.Privacy.HashUserIDs {
		p.hasher = &userHasher{key: []byte(cfg.Privacy.HashKey)}
	}
	p.labels = newLabeler(cfg.Labels)
	tel, err := newTelemetry(set)
	if err != nil {
		return nil, fmt.Errorf("llmobs processor telemetry: %w", err)
	}
	p.tel = tel
	return p, nil
}

// counts is what one batch did, recorded once per batch (not per span) to keep the hot path lean.
type counts struct {
	priced, unpriced, masked, truncated, truncatedBytes, folded int64
}

func (p *llmobsProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	var c counts
	var ids identities
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		normalizeResource(rs.Resource().Attributes())
		p.hasher.attrs(rs.Resource().Attributes())
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				p.span(spans.At(k), &c)
				ids.note(spans.At(k))
			}
		}
	}
	if ids != nil { // some span named a conversation or user: its trace's other GenAI spans inherit it
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				spans := sss.At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					ids.fill(spans.At(k))
				}
			}
		}
	}
	p.tel.record(ctx, signalTraces, c)
	return td, nil
}

// span runs every step on one span, in the order that keeps each step's inputs intact: names first
// (cost reads the normalised ones), cost before masking, masking before cutting (a cut must never leave
// half an e-mail address behind).
func (p *llmobsProcessor) span(span ptrace.Span, c *counts) {
	attrs := span.Attributes()
	normalize(attrs)
	p.hasher.attrs(attrs)
	if p.prices != nil {
		switch p.prices.Annotate(attrs, span.StartTimestamp()) {
		case cost.Priced:
			c.priced++
		case cost.Unpriced:
			c.unpriced++
		}
	}
	events := span.Events()
	if p.hasher != nil {
		for e := 0; e < events.Len(); e++ {
			p.hasher.attrs(events.At(e).Attributes())
		}
	}
	if p.masker != nil {
		c.masked += int64(p.masker.Attributes(attrs, p.drop))
		for e := 0; e < events.Len(); e++ {
			c.masked += int64(p.masker.Attributes(events.At(e).Attributes(), p.drop))
		}
	}
	n, b := p.limit.span(span)
	c.truncated += n
	c.truncatedBytes += b
	c.folded += p.labels.fold(attrs)
}

func (p *llmobsProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	var c counts
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		normalizeResource(rl.Resource().Attributes())
		p.hasher.attrs(rl.Resource().Attributes())
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			records := sls.At(j).LogRecords()
			for k := 0; k < records.Len(); k++ {
				lr := records.At(k)
				normalize(lr.Attributes())
				p.hasher.attrs(lr.Attributes())
				copyEventName(lr)
				if p.masker != nil {
					c.masked += int64(p.masker.LogRecord(lr, p.drop))
				}
				n, b := p.limit.logRecord(lr)
				c.truncated += n
				c.truncatedBytes += b
			}
		}
	}
	p.tel.record(ctx, signalLogs, c)
	return ld, nil
}

// copyEventName keeps the OTLP EventName as the `event.name` attribute: Loki (3.7) drops the field,
// and the dashboards find GenAI events by the attribute.
func copyEventName(lr plog.LogRecord) {
	name := lr.EventName()
	if name == "" {
		return
	}
	attrs := lr.Attributes()
	if _, ok := attrs.Get(eventNameKey); !ok {
		attrs.PutStr(eventNameKey, name)
	}
}

const eventNameKey = "event.name"

const (
	signalTraces = "traces"
	signalLogs   = "logs"
)

// telemetry is the processor's own metrics, exported with the collector's internal telemetry
// (port 8888): nothing it changes or cuts goes uncounted.
type telemetry struct {
	priced, unpriced, masked, truncated, truncatedBytes, folded metric.Int64Counter
	traces, logs                                                metric.MeasurementOption
}

func newTelemetry(set component.TelemetrySettings) (*telemetry, error) {
	m := set.MeterProvider.Meter(metadata.ScopeName)
	t := &telemetry{
		traces: metric.WithAttributeSet(attribute.NewSet(attribute.String("signal", signalTraces))),
		logs:   metric.WithAttributeSet(attribute.NewSet(attribute.String("signal", signalLogs))),
	}
	var err error
	counter := func(dst *metric.Int64Counter, name, unit, desc string) {
		if err == nil {
			*dst, err = m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		}
	}
	counter(&t.priced, "otelcol_llmobs_spans_priced", "{span}", "LLM-call spans given llmobs.cost.usd.")
	counter(&t.unpriced, "otelcol_llmobs_spans_unpriced", "{span}", "LLM-call spans with token counts but no known price (llmobs.cost.unpriced).")
	counter(&t.masked, "otelcol_llmobs_pii_masked_values", "{value}", "Attribute values and log bodies changed or removed by PII masking.")
	counter(&t.truncated, "otelcol_llmobs_truncated_values", "{value}", "String values cut to the size budget (limits.max_value_bytes / max_record_bytes).")
	counter(&t.truncatedBytes, "otelcol_llmobs_truncated_bytes", "By", "Bytes removed by cutting values to the size budget.")
	counter(&t.folded, "otelcol_llmobs_label_values_folded", "{value}", "Metric label values beyond labels.max_values, counted as \"other\".")
	return t, err
}

func (t *telemetry) record(ctx context.Context, signal string, c counts) {
	opt := t.traces
	if signal == signalLogs {
		opt = t.logs
	}
	add := func(ctr metric.Int64Counter, n int64) {
		if n > 0 {
			ctr.Add(ctx, n, opt)
		}
	}
	add(t.priced, c.priced)
	add(t.unpriced, c.unpriced)
	add(t.masked, c.masked)
	add(t.truncated, c.truncated)
	add(t.truncatedBytes, c.truncatedBytes)
	add(t.folded, c.folded)
}
