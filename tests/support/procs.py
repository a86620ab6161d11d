"""Finding and running the real components tests need (collector, promtool, Docker).

A missing component skips the test on a developer machine with the reason and
the command that installs it; under ``CI=true`` it fails instead, so a green CI
run always means the real component was exercised.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(found: object, what: str, how: str) -> None:
    """Skip (laptop) or fail (CI) when a real component is missing."""
    if found:
        return
    message = f"{what} not available; {how}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def otelcol_binary() -> Path | None:
    """The collector built by scripts/build-otelcol (LLMOBS_OTELCOL, or the cache)."""
    explicit = os.environ.get("LLMOBS_OTELCOL")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    if not shutil.which("go") and not IN_CI:
        return None
    try:
        out = subprocess.run(
            [str(REPO / "scripts" / "build-otelcol")], capture_output=True, text=True, timeout=1200, check=True
        )
    except (subprocess.SubprocessError, OSError):
        return None
    path = Path(out.stdout.strip().splitlines()[-1])
    return path if path.is_file() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
