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
# The key of the collector's keyed user-id hash (privacy.hash_user_ids): generated once, like the password,
# so hashed ids stay stable across restarts and cannot be recovered by hashing guesses without it.
USER_ID_HASH_KEY = "LLMOBS_USER_ID_HASH_KEY"


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
    return _secret(bundle_dir, GRAFANA_PASSWORD, 18)


def user_id_hash_key(bundle_dir: Path) -> str:
    """The user-id hash key in ``.env``, generated the first time (privacy.hash_user_ids)."""
    return _secret(bundle_dir, USER_ID_HASH_KEY, 32)


def _secret(bundle_dir: Path, name: str, nbytes: int) -> str:
    path = bundle_dir / ENV_FILE
    existing = read(bundle_dir).get(name)
    if existing:
        path.chmod(0o600)
        return existing
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(fd, 0o600)
        needs_newline = path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
        os.write(fd, (("\n" if needs_newline else "") + f"{name}={value}\n").encode())
    finally:
        os.close(fd)
    return value
