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
    "scaled": ["collector.replicas=3"],  # adds the gateway (collector/gateway.yaml)
    "labels": ["metrics.labels=[gen_ai.agent.name]"],  # adds forward/metrics and llmobs/labels
}


def _manifest() -> dict:
    return yaml.safe_load((REPO / "collector" / "builder-config.yaml").read_text())


def _type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


def _used(tmp: Path) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {s: set() for s in SECTIONS}
    for name, sets in RENDERS.items():
        path = collector_config(tmp / name, *sets)
        for config_file in (path, path.parent / "gateway.yaml"):
            if not config_file.exists():
                continue
            config = yaml.safe_load(config_file.read_text())
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
    assert Settings().images.collector.startswith(f"{versions.COLLECTOR_REPOSITORY}:{version}-")
    dockerfile = (REPO / "collector" / "Dockerfile").read_text()
    assert f"ARG OCB_VERSION={version}\n" in dockerfile, "collector/Dockerfile builds with another ocb version"
    minor = int(version.split(".")[1])
    for section in (*SECTIONS, "providers"):
        for entry in manifest.get(section, []):
            module, mod_version = entry["gomod"].split()
            if "path" in entry:  # our own processor and connector, built from this repository
                kind = section[:-1]  # processor, connector
                assert module == f"{manifest['dist']['module']}/{kind}/{module.rsplit('/', 1)[1]}", entry
                assert mod_version == "v0.0.0" and (REPO / "collector" / entry["path"] / "go.mod").is_file(), entry
                continue
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


def test_processor_module_pins_the_distribution_core_versions() -> None:
    """Go's minimal version selection would lift the whole distribution to a newer core otherwise."""
    manifest = _manifest()
    version = manifest["dist"]["version"]
    stable = f"v1.{int(version.split('.')[1]) - 94}.0"
    for own in ("processor/llmobsprocessor", "connector/llmobsconnector"):
        gomod = (REPO / "collector" / own / "go.mod").read_text()
        core = re.findall(r"^\s*(?:require\s+)?(go\.opentelemetry\.io/collector/\S+) (v\S+)", gomod, re.M)
        assert core, f"no collector core modules in {own}/go.mod"
        for module, mod_version in core:
            assert mod_version in (stable, f"v{version}"), f"{own}: {module} {mod_version}: pin {stable} or v{version}"


def test_bundle_carries_the_image_build_context(tmp_path: Path) -> None:
    """compose `build:` works from any rendered bundle: the Dockerfile, the manifest and the processor sources."""
    from tests.support.bundle import render_to

    bundle = render_to(tmp_path)
    compose = yaml.safe_load(bundle["docker-compose.yml"])
    assert compose["services"]["collector"]["build"] == {"context": "./collector"}
    for needed in ("collector/Dockerfile", "collector/builder-config.yaml"):
        assert needed in bundle
    sources = {p for p in bundle if p.startswith(("collector/processor/", "collector/connector/"))}
    tracked = subprocess.run(
        ["git", "ls-files", "collector/processor", "collector/connector"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    expected = {
        p for p in tracked if p.endswith((".go", "go.mod", "go.sum")) and "_test.go" not in p and "/testdata/" not in p
    }
    assert expected <= sources, expected - sources
    assert not any(p.endswith("_test.go") or "/testdata/" in p for p in sources)
