"""Finding and running the real components tests need (collector, Prometheus, Alertmanager, Docker).

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

from llmobs import versions

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CACHE = Path(os.environ.get("LLMOBS_CACHE", Path.home() / ".cache" / "llmobs"))

# scripts/build-prometheus builds these from the releases stack/versions.py pins: tool -> (image, cache dir).
PROMETHEUS_TOOLS = {
    "prometheus": (versions.PROMETHEUS_IMAGE, "prometheus"),
    "promtool": (versions.PROMETHEUS_IMAGE, "prometheus"),
    "alertmanager": (versions.ALERTMANAGER_IMAGE, "alertmanager"),
    "amtool": (versions.ALERTMANAGER_IMAGE, "alertmanager"),
}


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


def pinned_version(image: str) -> str:
    """``prom/prometheus:v3.14.0`` -> ``3.14.0``: the release a pinned image runs."""
    return image.rpartition(":")[2].removeprefix("v")


def prometheus_tool(name: str) -> Path | None:
    """prometheus, promtool, alertmanager or amtool of the pinned release (scripts/build-prometheus).

    ``LLMOBS_<NAME>`` (scripts/test sets it), else the build cache. Never a binary on PATH: that is
    a distribution's older release (Debian's Prometheus is 2.42), and the tests must prove the
    rendered files against the version users run.
    """
    image, folder = PROMETHEUS_TOOLS[name]
    explicit = os.environ.get(f"LLMOBS_{name.upper()}")
    path = Path(explicit) if explicit else CACHE / folder / pinned_version(image) / name
    return path if path.is_file() and os.access(path, os.X_OK) else None


def require_prometheus_tool(name: str) -> Path:
    """The tool, or skip (laptop) / fail (CI) with the command that builds it."""
    path = prometheus_tool(name)
    require(path, f"{name} {pinned_version(PROMETHEUS_TOOLS[name][0])}", "run scripts/build-prometheus (needs Go)")
    assert path is not None
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
