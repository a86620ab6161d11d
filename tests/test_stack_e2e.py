"""`llmobs up` on a real Docker engine: all ready -> OTLP in -> cost metric in Prometheus -> idempotent -> down.

The collector and Prometheus are the real ones (the collector built from
collector/builder-config.yaml, the pinned Prometheus from scripts/build-prometheus); Grafana, Tempo and Loki
are stand-ins that answer their readiness endpoints (tests/support/images.py).
The tests in this module run in order against one stack and share it.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from llmobs import catalog, envfile, names
from tests.support import otlp
from tests.support.docker_env import Project, build_images, require_engine
from tests.support.procs import require

pytestmark = pytest.mark.docker

SERVICES = {
    catalog.COLLECTOR,
    catalog.PROMETHEUS,
    catalog.ALERTMANAGER,
    catalog.TEMPO,
    catalog.LOKI,
    catalog.GRAFANA,
}
PROMETHEUS_WAIT_S = 120  # scrape every 15 s, span-metric flush 15 s, plus start-up


@pytest.fixture(scope="module")
def stack(otelcol: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    client = require_engine()
    project = Project(client, tmp_path_factory.mktemp("stack"), build_images(client, otelcol))
    try:
        result = project.run("up", "--timeout", "120")
        assert result.returncode == 0, f"llmobs up failed:\n{result.stdout}\n{result.stderr}"
        project.up_output = result.stdout
        yield project
    finally:
        project.cleanup()


def test_up_starts_every_service_and_prints_the_app_settings(stack: Project) -> None:
    out = stack.up_output
    assert set(stack.containers()) == SERVICES
    assert all(c.status == "running" for c in stack.containers().values())
    assert f"export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:{stack.ports['otlp_http']}" in out
    assert f"http://127.0.0.1:{stack.ports['otlp_grpc']}" in out
    assert f"http://127.0.0.1:{stack.ports['grafana']}" in out
    assert f"http://127.0.0.1:{stack.ports['alertmanager']}" in out
    assert "Alerts: nobody will be notified (no receiver under alerting.receivers" in out
    # Published on loopback only, on the ports the settings chose.
    bindings = stack.containers()[catalog.COLLECTOR].attrs["HostConfig"]["PortBindings"]
    assert bindings[f"{catalog.OTLP_HTTP_PORT}/tcp"] == [
        {"HostIp": "127.0.0.1", "HostPort": str(stack.ports["otlp_http"])}
    ]


def test_otlp_span_becomes_a_cost_metric_in_the_real_prometheus(stack: Project) -> None:
    span = otlp.span(
        "chat gpt-4o",
        {
            names.OPERATION: "chat",
            names.PROVIDER: "openai",
            names.REQUEST_MODEL: "gpt-4o",
            names.INPUT_TOKENS: 1000,
            names.OUTPUT_TOKENS: 500,
        },
    )
    payload = otlp.traces({"service.name": f"{stack.name}-app"}, [span])
    otlp.post(f"http://127.0.0.1:{stack.ports['otlp_http']}", "traces", payload)

    query = f'{names.PROM_COST}{{gen_ai_request_model="gpt-4o",gen_ai_provider_name="openai"}}'
    url = f"http://127.0.0.1:{stack.ports['prometheus']}/api/v1/query"
    deadline = time.monotonic() + PROMETHEUS_WAIT_S
    result: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not result:
        result = requests.get(url, params={"query": query}, timeout=10).json()["data"]["result"]
        if not result:
            time.sleep(2)
    assert result, f"{query} not in Prometheus after {PROMETHEUS_WAIT_S}s"
    # gpt-4o costs money: 1000 input + 500 output tokens is a few tenths of a cent, never zero.
    assert 0 < float(result[0]["value"][1]) < 1
    assert result[0]["metric"]["service_name"] == f"{stack.name}-app"


def test_status_shows_every_service_healthy(stack: Project) -> None:
    result = stack.run("status", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {row["service"]: row for row in json.loads(result.stdout)}
    assert set(rows) == SERVICES
    assert {row["health"] for row in rows.values()} == {"healthy"}
    assert rows[catalog.GRAFANA]["url"] == f"http://127.0.0.1:{stack.ports['grafana']}"


def test_second_up_recreates_nothing(stack: Project) -> None:
    before = {svc: (c.id, c.attrs["State"]["StartedAt"]) for svc, c in stack.containers().items()}
    result = stack.run("up")
    assert result.returncode == 0, result.stdout + result.stderr
    after = {svc: (c.id, c.attrs["State"]["StartedAt"]) for svc, c in stack.containers().items()}
    assert after == before
    assert "(no changes)" in result.stdout and "recreated" not in result.stdout


def test_a_settings_change_recreates_only_the_affected_service(stack: Project) -> None:
    before = {svc: c.id for svc, c in stack.containers().items()}
    result = stack.run("up", "--set", "retention.metrics=7d")  # only Prometheus' command line changes
    assert result.returncode == 0, result.stdout + result.stderr
    after = {svc: c.id for svc, c in stack.containers().items()}
    changed = {svc for svc in after if after[svc] != before[svc]}
    assert changed == {catalog.PROMETHEUS}
    assert "recreated: prometheus" in result.stdout


def test_doctor_logs_and_open_work_on_the_running_stack(stack: Project, tmp_path: Path) -> None:
    doctor = stack.run("doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "✗" not in doctor.stdout and "✓ engine: Docker" in doctor.stdout and "✓ compose:" in doctor.stdout
    logs = stack.run("logs", catalog.COLLECTOR, "--tail", "200")
    assert logs.returncode == 0 and "Everything is ready" in logs.stdout
    opened = tmp_path / "opened"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    result = stack.run("open", env={"BROWSER": f"{browser} %s"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert opened.read_text().strip() == f"http://127.0.0.1:{stack.ports['grafana']}"


def test_switching_backend_removes_the_services_it_no_longer_runs(stack: Project) -> None:
    result = stack.run("up", "--backend", "datadog", env={"DD_API_KEY": "not-a-real-key"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(stack.containers()) == {catalog.COLLECTOR}
    assert "recreated: collector" in result.stdout  # its config changed (Datadog exporters)


def test_down_with_volumes_leaves_nothing_behind(stack: Project) -> None:
    assert stack.leftovers()["volumes"], "the running stack should own named volumes"
    result = stack.run("down", "--volumes", "--yes", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stack.leftovers() == {"containers": [], "networks": [], "volumes": []}


def test_beyond_loopback_grafana_gets_a_password_generated_once(
    otelcol: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    client = require_engine()
    project = Project(client, tmp_path_factory.mktemp("wide"), build_images(client, otelcol))
    try:
        first = project.run("up", "--set", "bind_address=0.0.0.0", "--timeout", "120")
        assert first.returncode == 0, first.stdout + first.stderr
        env_file = project.workdir / ".llmobs" / envfile.ENV_FILE
        password = envfile.read(env_file.parent)[envfile.GRAFANA_PASSWORD]
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        assert f"Grafana login: {envfile.GRAFANA_ADMIN} / {password}" in first.stdout
        grafana_env = project.containers()[catalog.GRAFANA].attrs["Config"]["Env"]
        assert f"GF_SECURITY_ADMIN_PASSWORD={password}" in grafana_env
        assert "GF_AUTH_ANONYMOUS_ENABLED=false" in grafana_env
        bindings = project.containers()[catalog.GRAFANA].attrs["HostConfig"]["PortBindings"]
        assert bindings[f"{catalog.GRAFANA_PORT}/tcp"][0]["HostIp"] == "0.0.0.0"
        again = project.run("up", "--set", "bind_address=0.0.0.0")
        assert again.returncode == 0 and "recreated" not in again.stdout
        assert envfile.read(env_file.parent)[envfile.GRAFANA_PASSWORD] == password
    finally:
        project.cleanup()


def test_grafana_data_from_loopback_mode_gets_the_generated_password(
    otelcol: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Grafana keeps the password its volume was created with ("admin" on loopback); `up` resets it."""
    client = require_engine()
    project = Project(client, tmp_path_factory.mktemp("switch"), build_images(client, otelcol))
    api = f"http://127.0.0.1:{project.ports['grafana']}/api/user"
    try:
        local = project.run("up", "--timeout", "120")
        assert local.returncode == 0, local.stdout + local.stderr
        assert requests.get(api, auth=("admin", "admin"), timeout=5).status_code == 200
        wide = project.run("up", "--set", "bind_address=0.0.0.0", "--timeout", "120")
        assert wide.returncode == 0, wide.stdout + wide.stderr
        assert "its admin password is now the one in .env" in wide.stdout
        password = envfile.read(project.workdir / ".llmobs")[envfile.GRAFANA_PASSWORD]
        assert requests.get(api, auth=("admin", password), timeout=5).status_code == 200
        assert requests.get(api, auth=("admin", "admin"), timeout=5).status_code == 401
    finally:
        project.cleanup()


def test_compose_v1_fallback_runs_the_same_stack(otelcol: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """With no `docker compose` plugin, llmobs uses docker-compose 1.x (it rejects `name:`; llmobs strips it)."""
    client = require_engine()
    no_plugins = tmp_path_factory.mktemp("docker-config")  # DOCKER_CONFIG without cli-plugins hides compose v2
    env = {"DOCKER_CONFIG": str(no_plugins)}
    v1 = subprocess.run(["docker-compose", "version", "--short"], capture_output=True, text=True, check=False)
    require(
        shutil.which("docker-compose") and v1.stdout.startswith("1."),
        "docker-compose v1",
        "run scripts/install-compose as root (installs Debian's docker-compose)",
    )
    project = Project(client, tmp_path_factory.mktemp("v1"), build_images(client, otelcol))
    try:
        doctor = project.run("doctor", env=env)
        assert "✓ compose: `docker-compose` 1." in doctor.stdout, doctor.stdout
        first = project.run("up", "--timeout", "120", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert set(project.containers()) == SERVICES
        before = {svc: c.id for svc, c in project.containers().items()}
        again = project.run("up", env=env)
        assert again.returncode == 0 and {svc: c.id for svc, c in project.containers().items()} == before
        down = project.run("down", "--volumes", "--yes", env=env)
        assert down.returncode == 0, down.stdout + down.stderr
        assert project.leftovers() == {"containers": [], "networks": [], "volumes": []}
    finally:
        project.cleanup()
