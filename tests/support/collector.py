"""Run real collectors as plain processes: the rendered llmobs one, and a sink that records.

The sink is a second collector (same binary) whose OTLP receiver writes
everything it gets to JSON-lines files, standing in for Tempo, Loki and any
OTLP vendor. The llmobs collector is pointed at it through the same
``LLMOBS_*`` environment variables users set, so the rendered file runs as is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from llmobs import catalog
from tests.support.procs import free_port

SINK_CONFIG = """
extensions:
  health_check: {{endpoint: "127.0.0.1:{health}"}}
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
      http: {{endpoint: "127.0.0.1:{http}"}}
exporters:
  file/traces: {{path: "{out}/traces.jsonl", flush_interval: 100ms}}
  file/logs: {{path: "{out}/logs.jsonl", flush_interval: 100ms}}
  file/metrics: {{path: "{out}/metrics.jsonl", flush_interval: 100ms}}
service:
  extensions: [health_check]
  telemetry:
    metrics: {{level: none}}
  pipelines:
    traces: {{receivers: [otlp], exporters: [file/traces]}}
    logs: {{receivers: [otlp], exporters: [file/logs]}}
    metrics: {{receivers: [otlp], exporters: [file/metrics]}}
"""


@dataclass
class Proc:
    """A running collector process and the ports it listens on."""

    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    log: Path
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def grpc(self) -> str:
        return f"127.0.0.1:{self.ports['grpc']}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.ports['http']}"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _wait_healthy(proc: Proc, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{proc.ports['health']}/"
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise RuntimeError(f"collector exited with {proc.process.returncode}:\n{proc.output()[-4000:]}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"collector not healthy after {timeout}s:\n{proc.output()[-4000:]}")


def start(binary: Path, config: Path, workdir: Path, env: dict[str, str], ports: dict[str, int]) -> Proc:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "collector.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LLMOBS_")}
    prices = config.parent / catalog.PRICES_FILE  # a rendered config's price table is beside it
    if prices.is_file():
        full_env["LLMOBS_PRICES_FILE"] = str(prices)
    full_env.update(env)
    process = subprocess.Popen(
        [str(binary), f"--config={config}"], stdout=log.open("ab"), stderr=subprocess.STDOUT, env=full_env
    )
    proc = Proc(process, ports, log, workdir, env)
    try:
        _wait_healthy(proc)
    except Exception:
        proc.stop(signal.SIGKILL)
        raise
    return proc


@contextmanager
def sink(binary: Path, workdir: Path, ports: dict[str, int] | None = None) -> Iterator[Proc]:
    """A recording collector; pass ``ports`` to restart one on the same ports."""
    ports = ports or {"grpc": free_port(), "http": free_port(), "health": free_port()}
    out = workdir / "received"
    out.mkdir(parents=True, exist_ok=True)
    config = workdir / "sink.yaml"
    config.write_text(SINK_CONFIG.format(out=out, **ports))
    proc = start(binary, config, workdir, {}, ports)
    try:
        yield proc
    finally:
        proc.stop()


def llmobs_env(target: Proc | None, storage: Path, ports: dict[str, int]) -> dict[str, str]:
    """The environment that runs a rendered llmobs collector as a local process."""
    env = {
        "LLMOBS_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{ports['grpc']}",
        "LLMOBS_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{ports['http']}",
        "LLMOBS_HEALTH_ENDPOINT": f"127.0.0.1:{ports['health']}",
        "LLMOBS_TELEMETRY_HOST": "127.0.0.1",
        "LLMOBS_TELEMETRY_PORT": str(ports["telemetry"]),
        "LLMOBS_PROMETHEUS_EXPORTER_ENDPOINT": f"127.0.0.1:{ports['prometheus']}",
        "LLMOBS_COLLECTOR_STORAGE": str(storage),
    }
    if target is not None:
        env.update(
            {
                "LLMOBS_TEMPO_ENDPOINT": target.grpc,
                "LLMOBS_LOKI_ENDPOINT": target.http,
                "LLMOBS_OTLP_ENDPOINT": target.http,
            }
        )
        for signal_name in ("TRACES", "METRICS", "LOGS"):
            env[f"LLMOBS_DATADOG_{signal_name}_ENDPOINT"] = f"{target.http}/v1/{signal_name.lower()}"
    return env


def llmobs_ports() -> dict[str, int]:
    return {name: free_port() for name in ("grpc", "http", "health", "telemetry", "prometheus")}


@contextmanager
def llmobs_collector(
    binary: Path, config: Path, workdir: Path, target: Proc | None, extra_env: dict[str, str] | None = None
) -> Iterator[Proc]:
    ports = llmobs_ports()
    env = llmobs_env(target, workdir / "storage", ports) | (extra_env or {})
    proc = start(binary, config, workdir, env, ports)
    try:
        yield proc
    finally:
        proc.stop()


@contextmanager
def through_llmobs(
    binary: Path, config: Path, workdir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[Proc, Path]]:
    """The llmobs collector (``config``) forwarding to a recording sink: yields it and the sink's output folder."""
    with (
        sink(binary, workdir / "sink") as target,
        llmobs_collector(binary, config, workdir / "llmobs", target, extra_env) as col,
    ):
        yield col, target.workdir / "received"


Samples = dict[str, list[tuple[dict[str, str], float]]]


def prometheus_samples(port: int) -> Samples:
    """Samples by metric name from a collector's Prometheus endpoint (its exporter or its telemetry port)."""
    import re
    from collections import defaultdict

    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    out: Samples = defaultdict(list)
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)", line)
        if not m or line.startswith("#"):
            continue
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out[m.group(1)].append((labels, float(m.group(3))))
    return out


def gateway_env(workdir: Path, ports: dict[str, int], resolver: str) -> dict[str, str]:
    """The environment that runs the rendered gateway (collector/gateway.yaml) as a local process."""
    return {
        "LLMOBS_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{ports['grpc']}",
        "LLMOBS_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{ports['http']}",
        "LLMOBS_HEALTH_ENDPOINT": f"127.0.0.1:{ports['health']}",
        "LLMOBS_TELEMETRY_HOST": "127.0.0.1",
        "LLMOBS_TELEMETRY_PORT": str(ports["telemetry"]),
        "LLMOBS_COLLECTOR_STORAGE": str(workdir / "storage"),
        "LLMOBS_GATEWAY_RESOLVER": resolver,
    }


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The complete lines of a file the file exporter may still be writing.

    The exporter writes a batch and then its newline; a reader polling the file can see the batch half-written, so a
    last line without its newline is not a record yet and is left for the next poll.
    """
    if not path.exists():
        return []
    complete = path.read_bytes().split(b"\n")[:-1]
    return [json.loads(line) for line in complete if line.strip()]


def _value(v: dict[str, Any]) -> Any:
    """An OTLP-JSON AnyValue as a Python value (ints stay ints, maps/lists recurse)."""
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "arrayValue" in v:
        return [_value(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return {kv["key"]: _value(kv.get("value", {})) for kv in v["kvlistValue"].get("values", [])}
    if "bytesValue" in v:
        return v["bytesValue"]
    return None


def attrs(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {kv["key"]: _value(kv.get("value", {})) for kv in items or []}


def typed_attrs(items: list[dict[str, Any]] | None) -> dict[str, str]:
    """The OTLP value type of each attribute (stringValue, intValue, ...), to check types survive."""
    return {kv["key"]: next(iter(kv.get("value", {"": None}))) for kv in items or []}


def spans(out_dir: Path) -> list[dict[str, Any]]:
    """Flattened spans: resource attrs under 'resource', span attrs under 'attributes'."""
    result = []
    for batch in read_jsonl(out_dir / "traces.jsonl"):
        for rs in batch.get("resourceSpans", []):
            resource = attrs(rs.get("resource", {}).get("attributes"))
            for ss in rs.get("scopeSpans", []):
                for span in ss.get("spans", []):
                    result.append(
                        {
                            "name": span.get("name"),
                            "trace_id": span.get("traceId"),
                            "span_id": span.get("spanId"),
                            "parent": span.get("parentSpanId", ""),
                            "duration": (int(span["endTimeUnixNano"]) - int(span["startTimeUnixNano"])) / 1e9,
                            "resource": resource,
                            "attributes": attrs(span.get("attributes")),
                            "types": typed_attrs(span.get("attributes")),
                            "events": [
                                {"name": e.get("name"), "attributes": attrs(e.get("attributes"))}
                                for e in span.get("events", [])
                            ],
                            "status": span.get("status", {}),
                        }
                    )
    return result


def logs(out_dir: Path) -> list[dict[str, Any]]:
    result = []
    for batch in read_jsonl(out_dir / "logs.jsonl"):
        for rl in batch.get("resourceLogs", []):
            resource = attrs(rl.get("resource", {}).get("attributes"))
            for sl in rl.get("scopeLogs", []):
                for rec in sl.get("logRecords", []):
                    result.append(
                        {
                            "resource": resource,
                            "body": _value(rec.get("body", {})),
                            "attributes": attrs(rec.get("attributes")),
                            "event_name": rec.get("eventName"),
                            "trace_id": rec.get("traceId"),
                            "severity_text": rec.get("severityText"),
                            "severity_number": rec.get("severityNumber"),
                        }
                    )
    return result


def wait_for(predicate: Any, timeout: float = 30, interval: float = 0.2) -> Any:
    """Poll until predicate() is truthy; return its value or raise with the last value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {value!r:.500})")
