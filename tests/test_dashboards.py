"""The LLM dashboards: generated, committed, mounted, and consistent (no backend needed).

``tests/test_dashboards_proof.py`` runs their queries against real data and ``tests/test_generated_files.py``
checks that the committed files are a fresh generation; this file checks the JSON: that every query honours
the dashboard's variables and only names metrics the pipeline and the rules produce, that units, thresholds,
exemplars and datasources are set, and (with promtool) that every PromQL expression parses.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from llmobs import catalog
from llmobs import names as n
from llmobs.config import load
from llmobs.grafana import build
from llmobs.render import DASHBOARDS_DIR, RULES_FILE, plan, render
from tests.support.procs import require_prometheus_tool

DASHBOARDS = {name: json.loads(text) for name, text in build.render().items()}
BUILTINS = {"__rate_interval": "1m", "__range": "5m", "__interval": "15s", "__auto": "1m"}
_SELECTOR = re.compile(r"([a-zA-Z_:][\w:]*)?\{([^{}]*)\}(?:\[)?")


def _settings(tmp: Path, *sets: str) -> Any:
    return load(sets=list(sets), env={}, cwd=tmp).settings


def _prometheus(dash: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(p, t) for p, t in build.targets(dash) if build.datasource_type(p, t) == "prometheus"]


def _variables(dash: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in dash["templating"]["list"]}


def test_every_dashboard_is_rendered_and_mounted_into_grafana(tmp_path: Path) -> None:
    outputs = {o.path: o for o in plan(_settings(tmp_path))}
    for name in DASHBOARDS:
        out = outputs[f"{DASHBOARDS_DIR}/{name}"]
        assert (out.service, out.mount) == (catalog.GRAFANA, f"{catalog.GRAFANA_DASHBOARDS}/{name}")
    assert (
        render(_settings(tmp_path))[f"{DASHBOARDS_DIR}/{catalog.HOME_DASHBOARD}"]
        == (build.DASHBOARDS_DIR / catalog.HOME_DASHBOARD).read_bytes()
    )


def test_identity_home_and_schema() -> None:
    assert DASHBOARDS[catalog.HOME_DASHBOARD]["uid"] == "llmobs-overview"
    uids = [d["uid"] for d in DASHBOARDS.values()]
    titles = [d["title"] for d in DASHBOARDS.values()]
    assert len(set(uids)) == len(uids) == len(build.BUILDERS) and len(set(titles)) == len(build.BUILDERS)
    for dash in DASHBOARDS.values():
        assert re.fullmatch(r"llmobs-[a-z]+", dash["uid"])
        assert dash["schemaVersion"] in (41, 42)
        assert "llmobs" in dash["tags"]
        assert dash["links"][0]["tags"] == ["llmobs"] and dash["links"][0]["includeVars"]


def test_layout_has_unique_ids_and_no_overlaps() -> None:
    for name, dash in DASHBOARDS.items():
        ids = [p["id"] for p in dash["panels"]]
        assert len(set(ids)) == len(ids), name
        cells: set[tuple[int, int]] = set()
        for p in dash["panels"]:
            g = p["gridPos"]
            assert g["x"] >= 0 and g["x"] + g["w"] <= 24, (name, p["title"])
            mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
            assert not mine & cells, f"{name}: {p['title']} overlaps another panel"
            cells |= mine


def test_variables_are_multi_value_with_all() -> None:
    for name, dash in DASHBOARDS.items():
        variables = _variables(dash)
        assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
        assert variables["datasource"]["current"]["value"] == catalog.DS_PROMETHEUS
        assert {"service", "environment"} <= set(variables), name
        for var in variables.values():
            if var["type"] == "query":
                assert var["multi"] and var["includeAll"] and var["allValue"] in (".*", ".+"), (name, var["name"])
                assert var["datasource"] == build.PROM
    for name in (catalog.HOME_DASHBOARD, "llm-cost.json"):
        assert {"provider", "model"} <= set(_variables(DASHBOARDS[name]))
    assert {"agent", "tool"} <= set(_variables(DASHBOARDS["llm-agents.json"]))


def test_every_prometheus_selector_honours_the_dashboard_variables() -> None:
    """Each selector filters by service and environment, and by provider and model where the dashboard
    has those variables (agent and tool spans carry no provider: the Agents dashboard filters by agent)."""
    for name, dash in DASHBOARDS.items():
        labels = {
            v: build.VAR_LABELS[v] for v in ("service", "environment", "provider", "model") if v in _variables(dash)
        }
        for panel, target in _prometheus(dash):
            selectors = _SELECTOR.findall(target["expr"])
            assert selectors, (name, panel["title"])
            for metric, matchers in selectors:
                for var, label in labels.items():
                    assert f'{label}=~"${var}"' in matchers, f"{name}: {panel['title']}: {metric} ignores ${var}"


def test_queries_name_only_metrics_the_pipeline_and_rules_produce(tmp_path: Path) -> None:
    # With a budget: the budget rules the Budgets row reads exist only when llmobs.yaml has budgets.
    rules = yaml.safe_load(render(_settings(tmp_path, "budgets=[{daily_usd: 10, monthly_usd: 100}]"))[RULES_FILE])
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    produced = {
        n.PROM_CALLS,
        f"{n.PROM_DURATION}_bucket",
        n.PROM_COST,
        n.PROM_UNPRICED,
        n.PROM_TOKENS,
        n.PROM_FINISH,
        f"{n.PROM_TTFC}_bucket",
        *(f"{n.PROM_EVAL_SCORE}_{part}" for part in ("bucket", "sum", "count")),
        n.PROM_EVAL_RESULTS,
        n.PROM_SPAN_EVENTS,
    }
    used: set[str] = set()
    for dash in DASHBOARDS.values():
        for _, target in _prometheus(dash):
            used |= {m for m, _ in _SELECTOR.findall(target["expr"]) if m}
    assert used <= produced | recorded, used - produced - recorded
    assert n.RULE_COST_PER_HOUR in used


def test_datasources_are_the_provisioned_uids(tmp_path: Path) -> None:
    provisioned = yaml.safe_load(render(_settings(tmp_path))["grafana/provisioning/datasources/llmobs.yaml"])
    uids = {d["type"]: d["uid"] for d in provisioned["datasources"]}
    for name, dash in DASHBOARDS.items():
        for panel, target in build.targets(dash):
            ds = target["datasource"]
            assert panel["datasource"] == ds, (name, panel["title"])
            assert ds["uid"] == ("${datasource}" if ds["type"] == "prometheus" else uids[ds["type"]]), (name, ds)
            assert target["refId"]


UNITS = (  # first match on the lower-cased title wins
    (r"per run", "short"),
    (r"score|evaluation results|evaluations by label", "short"),
    (r"latency|duration|first chunk", "s"),
    (r"spend|cost", "currencyUSD"),
    (r"%|share|ratio|truncated", "percent"),
    (r"tokens/s", "count:tokens/s"),
    (r"token", "count:tokens"),
    (r"requests/s|runs/s|calls/s", "reqps"),
    (r"calls|finish reasons", "count:calls"),
    (r"lines/s", "count:lines/s"),
    (r"events/s", "count:events/s"),
)


def test_units_thresholds_and_descriptions_are_set() -> None:
    for name, dash in DASHBOARDS.items():
        for panel in dash["panels"]:
            if panel["type"] == "row":
                continue
            where = f"{name}: {panel['title']}"
            assert panel["description"], where
            if panel["type"] in ("logs", "table"):
                continue
            defaults = panel["fieldConfig"]["defaults"]
            assert defaults.get("thresholds", {}).get("steps"), where
            unit = next((u for pattern, u in UNITS if re.search(pattern, panel["title"].lower())), None)
            assert unit is not None, f"{where}: no unit rule for this title"
            assert defaults.get("unit") == unit, f"{where}: unit {defaults.get('unit')}, wanted {unit}"


def test_latency_panels_link_exemplars_to_traces() -> None:
    for name, dash in DASHBOARDS.items():
        for panel in dash["panels"]:
            targets = panel.get("targets", [])
            if panel["type"] == "timeseries" and any(f"{n.PROM_DURATION}_bucket" in t.get("expr", "") for t in targets):
                assert any(t["exemplar"] for t in targets), f"{name}: {panel['title']} has no exemplars"


def test_loki_queries_have_a_non_empty_matcher() -> None:
    """Loki refuses a selector in which every matcher matches the empty string (``{a=~".*"}``)."""
    dash = DASHBOARDS["llm-logs.json"]
    assert _variables(dash)["service"]["allValue"] == ".+"
    for panel, target in build.targets(dash):
        assert 'service_name=~"$service"' in target["expr"], panel["title"]


def test_every_promql_expression_parses(tmp_path: Path) -> None:
    """promtool checks each query (variables at All) as a recording rule: a syntax check without a server."""
    promtool = require_prometheus_tool("promtool")
    rules = []
    for name, dash in DASHBOARDS.items():
        for i, (_, target) in enumerate(_prometheus(dash)):
            expr = build.substitute(target["expr"], dash, BUILTINS)
            assert "$" not in expr, expr
            rules.append({"record": f"dashboard:{name.removesuffix('.json').replace('-', '_')}:{i}", "expr": expr})
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run([str(promtool), "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(rules)} rules found" in result.stdout
