"""Shared fixtures: the real collector binary and per-test work directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.procs import otelcol_binary, require


@pytest.fixture(scope="session")
def otelcol() -> Path:
    """The real collector from scripts/build-otelcol (skips on a laptop without Go; fails under CI)."""
    binary = _otelcol()
    require(binary, "the llmobs collector", "install Go and run scripts/build-otelcol (scripts/test does)")
    assert binary is not None
    return binary


_cache: list[Path | None] = []


def _otelcol() -> Path | None:
    if not _cache:
        _cache.append(otelcol_binary())
    return _cache[0]
