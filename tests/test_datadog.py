"""The Datadog dashboard follows the overview's panels and pushes with the keys (tests/test_generated_files.py:
the committed JSON is current)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmobs import names
from llmobs.cli.app import app
from llmobs.config import load
from llmobs.datadog import committed_dashboard
from llmobs.render import DATADOG_DASHBOARD, render


def test_dashboard_covers_the_overview_and_uses_otlp_names(tmp_path: Path) -> None:
    bundle = render(load(env={}, cwd=tmp_path, backend="datadog").settings)
    board = json.loads(bundle[DATADOG_DASHBOARD])
    titles = " | ".join(w["definition"]["title"].lower() for w in board["widgets"])
    for topic in ("requests", "error", "latency", "tokens", "cost", "unpriced"):
        assert topic in titles
    queries = [q["query"] for w in board["widgets"] for r in w["definition"]["requests"] for q in r["queries"]]
    assert any(q.startswith("p95:gen_ai.client.operation.duration{") for q in queries)
    assert any(f"sum:{names.COST_METRIC}{{" in q for q in queries)
    assert all("gen_ai.system" not in q and "_total" not in q for q in queries)  # OTLP names, not Prometheus names
    assert DATADOG_DASHBOARD not in render(load(env={}, cwd=tmp_path).settings)


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Recorder.seen.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
        status = 403 if self.headers.get("DD-API-KEY") == "bad" else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "abc-123", "url": "/dashboard/abc-123/llm-overview-llmobs"}')

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def datadog_api() -> Any:
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.seen.clear()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_push_dashboard(datadog_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {"LLMOBS_DATADOG_API_URL": datadog_api, "DD_API_KEY": "k1", "DD_APP_KEY": "a1"}
    result = runner.invoke(app, ["datadog", "push-dashboard"], env=env)
    assert result.exit_code == 0, result.output
    assert "abc-123" in result.stdout
    (call,) = _Recorder.seen
    assert call["path"] == "/api/v1/dashboard"
    assert call["headers"]["DD-API-KEY"] == "k1" and call["headers"]["DD-APPLICATION-KEY"] == "a1"
    assert call["body"] == json.loads(committed_dashboard())
    refused = runner.invoke(app, ["datadog", "push-dashboard"], env={**env, "DD_API_KEY": "bad"})
    assert refused.exit_code == 2 and "refused" in refused.stderr
    missing = runner.invoke(app, ["datadog", "push-dashboard"], env={**env, "DD_APP_KEY": ""})
    assert missing.exit_code == 2 and "DD_APP_KEY not set" in missing.stderr
