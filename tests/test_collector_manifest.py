"""The Collector Builder manifest lists exactly what the rendered configs use, at the pinned version."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from llmobs import versions
from llmobs.settings import Settings
from tests.support.bundle import collector_config
from tests.support.procs import REPO

TEST_ONLY = {"exporters": {"file", "debug"}}
SECTIONS = ("receivers", "processors", "exporters", "connectors", "extensions")
RENDERS = {
    "grafana": [],
    "grafana-nopii": ["pii.mode=off"],
    "datadog": ["backend=datadog"],
    "otlp-http": ["backend=otlp", "otlp.endpoint=https://vendor.example", "otlp.protocol=http"],
    "otlp-grpc": ["backend=otlp", "otlp.endpoint=vendor.example:4317", "otlp.signals=[traces]"],
}


def _manifest() -> dict:
    return yaml.safe_load((REPO / "collector" / "builder-config.yaml").read_text())


def _type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


def _used(tmp: Path) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {s: set() for s in SECTIONS}
    for name, sets in RENDERS.items():
        config = yaml.safe_load(collector_config(tmp / name, *sets).read_text())
        for section in SECTIONS:
            used[section] |= {_type(c) for c in config.get(section) or {}}
    return used


def _built(otelcol: Path) -> dict[str, set[str]]:
    out = yaml.safe_load(
        subprocess.run([str(otelcol), "components"], capture_output=True, text=True, check=True).stdout
    )
    return {s: {c["name"] for c in out.get(s) or []} for s in SECTIONS}


def test_manifest_versions_match_the_pinned_image() -> None:
    manifest = _manifest()
    version = manifest["dist"]["version"]
    assert versions.otelcol_version() == version
    assert Settings().images.collector.endswith(f":{version}")
    minor = int(version.split(".")[1])
    for section in (*SECTIONS, "providers"):
        for entry in manifest.get(section, []):
            module, mod_version = entry["gomod"].split()
            expected = f"v1.{minor - 94}.0" if "/confmap/" in module or section == "providers" else f"v{version}"
            assert mod_version == expected, entry


def test_manifest_lists_exactly_the_components_used(otelcol: Path, tmp_path: Path) -> None:
    used = _used(tmp_path)
    built = _built(otelcol)
    for section in SECTIONS:
        assert built[section] == used[section] | TEST_ONLY.get(section, set()), section


def test_build_script_caches_by_version_and_manifest_hash(otelcol: Path) -> None:
    assert re.search(
        rf"/otelcol/{re.escape(_manifest()['dist']['version'])}-[0-9a-f]{{12}}/otelcol-llmobs$", str(otelcol)
    ) or (pytest.skip("LLMOBS_OTELCOL points at a binary outside the cache"))
