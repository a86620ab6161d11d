"""Throughput of the collector tier: one llmobs collector vs. a gateway in front of three.

Both runs use the rendered bundle (``collector.replicas`` 1 and 3), the same binary, the same
client and the same discarding sink as benchmarks/collector_throughput.py: GenAI spans with ~2 KB
of prompt text (PII masking does real work), from 50 services (the gateway routes by service),
posted as OTLP/protobuf by a few client threads. The clock stops when the sink has accepted every
span. Reported per run: spans/s and the CPU seconds each process used (gateway, every instance,
sink), read from /proc, so the figures say where the cores went.

Honest reading on a small machine: three instances only help when there are idle cores for them.
On 2 cores (shared with the client and the sink) the tier cannot go faster than one collector
that already has both cores; the gateway adds work (decode, route, encode again) on top. The
numbers show that cost; the tier is for spreading across machines or pods, not cores of one box.

Usage: LLMOBS_OTELCOL=... python benchmarks/collector_scaling.py [--spans N] [--batch N] [--threads N]
The last line is ``ratio=<3 instances / 1 instance spans per second>``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from collector_throughput import accepted_spans, bench_sink, trace_request  # noqa: E402

from tests.support.bundle import render_to  # noqa: E402
from tests.support.collector import Proc, gateway_env, llmobs_env, llmobs_ports, start  # noqa: E402
from tests.support.procs import free_port, otelcol_binary  # noqa: E402
from tests.support.scaled import cpu_seconds, static_resolver  # noqa: E402

SERVICES = 50


def bodies(batch: int) -> list[bytes]:
    """One request body per service (the same spans, another service.name)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    template = ExportTraceServiceRequest.FromString(trace_request(batch))
    out = []
    for service in range(SERVICES):
        request = ExportTraceServiceRequest()
        request.CopyFrom(template)
        for attr in request.resource_spans[0].resource.attributes:
            if attr.key == "service.name":
                attr.value.string_value = f"bench-{service:02d}"
        out.append(request.SerializeToString())
    return out


def run(binary: Path, replicas: int, workdir: Path, total: int, batch: int, threads: int) -> dict[str, float]:
    bundle = workdir / "render"
    render_to(bundle, f"collector.replicas={replicas}")
    config = bundle / "bundle" / "collector" / "config.yaml"
    payloads = bodies(batch)
    with ExitStack() as stack:
        target, telemetry = stack.enter_context(bench_sink(binary, workdir / "sink"))
        instances: list[Proc] = []
        for i in range(replicas):
            ports = llmobs_ports()
            home = workdir / f"llmobs-{i}"
            proc = start(binary, config, home, llmobs_env(target, home / "storage", ports), ports)
            stack.callback(proc.stop)
            instances.append(proc)
        procs = {f"llmobs-{i}": p for i, p in enumerate(instances)}
        front = instances[0]
        if replicas > 1:
            ports = {"grpc": free_port(), "http": free_port(), "health": free_port(), "telemetry": free_port()}
            env = gateway_env(workdir / "gateway", ports, static_resolver(instances))
            front = start(binary, bundle / "bundle" / "collector" / "gateway.yaml", workdir / "gateway", env, ports)
            stack.callback(front.stop)
            procs = {"gateway": front, **procs}
        procs["sink"] = target
        cpu_before = {name: cpu_seconds(p.process.pid) for name, p in procs.items()}
        url = f"{front.http}/v1/traces"
        requests_needed = total // batch
        counter = iter(range(requests_needed))
        lock = threading.Lock()

        def client() -> None:
            session = requests.Session()
            headers = {"Content-Type": "application/x-protobuf"}
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                for _ in range(50):  # refused (memory limiter, full queue): back off and retry, as SDKs do
                    if session.post(url, data=payloads[n % SERVICES], headers=headers, timeout=30).ok:
                        break
                    time.sleep(0.2)

        start_at = time.monotonic()
        workers = [threading.Thread(target=client) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        deadline = start_at + 600
        while accepted_spans(telemetry) < requests_needed * batch:
            if time.monotonic() > deadline:
                raise SystemExit(f"replicas={replicas}: the sink did not get every span within 600 s")
            time.sleep(0.05)
        elapsed = time.monotonic() - start_at
        result = {"spans_per_s": requests_needed * batch / elapsed, "seconds": elapsed}
        for name, p in procs.items():
            result[f"cpu_{name}"] = cpu_seconds(p.process.pid) - cpu_before[name]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    binary = otelcol_binary()
    if binary is None:
        raise SystemExit("no collector binary: set LLMOBS_OTELCOL or run scripts/build-otelcol")
    print(f"cores: {os.cpu_count()}, spans: {args.spans}, batch: {args.batch}, client threads: {args.threads}")
    results = {}
    for replicas in (1, 3):
        workdir = Path(tempfile.mkdtemp(prefix=f"llmobs-scaling-{replicas}-"))
        try:
            results[replicas] = run(binary, replicas, workdir, args.spans, args.batch, args.threads)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        r = results[replicas]
        cpu = ", ".join(f"{k[4:]} {v:.1f}s" for k, v in r.items() if k.startswith("cpu_"))
        collectors = sum(v for k, v in r.items() if k.startswith("cpu_llmobs") or k == "cpu_gateway")
        print(
            f"replicas={replicas}: {r['spans_per_s']:.0f} spans/s ({r['seconds']:.1f} s); CPU: {cpu};"
            f" tier CPU per 1000 spans: {1000 * collectors / args.spans:.2f} s"
        )
    print(f"ratio={results[3]['spans_per_s'] / results[1]['spans_per_s']:.2f}")


if __name__ == "__main__":
    main()
