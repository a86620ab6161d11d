"""The services table (llmobs.services) is the one source of what llmobs runs (issue 14, item 1).

Two directions: the rendered compose file follows the table (services, images, published ports,
data volumes, dependencies, build context), and no module of llmobs learns those facts by reading
the rendered compose file back.
"""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest
import yaml

from llmobs import catalog, health, ports, services
from llmobs import settings as settings_mod
from llmobs.config import load
from llmobs.lifecycle import Stack
from llmobs.render import COMPOSE_FILE, render

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "default": ("grafana", []),
    "scaled": ("grafana", ["collector.replicas=3"]),
    "moved": ("grafana", ["ports.grafana=3301", "ports.otlp_grpc=14317", "bind_address=::1"]),
    "own-image": ("grafana", ["images.collector=registry.example/otel:1.2.3", "images.loki=grafana/loki:3.7.5"]),
    "datadog": ("datadog", []),
    "otlp-scaled": ("otlp", ["otlp.endpoint=https://vendor.example:443", "collector.replicas=2"]),
}


def _settings(tmp: Path, name: str):  # -> Settings
    backend, sets = VARIANTS[name]
    return load(env={}, cwd=tmp, backend=backend, sets=sets).settings


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_rendered_compose_file_follows_the_table(tmp_path: Path, variant: str) -> None:
    settings = _settings(tmp_path, variant)
    compose = yaml.safe_load(render(settings)[COMPOSE_FILE])
    table = services.running(settings)
    assert list(compose["services"]) == [svc.name for svc in table]
    bind = f"[{settings.bind_address}]" if ":" in settings.bind_address else settings.bind_address
    for svc in table:
        spec = compose["services"][svc.name]
        assert spec["image"] == getattr(settings.images, svc.image)
        fixed = [f"{bind}:{getattr(settings.ports, p.key)}:{p.container}" for p in svc.ports]
        engine_picked = [f"{bind}::{svc.health_port}"] if svc.health_port else []
        assert spec["ports"] == fixed + engine_picked
        data = [v for v in spec["volumes"] if not v.startswith("./")]
        assert data == ([f"{svc.volume}:{svc.data}"] if svc.volume else [svc.data])
        mounted = {v.split(":")[1] for v in spec["volumes"] if v.startswith("./")}
        assert {f.mount for f in svc.files if f.mount and f.source != services.DASHBOARDS} <= mounted
        assert spec.get("depends_on", []) == list(svc.depends_on)
        assert spec.get("build", {}).get("context") == svc.build
        assert spec.get("deploy", {}).get("replicas", 1) == svc.replicas
    assert set(compose["volumes"]) == {svc.volume for svc in table if svc.volume}


def test_each_backend_runs_what_its_table_entry_says(tmp_path: Path) -> None:
    assert set(services.BACKENDS) == set(catalog.BACKENDS) == set(typing.get_args(settings_mod.Backend))
    grafana = {svc.name for svc in services.running(_settings(tmp_path, "default"))}
    assert grafana == {catalog.COLLECTOR, *services.BACKENDS["grafana"].services}
    assert {catalog.PROMETHEUS, catalog.TEMPO, catalog.LOKI, catalog.GRAFANA, catalog.ALERTMANAGER} <= grafana
    assert [svc.name for svc in services.running(_settings(tmp_path, "datadog"))] == [catalog.COLLECTOR]
    scaled = [svc.name for svc in services.running(_settings(tmp_path, "otlp-scaled"))]
    assert scaled == [catalog.COLLECTOR, catalog.GATEWAY]


def test_readiness_is_polled_on_a_published_port_of_the_service(tmp_path: Path) -> None:
    """Each unscaled service's readiness key is one of its own published ports: the collector's health port
    (its OTLP ports answer before the pipeline is up), every other service's front door."""
    for variant in ("default", "scaled", "otlp-scaled"):
        settings = _settings(tmp_path, variant)
        for svc in services.running(settings):
            if svc.scaled:
                assert health.ready_url(settings, svc.name) == "" and svc.health_port == catalog.COLLECTOR_HEALTH_PORT
                continue
            assert svc.ready_key in {p.key for p in svc.ports}, svc.name
            expected = "collector_health" if svc.image == "collector" else svc.front
            assert svc.ready_key == expected, svc.name
            port = getattr(settings.ports, svc.ready_key)
            assert health.ready_url(settings, svc.name).endswith(f":{port}{svc.ready_path}")


def test_nothing_reads_the_rendered_compose_file_back(tmp_path: Path) -> None:
    """The stack runner's answers survive a compose file that is not even YAML: they come from the table."""
    settings = _settings(tmp_path, "scaled")
    rendered = render(settings)
    stack = Stack(settings, tmp_path / ".llmobs", {**rendered, COMPOSE_FILE: b"\0 not: [yaml"})
    real = yaml.safe_load(rendered[COMPOSE_FILE])["services"]
    assert stack.services == list(real)
    assert stack.images == {name: spec["image"] for name, spec in real.items()}
    assert stack.builds == {catalog.COLLECTOR: tmp_path / ".llmobs" / "collector"}
    collector_tier = {(hp.service, hp.port, hp.key) for hp in stack.ports if hp.service in (catalog.COLLECTOR,
                                                                                       catalog.GATEWAY)}  # fmt: skip
    keys = ("otlp_grpc", "otlp_http", "collector_health")
    assert collector_tier == {(catalog.GATEWAY, getattr(settings.ports, k), k) for k in keys}
    assert {hp.key for hp in stack.ports} == set(type(settings.ports).model_fields)
    assert stack.ports == ports.published(settings)
    assert health.ready_url(settings, catalog.GRAFANA).endswith(f":{settings.ports.grafana}/api/health")
    assert health.ready_url(settings, catalog.GATEWAY).endswith(f":{settings.ports.collector_health}/")


def _modules() -> list[Path]:
    return sorted([*(ROOT / "stack").rglob("*.py"), *(ROOT / "cli").rglob("*.py")])


def test_no_module_outside_render_opens_the_compose_file() -> None:
    """Only render.py writes the compose file (and services.py names it); the stack runner passes its path
    to the compose tool. Nobody subscripts a bundle with it or parses it."""
    allowed = {ROOT / "stack" / "render.py", ROOT / "stack" / "services.py"}
    offenders = []
    for path in _modules():
        if path in allowed:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript):
                key = node.slice
                name = getattr(key, "id", None) or getattr(key, "attr", None)
                literal = key.value if isinstance(key, ast.Constant) else None
                if name == "COMPOSE_FILE" or literal == COMPOSE_FILE:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Constant) and node.value == COMPOSE_FILE:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} (names the file)")
    assert offenders == []
    assert services.COMPOSE_FILE == COMPOSE_FILE
