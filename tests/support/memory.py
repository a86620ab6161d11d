"""In-memory OpenTelemetry providers, to read back exactly what the SDK produced in this process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmobs.sdk.telemetry import Telemetry

try:  # renamed in SDK 1.39
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
except ImportError:  # pragma: no cover
    from opentelemetry.sdk._logs.export import InMemoryLogExporter as InMemoryLogRecordExporter  # type: ignore


@dataclass
class Memory:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider
    span_exporter: InMemorySpanExporter
    metric_reader: InMemoryMetricReader
    log_exporter: Any
    telemetry: Telemetry

    @property
    def providers(self) -> dict[str, Any]:
        return {
            "tracer_provider": self.tracer_provider,
            "meter_provider": self.meter_provider,
            "logger_provider": self.logger_provider,
        }

    def spans(self) -> list[ReadableSpan]:
        return list(self.span_exporter.get_finished_spans())

    def metrics(self) -> dict[str, list[dict[str, Any]]]:
        """metric name -> its data points as {attributes, value|count|sum}."""
        out: dict[str, list[dict[str, Any]]] = {}
        data = self.metric_reader.get_metrics_data()
        for rm in data.resource_metrics if data else []:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    points = out.setdefault(metric.name, [])
                    for p in metric.data.data_points:
                        point = {"attributes": dict(p.attributes or {})}
                        for key in ("value", "count", "sum"):
                            if hasattr(p, key):
                                point[key] = getattr(p, key)
                        points.append(point)
        return out


CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


@contextmanager
def memory(capture: str | None = None, resource: dict[str, str] | None = None) -> Iterator[Memory]:
    """Providers that keep everything in memory, and a Telemetry bound to them.

    ``capture`` sets the GenAI content-capture switch while the handler is built (util-genai reads it then).
    """
    saved = os.environ.get(CAPTURE)
    if capture is None:
        os.environ.pop(CAPTURE, None)
    else:
        os.environ[CAPTURE] = capture
    try:
        res = Resource.create(resource or {"service.name": "memory-test"})
        span_exporter = InMemorySpanExporter()
        tracer_provider = TracerProvider(resource=res)
        tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
        reader = InMemoryMetricReader()
        meter_provider = MeterProvider(resource=res, metric_readers=[reader])
        log_exporter = InMemoryLogRecordExporter()
        logger_provider = LoggerProvider(resource=res)
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
        telemetry = Telemetry.for_providers(tracer_provider, meter_provider, logger_provider)
        yield Memory(tracer_provider, meter_provider, logger_provider, span_exporter, reader, log_exporter, telemetry)
    finally:
        if saved is None:
            os.environ.pop(CAPTURE, None)
        else:
            os.environ[CAPTURE] = saved
