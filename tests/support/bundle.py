"""Render bundles for tests through the public library API."""

from __future__ import annotations

from pathlib import Path

from llmobs.config import load
from llmobs.render import COLLECTOR_CONFIG, render


def render_to(tmp: Path, *sets: str, backend: str | None = None) -> dict[str, bytes]:
    bundle = render(load(sets=list(sets), env={}, cwd=tmp, backend=backend).settings)
    for rel, data in bundle.items():
        target = tmp / "bundle" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return bundle


def collector_config(tmp: Path, *sets: str, backend: str | None = None) -> Path:
    render_to(tmp, *sets, backend=backend)
    return tmp / "bundle" / COLLECTOR_CONFIG
