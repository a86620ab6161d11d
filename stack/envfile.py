"""The bundle's ``.env``: secrets compose reads at start, generated once, readable by their owner only.

Compose reads ``.env`` from the compose file's directory by itself, so the
password never appears in the compose file, a command line or the process
list. The bundle writer carries the file across renders (it is not a rendered
file), so the password generated the first time stays the password: Grafana
only applies ``GF_SECURITY_ADMIN_PASSWORD`` when it creates its database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENV_FILE = ".env"
# Referenced by stack/templates/docker-compose.yml.j2 (tests/test_stack_units.py checks the two agree).
GRAFANA_PASSWORD = "LLMOBS_GRAFANA_ADMIN_PASSWORD"
GRAFANA_ADMIN = "admin"


def read(bundle_dir: Path) -> dict[str, str]:
    path = bundle_dir / ENV_FILE
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text("utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def grafana_password(bundle_dir: Path) -> str:
    """The Grafana admin password in ``.env``, generated (and the file made mode 0600) the first time."""
    path = bundle_dir / ENV_FILE
    existing = read(bundle_dir).get(GRAFANA_PASSWORD)
    if existing:
        path.chmod(0o600)
        return existing
    password = secrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(fd, 0o600)
        needs_newline = path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
        os.write(fd, (("\n" if needs_newline else "") + f"{GRAFANA_PASSWORD}={password}\n").encode())
    finally:
        os.close(fd)
    return password
