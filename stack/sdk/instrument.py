"""``llmobs.init()``: an app's GenAI telemetry to the llmobs collector in one call.

It does what the OpenTelemetry docs take a page to explain, with the choices an
LLM app wants:

* tracer, meter and logger providers with OTLP exporters that batch (never a
  flush per request: the app's latency must not pay for telemetry);
* settings resolved as arguments > standard ``OTEL_*`` variables > our defaults
  (the local stack's collector; metrics every 10 s so dashboards fill quickly);
* every installed official GenAI instrumentation switched on, with the opt-in
  that makes the older ones emit the current conventions;
* message content captured only when asked (the conventions' default).

Nothing here is imported by ``import llmobs``; the SDK loads on the first call.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from llmobs import __version__, catalog

log = logging.getLogger(__name__)

DEFAULT_HTTP_ENDPOINT = f"http://127.0.0.1:{catalog.OTLP_HTTP_PORT}"
DEFAULT_GRPC_ENDPOINT = f"http://127.0.0.1:{catalog.OTLP_GRPC_PORT}"
DEFAULT_METRIC_INTERVAL_MS = 10_000
HTTP_PROTOCOLS = ("http/protobuf", "http/json")
GRPC_PROTOCOL = "grpc"

# The switches the GenAI instrumentations read.
CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
EMIT_EVENT_ENV = "OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT"
STABILITY_OPT_IN_ENV = "OTEL_SEMCONV_STABILITY_OPT_IN"
LATEST_GENAI_OPT_IN = "gen_ai_latest_experimental"

# Official GenAI instrumentations (entry point module prefixes in the opentelemetry_instrumentor group).
# opentelemetry-python-genai republishes them as opentelemetry-instrumentation-genai-*; the older
# packages still work once opted in to the latest conventions.
GENAI_INSTRUMENTATION_MODULES = (
    "opentelemetry.instrumentation.genai.",  # -genai-openai, -genai-anthropic, -genai-openai-agents, ...
    "opentelemetry.instrumentation.openai_v2",  # superseded by -genai-openai
    "opentelemetry.instrumentation.google_genai",
    "opentelemetry.instrumentation.vertexai",
)
# Older package -> the newer one that replaces it; both instrument the same client, never enable both.
SUPERSEDED_BY = {"opentelemetry.instrumentation.openai_v2": "opentelemetry.instrumentation.genai.openai"}


@dataclass
class Instrumented:
    """What :func:`init` set up. ``shutdown()`` flushes and stops it (also run at exit)."""

    service_name: str
    endpoint: str
    protocol: str
    capture_content: bool
    instrumentations: tuple[str, ...]
    tracer_provider: Any
    meter_provider: Any
    logger_provider: Any
    _instrumentors: list[Any] = field(default_factory=list, repr=False)
    _log_handler: logging.Handler | None = field(default=None, repr=False)
    _stopped: bool = field(default=False, repr=False)

    def force_flush(self, timeout_ms: int = 5_000) -> None:
        """Send what is buffered now (for short scripts and serverless handlers)."""
        for provider in (self.tracer_provider, self.logger_provider, self.meter_provider):
            provider.force_flush(timeout_ms)

    def shutdown(self) -> None:
        """Flush and stop: instrumentations off, providers shut down. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        for instrumentor in self._instrumentors:
            try:
                instrumentor.uninstrument()
            except Exception as exc:  # an instrumentation's bug must not stop the flush
                log.debug("uninstrumenting %s failed: %s", type(instrumentor).__name__, exc)
        if self._log_handler is not None:
            logging.getLogger().removeHandler(self._log_handler)
        for provider in (self.tracer_provider, self.logger_provider, self.meter_provider):
            provider.shutdown()


_lock = threading.Lock()
_active: Instrumented | None = None


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _resource_has(key: str) -> bool:
    return any(item.split("=", 1)[0].strip() == key for item in (_env("OTEL_RESOURCE_ATTRIBUTES") or "").split(","))


def _default_service_name() -> str:
    """The script's name beats the SDK's ``unknown_service:python3``: it is what people call their app."""
    script = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] not in ("", "-c", "-m") else ""
    return script if script and script not in ("__main__", "pytest", "ipython") else "unknown_service"


def resolve_service_name(service_name: str | None) -> str | None:
    """The service name to set explicitly, or None when ``OTEL_SERVICE_NAME``/``OTEL_RESOURCE_ATTRIBUTES`` decide."""
    if service_name:
        return service_name
    if _env("OTEL_SERVICE_NAME") or _resource_has("service.name"):
        return None
    return _default_service_name()


def resolve_protocol() -> str:
    protocol = (_env("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf").lower()
    if protocol not in (*HTTP_PROTOCOLS, GRPC_PROTOCOL):
        from llmobs.errors import LlmobsError

        raise LlmobsError(
            f"{protocol!r} is not an OTLP protocol",
            where="environment",
            key="OTEL_EXPORTER_OTLP_PROTOCOL",
            fix="set it to http/protobuf or grpc",
        )
    return protocol


def resolve_endpoint(endpoint: str | None, protocol: str) -> tuple[str, bool]:
    """(base endpoint, explicit?). Explicit endpoints are passed to the exporters; else they read the env."""
    if endpoint:
        return endpoint.rstrip("/"), True
    from_env = _env("OTEL_EXPORTER_OTLP_ENDPOINT")
    if from_env:
        return from_env.rstrip("/"), False
    return (DEFAULT_GRPC_ENDPOINT if protocol == GRPC_PROTOCOL else DEFAULT_HTTP_ENDPOINT), True


def build_providers(
    resource_attributes: dict[str, Any],
    *,
    endpoint: str | None = None,
    metric_interval_ms: int | None = None,
    wrap: Callable[[str, Any], Any] | None = None,
) -> tuple[Any, Any, Any, str, str]:
    """Tracer, meter and logger providers with batching OTLP exporters (shared by ``init`` and ``llmobs demo``).

    ``wrap(signal, exporter)`` may replace each exporter ("spans", "metrics", "logs") with a proxy, as
    ``llmobs demo`` does to count what was delivered. Returns
    ``(tracer_provider, meter_provider, logger_provider, endpoint, protocol)``.
    """
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from llmobs.sdk import identity

    protocol = resolve_protocol()
    base, explicit = resolve_endpoint(endpoint, protocol)
    span_exporter, metric_exporter, log_exporter = _exporters(protocol, base if explicit else None)
    if wrap is not None:
        span_exporter, metric_exporter, log_exporter = (
            wrap("spans", span_exporter),
            wrap("metrics", metric_exporter),
            wrap("logs", log_exporter),
        )
    resource = Resource.create(
        {"telemetry.distro.name": "llmobs", "telemetry.distro.version": __version__, **resource_attributes}
    )
    tracer_provider = TracerProvider(resource=resource)
    identity.install(tracer_provider)  # llmobs.conversation(): ids on every span, before export
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    if metric_interval_ms is None:
        metric_interval_ms = int(_env("OTEL_METRIC_EXPORT_INTERVAL") or DEFAULT_METRIC_INTERVAL_MS)
    reader = PeriodicExportingMetricReader(metric_exporter, export_interval_millis=metric_interval_ms)
    # App-side exemplars cost ~4 µs per histogram record (3-5 per LLM call, benchmarks/sdk_overhead.py) and
    # nothing reads them: the dashboards' trace links come from the collector's span metrics. Env can turn them on.
    exemplars = None if _env("OTEL_METRICS_EXEMPLAR_FILTER") else AlwaysOffExemplarFilter()
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader], exemplar_filter=exemplars)
    logger_provider = LoggerProvider(resource=resource)
    identity.install(logger_provider=logger_provider)  # ... and on every log record, before the batcher queues it
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter))
    return tracer_provider, meter_provider, logger_provider, base, protocol


def _exporters(protocol: str, base: str | None) -> tuple[Any, Any, Any]:
    """OTLP exporters for ``protocol``; with ``base`` None they resolve endpoints, headers, TLS from ``OTEL_*``."""
    if protocol == GRPC_PROTOCOL:
        try:
            from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        except ImportError:
            from llmobs.errors import LlmobsError

            raise LlmobsError(
                "grpc needs the gRPC exporter, which is not installed",
                where="environment",
                key="OTEL_EXPORTER_OTLP_PROTOCOL",
                fix="pip install opentelemetry-exporter-otlp-proto-grpc, or use http/protobuf",
            ) from None
        if base is None:
            return OTLPSpanExporter(), OTLPMetricExporter(), OTLPLogExporter()
        return OTLPSpanExporter(endpoint=base), OTLPMetricExporter(endpoint=base), OTLPLogExporter(endpoint=base)
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if base is None:
        return OTLPSpanExporter(), OTLPMetricExporter(), OTLPLogExporter()
    return (
        OTLPSpanExporter(endpoint=f"{base}/v1/traces"),
        OTLPMetricExporter(endpoint=f"{base}/v1/metrics"),
        OTLPLogExporter(endpoint=f"{base}/v1/logs"),
    )


def _opt_in_latest_conventions() -> None:
    """Older GenAI instrumentations keep pre-1.37 names unless opted in; the newer ones ignore the switch."""
    values = [v.strip() for v in (_env(STABILITY_OPT_IN_ENV) or "").split(",") if v.strip()]
    if LATEST_GENAI_OPT_IN not in values:
        os.environ[STABILITY_OPT_IN_ENV] = ",".join([*values, LATEST_GENAI_OPT_IN])


def _set_content_capture(capture_content: bool | None) -> bool:
    """Arguments win over the env switch; without either, content stays off (the conventions' default)."""
    if capture_content is True:
        os.environ[CAPTURE_CONTENT_ENV] = "SPAN_AND_EVENT"
        os.environ.setdefault(EMIT_EVENT_ENV, "true")
    elif capture_content is False:
        os.environ[CAPTURE_CONTENT_ENV] = "NO_CONTENT"
    mode = (_env(CAPTURE_CONTENT_ENV) or "NO_CONTENT").upper()
    return mode not in ("NO_CONTENT", "FALSE", "0")


def genai_instrumentors() -> list[tuple[str, Any]]:
    """(entry point name, entry point) of every installed official GenAI instrumentation, superseded ones dropped."""
    found: dict[str, Any] = {}
    for ep in entry_points(group="opentelemetry_instrumentor"):
        module = ep.value.split(":", 1)[0]
        if any(module.startswith(prefix) for prefix in GENAI_INSTRUMENTATION_MODULES):
            found[module] = ep
    for old, new in SUPERSEDED_BY.items():
        if old in found and new in found:
            del found[old]
    return sorted(((ep.name, ep) for ep in found.values()), key=lambda item: item[1].value)


def _instrument(providers: dict[str, Any]) -> tuple[list[str], list[Any]]:
    names, instrumentors = [], []
    for name, ep in genai_instrumentors():
        try:
            instrumentor = ep.load()()
            instrumentor.instrument(**providers)
        except Exception as exc:  # a broken instrumentation must not break the app
            log.warning("llmobs: could not enable the %s instrumentation (%s): %s", name, ep.value, exc)
            continue
        if getattr(instrumentor, "is_instrumented_by_opentelemetry", False):
            names.append(name)
            instrumentors.append(instrumentor)
        else:  # its library is not installed (or a conflicting version): it said why at debug level
            log.debug("llmobs: %s instrumentation installed but its library is not; skipped", name)
    return names, instrumentors


class _NotOurOwnLogs(logging.Filter):
    """The SDK's own warnings (an exporter that cannot connect) must not be exported by the SDK."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith("opentelemetry")


def log_handler(logger_provider: Any, level: int = logging.NOTSET) -> logging.Handler:
    """A ``logging`` handler that turns records into OTLP log records (with the current trace context)."""
    from opentelemetry.sdk._logs import LoggingHandler

    with warnings.catch_warnings():  # deprecated for opentelemetry-instrumentation-logging; same records
        warnings.simplefilter("ignore", DeprecationWarning)
        return LoggingHandler(level=level, logger_provider=logger_provider)


def _bridge_logging(logger_provider: Any) -> logging.Handler:
    handler = log_handler(logger_provider)
    handler.addFilter(_NotOurOwnLogs())
    logging.getLogger().addHandler(handler)
    return handler


def init(
    service_name: str | None = None,
    environment: str | None = None,
    endpoint: str | None = None,
    capture_content: bool | None = None,
) -> Instrumented:
    """Send this app's traces, metrics and logs to the llmobs collector (or any OTLP endpoint).

    Args:
        service_name: ``service.name``; else ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES``; else the
            script's name.
        environment: ``deployment.environment.name``; else from ``OTEL_RESOURCE_ATTRIBUTES``; else the
            collector's configured environment.
        endpoint: OTLP base URL; else ``OTEL_EXPORTER_OTLP_ENDPOINT`` (and the per-signal variables); else the
            local stack (http://127.0.0.1:4318, or :4317 with ``OTEL_EXPORTER_OTLP_PROTOCOL=grpc``).
        capture_content: record prompts and completions; else ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``;
            else off. The collector masks PII in what is captured.

    Calling it again returns the first call's handle: OpenTelemetry's global providers are set once per process.
    """
    global _active
    with _lock:
        if _active is not None:
            if not _active._stopped:
                log.warning("llmobs.init() was already called; keeping the first configuration")
            return _active
        from opentelemetry import _logs, metrics, trace

        from llmobs.sdk import telemetry

        attributes: dict[str, Any] = {}
        name = resolve_service_name(service_name)
        if name:
            attributes["service.name"] = name
        if environment:
            attributes["deployment.environment.name"] = environment
        captured = _set_content_capture(capture_content)
        _opt_in_latest_conventions()
        tracer_provider, meter_provider, logger_provider, base, protocol = build_providers(
            attributes, endpoint=endpoint
        )
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(meter_provider)
        _logs.set_logger_provider(logger_provider)
        providers = {
            "tracer_provider": tracer_provider,
            "meter_provider": meter_provider,
            "logger_provider": logger_provider,
        }
        names, instrumentors = _instrument(providers)
        telemetry.set_default(telemetry.Telemetry.for_providers(**providers))
        _active = Instrumented(
            service_name=str(tracer_provider.resource.attributes.get("service.name", "")),
            endpoint=base,
            protocol=protocol,
            capture_content=captured,
            instrumentations=tuple(names),
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            logger_provider=logger_provider,
            _instrumentors=instrumentors,
            _log_handler=_bridge_logging(logger_provider),
        )
        atexit.register(_active.shutdown)
        return _active
