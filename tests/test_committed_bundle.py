"""The repository root is the default render: `docker compose up` in a fresh clone = `llmobs up`."""

from __future__ import annotations

from pathlib import Path

from llmobs.config import load
from llmobs.render import render
from tests.support.procs import REPO


def test_root_bundle_equals_a_fresh_default_render(tmp_path: Path) -> None:
    rendered = render(load(env={}, cwd=tmp_path).settings)
    drift = [
        path for path, data in rendered.items() if not (REPO / path).is_file() or (REPO / path).read_bytes() != data
    ]
    assert not drift, f"committed bundle drifted from the templates: {drift}; run scripts/update-bundle"
