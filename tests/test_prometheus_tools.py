"""The Prometheus and Alertmanager the tests run are the releases the stack pins, and they start.

scripts/build-prometheus builds prometheus, promtool, alertmanager and amtool from their Go modules
at the versions of ``PROMETHEUS_IMAGE`` and ``ALERTMANAGER_IMAGE`` (stack/versions.py). If a
distribution's older release stood in (Debian ships Prometheus 2.42), the dashboard proof and the
promtool checks would prove the rendered files against a version users never run; these tests make
that a failure. The builds leave the web UIs out, so the binaries are also started and asked over
their HTTP APIs, which is all the tests use.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from llmobs import versions
from tests.support.procs import PROMETHEUS_TOOLS, free_port, pinned_version, require_prometheus_tool

pytestmark = pytest.mark.prometheus

PROMETHEUS = pinned_version(versions.PROMETHEUS_IMAGE)
ALERTMANAGER = pinned_version(versions.ALERTMANAGER_IMAGE)


def _version(tool: str) -> str:
    result = subprocess.run(
        [str(require_prometheus_tool(tool)), "--version"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout + result.stderr
    match = re.search(rf"^{tool}, version (\S+) ", text, re.M)
    assert match, text
    return match.group(1)


@pytest.mark.parametrize("tool", sorted(PROMETHEUS_TOOLS))
def test_every_tool_is_the_pinned_release(tool: str) -> None:
    assert _version(tool) == pinned_version(PROMETHEUS_TOOLS[tool][0])


def test_promtool_is_prometheus_3() -> None:
    """The rules, dashboards and promtool test inputs rely on Prometheus 3 (e.g. normalised ``le``)."""
    assert PROMETHEUS.split(".")[0] == "3"
    assert _version("promtool").split(".")[:2] == PROMETHEUS.split(".")[:2]


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited:\n{log.read_text()[-3000:]}"
        try:
            response = requests.get(url, timeout=1)
            if response.status_code == 200:
                return response.json()
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered:\n{log.read_text()[-3000:]}")


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=20)


def test_prometheus_starts_and_serves_its_api(tmp_path: Path, started: list[subprocess.Popen[bytes]]) -> None:
    binary = require_prometheus_tool("prometheus")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n")
    log = tmp_path / "prometheus.log"
    command = [
        str(binary),
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    started.append(subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT))
    body = _wait(f"http://127.0.0.1:{port}/api/v1/status/buildinfo", started[0], log)
    assert body["data"]["version"] == PROMETHEUS
    answer = requests.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": "1 + 1"}, timeout=10).json()
    assert answer["data"]["result"][1] == "2"


def test_alertmanager_starts_and_amtool_talks_to_it(tmp_path: Path, started: list[subprocess.Popen[bytes]]) -> None:
    binary = require_prometheus_tool("alertmanager")
    amtool = require_prometheus_tool("amtool")
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text("route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n")
    check = subprocess.run([str(amtool), "check-config", str(config)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0 and "SUCCESS" in check.stdout, check.stdout + check.stderr
    log = tmp_path / "alertmanager.log"
    command = [
        str(binary),
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # no gossip port: a single instance on loopback
    ]
    started.append(subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT))
    body = _wait(f"http://127.0.0.1:{port}/api/v2/status", started[0], log)
    assert body["versionInfo"]["version"] == ALERTMANAGER
    url = f"--alertmanager.url=http://127.0.0.1:{port}"
    silences = subprocess.run([str(amtool), url, "silence", "query"], capture_output=True, text=True, timeout=30)
    assert silences.returncode == 0, silences.stdout + silences.stderr
