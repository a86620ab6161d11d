"""Delivery survives a backend outage and a restart of the llmobs collector (persistent queue + retry).

Each test sends 10,000 spans, bounded in count and time, to loopback only.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.support import otlp
from tests.support.bundle import collector_config
from tests.support.collector import llmobs_collector, llmobs_env, llmobs_ports, sink, spans, start, wait_for

TOTAL = 10_000
BATCH = 500


def _send(http_endpoint: str, run: str) -> None:
    for first in range(0, TOTAL, BATCH):
        batch = [
            otlp.span("chat gpt-4o-mini", {"gen_ai.operation.name": "chat", "test.run": run, "test.seq": i})
            for i in range(first, first + BATCH)
        ]
        otlp.post(http_endpoint, "traces", otlp.traces({"service.name": "reliability"}, batch))


def _received(out: Path, run: str) -> set[int]:
    return {s["attributes"]["test.seq"] for s in spans(out) if s["attributes"].get("test.run") == run}


def test_no_span_lost_while_the_backend_is_down_for_10s(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(tmp_path)
    with sink(otelcol, tmp_path / "sink") as target:
        sink_ports = dict(target.ports)
        with llmobs_collector(otelcol, config, tmp_path / "llmobs", target) as col:
            target.stop()
            down_at = time.monotonic()
            _send(col.http, "outage")
            time.sleep(max(0.0, 10 - (time.monotonic() - down_at)))
            with sink(otelcol, tmp_path / "sink", ports=sink_ports):
                got = wait_for(lambda: len(_received(tmp_path / "sink" / "received", "outage")) >= TOTAL, timeout=120)
    assert got
    assert _received(tmp_path / "sink" / "received", "outage") == set(range(TOTAL))


def test_no_span_lost_across_a_restart_of_the_llmobs_collector(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(tmp_path)
    workdir = tmp_path / "llmobs"
    ports = llmobs_ports()
    with sink(otelcol, tmp_path / "sink") as target:
        sink_ports = dict(target.ports)
        env = llmobs_env(target, workdir / "storage", ports)
        target.stop()  # backend down: everything the collector accepts must wait in its queue
        first = start(otelcol, config, workdir, env, ports)
        try:
            _send(first.http, "restart")
            time.sleep(2)  # let the receiver hand everything to the persistent queue
        finally:
            first.stop(signal.SIGTERM)
        second = start(otelcol, config, workdir, env, ports)
        try:
            with sink(otelcol, tmp_path / "sink", ports=sink_ports):
                wait_for(lambda: len(_received(tmp_path / "sink" / "received", "restart")) >= TOTAL, timeout=120)
        finally:
            second.stop()
    assert _received(tmp_path / "sink" / "received", "restart") == set(range(TOTAL))
