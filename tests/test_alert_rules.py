"""Prometheus alert and recording rules: thresholds from settings, valid, mounted, and unit-tested.

``tests/promtool/llmobs_test.yml`` holds a firing and a silent case for every alert; it runs against
the rules rendered with the default settings, by the promtool of the pinned Prometheus release
(scripts/build-prometheus). Missing promtool skips on a laptop and fails under ``CI=true``
(``tests/support/procs.require``).
"""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from llmobs import catalog
from llmobs import names as n
from llmobs.config import load
from llmobs.render import RULES_FILE, plan, render
from tests.support.bundle import render_to
from tests.support.procs import REPO, require_prometheus_tool

PROMTOOL_TESTS = REPO / "tests" / "promtool" / "llmobs_test.yml"
ALERTS = {"LLMErrorRatioHigh", "LLMLatencyP95High", "LLMCostBurnHigh", "LLMRateLimited", "LLMModelUnpriced"}
# (the anomaly and budget alerts have their cases in tests/promtool/anomalies_test.yml, budgets_test.yml)


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    promtool = require_prometheus_tool("promtool")
    return subprocess.run([str(promtool), *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def _rules(bundle: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    groups = yaml.safe_load(bundle[RULES_FILE])["groups"]
    return {r.get("alert") or r["record"]: r for g in groups for r in g["rules"]}


def test_thresholds_come_from_settings(tmp_path: Path) -> None:
    default = _rules(render_to(tmp_path / "default"))
    assert default["LLMErrorRatioHigh"]["expr"].endswith("> 0.05")
    assert default["LLMCostBurnHigh"]["expr"].endswith("> 5")
    custom = _rules(
        render_to(
            tmp_path / "custom",
            "alerts.error_ratio=0.2",
            "alerts.p95_latency_seconds=7.5",
            "alerts.cost_per_hour_usd=12.5",
            "alerts.rate_limited_per_minute=30",
        )
    )
    assert custom["LLMErrorRatioHigh"]["expr"] == f"{n.RULE_LLM_ERROR_RATIO} > 0.2"
    assert custom["LLMLatencyP95High"]["expr"] == f"{n.RULE_LLM_P95} > 7.5"
    assert custom["LLMCostBurnHigh"]["expr"] == f"sum({n.RULE_COST_PER_HOUR}) > 12.5"
    assert custom["LLMRateLimited"]["expr"] == f"{n.RULE_RATE_LIMITED} * 60 > 30"
    assert "20 %" in custom["LLMErrorRatioHigh"]["annotations"]["description"]
    assert "12.5 USD" in custom["LLMCostBurnHigh"]["annotations"]["description"]


def test_every_alert_has_a_firing_and_a_silent_unit_test(tmp_path: Path) -> None:
    assert set(_rules(render_to(tmp_path))) >= ALERTS
    cases = [c for t in yaml.safe_load(PROMTOOL_TESTS.read_text())["tests"] for c in t.get("alert_rule_test", [])]
    for alert in ALERTS:
        assert any(c["alertname"] == alert and c["exp_alerts"] for c in cases), f"{alert} never fires in a test"
        assert any(c["alertname"] == alert and not c["exp_alerts"] for c in cases), f"{alert} is never silent"


def test_rules_are_mounted_where_prometheus_loads_them(tmp_path: Path) -> None:
    settings = load(env={}, cwd=tmp_path).settings
    out = next(o for o in plan(settings) if o.path == RULES_FILE)
    assert (out.service, out.mount) == (catalog.PROMETHEUS, "/etc/prometheus/rules/llmobs.yml")
    bundle = render(settings)
    globs = yaml.safe_load(bundle["prometheus/prometheus.yml"])["rule_files"]
    assert any(fnmatch.fnmatch(out.mount, g) for g in globs)
    prometheus = yaml.safe_load(bundle["docker-compose.yml"])["services"][catalog.PROMETHEUS]
    assert f"./{RULES_FILE}:{out.mount}:ro" in prometheus["volumes"]


def test_no_rules_without_prometheus(tmp_path: Path) -> None:
    assert RULES_FILE not in render_to(tmp_path, backend="datadog")


def test_promtool_check_rules(tmp_path: Path) -> None:
    render_to(tmp_path, "alerts.error_ratio=0.0001", "alerts.cost_per_hour_usd=1000000")
    result = _run("check", "rules", "--lint=all", "--lint-fatal", str(tmp_path / "bundle" / RULES_FILE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 19 rules found" in result.stdout


def test_promtool_unit_tests_pass(tmp_path: Path) -> None:
    render_to(tmp_path)
    shutil.copy(tmp_path / "bundle" / RULES_FILE, tmp_path / "llmobs.yml")
    shutil.copy(PROMTOOL_TESTS, tmp_path / PROMTOOL_TESTS.name)
    result = _run("test", "rules", PROMTOOL_TESTS.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_check_config_with_the_rules(tmp_path: Path) -> None:
    bundle = render_to(tmp_path)
    config = yaml.safe_load(bundle["prometheus/prometheus.yml"])
    config["rule_files"] = [str(tmp_path / "bundle" / "prometheus" / "rules" / "*.yml")]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    result = _run("check", "config", "--lint=all", "--lint-fatal", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 19 rules found" in result.stdout
