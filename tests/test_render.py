"""Rendering: every file parses, output is deterministic, every backend renders, no secret lands on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from llmobs import catalog
from llmobs.config import load
from llmobs.render import COLLECTOR_CONFIG, COMPOSE_FILE, collector_build_files, render

BACKENDS = {
    "grafana": [],
    "datadog": ["datadog.site=datadoghq.eu"],
    "otlp": ["otlp.endpoint=http://127.0.0.1:14317", "otlp.headers={authorization: 'Bearer ${env:OTLP_TOKEN}'}"],
}


def _render(tmp: Path, backend: str, *sets: str) -> dict[str, bytes]:
    return render(load(env={}, cwd=tmp, backend=backend, sets=[*BACKENDS[backend], *sets]).settings)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_every_file_parses_and_render_is_deterministic(tmp_path: Path, backend: str) -> None:
    first = _render(tmp_path, backend)
    assert first == _render(tmp_path, backend)
    assert COLLECTOR_CONFIG in first and COMPOSE_FILE in first
    build_files = {f"collector/{rel}" for rel in collector_build_files()}
    for path, data in first.items():
        text = data.decode("utf-8")
        assert text.endswith("\n"), path
        if path in build_files - {"collector/builder-config.yaml"}:
            continue  # the image's build context: Go sources and the Dockerfile (built by tests elsewhere)
        parsed = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
        assert isinstance(parsed, dict), path


def test_only_grafana_bundles_the_backends(tmp_path: Path) -> None:
    for backend in ("datadog", "otlp"):
        compose = yaml.safe_load(_render(tmp_path, backend)[COMPOSE_FILE])
        assert list(compose["services"]) == [catalog.COLLECTOR]
    compose = yaml.safe_load(_render(tmp_path, "grafana")[COMPOSE_FILE])
    assert set(compose["services"]) == {
        catalog.COLLECTOR,
        catalog.PROMETHEUS,
        catalog.TEMPO,
        catalog.LOKI,
        catalog.GRAFANA,
        catalog.ALERTMANAGER,
    }


def test_ports_bind_to_loopback_and_follow_settings(tmp_path: Path) -> None:
    compose = yaml.safe_load(_render(tmp_path, "grafana", "ports.grafana=3001")[COMPOSE_FILE])
    published = [p for svc in compose["services"].values() for p in svc.get("ports", [])]
    assert published and all(p.startswith("127.0.0.1:") for p in published)
    assert f"127.0.0.1:3001:{catalog.GRAFANA_PORT}" in compose["services"]["grafana"]["ports"]


def test_grafana_beyond_loopback_has_no_anonymous_access(tmp_path: Path) -> None:
    local = yaml.safe_load(_render(tmp_path, "grafana")[COMPOSE_FILE])["services"]["grafana"]["environment"]
    assert local["GF_AUTH_ANONYMOUS_ENABLED"] == "true" and local["GF_AUTH_ANONYMOUS_ORG_ROLE"] != "Admin"
    exposed = yaml.safe_load(_render(tmp_path, "grafana", "bind_address=0.0.0.0")[COMPOSE_FILE])
    env = exposed["services"]["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${LLMOBS_GRAFANA_ADMIN_PASSWORD:?")
    assert all(p.startswith("0.0.0.0:") for p in exposed["services"]["grafana"]["ports"])


def test_images_are_pinned_everywhere(tmp_path: Path) -> None:
    compose = yaml.safe_load(_render(tmp_path, "grafana")[COMPOSE_FILE])
    for svc in compose["services"].values():
        assert not svc["image"].endswith(":latest") and ":" in svc["image"]


def test_secrets_are_referenced_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DD_API_KEY", "dd-secret-value-123")
    monkeypatch.setenv("OTLP_TOKEN", "otlp-secret-value-456")
    for backend in BACKENDS:
        for path, data in _render(tmp_path, backend).items():
            assert b"secret-value" not in data, path
    dd = _render(tmp_path, "datadog")
    assert b"${env:DD_API_KEY}" in dd[COLLECTOR_CONFIG]
    otlp = _render(tmp_path, "otlp")
    assert b"Bearer ${env:OTLP_TOKEN}" in otlp[COLLECTOR_CONFIG]
    env = yaml.safe_load(otlp[COMPOSE_FILE])["services"]["collector"]["environment"]
    assert env["OTLP_TOKEN"] == "${OTLP_TOKEN:-}"


def test_settings_reach_the_component_configs(tmp_path: Path) -> None:
    bundle = _render(tmp_path, "grafana", "retention.traces=2d", "retention.logs=3d", "retention.metrics=4d")
    tempo = yaml.safe_load(bundle["tempo/tempo.yaml"])
    assert tempo["backend_worker"]["compaction"]["block_retention"] == "48h"
    assert yaml.safe_load(bundle["loki/loki.yaml"])["limits_config"]["retention_period"] == "72h"
    prom = yaml.safe_load(bundle[COMPOSE_FILE])["services"]["prometheus"]["command"]
    assert "--storage.tsdb.retention.time=4d" in prom


def test_config_hash_changes_only_for_the_affected_service(tmp_path: Path) -> None:
    def hashes(*sets: str) -> dict[str, str]:
        compose = yaml.safe_load(_render(tmp_path, "grafana", *sets)[COMPOSE_FILE])
        return {name: svc["labels"]["io.llmobs.config-hash"] for name, svc in compose["services"].items()}

    before, after = hashes(), hashes("retention.traces=2d")
    assert {name for name in before if before[name] != after[name]} == {catalog.TEMPO}
