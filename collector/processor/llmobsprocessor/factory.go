package llmobsprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor/internal/metadata"
)

// NewFactory returns the factory the Collector Builder compiles into the llmobs distribution.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithTraces(createTraces, metadata.TracesStability),
		processor.WithLogs(createLogs, metadata.LogsStability),
	)
}

// Defaults match llmobs' own settings defaults (stack/settings.py: Pii, Limits); `llmobs render`
// always writes every key, so these only matter for a hand-written config.
func createDefaultConfig() component.Config {
	return &Config{
		PII:    PIIConfig{Mode: ModeMask},
		Limits: LimitsConfig{MaxValueBytes: 512 * 1024, MaxRecordBytes: 2 * 1024 * 1024},
	}
}

var capabilities = processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true})

// The price file is read and the patterns compiled here, in Create, so `otelcol validate` and start-up
// refuse a bad file with one line instead of the collector starting and failing later.
func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, err := newProcessor(cfg.(*Config), set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces, capabilities)
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := newProcessor(cfg.(*Config), set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs, capabilities)
}
