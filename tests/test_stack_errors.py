"""Each way `llmobs up` can be refused or fail, against the real engine: one line, the fix, the exit code.

Refusals (exit 2, nothing started): a port held by another container or by a
local socket, an unreachable engine, no compose tool, an image that is missing
and cannot be pulled. Failures (exit 1): a service whose container exits, with
its last log lines shown.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmobs import catalog
from tests.support import images
from tests.support.docker_env import Project, build_images, require_engine

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def image_refs(otelcol: Path) -> dict[str, str]:
    return build_images(require_engine(), otelcol)


@pytest.fixture
def project(image_refs: dict[str, str], tmp_path: Path) -> Iterator[Project]:
    proj = Project(require_engine(), tmp_path / "proj", image_refs)
    try:
        yield proj
    finally:
        proj.cleanup()


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got:\n{stderr}"
    assert lines[0].startswith("error: ") and "(fix: " in lines[0]
    return lines[0]


def test_port_held_by_another_container_names_the_container(project: Project, image_refs: dict[str, str]) -> None:
    squatter = project.client.containers.run(
        image_refs[catalog.GRAFANA],
        detach=True,
        name=f"{project.name}-squatter",
        ports={f"{catalog.GRAFANA_PORT}/tcp": ("127.0.0.1", project.ports["grafana"])},
    )
    try:
        result = project.run("up")
    finally:
        squatter.remove(force=True)
    assert result.returncode == 2
    line = _one_error_line(result.stderr)
    assert f"port {project.ports['grafana']}" in line and f"container {project.name}-squatter" in line
    assert "--set ports.grafana=" in line
    assert project.containers() == {}, "nothing may start when a port is taken"


def test_port_held_by_a_local_socket_names_the_process(project: Project) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", project.ports["loki"]))
        sock.listen()
        result = project.run("up")
    assert result.returncode == 2
    line = _one_error_line(result.stderr)
    assert f"port {project.ports['loki']}" in line and f"process {os.getpid()}" in line
    assert project.containers() == {}


def test_unreachable_engine_is_one_line(project: Project, tmp_path: Path) -> None:
    dead = tmp_path / "dead.sock"
    result = project.run("up", env={"DOCKER_HOST": f"unix://{dead}"})
    assert result.returncode == 2
    line = _one_error_line(result.stderr)
    assert f"not reachable at unix://{dead}" in line and "start Docker" in line


def test_missing_compose_tool_is_one_line(project: Project, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = project.run("up", env={"PATH": str(empty)})
    assert result.returncode == 2
    line = _one_error_line(result.stderr)
    assert "no compose tool found" in line and "Compose plugin" in line


def test_image_missing_offline_is_one_line(project: Project) -> None:
    ref = f"llmobs-test/never-built:{project.name}"
    result = project.run("up", "--set", f"images.grafana={ref}")
    assert result.returncode == 2
    line = _one_error_line(result.stderr)
    assert f"images.grafana: image {ref} is not on this machine and cannot be pulled" in line
    assert project.containers() == {}


def test_a_crashing_service_shows_its_logs_and_fails(project: Project, otelcol: Path) -> None:
    standin = images.standin_binary()
    assert standin is not None
    crashing = images.standin_image(project.client, standin, catalog.LOKI, crash="boom for the test")
    result = project.run("up", "--set", f"images.loki={crashing}", "--timeout", "60")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "simulated crash: boom for the test" in result.stdout  # its last log lines
    line = _one_error_line(result.stderr)
    assert "not ready: loki" in line and "llmobs logs loki" in line


def test_down_volumes_needs_yes_without_a_terminal(project: Project) -> None:
    result = project.run("down", "--volumes")
    assert result.returncode == 2
    assert "pass --yes" in _one_error_line(result.stderr)
