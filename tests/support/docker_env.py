"""A real Docker engine for the stack tests: the engine, the local images, and one compose project per test.

Every test project gets a unique compose project name and its own free host
ports, runs the installed ``llmobs`` CLI as a real process in its own
directory (an ``llmobs.yaml`` there holds the project, ports and image
overrides, so ``up``, ``status`` and ``down`` agree), and is torn down
afterwards even when the test failed: ``llmobs down --volumes --yes``, then
anything still labelled with the project is removed through the SDK.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from llmobs import catalog
from llmobs.engine import PROJECT_LABEL
from llmobs.settings import Ports
from tests.support import images
from tests.support.alertmanager_image import alertmanager_binary, alertmanager_image
from tests.support.procs import free_port, require

CLI = [sys.executable, "-m", "llmobs.cli.app"]


def engine_client() -> Any | None:
    """A docker SDK client for a running engine, or None."""
    try:
        import docker

        client = docker.from_env(timeout=30)
        client.ping()
        return client
    except Exception:
        return None


def compose_tool() -> str | None:
    from llmobs.compose import find_tool
    from llmobs.errors import LlmobsError

    try:
        return find_tool().name
    except LlmobsError:
        return None


def require_engine() -> Any:
    client = engine_client()
    require(client, "a Docker engine", "run scripts/start-docker as root (scripts/test does)")
    require(compose_tool(), "a compose tool", "run scripts/install-compose (scripts/start-docker does)")
    return client


def build_images(client: Any, otelcol: Path) -> dict[str, str]:
    """``images.<service>`` overrides pointing at local images: real collector, Prometheus, Alertmanager; stand-ins."""
    prometheus = images.prometheus_binary()
    require(prometheus, "prometheus (the pinned release)", "run scripts/build-prometheus (needs Go)")
    standin = images.standin_binary()
    require(standin, "Go (to build the Grafana/Tempo/Loki stand-in)", "install Go (scripts/test needs it already)")
    assert prometheus is not None and standin is not None
    alertmanager = alertmanager_binary()
    require(alertmanager, "alertmanager (the pinned release)", "run scripts/build-prometheus (needs Go)")
    assert alertmanager is not None
    result = {
        catalog.COLLECTOR: images.collector_image(client, otelcol),
        catalog.PROMETHEUS: images.prometheus_image(client, prometheus),
        catalog.ALERTMANAGER: alertmanager_image(client, alertmanager),
    }
    for service in images.STANDINS:
        result[service] = images.standin_image(client, standin, service)
    return result


@dataclass
class Project:
    """One compose project under test: its directory, settings file, ports and CLI runner."""

    client: Any
    workdir: Path
    image_refs: dict[str, str]
    name: str = field(default_factory=lambda: f"llmobs-test-{uuid.uuid4().hex[:8]}")
    ports: dict[str, int] = field(default_factory=dict)
    up_output: str = ""  # stdout of the fixture's `llmobs up`, for tests that check what it printed

    def __post_init__(self) -> None:
        taken: set[int] = set()
        for key in Ports.model_fields:
            port = free_port()
            while port in taken:
                port = free_port()
            taken.add(port)
            self.ports[key] = port
        self.workdir.mkdir(parents=True, exist_ok=True)
        settings = {"project": self.name, "ports": self.ports, "images": self.image_refs}
        (self.workdir / "llmobs.yaml").write_text(yaml.safe_dump(settings, sort_keys=True))

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("LLMOBS_")}
        full_env.update({"COLUMNS": "200", "NO_COLOR": "1"} | (env or {}))
        return subprocess.run(
            [*CLI, *args], cwd=self.workdir, env=full_env, capture_output=True, text=True, timeout=timeout
        )

    def containers(self) -> dict[str, Any]:
        found = self.client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={self.name}"})
        return {c.labels.get("com.docker.compose.service"): c for c in found}

    def leftovers(self) -> dict[str, list[str]]:
        label = {"label": f"{PROJECT_LABEL}={self.name}"}
        return {
            "containers": [c.name for c in self.client.containers.list(all=True, filters=label)],
            "networks": [n.name for n in self.client.networks.list(filters=label)],
            "volumes": [v.name for v in self.client.volumes.list(filters=label)],
        }

    def cleanup(self) -> None:
        self.run("down", "--volumes", "--yes", timeout=120)
        label = {"label": f"{PROJECT_LABEL}={self.name}"}
        for container in self.client.containers.list(all=True, filters=label):
            container.remove(force=True, v=True)
        for network in self.client.networks.list(filters=label):
            network.remove()
        for volume in self.client.volumes.list(filters=label):
            volume.remove(force=True)
