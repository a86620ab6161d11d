"""One measurement for benchmarks/sdk_overhead.py, run inside the variant's own virtualenv.

``python sdk_overhead_worker.py VARIANT --base-url http://127.0.0.1:P/v1 --otlp http://127.0.0.1:Q``
sets up VARIANT's instrumentation (none, llmobs, openlit, openllmetry) exporting to the
collector at --otlp, makes --warmup untimed calls and then --calls timed calls with the
official ``openai`` client against the stub at --base-url, shuts the SDK down (flushing what
it buffered; not timed) and prints one line ``SDK_OVERHEAD_RESULT {json}`` with the median
and mean call time in ns, the package versions it ran with and any network access it refused.

It only depends on what the variant's venv holds (never on the repository), and an audit
hook refuses every connection or name lookup that is not for loopback, so an SDK that tries
to reach the internet (pricing tables, usage telemetry) fails fast here instead of hanging,
and the refusal is reported.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

RESULT_PREFIX = "SDK_OVERHEAD_RESULT "
MODEL = "gpt-4o-mini"
PROMPT = (
    "You are a support assistant for an online bookshop. A customer asks whether the hardcover edition of "
    "'The Pragmatic Programmer' ships to Norway within a week, and what the return policy is. Answer briefly."
)  # ~200 characters, a typical short chat turn
PACKAGES = (
    "openai",
    "httpx",
    "httpx2",
    "pydantic",
    "opentelemetry-api",
    "opentelemetry-sdk",
    "opentelemetry-exporter-otlp-proto-http",
    "opentelemetry-instrumentation-genai-openai",
    "opentelemetry-util-genai",
    "opentelemetry-instrumentation-openai",
    "openlit",
    "traceloop-sdk",
    "llmobs",
)

refused: list[str] = []


def _is_loopback(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    text = str(host)
    if text == "localhost":
        return True
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Refuse network access beyond loopback (connections and name lookups); remember what was tried."""
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            refused.append(f"connect {address[0]}:{address[1]}")
            raise PermissionError(f"sdk_overhead: no network beyond loopback ({address[0]})")
    elif event == "socket.getaddrinfo" and not _is_loopback(args[0]):
        refused.append(f"resolve {args[0]}")
        raise PermissionError(f"sdk_overhead: no network beyond loopback ({args[0]})")


def _shutdown_global_providers() -> None:
    """Flush and stop whatever providers the SDK registered globally (what its own exit hook would do)."""
    from opentelemetry import _logs, metrics, trace

    for provider in (trace.get_tracer_provider(), _logs.get_logger_provider(), metrics.get_meter_provider()):
        stop = getattr(provider, "shutdown", None)
        if callable(stop):
            stop()


def setup_none(otlp: str) -> tuple[Callable[[], None], str]:
    return (lambda: None), "no instrumentation"


def _llmobs_stand_in(otlp: str) -> Callable[[], None]:
    """What llmobs.init() sets up, for checkouts that do not have it yet."""
    from opentelemetry import _logs, metrics, trace
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": "bench-llmobs"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp}/v1/traces")))
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{otlp}/v1/metrics"))
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{otlp}/v1/logs")))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    _logs.set_logger_provider(logger_provider)
    OpenAIInstrumentor().instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, logger_provider=logger_provider
    )
    return _shutdown_global_providers


def setup_llmobs(otlp: str) -> tuple[Callable[[], None], str]:
    import llmobs

    init = getattr(llmobs, "init", None)
    if init is None:
        return _llmobs_stand_in(otlp), "stand-in for llmobs.init (TracerProvider/MeterProvider/LoggerProvider)"
    handle = init(service_name="bench-llmobs", endpoint=otlp)
    instrumentations = getattr(handle, "instrumentations", ())
    if "openai" not in " ".join(instrumentations):
        raise SystemExit(f"llmobs.init() did not enable the OpenAI instrumentation (enabled: {instrumentations})")
    return handle.shutdown, f"llmobs.init (instrumentations: {', '.join(instrumentations)})"


def setup_openlit(otlp: str) -> tuple[Callable[[], None], str]:
    import openlit

    # OpenLIT downloads its pricing table from GitHub at init unless given one: pass a local file with the
    # benchmark's model so cost is still computed per call, as in production, without leaving loopback.
    pricing = Path(tempfile.mkdtemp(prefix="openlit-pricing-")) / "pricing.json"
    price = {"promptPrice": 0.00015, "completionPrice": 0.0006}
    chat = {MODEL: price, f"{MODEL}-2024-07-18": price}
    pricing.write_text(json.dumps({"chat": chat, "embeddings": {}, "images": {}, "audio": {}}))
    # collect_gpu_stats=False (its default, stated): no GPU probing. Everything else stays at OpenLIT's
    # defaults: batching, metrics and events on, message content captured, every available instrumentor.
    openlit.init(
        otlp_endpoint=otlp, application_name="bench-openlit", pricing_json=str(pricing), collect_gpu_stats=False
    )
    return _shutdown_global_providers, "openlit.init (local pricing_json, GPU stats off, other defaults)"


def setup_openllmetry(otlp: str) -> tuple[Callable[[], None], str]:
    os.environ["TRACELOOP_TELEMETRY"] = "false"  # no anonymous usage telemetry
    from traceloop.sdk import Traceloop

    # Defaults otherwise: batching on (disable_batch=False), metrics and logs to the same OTLP/HTTP endpoint,
    # content tracing on, every installed instrumentation.
    Traceloop.init(app_name="bench-openllmetry", api_endpoint=otlp, disable_batch=False, telemetry_enabled=False)
    return _shutdown_global_providers, "Traceloop.init (telemetry off, batching on, other defaults)"


SETUPS: dict[str, Callable[[str], tuple[Callable[[], None], str]]] = {
    "none": setup_none,
    "llmobs": setup_llmobs,
    "openlit": setup_openlit,
    "openllmetry": setup_openllmetry,
}


def versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=sorted(SETUPS))
    parser.add_argument("--base-url", required=True, help="the OpenAI stub's base URL (http://127.0.0.1:P/v1)")
    parser.add_argument("--otlp", required=True, help="the collector's OTLP/HTTP base URL")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    sys.addaudithook(_audit)  # in every variant, the baseline included, so its (tiny) cost cancels out

    started = time.perf_counter()
    shutdown, how = SETUPS[args.variant](args.otlp)
    setup_s = time.perf_counter() - started

    from openai import OpenAI

    client = OpenAI(base_url=args.base_url, api_key="sk-bench-not-a-key", max_retries=0, timeout=30)
    messages = [{"role": "user", "content": PROMPT}]
    create = client.chat.completions.create
    first = create(model=MODEL, messages=messages, max_tokens=64)
    if not first.choices or not first.choices[0].message.content:
        raise SystemExit(f"unexpected answer from the stub: {first!r:.300}")
    for _ in range(args.warmup - 1):
        create(model=MODEL, messages=messages, max_tokens=64)
    clock = time.perf_counter_ns
    times = []
    for _ in range(args.calls):
        t0 = clock()
        create(model=MODEL, messages=messages, max_tokens=64)
        times.append(clock() - t0)

    started = time.perf_counter()
    shutdown()
    shutdown_s = time.perf_counter() - started
    times.sort()
    result = {
        "variant": args.variant,
        "setup": how,
        "calls": len(times),
        "median_ns": statistics.median(times),
        "mean_ns": statistics.fmean(times),
        "p10_ns": times[len(times) // 10],
        "p90_ns": times[len(times) * 9 // 10],
        "setup_s": round(setup_s, 3),
        "shutdown_s": round(shutdown_s, 3),
        "versions": versions(),
        "refused": refused,
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
