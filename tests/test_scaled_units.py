"""The scaled tier's render and status, without Docker: what compose and Prometheus get at
``collector.replicas: 3``, and that ``status`` / ``up`` see every instance on its own health port."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from llmobs import catalog, health, lifecycle, ports
from llmobs.config import load
from llmobs.engine import Container
from llmobs.render import COMPOSE_FILE, GATEWAY_CONFIG, render
from llmobs.settings import Settings


def _settings(tmp: Path, *sets: str) -> Settings:
    return load(env={}, cwd=tmp, sets=list(sets)).settings


def test_three_replicas_render_a_gateway_and_one_scaled_service(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "collector.replicas=3")
    bundle = render(settings)
    services = yaml.safe_load(bundle[COMPOSE_FILE])["services"]
    collector, gateway = services[catalog.COLLECTOR], services[catalog.GATEWAY]
    assert collector["deploy"] == {"replicas": 3}
    # no fixed host port on a scaled service (three containers cannot share one), health only, engine-picked
    assert collector["ports"] == [f"127.0.0.1::{catalog.COLLECTOR_HEALTH_PORT}"]
    assert catalog.COLLECTOR_STORAGE_DIR in collector["volumes"]  # anonymous: one volume per instance
    assert gateway["ports"] == [
        f"127.0.0.1:{settings.ports.otlp_grpc}:{catalog.OTLP_GRPC_PORT}",
        f"127.0.0.1:{settings.ports.otlp_http}:{catalog.OTLP_HTTP_PORT}",
        f"127.0.0.1:{settings.ports.collector_health}:{catalog.COLLECTOR_HEALTH_PORT}",
    ]
    resolver = yaml.safe_load(gateway["environment"]["LLMOBS_GATEWAY_RESOLVER"])
    assert resolver["dns"]["hostname"] == catalog.COLLECTOR
    assert f"./{GATEWAY_CONFIG}:{catalog.COLLECTOR_CONFIG_DIR}/{catalog.GATEWAY_CONFIG}:ro" in gateway["volumes"]
    config = yaml.safe_load(bundle[GATEWAY_CONFIG])
    lb = config["exporters"]["load_balancing"]
    assert lb["routing_key"] == "service" and lb["sending_queue"]["storage"] == "file_storage/queue"
    assert lb["protocol"]["otlp"]["sending_queue"] == {"enabled": False}
    assert {p["exporters"][0] for p in config["service"]["pipelines"].values()} == {"load_balancing"}
    scrape = yaml.safe_load(bundle["prometheus/prometheus.yml"])["scrape_configs"]
    llm = next(job for job in scrape if job["job_name"] == "llmobs-collector")
    assert llm["dns_sd_configs"][0]["names"] == [catalog.COLLECTOR] and llm["honor_labels"] is True
    # the ports check sees only fixed host ports: the engine-picked ones cannot collide
    assert {p.port for p in ports.published(settings)} >= {settings.ports.otlp_grpc}


def test_one_replica_renders_no_gateway(tmp_path: Path) -> None:
    bundle = render(_settings(tmp_path))
    assert GATEWAY_CONFIG not in bundle
    assert catalog.GATEWAY not in yaml.safe_load(bundle[COMPOSE_FILE])["services"]
    assert render(_settings(tmp_path, "collector.replicas=1")) == bundle


@contextmanager
def _healthy_port() -> Iterator[int]:
    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def _container(service: str, index: int, health_port: int | None, state: str = "running") -> Container:
    published = {catalog.COLLECTOR_HEALTH_PORT: health_port} if health_port else {}
    return Container(service, f"llmobs-{service}-{index}", f"id{index}", state, 0, 0, None, "img", published)


class _Engine:
    def __init__(self, containers: list[Container]) -> None:
        self.list = containers

    def containers(self, project: str) -> list[Container]:
        return self.list


def test_status_shows_every_instance_on_its_own_health_port(tmp_path: Path, monkeypatch: Any) -> None:
    settings = _settings(tmp_path, "collector.replicas=3", "backend=otlp", "otlp.endpoint=https://vendor.example:443")
    with _healthy_port() as up_port:
        containers = [
            _container(catalog.COLLECTOR, 1, up_port),
            _container(catalog.COLLECTOR, 2, 1),  # published, nothing answers
            _container(catalog.GATEWAY, 1, None, state="exited"),
        ]
        monkeypatch.setattr(lifecycle, "connect", lambda: _Engine(containers))
        loaded = load(env={}, cwd=tmp_path, sets=["collector.replicas=3", "backend=otlp",
                                                  "otlp.endpoint=https://vendor.example:443"])  # fmt: skip
        rows = {row["service"]: row for row in lifecycle.status(loaded)}
    assert set(rows) == {"collector-1", "collector-2", "collector-3", catalog.GATEWAY}
    assert rows["collector-1"]["health"] == "healthy" and rows["collector-1"]["url"].endswith(f":{up_port}/")
    assert rows["collector-2"]["health"] == "unhealthy"
    assert rows["collector-3"] == {"service": "collector-3", "state": "not created", "health": "-", "url": "-",
                                   "container": None}  # fmt: skip
    assert rows[catalog.GATEWAY]["state"] == "exited"
    assert health.front_url(settings, catalog.COLLECTOR) == health.front_url(settings, catalog.GATEWAY)


def test_plain_status_after_a_scaled_up_still_shows_every_instance(tmp_path: Path, monkeypatch: Any) -> None:
    """`up --set collector.replicas=3`, then `status` without the --set: the settings say one collector,
    the engine runs three behind a gateway; status shows what runs, each probed on its own port."""
    with _healthy_port() as up_port:
        containers = [
            *(_container(catalog.COLLECTOR, i, up_port) for i in (1, 2, 3)),
            _container(catalog.GATEWAY, 1, up_port),
        ]
        monkeypatch.setattr(lifecycle, "connect", lambda: _Engine(containers))
        loaded = load(env={}, cwd=tmp_path, sets=["backend=otlp", "otlp.endpoint=https://vendor.example:443"])
        assert loaded.settings.collector.replicas == 1
        rows = {row["service"]: row for row in lifecycle.status(loaded)}
    assert set(rows) == {"collector-1", "collector-2", "collector-3", catalog.GATEWAY}
    assert all(row["health"] == "healthy" and row["url"].endswith(f":{up_port}/") for row in rows.values())
    assert rows[catalog.GATEWAY]["container"] == f"llmobs-{catalog.GATEWAY}-1"


def test_up_waits_for_every_instance(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "collector.replicas=2")
    with _healthy_port() as up_port:
        one = [_container(catalog.COLLECTOR, 1, up_port)]
        waiter = health.Waiter(settings, [catalog.COLLECTOR], _Engine(one), "llmobs", interval=0.05)
        assert not waiter.wait(0.3)[0].ready  # one of two instances: not ready yet
        both = [*one, _container(catalog.COLLECTOR, 2, up_port)]
        waiter = health.Waiter(settings, [catalog.COLLECTOR], _Engine(both), "llmobs", interval=0.05)
        assert waiter.wait(2)[0].ready
        failing = [*one, _container(catalog.COLLECTOR, 2, up_port, state="exited")]
        waiter = health.Waiter(settings, [catalog.COLLECTOR], _Engine(failing), "llmobs", interval=0.05)
        assert waiter.wait(2)[0].failed
