"""Names llmobs itself defines, and the Prometheus names they and the GenAI metrics get.

One place for every attribute and metric name that the collector config, the
dashboards, the alert rules and the tests share. GenAI names come from the
OpenTelemetry GenAI semantic conventions; ``llmobs.*`` names are ours (the
conventions define no cost attribute).
"""

from __future__ import annotations

# Span attributes the collector adds.
COST_ATTR = "llmobs.cost.usd"
UNPRICED_ATTR = "llmobs.cost.unpriced"
# The numeric cost attribute Datadog LLM Observability maps (its OTel attribute mapping reference);
# Datadog drops non-gen_ai attributes, so for --backend datadog the cost is copied under this name.
DATADOG_COST_ATTR = "gen_ai.cost.estimated_total"

# Metrics the collector derives from spans (OTel names) ...
COST_METRIC = "llmobs.cost.usd"
UNPRICED_METRIC = "llmobs.unpriced_calls"
# ... and what Prometheus calls them (monotonic sums get _total; brace units add no suffix).
PROM_COST = "llmobs_cost_usd_total"
PROM_UNPRICED = "llmobs_unpriced_calls_total"

# Labels on the cost metrics: span attributes, then resource attributes.
COST_LABELS = ("gen_ai.provider.name", "gen_ai.request.model")
COST_RESOURCE_LABELS = ("service.name", "deployment.environment.name")

# GenAI semantic-convention attributes used by the collector rules.
PROVIDER = "gen_ai.provider.name"
OPERATION = "gen_ai.operation.name"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_WRITE_TOKENS = "gen_ai.usage.cache_write.input_tokens"
ERROR_TYPE = "error.type"

# --- Dashboards, alert rules and the span-derived usage metrics ------------------------------------
# (grafana/build.py, prometheus/rules.yml.j2 and signal_to_metrics/usage in collector/config.yaml.j2)

AGENT_NAME = "gen_ai.agent.name"
TOOL_NAME = "gen_ai.tool.name"
FINISH_REASONS = "gen_ai.response.finish_reasons"  # string[] on spans
TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"  # seconds, streaming calls
REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
TOKEN_TYPE = "gen_ai.token.type"

# gen_ai.operation.name values. LLM calls are what requests, latency, errors, tokens and cost count;
# agent and workflow spans aggregate their children (their usage is never counted again).
LLM_OPERATIONS = ("chat", "text_completion", "generate_content", "embeddings")
AGENT_OPERATION = "invoke_agent"
TOOL_OPERATION = "execute_tool"
AGGREGATE_OPERATIONS = ("invoke_agent", "invoke_workflow", "create_agent")

# error.type values that mean "rate limited": HTTP 429, provider exception names
# (openai.RateLimitError, anthropic.RateLimitError), throttling (Bedrock) and gRPC RESOURCE_EXHAUSTED (Gemini).
RATE_LIMIT_ERROR_RE = "(?i).*(429|rate.?limit|too.?many.?requests|throttl|resource.?exhausted).*"

# Span metrics (span_metrics connector: namespace traces.span.metrics, unit s; its dimensions include
# gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.model, error.type, gen_ai.agent.name, gen_ai.tool.name).
PROM_CALLS = "traces_span_metrics_calls_total"
PROM_DURATION = "traces_span_metrics_duration_seconds"  # _bucket/_sum/_count

# Apps' own GenAI duration histogram (semantic conventions): the variables list the services of apps
# that emit metrics but no spans too.
PROM_CLIENT_DURATION = "gen_ai_client_operation_duration_seconds"

# Span-derived usage metrics (signal_to_metrics/usage): they work for apps that emit no metrics and see
# the normalised attributes (legacy and OpenInference token counts included).
TOKENS_METRIC = "llmobs.tokens"  # {token}, sum, label gen_ai.token.type
PROM_TOKENS = "llmobs_tokens_total"
TOKEN_TYPES = {  # gen_ai.token.type value -> span attribute; input INCLUDES cache reads and writes
    "input": INPUT_TOKENS,
    "output": OUTPUT_TOKENS,
    "cache_read": CACHE_READ_TOKENS,
    "cache_write": CACHE_WRITE_TOKENS,
    "reasoning": REASONING_TOKENS,
}
FINISH_METRIC = "llmobs.finish_reasons"  # {call}, sum, one count per call and normalised reason
PROM_FINISH = "llmobs_finish_reasons_total"
FINISH_REASON_ATTR = "llmobs.finish_reason"  # label on PROM_FINISH; never a span attribute
FINISH_REASON_GROUPS = {  # normalised reason -> provider spellings (exact match); anything else is "other"
    "stop": ("stop", "end_turn", "stop_sequence", "STOP", "FINISH_REASON_STOP", "COMPLETE", "complete", "eos"),
    "length": ("length", "max_tokens", "MAX_TOKENS", "max_output_tokens", "model_context_window_exceeded"),
    "tool_call": ("tool_call", "tool_calls", "tool_use", "function_call"),
    "content_filter": (
        "content_filter",
        "SAFETY",
        "RECITATION",
        "PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "refusal",
        "guardrail_intervened",
    ),
    "error": ("error", "ERROR"),
}
FINISH_OTHER = "other"
TTFC_METRIC = "llmobs.time_to_first_chunk"  # s, histogram
PROM_TTFC = "llmobs_time_to_first_chunk_seconds"  # _bucket/_sum/_count
TTFC_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30)
USAGE_LABELS = (PROVIDER, REQUEST_MODEL)  # + COST_RESOURCE_LABELS, like the cost metrics

# Recording rules (prometheus/rules.yml.j2); the dashboards read some of them.
RULE_LLM_CALLS = "llmobs:llm_calls:rate5m"
RULE_LLM_ERROR_RATIO = "llmobs:llm_error_ratio:rate5m"
RULE_RATE_LIMITED = "llmobs:llm_rate_limited_calls:rate5m"
RULE_LLM_P95 = "llmobs:llm_latency_seconds:p95_5m"
RULE_COST_PER_HOUR = "llmobs:cost_usd_per_hour:rate1h"
# Anomaly rules (issue 13): hourly figures compared with `offset 1w` and `offset 1d`.
RULE_LLM_CALLS_1H = "llmobs:llm_calls:increase1h"
RULE_LLM_ERROR_RATIO_1H = "llmobs:llm_error_ratio:rate1h"
RULE_TOKENS_PER_CALL = "llmobs:llm_tokens_per_call:rate1h"
# Budget rules (issue 13): UTC day and month boundaries, spend per budget, spend to date, projection.
RULE_HOUR_START = "llmobs:clock:hour_start_seconds"
RULE_DAY_START = "llmobs:clock:day_start_seconds"
RULE_MONTH_START = "llmobs:clock:month_start_seconds"
RULE_BUDGET_SPEND_5M = "llmobs:budget_spend_usd:increase5m"
RULE_BUDGET_SPEND_1H = "llmobs:budget_spend_usd:increase1h"
RULE_BUDGET_AMOUNT = "llmobs:budget_usd"
RULE_BUDGET_TO_DATE = "llmobs:budget_spend_usd:to_date"
RULE_BUDGET_PROJECTED = "llmobs:budget_spend_usd:projected_month_end"
RULE_BUDGET_RATIO = "llmobs:budget_spent:ratio"
RULE_BUDGET_PROJECTED_RATIO = "llmobs:budget_projected:ratio"
BUDGET_LABEL = "budget"  # the budget's name on its rules and alerts
PERIOD_LABEL = "period"  # daily | monthly


def prom_label(attribute: str) -> str:
    """The Prometheus label an attribute becomes (dots and other symbols to underscores)."""
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in attribute)


# --- Conversations, users, evaluations, MCP (issue 12) ---------------------------------------------
# Identity: unbounded values, so never Prometheus labels; the dashboards read them from Tempo and Loki.
CONVERSATION_ID = "gen_ai.conversation.id"
USER_ID = "user.id"
SESSION_ID = "session.id"
RESPONSE_ID = "gen_ai.response.id"
# The conventions' evaluation event (gen_ai.evaluation.result) and its attributes.
EVALUATION_EVENT = "gen_ai.evaluation.result"
EVALUATION_NAME = "gen_ai.evaluation.name"
EVALUATION_SCORE = "gen_ai.evaluation.score.value"
EVALUATION_LABEL = "gen_ai.evaluation.score.label"
EVALUATION_EXPLANATION = "gen_ai.evaluation.explanation"
# Metrics the collector derives from evaluation events (log records), and their Prometheus names.
EVAL_SCORE_METRIC = "llmobs.evaluation.score"  # histogram, unit 1
PROM_EVAL_SCORE = "llmobs_evaluation_score"  # _bucket/_sum/_count
EVAL_RESULTS_METRIC = "llmobs.evaluation.results"  # {result}, by label
PROM_EVAL_RESULTS = "llmobs_evaluation_results_total"
# Scores are 0..1 for most judges, 1..5 or 1..10 for rating scales: both land in distinct buckets.
EVAL_SCORE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 2, 3, 4, 5, 10)
EVAL_LABELS = (EVALUATION_NAME, REQUEST_MODEL)  # + COST_RESOURCE_LABELS; results also by EVALUATION_LABEL
EVAL_NONE = "none"  # label value of a result without a score label
# Span events (the older way to send an event) are counted by span_metrics' events metric.
PROM_SPAN_EVENTS = "traces_span_metrics_events_total"
# MCP (semantic conventions v1.39): span attributes; the JSON-RPC error code is the span's error.type.
MCP_METHOD = "mcp.method.name"
MCP_SESSION_ID = "mcp.session.id"
MCP_PROTOCOL_VERSION = "mcp.protocol.version"
JSONRPC_REQUEST_ID = "jsonrpc.request.id"
MCP_TOOLS_CALL = "tools/call"
# Our own attribute: a marker the collector appends to a value it cut to the size budget.
TRUNCATION_MARKER = "…[truncated"
