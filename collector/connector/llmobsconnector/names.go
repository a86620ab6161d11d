package llmobsconnector

// Names and numbers shared with llmobs' dashboards, alert rules and tests. Their single source is
// stack/names.py; tests/test_collector_metrics.py checks these against it.

const (
	attrProvider      = "gen_ai.provider.name"
	attrOperation     = "gen_ai.operation.name"
	attrRequestModel  = "gen_ai.request.model"
	attrFinishReasons = "gen_ai.response.finish_reasons"
	attrTTFC          = "gen_ai.response.time_to_first_chunk"
	attrCost          = "llmobs.cost.usd"
	attrUnpriced      = "llmobs.cost.unpriced"
	attrTokenType     = "gen_ai.token.type"
	attrFinishReason  = "llmobs.finish_reason"

	metricCost     = "llmobs.cost.usd"
	metricUnpriced = "llmobs.unpriced_calls"
	metricTokens   = "llmobs.tokens"
	metricFinish   = "llmobs.finish_reasons"
	metricTTFC     = "llmobs.time_to_first_chunk"

	unknownValue = "unknown" // a usage label the span lacks
	noneValue    = "none"    // an extra label the span lacks
	finishOther  = "other"
)

// resourceLabels are the resource attributes every metric keeps (Prometheus: service_name,
// deployment_environment_name).
var resourceLabels = [...]string{"service.name", "deployment.environment.name"}

// usageLabels are the span attributes every metric keeps.
var usageLabels = [...]string{attrProvider, attrRequestModel}

// aggregateOperations are agent and workflow spans: their usage sums their LLM calls, which are
// counted themselves.
var aggregateOperations = map[string]bool{"invoke_agent": true, "invoke_workflow": true, "create_agent": true}

// tokenTypes maps gen_ai.token.type values to the span attribute counted (input includes cache reads
// and writes).
var tokenTypes = [...]struct{ typ, attr string }{
	{"input", "gen_ai.usage.input_tokens"},
	{"output", "gen_ai.usage.output_tokens"},
	{"cache_read", "gen_ai.usage.cache_read.input_tokens"},
	{"cache_write", "gen_ai.usage.cache_write.input_tokens"},
	{"reasoning", "gen_ai.usage.reasoning.output_tokens"},
}

// finishGroups maps provider spellings of finish reasons to normalised reasons; anything else is "other".
var finishGroups = [...]struct {
	reason string
	values []string
}{
	{"stop", []string{"stop", "end_turn", "stop_sequence", "STOP", "FINISH_REASON_STOP", "COMPLETE", "complete", "eos"}},
	{"length", []string{"length", "max_tokens", "MAX_TOKENS", "max_output_tokens", "model_context_window_exceeded"}},
	{"tool_call", []string{"tool_call", "tool_calls", "tool_use", "function_call"}},
	{"content_filter", []string{"content_filter", "SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "refusal", "guardrail_intervened"}},
	{"error", []string{"error", "ERROR"}},
}

// finishReasonOf is the normalised reason of one provider spelling ("" when unknown).
var finishReasonOf = func() map[string]int {
	m := map[string]int{}
	for i, g := range finishGroups {
		for _, v := range g.values {
			m[v] = i
		}
	}
	return m
}()

// ttfcBuckets are the explicit bounds (seconds) of the time-to-first-chunk histogram.
var ttfcBuckets = []float64{0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30}
