// Package llmobsconnector turns LLM-call spans into the metrics llmobs' dashboards and alerts read:
// dollars (llmobs.cost.usd), unpriced calls, tokens by type, normalised finish reasons and time to
// first chunk, by service, environment, provider and model (plus the bounded labels llmobs.yaml lists).
//
// It replaces ~15 signal_to_metrics definitions whose OTTL conditions ran for every span: one pass
// per span in Go, aggregated per batch, emitted as delta metrics (delta_to_cumulative makes them
// counters for Prometheus; Datadog takes them as they are).
package llmobsconnector // import "github.com/llmobs/otelcol-llmobs/connector/llmobsconnector"
