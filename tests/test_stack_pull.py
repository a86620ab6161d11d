"""`llmobs up` pulls a missing image, with a progress bar, from a real registry running on this machine.

No public registry is reachable here, so the test runs the CNCF Distribution
registry (built from its Go module) on loopback, pushes a stand-in image to
it, deletes the local copy and points ``images.grafana`` at the registry; the
engine treats 127.0.0.0/8 registries as plain HTTP by default.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import requests

from llmobs import catalog
from tests.support import images
from tests.support.docker_env import Project, build_images, require_engine
from tests.support.procs import free_port, require

pytestmark = pytest.mark.docker

REGISTRY_CONFIG = """version: 0.1
log: {{level: warn}}
storage: {{filesystem: {{rootdirectory: {root}}}}}
http: {{addr: 127.0.0.1:{port}}}
"""


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    """host:port of a running local registry."""
    binary = images.registry_binary()
    require(binary, "Go (to build the local registry)", "install Go (scripts/test needs it already)")
    port = free_port()
    config = tmp_path / "registry.yml"
    config.write_text(REGISTRY_CONFIG.format(root=tmp_path / "data", port=port))
    log = (tmp_path / "registry.log").open("wb")
    proc = subprocess.Popen([str(binary), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            pytest.fail(f"registry did not start: {(tmp_path / 'registry.log').read_text()[-2000:]}")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_up_pulls_a_missing_image_with_progress(otelcol: Path, registry: str, tmp_path: Path) -> None:
    client = require_engine()
    refs = build_images(client, otelcol)
    remote = f"{registry}/llmobs-test/grafana-standin:pulled"
    client.images.get(refs[catalog.GRAFANA]).tag(remote)
    for line in client.images.push(remote, stream=True, decode=True):
        assert "error" not in line, line
    client.images.remove(remote)
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(remote)

    project = Project(client, tmp_path / "proj", refs | {catalog.GRAFANA: remote})
    try:
        result = project.run("up", "--timeout", "120")
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"pull {remote}" in result.stdout  # the progress bar's label
        assert client.images.get(remote).id == client.images.get(refs[catalog.GRAFANA]).id
        assert project.containers()[catalog.GRAFANA].image.id == client.images.get(remote).id
    finally:
        project.cleanup()
        images.remove_image(client, remote)
