// Package metadata holds the processor's type and stability, in the shape mdatagen generates.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the processor's name in collector configs: `processors: llmobs:`.
	Type = component.MustNewType("llmobs")
	// ScopeName is the instrumentation scope of the processor's own metrics.
	ScopeName = "github.com/llmobs/otelcol-llmobs/processor/llmobsprocessor"
)

const (
	// TracesStability is the stability of the traces pipeline support.
	TracesStability = component.StabilityLevelAlpha
	// LogsStability is the stability of the logs pipeline support.
	LogsStability = component.StabilityLevelAlpha
)
