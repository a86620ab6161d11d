"""A tiny OTLP/HTTP receiver that records every request: path, headers and decoded body.

It stands in for a vendor's OTLP intake (Datadog, Honeycomb, ...), where the
headers matter as much as the payload. Bodies are protobuf or JSON, decoded with
the official opentelemetry-proto messages and written as OTLP JSON lines, so the
same readers as the sink collector's files apply (tests.support.collector.spans).
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

MESSAGES = {
    "traces": ExportTraceServiceRequest,
    "metrics": ExportMetricsServiceRequest,
    "logs": ExportLogsServiceRequest,
}


@dataclass
class Recorder:
    url: str
    out: Path
    requests: list[dict[str, Any]] = field(default_factory=list)

    def headers(self, signal: str) -> list[dict[str, str]]:
        return [r["headers"] for r in self.requests if r["signal"] == signal]


@contextmanager
def recorder(out: Path) -> Iterator[Recorder]:
    out.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()
    state: Recorder

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            signal = self.path.rstrip("/").rsplit("/", 1)[-1]
            message = MESSAGES[signal]()
            if "json" in (self.headers.get("Content-Type") or ""):
                json_format.Parse(raw, message)
            else:
                message.ParseFromString(raw)
            body = json_format.MessageToDict(message)
            with lock:
                state.requests.append(
                    {"signal": signal, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
                )
                with (out / f"{signal}.jsonl").open("a") as fh:
                    fh.write(json.dumps(body) + "\n")
            self.send_response(200)  # an empty Export*ServiceResponse: full success
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Recorder(f"http://127.0.0.1:{server.server_port}", out)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
