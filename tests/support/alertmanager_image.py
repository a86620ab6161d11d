"""The real Alertmanager (scripts/build-prometheus) as a local image laid out like ``prom/alertmanager``.

Like the Prometheus image in tests/support/images.py: a rootfs tarball brought in with ``docker
import`` (no registry is reachable here), ``/bin/alertmanager``, ``/alertmanager`` owned by nobody,
the same entrypoint, command and user. The receivers' secrets land in ``/run/secrets`` (Docker
Compose copies them in when it creates the container), so that directory exists and nobody can read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmobs import catalog, versions
from tests.support.images import NOBODY, _File, _import
from tests.support.procs import pinned_version, prometheus_tool


def alertmanager_binary() -> Path | None:
    return prometheus_tool("alertmanager")


def alertmanager_image(client: Any, binary: Path) -> str:
    entries = [
        _File("bin/alertmanager", binary.read_bytes(), 0o755),
        _File(catalog.ALERTMANAGER_DATA.lstrip("/"), mode=0o755, uid=NOBODY),
        _File("etc/alertmanager", mode=0o755),
        _File(catalog.SECRETS_DIR.lstrip("/"), mode=0o755),
    ]
    changes = [
        'ENTRYPOINT ["/bin/alertmanager"]',
        f'CMD ["--config.file={catalog.ALERTMANAGER_CONFIG}", "--storage.path={catalog.ALERTMANAGER_DATA}"]',
        f"USER {NOBODY}:{NOBODY}",
        f"WORKDIR {catalog.ALERTMANAGER_DATA}",
        f"EXPOSE {catalog.ALERTMANAGER_PORT}",
    ]
    return _import(client, "llmobs-test/alertmanager", pinned_version(versions.ALERTMANAGER_IMAGE), entries, changes)
