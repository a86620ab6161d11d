"""The dashboards' proof: every query of every dashboard finds data in telemetry from a real pipeline.

One run (module fixture, about 40 s): the default render's collector (real binary) in front of a sink
collector standing in for Tempo and Loki, and a real Prometheus (the pinned 3.x release, built by
scripts/build-prometheus) that scrapes the collector's exporter on loopback with the rendered scrape
job and evaluates the rendered rules, both every second. ``tests/support/genai_traffic.py`` sends
two rounds of GenAI traffic through opentelemetry-util-genai, the second after the span metrics'
first flush so every rate has two points. Then:

* every Prometheus query of every panel, variables at All and ``$__rate_interval`` = 1m,
  ``$__range`` = 5m, runs against Prometheus' HTTP API and must return a non-zero sample;
* every variable's ``label_values`` lists what the traffic sent;
* every latency panel with exemplars finds exemplars whose trace_id is a trace the sink received;
* TraceQL and LogQL cannot run here, so each is evaluated on the sink's spans and log records
  (the same data Tempo and Loki would get): every attribute it references must exist with the right
  scope, and the query must match something;
* the unpriced-model alert fires on the real data;
* the Budgets row (the render has :data:`BUDGETS`): its queries wait for the budget rules' spend to date,
  which counts 5-minute steps of the UTC hour (group interval 1m), so the last test waits up to 8 minutes
  for the first 5-minute boundary after the traffic; then each budget panel shows every budget.
"""

from __future__ import annotations

import math
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from llmobs import names as n
from llmobs.grafana import build
from llmobs.render import DASHBOARDS_DIR, RULES_FILE
from tests.support import querylang
from tests.support.bundle import render_to
from tests.support.collector import llmobs_collector, logs, sink, spans, wait_for
from tests.support.procs import REPO, free_port, require, require_prometheus_tool

try:  # opentelemetry-util-genai is a dev dependency; without it the proof skips (fails under CI=true)
    from tests.support import genai_traffic as traffic
except ImportError:  # pragma: no cover
    traffic = None  # type: ignore[assignment]

pytestmark = [pytest.mark.collector, pytest.mark.prometheus]

# Grafana's built-in variables, as a 5-minute dashboard range with a 15 s scrape interval gives them.
GRAFANA_BUILTINS = {"__rate_interval": "1m", "__range": "5m", "__interval": "15s", "__auto": "1m"}
PROMTOOL_TESTS = REPO / "tests" / "promtool" / "llmobs_test.yml"
# A budget for everything (daily and monthly) and one for the agent app in production (monthly): the
# budget recording rules exist only when llmobs.yaml has budgets.
AGENT = traffic.AGENT_APP["service.name"] if traffic else "travel-agent"
BUDGETS = (
    f"budgets=[{{daily_usd: 5, monthly_usd: 100}}, {{service: {AGENT}, environment: production, monthly_usd: 20}}]"
)
BUDGET_LABELS = {"all": {"daily", "monthly"}, f"{AGENT}/production": {"monthly"}}
BUDGET_RULES = (
    n.RULE_BUDGET_RATIO,
    n.RULE_BUDGET_PROJECTED_RATIO,
    n.RULE_BUDGET_TO_DATE,
    n.RULE_BUDGET_PROJECTED,
    n.RULE_BUDGET_AMOUNT,
)
# Spend to date adds 5-minute steps (the first one after the traffic) at the budget group's 1m interval.
BUDGET_WAIT_SECONDS = 300 + 2 * 60 + 60


@dataclass
class Proof:
    prometheus: str
    received: Path
    dashboards: dict[str, dict[str, Any]]
    datasources: dict[str, Any]
    started: float
    spans: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)

    def query(self, expr: str) -> list[dict[str, Any]]:
        response = requests.get(f"{self.prometheus}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert body.get("status") == "success", f"{expr}\n-> {body}"
        result = body["data"]["result"]
        if body["data"]["resultType"] == "scalar":
            return [{"metric": {}, "value": result}]
        return result


def _prometheus_config(bundle: dict[str, bytes], exporter: str, rules: Path) -> dict[str, Any]:
    """The rendered scrape job for the collector's exporter, pointed at loopback, scraped every second."""
    rendered = yaml.safe_load(bundle["prometheus/prometheus.yml"])
    job = next(j for j in rendered["scrape_configs"] if j["job_name"] == "llmobs-collector")
    job["static_configs"] = [{"targets": [exporter]}]
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [job],
    }


def _loki_entries(received: Path) -> list[dict[str, Any]]:
    """Log records as Loki stores OTLP logs (tests.support.querylang models the real Loki 3.7.6)."""
    return querylang.loki_entries(logs(received))


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"prometheus exited:\n{log.read_text()[-3000:]}"
        try:
            if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"prometheus not ready:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def proof(otelcol: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proof]:
    require(traffic, "opentelemetry-util-genai", "pip install --pre opentelemetry-util-genai (a dev dependency)")
    binary = require_prometheus_tool("prometheus")
    tmp = tmp_path_factory.mktemp("proof")
    bundle = render_to(tmp, BUDGETS)
    dashboards = {
        path.split("/")[-1]: yaml.safe_load(data) for path, data in bundle.items() if path.startswith(DASHBOARDS_DIR)
    }
    datasources = yaml.safe_load(bundle["grafana/provisioning/datasources/llmobs.yaml"])
    started = time.time()
    with ExitStack() as stack:
        target = stack.enter_context(sink(otelcol, tmp / "sink"))
        col = stack.enter_context(
            llmobs_collector(otelcol, tmp / "bundle" / "collector/config.yaml", tmp / "col", target)
        )
        prom_port = free_port()
        config = tmp / "prometheus.yml"
        exporter = f"127.0.0.1:{col.ports['prometheus']}"
        config.write_text(yaml.safe_dump(_prometheus_config(bundle, exporter, tmp / "bundle" / RULES_FILE)))
        log = tmp / "prometheus.log"
        process = subprocess.Popen(
            [
                str(binary),
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                "--enable-feature=exemplar-storage",
            ],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        stack.callback(lambda: (process.terminate(), process.wait(timeout=20)))
        url = f"http://127.0.0.1:{prom_port}"
        _wait_ready(url, process, log)
        proof = Proof(url, target.workdir / "received", dashboards, datasources, started)
        with traffic.apps(col.http) as (agent, chat):
            traffic.send_round(agent, chat)
            # The span metrics' first flush (a zero for each new series) ...
            wait_for(lambda: proof.query(n.PROM_CALLS), timeout=25, interval=0.5)
            traffic.send_round(agent, chat)
        # ... and the second, with both rounds: every rate now has two different points.
        wait_for(lambda: proof.query(f"sum({n.PROM_CALLS}) > 0"), timeout=25, interval=0.5)
        wait_for(lambda: proof.query(f"{n.RULE_COST_PER_HOUR} > 0"), timeout=10, interval=0.5)
        proof.spans = wait_for(lambda: len(s := spans(proof.received)) >= 2 * traffic.SPANS_PER_ROUND and s, timeout=20)
        proof.logs = wait_for(lambda: _loki_entries(proof.received), timeout=10)
        yield proof


# --- Prometheus ------------------------------------------------------------------------------------


def _prometheus_targets(proof: Proof) -> list[tuple[str, str, str]]:
    """(file, where, PromQL with the variables at All) of every Prometheus target."""
    return [
        (
            file,
            f"{file}: {panel['title']} [{target['refId']}]",
            build.substitute(target["expr"], dash, GRAFANA_BUILTINS),
        )
        for file, dash in proof.dashboards.items()
        for panel, target in build.targets(dash)
        if build.datasource_type(panel, target) == "prometheus"
    ]


def _nonzero(result: list[dict[str, Any]]) -> bool:
    return any((v := float(s["value"][1])) != 0 and math.isfinite(v) for s in result)


def _reads_budgets(expr: str) -> bool:
    return any(re.search(rf"{re.escape(rule)}\{{", expr) for rule in BUDGET_RULES)


def test_every_prometheus_query_returns_data(proof: Proof) -> None:
    """Every query but the Budgets row's (they need a 5-minute boundary: the last test)."""
    queries = _prometheus_targets(proof)
    assert len(queries) >= 50
    failures = []
    for _, where, expr in queries:
        if _reads_budgets(expr):
            continue
        result = proof.query(expr)
        if not _nonzero(result):
            failures.append(f"{where}: {expr} -> {result}")
    assert not failures, f"{len(failures)}/{len(queries)} queries without data:\n" + "\n".join(failures)


def test_every_variable_lists_what_the_traffic_sent(proof: Proof) -> None:
    expected = {
        "service": set(traffic.SERVICES),
        "environment": {"production", "development"},
        "provider": set(traffic.PROVIDERS),
        "model": set(traffic.MODELS),
        "agent": set(traffic.AGENTS),
        "tool": set(traffic.TOOLS),
    }
    checked = 0
    for file, dash in proof.dashboards.items():
        for var in dash["templating"]["list"]:
            if var["type"] != "query":
                continue
            query = build.substitute(var["query"], dash, GRAFANA_BUILTINS)
            match = re.fullmatch(r"label_values\((.+), (\w+)\)", query)
            assert match, f"{file} ${var['name']}: {query}"
            selector, label = match.groups()
            response = requests.get(
                f"{proof.prometheus}/api/v1/label/{label}/values",
                params={"match[]": selector, "start": proof.started - 60},
                timeout=10,
            ).json()
            assert response["status"] == "success", response
            assert expected[var["name"]] <= set(response["data"]), f"{file} ${var['name']}: {response['data']}"
            checked += 1
    assert checked >= 14


def test_latency_panels_link_exemplars_to_traces_the_backend_got(proof: Proof) -> None:
    trace_ids = {s["trace_id"] for s in proof.spans}
    name = proof.datasources["datasources"][0]["jsonData"]["exemplarTraceIdDestinations"][0]["name"]
    exemplar_targets = [
        (file, panel, target)
        for file, dash in proof.dashboards.items()
        for panel, target in build.targets(dash)
        if target.get("exemplar")
    ]
    assert len(exemplar_targets) >= 3
    for file, panel, target in exemplar_targets:
        assert panel["fieldConfig"]["defaults"]["unit"] == "s", panel["title"]
        expr = build.substitute(target["expr"], proof.dashboards[file], GRAFANA_BUILTINS)
        body = requests.get(
            f"{proof.prometheus}/api/v1/query_exemplars",
            params={"query": expr, "start": proof.started - 60, "end": time.time() + 1},
            timeout=10,
        ).json()
        assert body["status"] == "success", body
        linked = {e["labels"].get(name) for series in body["data"] for e in series["exemplars"]}
        assert linked & trace_ids, f"{file}: {panel['title']}: no exemplar with a known {name}: {body['data']}"


def test_promtool_inputs_use_the_bucket_bounds_prometheus_stores(proof: Proof) -> None:
    """Prometheus 3 normalises scraped ``le`` (``1`` is stored as ``1.0``); the promtool unit tests'
    input series must carry bounds the real Prometheus stores, or they test series that never exist."""
    stored = {s["metric"]["le"] for s in proof.query(f"count by (le) ({n.PROM_DURATION}_bucket)")}
    assert "1.0" in stored and "1" not in stored, sorted(stored)
    written = set(re.findall(r'le="([^"]+)"', PROMTOOL_TESTS.read_text()))
    assert written, PROMTOOL_TESTS
    assert written <= stored, f"{PROMTOOL_TESTS.name}: {sorted(written - stored)} not in {sorted(stored)}"


def test_the_unpriced_model_alert_fires_on_real_data(proof: Proof) -> None:
    def firing() -> list[dict[str, Any]]:
        alerts = requests.get(f"{proof.prometheus}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
        return [a for a in alerts if a["labels"]["alertname"] == "LLMModelUnpriced" and a["state"] == "firing"]

    alerts = wait_for(firing, timeout=10, interval=0.5)
    assert {a["labels"][n.prom_label(n.REQUEST_MODEL)] for a in alerts} == {traffic.UNPRICED_MODEL}


# --- TraceQL on the spans Tempo would store ---------------------------------------------------------

_REF = re.compile(r"(?<![\w:])(span|resource)\.([a-z_][\w]*(?:\.[a-z_][\w]*)*)")
# TraceQL and LogQL evaluation (typed comparisons, nil, ||, detected_level, line_format then search):
# tests/support/querylang.py, modelled on what the real Tempo 3.0.3 and Loki 3.7.6 did.
_span_value, _traceql, _logql = querylang.span_value, querylang.traceql, querylang.logql


def test_every_traceql_query_matches_spans_the_pipeline_emits(proof: Proof) -> None:
    span_keys = {k for s in proof.spans for k in s["attributes"]}
    resource_keys = {k for s in proof.spans for k in s["resource"]}
    checked = 0
    for file, dash in proof.dashboards.items():
        for panel, target in build.targets(dash):
            if build.datasource_type(panel, target) != "tempo":
                continue
            query = build.substitute(target["query"], dash, GRAFANA_BUILTINS)
            where = f"{file}: {panel['title']}"
            for scope, key in _REF.findall(re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)):
                emitted = span_keys if scope == "span" else resource_keys
                assert key in emitted, f"{where}: {scope}.{key} is on no {scope} the pipeline emits"
            matched = _traceql(query, proof.spans)
            assert matched, f"{where}: matches no span: {query}"
            for selected in re.findall(r"select\(([^)]*)\)", query):
                for key in selected.split(", "):
                    assert any(_span_value(s, key) is not None for s in matched), f"{where}: no match has {key}"
            checked += 1
    assert checked >= 7


# --- LogQL on the log records Loki would store ------------------------------------------------------


def test_every_logql_query_matches_logs_the_pipeline_emits(proof: Proof) -> None:
    checked = 0
    assert any("trace_id" in e["fields"] for e in proof.logs), "no log record carries a trace_id to link"
    for file, dash in proof.dashboards.items():
        for panel, target in build.targets(dash):
            if build.datasource_type(panel, target) != "loki":
                continue
            query = build.substitute(target["expr"], dash, GRAFANA_BUILTINS)
            where = f"{file}: {panel['title']}"
            selected, labels = _logql(query, proof.logs)
            assert selected, f"{where}: matches no log record: {query}"
            for label in labels:
                assert any(label in e["fields"] for e in selected), f"{where}: no selected record has {label}"
            checked += 1
    assert checked >= 5


# --- Budgets (last: they wait for the budget rules' first 5-minute step) -----------------------------


def test_budget_panels_say_no_budgets_configured_without_budgets(tmp_path: Path) -> None:
    """Without ``budgets:`` the rules they read are not rendered, so Grafana shows each panel's noValue."""
    rules = yaml.safe_load(render_to(tmp_path)[RULES_FILE])
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    panels = {
        panel["title"]: panel
        for panel, target in build.targets(yaml.safe_load((build.DASHBOARDS_DIR / "llm-cost.json").read_text()))
        if _reads_budgets(target.get("expr", ""))
    }
    assert len(panels) == 3, sorted(panels)
    for title, panel in panels.items():
        assert not {r for r in BUDGET_RULES if r in str(panel["targets"])} & recorded, title
        assert "llmobs.yaml budgets:" in panel["fieldConfig"]["defaults"]["noValue"], title


def test_budget_panels_show_every_budget(proof: Proof) -> None:
    # Spend to date > 0 for every budget: the spend reached a whole 5-minute step of the hour.
    wait_for(
        lambda: (
            {s["metric"][n.BUDGET_LABEL] for s in proof.query(f"{n.RULE_BUDGET_TO_DATE} > 0")} >= set(BUDGET_LABELS)
        ),
        timeout=BUDGET_WAIT_SECONDS,
        interval=5,
    )
    queries = [(where, expr) for _, where, expr in _prometheus_targets(proof) if _reads_budgets(expr)]
    assert len(queries) == 5, queries
    for where, expr in queries:
        result = proof.query(expr)
        assert _nonzero(result), f"{where}: {expr} -> {result}"
        shown = {(s["metric"][n.BUDGET_LABEL], s["metric"][n.PERIOD_LABEL]) for s in result}
        periods = {"monthly"} if "projected" in expr else {"daily", "monthly"}
        wanted = {(b, p) for b, ps in BUDGET_LABELS.items() for p in ps & periods}
        assert shown == wanted, f"{where}: {sorted(shown)}"
    # The gauge's share is spend to date over the amount, per budget and period (one query: one evaluation).
    off = proof.query(f"abs({n.RULE_BUDGET_RATIO} - {n.RULE_BUDGET_TO_DATE} / {n.RULE_BUDGET_AMOUNT})")
    assert len(off) == 3 and all(float(s["value"][1]) < 1e-9 for s in off), off
