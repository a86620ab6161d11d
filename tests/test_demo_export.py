"""``llmobs demo`` reports what its exporters delivered, and fails in one line when they lost data (issue 11 item 13).

The observed failure: ``llmobs demo --endpoint http://127.0.0.1:4317`` (the collector's gRPC port;
the demo speaks OTLP/HTTP) reported success and exported nothing. Here the demo runs in-process
through the CLI against a port that accepts TCP but answers like a gRPC server (HTTP/2 only), and
against a real OTLP/HTTP recorder whose received spans, log records and metric points must equal
the counts the demo reports.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmobs.cli.app import app
from tests.support.collector import logs, read_jsonl, spans
from tests.support.recorder import recorder

# What a gRPC server sends first to an HTTP/1.1 client: an HTTP/2 SETTINGS frame, then it hangs up.
HTTP2_SETTINGS = bytes.fromhex("000000040000000000")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("LLMOBS_", "OTEL_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2")  # the exporter's retries end within the test


@contextmanager
def _not_otlp_http() -> Iterator[str]:
    """A TCP port that accepts connections but does not speak OTLP/HTTP (like the collector's :4317)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.settimeout(1)
                    conn.recv(65536)
                    conn.sendall(HTTP2_SETTINGS)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def _demo(endpoint: str) -> object:
    return CliRunner().invoke(app, ["demo", "--endpoint", endpoint, "--count", "3", "--rate", "50", "--seed", "7"])


def test_a_port_that_is_not_otlp_http_fails_in_one_line() -> None:
    with _not_otlp_http() as url:
        result = _demo(url)
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    line = errors[0]
    assert "exported 0 spans, 0 log records, 0 metric points" in line, line
    assert re.search(r"lost \d+ spans", line) and url in line and "4318" in line, line
    assert "Sent " not in result.stdout


def test_the_reported_counts_are_what_a_real_recorder_received(tmp_path: Path) -> None:
    with recorder(tmp_path / "rec") as rec:
        result = _demo(rec.url)
    assert result.exit_code == 0, result.output
    m = re.search(r"exported (\d+) spans, (\d+) log records, (\d+) metric points", result.stdout)
    assert m, result.stdout
    n_spans, n_logs, n_points = map(int, m.groups())
    points = sum(
        len(metric.get(kind, {}).get("dataPoints", []))
        for batch in read_jsonl(rec.out / "metrics.jsonl")
        for rm in batch.get("resourceMetrics", [])
        for sm in rm.get("scopeMetrics", [])
        for metric in sm.get("metrics", [])
        for kind in ("sum", "gauge", "histogram", "exponentialHistogram")
    )
    assert (n_spans, n_logs, n_points) == (len(spans(rec.out)), len(logs(rec.out)), points)
    assert n_spans >= 3 and n_logs > 0 and n_points > 0
