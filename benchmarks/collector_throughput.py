"""Spans per second through the full default collector pipeline vs. a pass-through config.

Both runs use the same collector binary, the same client and the same sink (a second
collector that receives over OTLP/gRPC and discards, counting what it accepted):

* ``full``: the rendered default config (``llmobs.config.load`` + ``llmobs.render.render``,
  PII masking on), run as tests/support/collector.py runs it;
* ``passthrough``: the same rendered config with its traces pipeline cut down to the otlp receiver
  and the same ``otlp_grpc/tempo`` exporter (same persistent queue, same byte-sized batches): no
  processors, no connectors. Derived from the full config, so the two differ only in the work done.

Every span carries ~2 KB of prompt text (mostly clean English/Korean prose with a little
PII: an e-mail address and a phone number in each, a card number in every 4th, an API key in
every 10th) as structured
``gen_ai.input.messages``, plus a short string ``gen_ai.output.messages`` and the usual
GenAI attributes. Requests are built once (OTLP protobuf) and posted by a few client threads;
the clock stops when the sink has accepted every span. The run is bounded by --spans and
--timeout and stops by itself.

It also prints the masking recall on the PII corpus of tests/pii_corpus (share of corpus
secrets that did not reach the sink), measured through the full pipeline.

Usage: LLMOBS_OTELCOL=... python benchmarks/collector_throughput.py [--spans N] [--batch N]
The last line is ``ratio=<full/passthrough>``.
"""

from __future__ import annotations

import argparse
import base64
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support import otlp  # noqa: E402
from tests.support.collector import Proc, llmobs_env, llmobs_ports, start  # noqa: E402
from tests.support.procs import free_port, otelcol_binary  # noqa: E402

SINK = """
extensions:
  health_check: {{endpoint: "127.0.0.1:{health}"}}
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}", max_recv_msg_size_mib: 64}}
      http: {{endpoint: "127.0.0.1:{http}"}}
exporters:
  debug: {{verbosity: basic, sampling_initial: 1, sampling_thereafter: 1000000}}
service:
  extensions: [health_check]
  telemetry:
    logs: {{level: warn}}
    metrics:
      level: normal
      readers:
        - pull: {{exporter: {{prometheus: {{host: 127.0.0.1, port: {telemetry}, without_scope_info: true}}}}}}
  pipelines:
    traces: {{receivers: [otlp], exporters: [debug]}}
    logs: {{receivers: [otlp], exporters: [debug]}}
    metrics: {{receivers: [otlp], exporters: [debug]}}
"""

PROSE = (
    "You are a helpful assistant for ACME Corp. The customer asked about order ORD-2024-118842, placed on "
    "2024-11-25 at 10:32 (timestamp 1732530720123). Summarise the shipping status, the refund policy and the "
    "warranty terms in a friendly tone, in at most five sentences, and do not invent facts. "
    "고객님께서 주문하신 상품은 현재 배송 준비 중이며, 영업일 기준 2~3일 이내에 출고될 예정입니다. "
    "Trace 4bf92f3577b34da6a3ce929d0e0e4736, request 550e8400-e29b-41d4-a716-446655440000, build v1.4.2. "
)
CONTACT = "You can reach me at jane.doe@example.com or +82 10-1234-5678."
CARD = "Please charge card 4111 1111 1111 1111 again."
KEY = "Our key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z stopped working."


def prompt_text(index: int = 0, size: int = 2048) -> str:
    """~``size`` bytes of mostly clean prose with a little PII in the middle: an e-mail and a phone
    number in every text, a card number in every 4th, an API key in every 10th."""
    pii = " ".join([CONTACT, *([CARD] if index % 4 == 0 else []), *([KEY] if index % 10 == 0 else [])])
    body = PROSE * (size // len(PROSE.encode()) + 1)
    body = body.encode()[: size - len(pii.encode()) - 2].decode(errors="ignore")
    half = len(body) // 2
    return body[:half] + " " + pii + " " + body[half:]


def trace_request(n_spans: int) -> bytes:
    """One OTLP/protobuf ExportTraceServiceRequest with ``n_spans`` GenAI spans."""
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    spans = []
    for i in range(n_spans):
        messages = [
            {"role": "system", "parts": [{"type": "text", "content": "You are a concise support agent."}]},
            {"role": "user", "parts": [{"type": "text", "content": prompt_text(i)}]},
        ]
        output = (
            '[{"role":"assistant","parts":[{"type":"text","content":"Your order ships within 3 days."}],'
            '"finish_reason":"stop"}]'
        )
        spans.append(
            otlp.span(
                "chat gpt-4o",
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.response.model": "gpt-4o-2024-08-06",
                    "gen_ai.response.id": f"chatcmpl-{i:08d}",
                    "gen_ai.usage.input_tokens": 600 + i % 50,
                    "gen_ai.usage.output_tokens": 80,
                    "gen_ai.request.temperature": 0.2,
                    "server.address": "api.openai.com",
                    "gen_ai.input.messages": messages,
                    "gen_ai.output.messages": output,
                },
            )
        )
    for span in spans:  # protobuf JSON carries ids as base64, OTLP JSON as hex
        span["traceId"] = base64.b64encode(bytes.fromhex(span["traceId"])).decode()
        span["spanId"] = base64.b64encode(bytes.fromhex(span["spanId"])).decode()
    payload = otlp.traces({"service.name": "bench", "service.version": "1.0"}, spans)
    return json_format.ParseDict(payload, ExportTraceServiceRequest()).SerializeToString()


def accepted_spans(telemetry_port: int) -> int:
    try:
        text = requests.get(f"http://127.0.0.1:{telemetry_port}/metrics", timeout=2).text
    except requests.RequestException:
        return 0
    total = 0.0
    for line in text.splitlines():
        if line.startswith("otelcol_receiver_accepted_spans"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


@contextmanager
def bench_sink(binary: Path, workdir: Path) -> Iterator[tuple[Proc, int]]:
    ports = {"grpc": free_port(), "http": free_port(), "health": free_port()}
    telemetry = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "sink.yaml"
    config.write_text(SINK.format(telemetry=telemetry, **ports))
    proc = start(binary, config, workdir, {}, ports)
    try:
        yield proc, telemetry
    finally:
        proc.stop()


def run_once(binary: Path, config: Path, workdir: Path, body: bytes, batch: int, total: int, timeout: float) -> float:
    """Spans/second from the first request until the sink accepted ``total`` spans."""
    with bench_sink(binary, workdir / "sink") as (target, telemetry):
        ports = llmobs_ports()
        env = llmobs_env(target, workdir / "storage", ports)
        prices = config.parent / "prices.json"  # the price table the full config's llmobs processor reads
        if prices.is_file():
            env["LLMOBS_PRICES_FILE"] = str(prices)
        proc = start(binary, config, workdir / "collector", env, ports)
        try:
            url = f"{proc.http}/v1/traces"
            requests_needed = total // batch
            counter = iter(range(requests_needed))
            lock = threading.Lock()
            errors: list[str] = []

            def client() -> None:
                session = requests.Session()
                while True:
                    with lock:
                        if next(counter, None) is None:
                            return
                    while True:
                        r = session.post(url, data=body, headers={"Content-Type": "application/x-protobuf"}, timeout=60)
                        if r.status_code == 200:
                            break
                        if r.status_code not in (429, 503):
                            errors.append(f"{r.status_code} {r.text[:200]}")
                            return
                        time.sleep(0.05)

            start_time = time.monotonic()
            threads = [threading.Thread(target=client, daemon=True) for _ in range(3)]
            for t in threads:
                t.start()
            deadline = start_time + timeout
            while accepted_spans(telemetry) < requests_needed * batch:
                if errors:
                    raise RuntimeError(f"collector refused data: {errors[0]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {accepted_spans(telemetry)} of {total} spans arrived in {timeout}s")
                time.sleep(0.02)
            elapsed = time.monotonic() - start_time
            for t in threads:
                t.join(timeout=5)
            return requests_needed * batch / elapsed
        finally:
            proc.stop()


def render_full(workdir: Path, sets: list[str]) -> Path:
    from llmobs.config import load
    from llmobs.render import COLLECTOR_CONFIG, PRICES, render

    bundle = render(load(sets=sets, env={}, cwd=workdir).settings)
    path = workdir / "full.yaml"
    path.write_bytes(bundle[COLLECTOR_CONFIG])
    (workdir / "prices.json").write_bytes(bundle[PRICES])
    return path


def passthrough_config(full: str) -> str:
    """The full config with only receiver -> trace exporter left: the baseline that does no work."""
    import yaml

    config = yaml.safe_load(full)
    exporter = next(e for e in config["service"]["pipelines"]["traces"]["exporters"] if e.startswith("otlp"))
    config["processors"] = {}
    config["connectors"] = {}
    config["exporters"] = {exporter: config["exporters"][exporter]}
    config["service"]["pipelines"] = {"traces": {"receivers": ["otlp"], "exporters": [exporter]}}
    config["service"]["telemetry"] = {"metrics": {"level": "none"}}
    return yaml.safe_dump(config, sort_keys=False)


def corpus_recall(binary: Path, workdir: Path) -> str:
    """Share of the corpus's PII values masked by the full pipeline (tests/pii_corpus)."""
    from tests import pii_corpus
    from tests.support.bundle import collector_config
    from tests.support.collector import llmobs_collector, sink

    config = collector_config(workdir / "recall")
    with (
        sink(binary, workdir / "recall-sink") as target,
        llmobs_collector(binary, config, workdir / "recall-col", target) as col,
    ):
        received = pii_corpus.send_all(col.http, target.workdir / "received")
    found, missed = pii_corpus.recall(received)
    total = found + len(missed)
    lines = [f"recall={found}/{total} ({found / total:.1%}) of corpus PII values x carriers masked"]
    lines += [f"  missed {kind} in {carrier}: {value!r}" for kind, value, carrier in missed]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=20000, help="spans per run (default 20000)")
    parser.add_argument("--batch", type=int, default=200, help="spans per request (default 200)")
    parser.add_argument("--timeout", type=float, default=240, help="seconds a run may take at most")
    parser.add_argument("--config", type=Path, help="benchmark this collector config instead of the rendered default")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="llmobs setting KEY=VALUE")
    parser.add_argument("--no-recall", action="store_true", help="skip the corpus recall measurement")
    args = parser.parse_args(argv)

    binary = otelcol_binary()
    if binary is None:
        print("no collector binary: set LLMOBS_OTELCOL or run scripts/build-otelcol", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="llmobs-bench-"))
    try:
        full = args.config or render_full(workdir, args.sets)
        passthrough = workdir / "passthrough.yaml"
        passthrough.write_text(passthrough_config(full.read_text()))
        body = trace_request(args.batch)
        print(
            f"spans={args.spans // args.batch * args.batch} batch={args.batch} request={len(body) / 1e6:.2f} MB "
            f"text/span={len(prompt_text().encode())} B",
            flush=True,
        )
        if not args.no_recall:
            print(corpus_recall(binary, workdir), flush=True)
        rates = {}
        for name, config in (("passthrough", passthrough), ("full", full)):
            rates[name] = run_once(binary, config, workdir / name, body, args.batch, args.spans, args.timeout)
            print(f"{name}: {rates[name]:.0f} spans/s", flush=True)
        print(f"ratio={rates['full'] / rates['passthrough']:.3f}")
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
