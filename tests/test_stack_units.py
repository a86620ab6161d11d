"""The pieces of `llmobs up` that need no engine: ports, readiness URLs, .env, the compose file's promises."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from llmobs import bundle, catalog, engine, envfile, health, ports, services
from llmobs.cli.app import app
from llmobs.compose import find_tool
from llmobs.config import load
from llmobs.errors import LlmobsError
from llmobs.render import COMPOSE_FILE, render
from llmobs.settings import Ports
from tests.support.procs import free_port


def _settings(tmp: Path, *sets: str, backend: str = "grafana"):  # -> Settings
    return load(env={}, cwd=tmp, backend=backend, sets=list(sets)).settings


def _compose(tmp: Path, *sets: str) -> dict:
    return yaml.safe_load(render(_settings(tmp, *sets))[COMPOSE_FILE])


def test_published_ports_map_back_to_their_settings(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "ports.grafana=3001", "ports.otlp_http=14318")
    found = ports.published(settings)
    assert {hp.key for hp in found} == set(Ports.model_fields)
    by_key = {hp.key: hp for hp in found}
    assert (by_key["grafana"].port, by_key["grafana"].service) == (3001, catalog.GRAFANA)
    assert (by_key["otlp_http"].port, by_key["otlp_http"].service) == (14318, catalog.COLLECTOR)
    collector_only = _settings(tmp_path, "datadog.site=datadoghq.eu", backend="datadog")
    found = ports.published(collector_only)
    assert {hp.service for hp in found} == {catalog.COLLECTOR} and len(found) == 3


def test_a_listening_socket_is_taken_and_its_process_named() -> None:
    port = free_port()
    assert ports.is_free("127.0.0.1", port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert not ports.is_free("127.0.0.1", port)
        holder = ports.process_holding(port)
    assert holder is not None and holder.startswith(f"process {os.getpid()} (")
    assert ports.is_free("127.0.0.1", port)


def test_port_check_error_names_port_holder_and_setting(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    port = free_port()
    hp = ports.HostPort(catalog.LOKI, port, "loki")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        with pytest.raises(LlmobsError) as err:
            ports.check([hp], settings.bind_address, None, settings.project)
    line = err.value.line()
    assert f"port {port} (ports.loki: Loki HTTP API) is taken by process {os.getpid()}" in line
    assert "--set ports.loki=" in line


def test_a_bind_address_not_on_this_machine_is_named() -> None:
    with pytest.raises(LlmobsError, match="bind_address"):
        ports.is_free("192.0.2.1", free_port())  # TEST-NET-1: never assigned to a local interface


@pytest.mark.parametrize(
    ("bind", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"), ("::", "[::1]"), ("::1", "[::1]"), ("10.1.2.3", "10.1.2.3")],
)
def test_readiness_is_polled_where_the_ports_are_bound(tmp_path: Path, bind: str, expected: str) -> None:
    settings = _settings(tmp_path, f"bind_address={bind}", "ports.prometheus=19090")
    assert health.host(bind) == expected
    assert health.ready_url(settings, catalog.PROMETHEUS) == f"http://{expected}:19090/-/ready"
    scaled = _settings(tmp_path, "collector.replicas=2")
    table = [svc for s in (settings, scaled) for svc in services.running(s)]
    assert {svc.name for svc in table} == {
        catalog.COLLECTOR,
        catalog.PROMETHEUS,
        catalog.TEMPO,
        catalog.LOKI,
        catalog.GRAFANA,
        catalog.ALERTMANAGER,
        catalog.GATEWAY,
    }
    for svc in table:
        assert svc.ready_key in Ports.model_fields and svc.front in Ports.model_fields
        assert svc.ready_path.startswith("/")


def test_probe_is_false_on_a_closed_port() -> None:
    assert not health.probe(f"http://127.0.0.1:{free_port()}/ready", timeout=1)


def test_grafana_password_is_generated_once_private_and_survives_renders(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "bind_address=0.0.0.0")
    out = tmp_path / ".llmobs"
    bundle.write(render(settings), out, {"generator": "test"})
    (out / envfile.ENV_FILE).write_text("MY_VAR=1")  # a user's own line, no trailing newline
    password = envfile.grafana_password(out)
    assert len(password) >= 20
    assert stat.S_IMODE((out / envfile.ENV_FILE).stat().st_mode) == 0o600
    assert envfile.read(out) == {"MY_VAR": "1", envfile.GRAFANA_PASSWORD: password}
    # A changed render swaps the whole bundle directory; .env (not rendered) is carried over as is.
    changed = _settings(tmp_path, "bind_address=0.0.0.0", "retention.metrics=7d")
    assert bundle.write(render(changed), out, {"generator": "test"})
    assert envfile.grafana_password(out) == password
    assert stat.S_IMODE((out / envfile.ENV_FILE).stat().st_mode) == 0o600


def test_beyond_loopback_grafana_needs_the_generated_password(tmp_path: Path) -> None:
    local = _compose(tmp_path)["services"]
    assert local[catalog.GRAFANA]["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert "--web.enable-lifecycle" in local[catalog.PROMETHEUS]["command"]
    wide = _compose(tmp_path, "bind_address=0.0.0.0")["services"]
    env = wide[catalog.GRAFANA]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${" + envfile.GRAFANA_PASSWORD + ":?")
    # Anyone who reaches Prometheus could POST /-/quit with the lifecycle API on.
    assert "--web.enable-lifecycle" not in wide[catalog.PROMETHEUS]["command"]


def test_compose_file_keeps_its_promises(tmp_path: Path) -> None:
    spec = _compose(tmp_path, "collector.memory_limit_mib=768", "images.grafana=example/grafana:1.2.3")
    services = spec["services"]
    assert services[catalog.GRAFANA]["image"] == "example/grafana:1.2.3"
    assert services[catalog.COLLECTOR]["mem_limit"] == "768m"  # memory_limiter's percentages are of this
    for name, svc in services.items():
        assert svc["restart"] == "unless-stopped", name
        for mount in svc.get("volumes", []):
            source = mount.split(":", 1)[0]
            assert source.startswith("./") or source in spec["volumes"], f"{name}: {mount} is not a named volume"


def test_no_compose_tool_is_one_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LlmobsError, match="no compose tool found"):
        find_tool()


def test_up_without_docker_installed_prints_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(engine, "DEFAULT_SOCKET", str(tmp_path / "no-docker.sock"))
    result = CliRunner().invoke(app, ["up"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert lines == [
        "error: Docker is not installed on this machine (fix: install Docker Engine: " + engine.INSTALL_URL + ")"
    ]


def test_help_loads_no_docker_jinja_or_opentelemetry() -> None:
    code = (
        "import sys\n"
        "from llmobs.cli.app import main\n"
        "sys.argv = ['llmobs', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'docker', 'jinja2', 'opentelemetry', 'yaml'})\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert "HEAVY []" in out.stdout, out.stdout[-500:]
    assert " up " in out.stdout and " doctor " in out.stdout


@pytest.mark.parametrize(("logs", "expected"), [("14d", "336h"), ("12h", "24h"), ("90m", "24h"), ("1d30m", "88200s")])
def test_loki_retention_is_never_below_its_24h_minimum(tmp_path: Path, logs: str, expected: str) -> None:
    loki = yaml.safe_load(render(_settings(tmp_path, f"retention.logs={logs}"))["loki/loki.yaml"])
    assert loki["limits_config"]["retention_period"] == expected
