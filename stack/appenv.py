"""What an app needs to send to the running stack: ``llmobs env`` and ``llmobs demo``'s default endpoint.

The stack publishes the collector's OTLP ports on ``bind_address``; an app on
this machine reaches them there (loopback when bound to all addresses). The
lines are the standard ``OTEL_*`` variables, so any OpenTelemetry SDK or
``opentelemetry-instrument`` picks them up, not only ``llmobs.init()``.
"""

from __future__ import annotations

import shlex

from llmobs import catalog, health
from llmobs.sdk.instrument import CAPTURE_CONTENT_ENV, LATEST_GENAI_OPT_IN, STABILITY_OPT_IN_ENV
from llmobs.settings import Settings


def otlp_http_endpoint(settings: Settings) -> str:
    return health.front_url(settings, catalog.COLLECTOR)


def collector_ready(settings: Settings) -> bool:
    return health.probe(health.ready_url(settings, catalog.COLLECTOR), timeout=1.0)


def exports(settings: Settings) -> list[str]:
    """``export`` lines for a POSIX shell (values quoted only where needed)."""
    values = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_http_endpoint(settings),
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        # Older GenAI instrumentations emit the current conventions only when opted in.
        STABILITY_OPT_IN_ENV: LATEST_GENAI_OPT_IN,
    }
    lines = [f"export {key}={shlex.quote(value)}" for key, value in values.items()]
    lines.append(
        f"# export {CAPTURE_CONTENT_ENV}=SPAN_AND_EVENT  # opt in to prompts and completions; the collector masks PII"
    )
    return lines
