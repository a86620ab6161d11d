"""What the real Tempo 3.0.3, Loki 3.7.6 and Prometheus refused, lost or never showed (issue 11), as tests.

Tempo, Loki and Grafana cannot run here; their behaviour is the oracle written down in
/work/shared/reference/realbackends.md (and modelled in tests/support/querylang.py). The collector and
Prometheus/promtool are the pinned release (scripts/build-prometheus):

* the size budget: every downstream limit, rendered for several budgets, holds a record at the budget
  (Loki line and structured metadata, gRPC messages, ingestion bursts; Tempo attribute and trace
  limits), and the real collector delivers records at the budget in requests Loki's gRPC limit takes;
* otlp exporter TLS follows the endpoint's scheme (the real collector reaches a plaintext gRPC sink);
* every TraceQL literal has its attribute's type; "All" keeps spans without the attribute; the logs
  dashboard finds GenAI events by search, classifies older-style events, and uses detected_level;
* "Unpriced calls" are whole numbers and the prompt-cache hit ratio is never NaN (promtool).
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from typer.testing import CliRunner

from llmobs import limits as budget_mod
from llmobs import names as n
from llmobs.cli.app import app
from llmobs.config import load
from llmobs.errors import LlmobsError
from llmobs.grafana import build
from llmobs.render import render, seconds
from tests.support import querylang
from tests.support.collector import llmobs_collector, sink, spans, wait_for
from tests.support.procs import require_prometheus_tool

KiB, MiB = 1024, 1024 * 1024
DASHBOARDS = {name: json.loads(text) for name, text in build.render().items()}
BUILTINS = {"__rate_interval": "1m", "__range": "5m", "__interval": "15s", "__auto": "1m"}
# Observed on the real Loki: a 4.5 MB push failed against the 4 MiB default; 64 MiB worked.
LOKI_FAILED_PUSH = 4_500_447
LOKI_CLIENT_DEFAULT = 100 * MiB  # Loki's own gRPC clients (ingester, frontend worker) accept this much
LOKI_HTTP_PUSH_DEFAULT = 100 * MiB  # distributor.max_recv_msg_size

BUDGETS = {
    "default": [],
    "smallest": ["limits.max_value_bytes=1024", "limits.max_record_bytes=4096"],
    "issue-300kB-prompt": ["limits.max_value_bytes=307200", "limits.max_record_bytes=921600"],
    "largest": ["limits.max_value_bytes=8388608", "limits.max_record_bytes=16777216"],
}


def _settings(*sets: str, tmp: Path = Path("/nonexistent")) -> Any:
    return load(sets=list(sets), env={}, cwd=tmp).settings


def _rendered(*sets: str) -> tuple[Any, dict[str, Any]]:
    settings = _settings(*sets)
    bundle = render(settings)
    return settings, {path: yaml.safe_load(data) for path, data in bundle.items() if path.endswith((".yaml", ".yml"))}


def _loki_bytes(value: str | int) -> int:
    """Loki's byte sizes (flagext.ByteSize, binary units: 1KB = 1024 bytes, as its 1MB default is 1 MiB)."""
    if isinstance(value, int):
        return value
    m = re.fullmatch(r"(\d+)(KB|MB|GB)?", value)
    assert m, value
    return int(m[1]) * {None: 1, "KB": KiB, "MB": MiB, "GB": 1024 * MiB}[m[2]]


def _batch(exporter: dict[str, Any]) -> dict[str, Any]:
    return exporter["sending_queue"]["batch"]


# --- Items 2-4: the size budget ----------------------------------------------------------------------


@pytest.mark.parametrize("name", BUDGETS)
def test_every_downstream_limit_holds_a_record_at_the_budget(name: str) -> None:
    settings, files = _rendered(*BUDGETS[name])
    value, record = settings.limits.max_value_bytes, settings.limits.max_record_bytes
    loki, tempo, collector = files["loki/loki.yaml"], files["tempo/tempo.yaml"], files["collector/config.yaml"]
    lim = loki["limits_config"]

    # Loki: a record's attributes are structured metadata, all together: the record budget plus room
    # for the non-content attributes (a 300 KB prompt was refused at 256KB).
    assert _loki_bytes(lim["max_structured_metadata_size"]) >= record + 64 * KiB
    assert _loki_bytes(lim["max_line_size"]) >= record
    # Collector batches: a whole record fits in one (the exporter cannot split a record).
    for exporter in ("otlp_http/loki", "otlp_grpc/tempo"):
        batch = _batch(collector["exporters"][exporter])
        assert batch["sizer"] == "bytes", exporter
        assert batch["max_size"] >= record + 64 * KiB and batch["min_size"] <= batch["max_size"], exporter
    loki_batch = _batch(collector["exporters"]["otlp_http/loki"])["max_size"]
    # Loki's gRPC server limits (4 MiB default refused a 4.5 MB push and a > 4 MiB query result).
    grpc = loki["server"]
    assert grpc["grpc_server_max_recv_msg_size"] == grpc["grpc_server_max_send_msg_size"]
    assert grpc["grpc_server_max_recv_msg_size"] >= max(3 * loki_batch, LOKI_FAILED_PUSH, 64 * MiB)
    assert grpc["grpc_server_max_recv_msg_size"] <= LOKI_CLIENT_DEFAULT, "beyond what Loki's own clients send"
    assert loki_batch <= LOKI_HTTP_PUSH_DEFAULT
    # A push bigger than a burst is refused forever: both bursts exceed the largest push.
    assert lim["ingestion_burst_size_mb"] * MiB >= grpc["grpc_server_max_recv_msg_size"]
    assert _loki_bytes(lim["per_stream_rate_limit_burst"]) >= grpc["grpc_server_max_recv_msg_size"]

    # Tempo: attributes are cut at max_attribute_bytes (default 2048), traces over max_bytes_per_trace dropped.
    assert tempo["distributor"]["max_attribute_bytes"] >= value
    defaults = tempo["overrides"]["defaults"]
    trace_cap = defaults["global"]["max_bytes_per_trace"]
    assert trace_cap >= max(50_000_000, 4 * record)
    tempo_batch = _batch(collector["exporters"]["otlp_grpc/tempo"])["max_size"]
    receiver = tempo["distributor"]["receivers"]["otlp"]["protocols"]
    assert receiver["grpc"]["max_recv_msg_size_mib"] * MiB >= 2 * tempo_batch
    assert receiver["http"]["max_request_body_size"] >= 2 * tempo_batch
    assert defaults["ingestion"]["burst_size_bytes"] >= receiver["grpc"]["max_recv_msg_size_mib"] * MiB
    assert tempo["server"]["grpc_server_max_send_msg_size"] >= trace_cap, "a whole trace must fit in a query reply"


@pytest.mark.parametrize("backend", [["backend=datadog"], ["backend=otlp", "otlp.endpoint=https://v.example:443"]])
def test_vendor_batches_hold_a_record_and_stay_under_the_common_4mib_grpc_limit(backend: list[str]) -> None:
    settings, files = _rendered(*backend)
    for name, exporter in files["collector/config.yaml"]["exporters"].items():
        batch = _batch(exporter)
        assert batch["sizer"] == "bytes", name
        assert settings.limits.max_record_bytes < batch["max_size"] < 4 * MiB, name


def test_the_budget_is_one_function_of_the_two_settings() -> None:
    """Every number comes from llmobs.limits.budget(); the templates print it, never compute their own."""
    settings, files = _rendered()
    b = budget_mod.budget(settings.limits)
    assert files["loki/loki.yaml"]["server"]["grpc_server_max_recv_msg_size"] == b.loki_grpc_bytes
    assert files["tempo/tempo.yaml"]["distributor"]["max_attribute_bytes"] == b.tempo_attribute_bytes
    assert _batch(files["collector/config.yaml"]["exporters"]["otlp_http/loki"])["max_size"] == b.export_batch_bytes
    for path in ("loki/loki.yaml.j2", "tempo/tempo.yaml.j2"):
        text = (Path(__file__).resolve().parents[1] / path).read_text()
        assert not re.search(r"^\s+(max_\w+(size|bytes)\w*|\w+burst\w*): \d", text, re.MULTILINE), (
            f"{path} hard-codes a size"
        )


def test_a_record_budget_below_the_value_budget_is_refused() -> None:
    with pytest.raises(LlmobsError) as err:
        _settings("limits.max_value_bytes=65536", "limits.max_record_bytes=4096")
    assert "limits.max_record_bytes" in str(err.value)


# --- Items 7, 8: Tempo search range and service graph ---------------------------------------------


@pytest.mark.parametrize("retention", ["14d", "30d", "36h"])
def test_tempo_search_range_covers_the_retention(retention: str) -> None:
    _, files = _rendered(f"retention.traces={retention}")
    tempo = files["tempo/tempo.yaml"]
    max_duration = tempo["query_frontend"]["search"]["max_duration"]
    assert seconds(max_duration) == seconds(retention) > 168 * 3600 or retention == "36h"
    assert seconds(max_duration) == seconds(tempo["backend_worker"]["compaction"]["block_retention"])


def test_llm_provider_calls_draw_service_graph_edges_and_no_unread_span_metrics() -> None:
    _, files = _rendered()
    generator = files["tempo/tempo.yaml"]["metrics_generator"]
    peers = generator["processor"]["service_graphs"]["peer_attributes"]
    assert {n.PROVIDER, "server.address", "peer.service"} <= set(peers)
    assert "span_metrics" not in generator["processor"]
    assert files["tempo/tempo.yaml"]["overrides"]["defaults"]["metrics_generator"]["processors"] == ["service-graphs"]
    everything = json.dumps(DASHBOARDS) + json.dumps(files)
    assert "traces_spanmetrics" not in everything, "a panel reads Tempo's span metrics: keep the processor"


# --- Item 1: otlp exporter TLS ------------------------------------------------------------------------

TLS_CASES = [
    # endpoint, protocol, tls setting -> rendered endpoint, insecure (None: not rendered, the URL says it)
    ("http://127.0.0.1:4317", "grpc", "auto", "127.0.0.1:4317", True),
    ("https://api.vendor.io:443", "grpc", "auto", "api.vendor.io:443", False),
    ("api.vendor.io:443", "grpc", "auto", "api.vendor.io:443", False),
    ("api.vendor.io:443", "grpc", "on", "api.vendor.io:443", False),
    ("collector.internal:4317", "grpc", "off", "collector.internal:4317", True),
    ("http://127.0.0.1:4318", "http", "auto", "http://127.0.0.1:4318", None),
    ("https://otlp.vendor.io/otlp", "http", "auto", "https://otlp.vendor.io/otlp", None),
    ("otlp.vendor.io", "http", "auto", "https://otlp.vendor.io", None),
    ("collector.internal:4318", "http", "off", "http://collector.internal:4318", None),
]


@pytest.mark.parametrize(("endpoint", "protocol", "tls", "rendered", "insecure"), TLS_CASES)
def test_otlp_exporter_security_follows_the_scheme(
    endpoint: str, protocol: str, tls: str, rendered: str, insecure: bool | None
) -> None:
    _, files = _rendered("backend=otlp", f"otlp.endpoint={endpoint}", f"otlp.protocol={protocol}", f"otlp.tls={tls}")
    (name, exporter), *_ = files["collector/config.yaml"]["exporters"].items()
    assert name == f"otlp_{protocol}/vendor"
    assert exporter["endpoint"] == f"${{env:LLMOBS_OTLP_ENDPOINT:-{rendered}}}"
    assert exporter.get("tls", {}).get("insecure") is insecure


def test_every_exporter_llmobs_renders_has_a_deliberate_transport() -> None:
    """In-stack Tempo is plaintext gRPC on the compose network (explicitly), Loki is http://, Datadog https://."""
    _, files = _rendered()
    exporters = files["collector/config.yaml"]["exporters"]
    assert exporters["otlp_grpc/tempo"]["tls"] == {"insecure": True}
    assert exporters["otlp_http/loki"]["endpoint"].endswith("-http://loki:3100/otlp}")
    _, files = _rendered("backend=datadog")
    for name, exporter in files["collector/config.yaml"]["exporters"].items():
        url = next(v for k, v in exporter.items() if k.endswith("endpoint"))
        assert re.search(r":-https://otlp\.datadoghq\.com/v1/\w+\}$", url), (name, url)


@pytest.mark.parametrize(
    ("sets", "words"),
    [
        (["otlp.endpoint=ftp://x"], ["otlp.endpoint", "'ftp'", "https://", "http://"]),
        (["otlp.endpoint=grpc://x:4317"], ["'grpc'", "not supported"]),
        (["otlp.endpoint=http://x:4317", "otlp.tls=on"], ["otlp.tls", "http://"]),
        (["otlp.endpoint=https://x:443", "otlp.tls=off"], ["otlp.tls", "https://"]),
        (["otlp.endpoint=https://x:443/v1"], ["path", "otlp.protocol=http"]),
    ],
)
def test_bad_otlp_endpoints_are_refused_in_one_line(sets: list[str], words: list[str], tmp_path: Path) -> None:
    args = ["render", "--out", str(tmp_path / "out"), "--set", "backend=otlp"]
    for item in sets:
        args += ["--set", item]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert not (tmp_path / "out").exists()


# --- Items 5, 6: TraceQL ---------------------------------------------------------------------------


def _traceql_targets() -> list[tuple[str, str]]:
    return [
        (f"{file}: {panel['title']}", build.substitute(target["query"], dash, BUILTINS))
        for file, dash in DASHBOARDS.items()
        for panel, target in build.targets(dash)
        if build.datasource_type(panel, target) == "tempo"
    ]


def _mistyped(query: str) -> list[str]:
    """Comparisons whose literal's type differs from the attribute's (build.TRACEQL_TYPES; others are strings)."""
    wrong = []
    for ref, op, raw in querylang.conditions(query):
        if not ref.startswith(("span.", "resource.")) or op == "=~":
            continue
        kind = querylang.literal_kind(raw)
        want = build.TRACEQL_TYPES.get(ref.partition(".")[2], "string")
        if kind != "nil" and kind != want:
            wrong.append(f"{ref} {op} {raw} ({want} attribute, {kind} literal)")
    return wrong


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ("{ span.llmobs.cost.usd > 0 }", True),  # the observed failure: nothing matches in Tempo
        ("{ span.llmobs.cost.usd > 0.0 }", False),
        ("{ span.gen_ai.usage.input_tokens > 1000.0 }", True),
        ("{ span.gen_ai.usage.input_tokens > 1000 }", False),
        ("{ span.x > 1 } | sum(span.llmobs.cost.usd) > 1", True),
        ("{ span.x = nil } | sum(span.llmobs.cost.usd) > 0.01", False),
        ("{ span.gen_ai.request.model = 4 }", True),
        ("{ span.llmobs.cost.unpriced = true }", False),
    ],
)
def test_the_literal_type_check_catches_what_tempo_ignores(query: str, bad: bool) -> None:
    assert bool(_mistyped(query)) is bad, _mistyped(query)


def test_every_traceql_literal_has_its_attributes_type() -> None:
    targets = _traceql_targets()
    assert len(targets) >= 7
    wrong = [f"{where}: {w}" for where, query in targets for w in _mistyped(query)]
    assert not wrong, "\n".join(wrong)
    assert any(f"span.{n.COST_ATTR} > 0.0" in q for _, q in targets)


def test_the_type_table_agrees_with_the_conventions() -> None:
    """Token counts are ints (GenAI semantic conventions), the cost a double (the collector writes Double())."""
    assert {build.TRACEQL_TYPES[a] for a in n.TOKEN_TYPES.values()} == {"int"}
    assert build.TRACEQL_TYPES[n.COST_ATTR] == build.TRACEQL_TYPES[n.TIME_TO_FIRST_CHUNK] == "double"
    assert build.tq(n.COST_ATTR, ">", 0) == f"span.{n.COST_ATTR} > 0.0"
    assert build.tq(n.INPUT_TOKENS, ">", 1000.0) == f"span.{n.INPUT_TOKENS} > 1000"
    with pytest.raises(ValueError, match="int attribute"):
        build.tq(n.INPUT_TOKENS, ">", 0.5)


def _span(attrs: dict[str, Any], resource: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return {
        "name": "s",
        "trace_id": kw.get("trace", "t1"),
        "span_id": kw.get("span", "s1"),
        "parent": kw.get("parent", ""),
        "duration": 1.0,
        "resource": {"service.name": "app", **(resource or {})},
        "attributes": attrs,
        "status": {"code": 2 if kw.get("error") else 0},
    }


def test_all_keeps_spans_without_the_filtered_attribute() -> None:
    """At All, ``span.x =~ ".*"`` alone drops spans without x in Tempo; each filter keeps them."""
    llm = {n.OPERATION: "chat", n.COST_ATTR: 0.02, n.INPUT_TOKENS: 10, n.OUTPUT_TOKENS: 5}
    bare = _span({**llm})  # no provider, no model, no environment
    full = _span({**llm, n.PROVIDER: "openai", n.REQUEST_MODEL: "gpt-4o"}, {"deployment.environment.name": "prod"})
    agent = _span({n.OPERATION: "invoke_agent"}, span="a")  # no gen_ai.agent.name
    base = (bare, full, agent)
    checked = 0
    for where, query in _traceql_targets():
        for ref in re.findall(r'((?:span|resource)\.[\w.]+) =~ "\.\*"', query):
            if ref != "resource.service.name":
                assert f"{ref} = nil" in query, f"{where}: {ref} at All drops spans without it"
        head = query.split(" >> ")[0] if " >> " in query else query
        # Attributes a view requires on purpose (`=~ ".+"`, `!= nil`: the conversations view's conversation id)
        # are given to every test span; only the optional ones are left out.
        required = {r.split(".", 1)[1] for r in re.findall(r'(span\.[\w.]+) (?:=~ "\.\+"|!= nil)', head)}
        bare, full, agent = ({**x, "attributes": {**x["attributes"], **dict.fromkeys(required, "x")}} for x in base)
        kinds = [s for s in (bare, full, agent) if querylang.traceql(head, [s])]
        if "status = error" in head:  # the failing-only tables: nothing here failed
            assert not kinds, where
        elif "invoke_agent" in query:
            assert agent in kinds, where
        else:
            assert bare in kinds and full in kinds, f"{where}: {query}"
        checked += 1
    assert checked >= 7


# --- Item 9: the logs dashboard ---------------------------------------------------------------------


def _record(body: Any = None, attributes: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return {
        "resource": {"service.name": "travel-agent", "deployment.environment.name": "production"},
        "body": body,
        "attributes": attributes or {},
        "trace_id": "abc",
        "severity_text": kw.get("text"),
        "severity_number": kw.get("number"),
    }


RECORDS = {
    "details": _record(  # current GenAI event: empty body, everything in attributes
        None,
        {n.OPERATION: "chat", n.REQUEST_MODEL: "gpt-4o-mini", n.PROVIDER: "openai", n.INPUT_TOKENS: 12},
        number=9,
    ),
    "choice": _record(  # older style: event name + gen_ai.system, no operation name, body holds the message
        {"index": 0, "message": {"content": "Paris"}},
        {"event.name": "gen_ai.choice", "gen_ai.system": "openai"},
        number=9,
    ),
    "user_message": _record({"content": "hi"}, {"event.name": "gen_ai.user.message", "gen_ai.system": "openai"}),
    "error_text_only": _record("payment failed", text="ERROR"),
    "warn_number_only": _record("slow tool", number=13),
    "info": _record("booked flight", text="INFO", number=9),
    "no_severity": _record("plain print"),
}


def _panel(title: str, search: str = "") -> str:
    dash = DASHBOARDS["llm-logs.json"]
    panel = next(p for p in dash["panels"] if p["title"] == title)
    query = build.substitute(panel["targets"][0]["expr"], dash, BUILTINS)
    return query.replace('(?i)"', f'(?i){search}"') if search else query


def _selected(query: str) -> dict[str, dict[str, Any]]:
    entries = querylang.loki_entries(list(RECORDS.values()))
    for name, entry in zip(RECORDS, entries, strict=True):
        entry["name"] = name
    return {e["name"]: e for e in querylang.logql(query, entries)[0]}


def _names(query: str) -> set[str]:
    return set(_selected(query))


def test_genai_events_are_found_by_a_search_for_their_model() -> None:
    assert "details" in _names(_panel("GenAI events", "gpt-4o-mini"))
    assert _names(_panel("GenAI events", "no-such-model")) == set()


def test_older_style_events_are_genai_events_not_app_logs() -> None:
    genai, app_logs = _names(_panel("GenAI events")), _names(_panel("App logs"))
    assert {"details", "choice", "user_message"} <= genai
    assert not genai & app_logs
    assert {"error_text_only", "warn_number_only", "info", "no_severity"} <= app_logs
    assert "Paris" in _selected(_panel("GenAI events"))["choice"]["line"], "the older event's body must stay visible"


def test_errors_and_warnings_use_detected_level() -> None:
    assert _names(_panel("Errors and warnings")) == {"error_text_only", "warn_number_only"}
    rate = _panel("Log lines/s by service and severity")
    assert "by (service_name, detected_level)" in rate and "severity_text" not in rate


# --- Item 11: whole numbers and no NaN (promtool, real PromQL engine) ---------------------------------


def test_unpriced_calls_are_whole_and_the_cache_ratio_is_never_nan(tmp_path: Path) -> None:
    """The dashboard expressions, evaluated by promtool's PromQL engine on series where increase()
    extrapolates (samples every 15 s, a 5-minute window that does not start on a sample)."""
    promtool = require_prometheus_tool("promtool")  # the pinned release, never whatever is on PATH
    cost = DASHBOARDS["llm-cost.json"]

    def expr(title: str) -> str:
        panel = next(p for p in cost["panels"] if p["title"] == title)
        return build.substitute(panel["targets"][0]["expr"], cost, BUILTINS)

    common = 'service_name="app", deployment_environment_name="prod", gen_ai_provider_name="openai"'

    def series(metric: str, model: str, values: list[float], **extra: str) -> dict[str, str]:
        labels = ", ".join([common, f'gen_ai_request_model="{model}"', *(f'{k}="{v}"' for k, v in extra.items())])
        return {"series": f"{metric}{{{labels}}}", "values": " ".join(str(v) for v in values)}

    steps = range(61)  # 15 minutes every 15 s
    tests = {
        "rule_files": [],
        "evaluation_interval": "15s",
        "tests": [
            {
                "interval": "15s",
                "input_series": [
                    series(n.PROM_UNPRICED, "m", [i // 4 for i in steps]),  # one call a minute
                    series(n.PROM_UNPRICED, "one", [int(i >= 30) for i in steps]),  # a single call
                    series(n.PROM_TOKENS, "m", [100 * i for i in steps], gen_ai_token_type="input"),
                    series(n.PROM_TOKENS, "m", [25 * i for i in steps], gen_ai_token_type="cache_read"),
                    series(n.PROM_TOKENS, "idle", [5 for _ in steps], gen_ai_token_type="input"),
                    series(n.PROM_TOKENS, "idle", [1 for _ in steps], gen_ai_token_type="cache_read"),
                ],
                "promql_expr_test": [
                    # increase() alone says 5.26 and 1.05 here; the panels say 5 and 1.
                    {
                        "expr": expr("Unpriced calls"),
                        "eval_time": "10m5s",
                        "exp_samples": [{"labels": "{}", "value": 6}],
                    },
                    {
                        "expr": expr("Unpriced calls by model"),
                        "eval_time": "10m5s",
                        "exp_samples": [
                            {"labels": '{gen_ai_provider_name="openai", gen_ai_request_model="m"}', "value": 5},
                            {"labels": '{gen_ai_provider_name="openai", gen_ai_request_model="one"}', "value": 1},
                        ],
                    },
                    # 25 % for m; nothing (not NaN) for the idle model.
                    {
                        "expr": expr("Prompt-cache hit ratio by model"),
                        "eval_time": "10m5s",
                        "exp_samples": [{"labels": '{gen_ai_request_model="m"}', "value": 25}],
                    },
                ],
            }
        ],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests))
    result = subprocess.run(
        [str(promtool), "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- Real collector: TLS and the log batch budget ----------------------------------------------------


def _collector_config(settings: Any, folder: Path) -> Path:
    """The rendered collector config and the files it reads (the price table), as in the bundle."""
    bundle = render(settings)
    folder.mkdir(parents=True, exist_ok=True)
    for path, data in bundle.items():
        if path.startswith("collector/") and "/" not in path.removeprefix("collector/"):
            (folder / path.removeprefix("collector/")).write_bytes(data)
    return folder / "config.yaml"


def _send_span(col_http: str) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "tls-check"
    span = rs.scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x01" * 16, b"\x02" * 8, "chat gpt-4o"
    span.start_time_unix_nano, span.end_time_unix_nano = 1, 2
    response = requests.post(
        f"{col_http}/v1/traces",
        data=req.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


@pytest.mark.collector
def test_http_scheme_reaches_a_plaintext_grpc_sink(otelcol: Path, tmp_path: Path) -> None:
    """The observed failure: `http://host:4317` with protocol grpc did a TLS handshake and delivered nothing."""
    with sink(otelcol, tmp_path / "sink") as target:
        settings = _settings("backend=otlp", f"otlp.endpoint=http://{target.grpc}", "otlp.protocol=grpc", tmp=tmp_path)
        config = _collector_config(settings, tmp_path / "collector")
        with llmobs_collector(otelcol, config, tmp_path / "col", None) as col:
            _send_span(col.http)
            got = wait_for(lambda: spans(target.workdir / "received"), timeout=20)
            assert any(s["name"] == "chat gpt-4o" for s in got)
            assert "handshake" not in col.output()


@contextmanager
def _size_recorder() -> Iterator[dict[str, Any]]:
    """An OTLP/HTTP endpoint standing in for Loki: the uncompressed size and records of every request."""
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    state: dict[str, Any] = {"sizes": [], "values": []}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            message = ExportLogsServiceRequest()
            message.ParseFromString(raw)
            values = [
                (kv.key, len(kv.value.string_value))
                for rl in message.resource_logs
                for sl in rl.scope_logs
                for rec in sl.log_records
                for kv in rec.attributes
                if kv.key.startswith("content.")
            ]
            with lock:
                state["sizes"].append(len(raw))
                state["values"] += values
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["url"] = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _log_request(records: int, values_per_record: int, value_bytes: int) -> bytes:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    kv = rl.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "budget-check"
    scope = rl.scope_logs.add()
    for i in range(records):
        rec = scope.log_records.add()
        rec.time_unix_nano, rec.severity_number = 1_700_000_000_000_000_000 + i, 9
        for j in range(values_per_record):
            attr = rec.attributes.add()
            attr.key, attr.value.string_value = f"content.{j}", chr(ord("a") + (i + j) % 26) * value_bytes
    return req.SerializeToString()


@pytest.mark.collector
def test_records_at_the_budget_reach_loki_in_requests_its_grpc_limit_takes(otelcol: Path, tmp_path: Path) -> None:
    settings = _settings(tmp=tmp_path)
    b = budget_mod.budget(settings.limits)
    loki = yaml.safe_load(render(settings)["loki/loki.yaml"])
    grpc_limit = loki["server"]["grpc_server_max_recv_msg_size"]
    value = settings.limits.max_value_bytes
    per_record = settings.limits.max_record_bytes // value  # records exactly at the record budget
    config = _collector_config(settings, tmp_path / "collector")
    with (
        _size_recorder() as loki_stub,
        llmobs_collector(otelcol, config, tmp_path / "col", None, {"LLMOBS_LOKI_ENDPOINT": loki_stub["url"]}) as col,
    ):
        sent = 0
        for records, size in ((3, value), (4, value - 1)):  # at, and just under, each limit
            body = _log_request(records, per_record, size)
            response = requests.post(
                f"{col.http}/v1/logs", data=body, headers={"Content-Type": "application/x-protobuf"}, timeout=60
            )
            assert response.status_code == 200, response.text
            sent += records * per_record
        wait_for(lambda: len(loki_stub["values"]) >= sent, timeout=60, interval=0.5)
    assert len(loki_stub["values"]) == sent, "records lost or duplicated"
    assert {size for _, size in loki_stub["values"]} == {value, value - 1}, "a value within the budget was cut"
    assert len(loki_stub["sizes"]) >= 2, "7 records of 2 MiB must not travel in one request"
    assert max(loki_stub["sizes"]) <= b.export_batch_bytes + 64 * KiB < grpc_limit
