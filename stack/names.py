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
