// Package metadata holds the connector's type and stability, in the shape mdatagen generates.
package metadata

import "go.opentelemetry.io/collector/component"

var (
	// Type is the connector's name in collector configs: `connectors: llmobs:`.
	Type = component.MustNewType("llmobs")
	// ScopeName is the instrumentation scope of the metrics the connector emits.
	ScopeName = "github.com/llmobs/otelcol-llmobs/connector/llmobsconnector"
)

// TracesToMetricsStability is the stability of the traces -> metrics support.
const TracesToMetricsStability = component.StabilityLevelAlpha
