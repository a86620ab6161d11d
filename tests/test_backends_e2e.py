"""--backend datadog and --backend otlp, run for real: what reaches the vendor's intake.

The real collector runs each backend's rendered config; its intake endpoints
are pointed (through the same LLMOBS_* variables users have) at a local
recorder that keeps every request's headers and body.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.support import otlp
from tests.support.bundle import collector_config
from tests.support.collector import llmobs_collector, logs, read_jsonl, spans, wait_for
from tests.support.recorder import recorder

API_KEY = "dd0123456789abcdef0123456789abcd"  # what a Datadog API key looks like (32 hex)
OTLP_TOKEN = "vendor-token-9f8e7d6c5b4a"
EMAIL = "jane.doe@example.com"


def _traffic(http: str) -> None:
    chat = otlp.span(
        "chat gpt-4o",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 200,
            "gen_ai.input.messages": f'[{{"role":"user","parts":[{{"type":"text","content":"mail {EMAIL}"}}]}}]',
        },
    )
    legacy = otlp.span("chat claude", {"gen_ai.system": "anthropic", "gen_ai.request.model": "claude-3-5-haiku-latest"})
    otlp.post(http, "traces", otlp.traces({"service.name": "shop"}, [chat, legacy]))
    otlp.post(http, "logs", otlp.logs({"service.name": "shop"}, [otlp.log_record(f"user {EMAIL} asked for a refund")]))


def _no_secret_on_disk(root: Path, secret: str) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def _metric_names(out: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for batch in read_jsonl(out / "metrics.jsonl"):
        for rm in batch.get("resourceMetrics", []):
            for sm in rm.get("scopeMetrics", []):
                for metric in sm.get("metrics", []):
                    found[metric["name"]] = metric
    return found


def test_datadog_backend_reaches_the_intake_with_the_key_from_the_environment(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(tmp_path, backend="datadog")
    with recorder(tmp_path / "intake") as intake:
        env = {"DD_API_KEY": API_KEY}
        env |= {f"LLMOBS_DATADOG_{s.upper()}_ENDPOINT": f"{intake.url}/v1/{s}" for s in ("traces", "metrics", "logs")}
        with llmobs_collector(otelcol, config, tmp_path / "llmobs", None, env) as col:
            _traffic(col.http)
            wait_for(lambda: len(spans(intake.out)) >= 2 and logs(intake.out))
            wait_for(lambda: "llmobs.cost.usd" in _metric_names(intake.out), timeout=45)
        got = {s["name"]: s for s in spans(intake.out)}
        traces_headers = intake.headers("traces")
        assert traces_headers and all(
            h["dd-api-key"] == API_KEY and h["dd-otlp-source"] == "llmobs" for h in traces_headers
        )
        assert all(h["dd-api-key"] == API_KEY for h in intake.headers("metrics") + intake.headers("logs"))
        assert all(
            h["content-type"] == "application/x-protobuf" for h in traces_headers
        )  # the intake takes http/protobuf
        chat = got["chat gpt-4o"]["attributes"]
        assert (chat["gen_ai.provider.name"], chat["gen_ai.request.model"]) == ("openai", "gpt-4o")
        assert (
            chat["gen_ai.usage.input_tokens"] == 1000
            and got["chat gpt-4o"]["types"]["gen_ai.usage.input_tokens"] == "intValue"
        )
        assert chat["llmobs.cost.usd"] > 0
        assert chat["gen_ai.cost.estimated_total"] == chat["llmobs.cost.usd"]  # the cost attribute Datadog maps
        assert got["chat claude"]["attributes"]["gen_ai.provider.name"] == "anthropic"  # not dropped for lack of it
        raw = "".join(p.read_text() for p in intake.out.glob("*.jsonl"))
        assert EMAIL not in raw and "[EMAIL]" in raw
        cost = _metric_names(intake.out)["llmobs.cost.usd"]
        assert (
            cost["sum"]["aggregationTemporality"] == "AGGREGATION_TEMPORALITY_DELTA"
        )  # Datadog's metrics intake needs delta
    _no_secret_on_disk(tmp_path, API_KEY)


def test_otlp_backend_sends_only_the_chosen_signals_with_env_headers(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(
        tmp_path,
        "backend=otlp",
        "otlp.endpoint=https://api.vendor.example",
        "otlp.protocol=http",
        "otlp.signals=[traces, logs]",
        "otlp.headers={authorization: 'Bearer ${env:OTLP_TOKEN}'}",
    )
    with recorder(tmp_path / "intake") as intake:
        env = {"OTLP_TOKEN": OTLP_TOKEN, "LLMOBS_OTLP_ENDPOINT": intake.url}
        with llmobs_collector(otelcol, config, tmp_path / "llmobs", None, env) as col:
            _traffic(col.http)
            wait_for(lambda: len(spans(intake.out)) >= 2 and logs(intake.out))
            time.sleep(2)  # a metrics export, if there were one, would have happened by now
        assert {r["signal"] for r in intake.requests} == {"traces", "logs"}
        assert all(r["headers"]["authorization"] == f"Bearer {OTLP_TOKEN}" for r in intake.requests)
        chat = {s["name"]: s for s in spans(intake.out)}["chat gpt-4o"]["attributes"]
        assert chat["llmobs.cost.usd"] > 0 and EMAIL not in str(chat)
    _no_secret_on_disk(tmp_path, OTLP_TOKEN)
