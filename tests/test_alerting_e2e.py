"""An alert from real telemetry reaches a receiver: collector -> Prometheus 3 -> Alertmanager -> webhook.

Real processes: the llmobs collector (scripts/build-otelcol), Prometheus 3.14 and Alertmanager 0.35
(scripts/build-prometheus), each on the rendered files; the receiver is a small HTTP server on
127.0.0.1. The webhook URL that routes reach is a secret given as ``${env:...}``: in compose, Docker
Compose copies the variable into the container as /run/secrets/<name>; here, with no container,
the test does the same for the process (writes the variable's value to a file in a private temp
dir and points the rendered ``url_file`` there). The secret must arrive at the receiver and be in
no rendered file. Prometheus scrapes and evaluates every second (the rendered 15 s would only make
the test slower); everything else is as rendered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests
import yaml

from llmobs import catalog, names
from llmobs.config import load
from llmobs.render import ALERTMANAGER_FILE, RULES_FILE, render
from tests.support import otlp
from tests.support.collector import llmobs_collector, sink, wait_for
from tests.support.procs import free_port, require_prometheus_tool

SERVICE = "alerts-e2e-app"
MODEL = "acme/e2e-finetune"  # no price table knows it: LLMModelUnpriced fires at once (no `for`)
SECRET_ENV = "LLMOBS_E2E_HOOK_URL"


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _start(argv: list[str], log: Path, ready: str, stack: ExitStack) -> None:
    process = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    stack.callback(lambda: (process.terminate(), process.wait(timeout=20)))

    def answers() -> bool:
        assert process.poll() is None, f"{argv[0]} exited:\n{log.read_text()[-3000:]}"
        try:
            return requests.get(ready, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    wait_for(answers, timeout=30)


@pytest.fixture(scope="module")
def pipeline(otelcol: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    prometheus = require_prometheus_tool("prometheus")
    alertmanager = require_prometheus_tool("alertmanager")
    tmp = tmp_path_factory.mktemp("alerting")
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    token = f"s3cr3t-{uuid.uuid4().hex}"
    secret_url = f"http://127.0.0.1:{hook.server_port}/routed/{token}"
    am_port = free_port()
    settings_text = f"""
ports: {{alertmanager: {am_port}}}
alerting:
  receivers:
    - {{name: hook, type: webhook, url: '${{env:{SECRET_ENV}}}'}}
    - {{name: fallback, type: webhook, url: 'http://127.0.0.1:{hook.server_port}/fallback'}}
  routes:
    - {{receiver: hook, services: [{SERVICE}]}}
  default_receiver: fallback
  group_wait: 1s
  group_interval: 1s
"""
    (tmp / "llmobs.yaml").write_text(settings_text)
    env = {SECRET_ENV: secret_url}
    bundle = render(load(config=tmp / "llmobs.yaml", env=env, cwd=tmp).settings)
    for rel, data in bundle.items():
        (tmp / "bundle" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "bundle" / rel).write_bytes(data)

    # What compose does for the container: the variable's value in a private file Alertmanager reads.
    secrets = tmp / "run-secrets"
    secrets.mkdir(mode=0o700)
    am_config = yaml.safe_load(bundle[ALERTMANAGER_FILE])
    hook_cfg = next(r for r in am_config["receivers"] if r["name"] == "hook")["webhook_configs"][0]
    secret_file = secrets / Path(hook_cfg["url_file"]).name
    secret_file.write_text(os.environ.get(SECRET_ENV, secret_url))
    hook_cfg["url_file"] = str(secret_file)
    (tmp / "alertmanager.yml").write_text(yaml.safe_dump(am_config))

    with ExitStack() as stack:
        stack.callback(hook.shutdown)
        target = stack.enter_context(sink(otelcol, tmp / "sink"))
        col = stack.enter_context(
            llmobs_collector(otelcol, tmp / "bundle" / "collector/config.yaml", tmp / "col", target)
        )
        _start(
            [
                str(alertmanager),
                f"--config.file={tmp / 'alertmanager.yml'}",
                f"--storage.path={tmp / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
            ],
            tmp / "alertmanager.log",
            f"http://127.0.0.1:{am_port}/-/ready",
            stack,
        )
        rendered = yaml.safe_load(bundle["prometheus/prometheus.yml"])
        job = next(j for j in rendered["scrape_configs"] if j["job_name"] == "llmobs-collector")
        job["static_configs"] = [{"targets": [f"127.0.0.1:{col.ports['prometheus']}"]}]
        alerting = rendered["alerting"]
        alerting["alertmanagers"][0]["static_configs"] = [{"targets": [f"127.0.0.1:{am_port}"]}]
        prom_config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(tmp / "bundle" / RULES_FILE)],
            "alerting": alerting,
            "scrape_configs": [job],
        }
        (tmp / "prometheus.yml").write_text(yaml.safe_dump(prom_config))
        prom_port = free_port()
        _start(
            [
                str(prometheus),
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            tmp / "prometheus.log",
            f"http://127.0.0.1:{prom_port}/-/ready",
            stack,
        )
        span = otlp.span(
            f"chat {MODEL}",
            {
                names.OPERATION: "chat",
                names.PROVIDER: "openai",
                names.REQUEST_MODEL: MODEL,
                names.INPUT_TOKENS: 100,
                names.OUTPUT_TOKENS: 20,
            },
        )
        otlp.post(col.http, "traces", otlp.traces({"service.name": SERVICE}, [span]))
        yield {"tmp": tmp, "token": token, "secret_url": secret_url, "am": f"http://127.0.0.1:{am_port}", "env": env}


def _notified(path_prefix: str, alertname: str) -> list[dict[str, Any]]:
    return [
        alert
        for path, body in _Hook.received
        if path.startswith(path_prefix)
        for alert in body["alerts"]
        if alert["labels"]["alertname"] == alertname
    ]


def test_an_alert_from_real_telemetry_reaches_the_routed_receiver(pipeline: dict[str, Any]) -> None:
    alerts = wait_for(lambda: _notified("/routed/", "LLMModelUnpriced"), timeout=120, interval=0.5)
    labels = alerts[0]["labels"]
    assert labels["severity"] == "info"
    assert labels["service_name"] == SERVICE
    assert labels[names.prom_label(names.REQUEST_MODEL)] == MODEL
    assert labels[names.prom_label(names.PROVIDER)] == "openai"
    assert alerts[0]["status"] == "firing"
    assert "has no price" in alerts[0]["annotations"]["summary"]
    # The route by service chose it: the default receiver got nothing of this alert.
    assert not _notified("/fallback", "LLMModelUnpriced")


def test_the_secret_reached_the_receiver_and_is_in_no_rendered_file(pipeline: dict[str, Any]) -> None:
    wait_for(lambda: _notified("/routed/", "LLMModelUnpriced"), timeout=120, interval=0.5)
    paths = {path for path, _ in _Hook.received}
    assert f"/routed/{pipeline['token']}" in paths  # only the environment variable held this path
    bundle_dir: Path = pipeline["tmp"] / "bundle"
    files = [p for p in bundle_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert pipeline["token"].encode() not in path.read_bytes(), f"the secret is in {path}"
    assert pipeline["token"] not in (pipeline["tmp"] / "llmobs.yaml").read_text()


def test_llmobs_alerts_test_reports_route_and_delivery(pipeline: dict[str, Any]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMOBS_")} | {"NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "llmobs.cli.app", "alerts", "test", "--service", SERVICE, "--severity", "critical"],
        cwd=pipeline["tmp"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Routed to: hook" in result.stdout
    assert "webhook: delivered" in result.stdout
    test_alerts = wait_for(lambda: _notified("/routed/", "LLMobsTestAlert"), timeout=30)
    assert test_alerts[0]["labels"]["severity"] == "critical"
    assert test_alerts[0]["labels"]["service_name"] == SERVICE
    # Another service goes to the default receiver.
    other = subprocess.run(
        [sys.executable, "-m", "llmobs.cli.app", "alerts", "test", "--service", "someone-else"],
        cwd=pipeline["tmp"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert other.returncode == 0, other.stdout + other.stderr
    assert "Routed to: fallback" in other.stdout
    assert wait_for(lambda: _notified("/fallback", "LLMobsTestAlert"), timeout=30)
    assert catalog.NO_RECEIVER not in other.stdout
