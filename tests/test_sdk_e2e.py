"""Apps → the real llmobs collector → a sink collector: the example app and ``llmobs demo`` end to end.

What the collector adds is checked on what it forwards: cost on every priced call (against
genai-prices), the unpriced flag on the self-hosted model, and PII masked out of prompts and logs
(the demo's PII is generated per seed, so the values checked are ones no fixture lists).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from llmobs import names as n
from llmobs.sdk import demo
from tests.support.bundle import collector_config
from tests.support.collector import logs, spans, through_llmobs, wait_for

ROOT = Path(__file__).resolve().parents[1]


def _env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "LLMOBS_"))}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    return env


def _played(trace: demo.Trace) -> int:
    """Spans a trace produces: its steps up to the first failed model call (which ends the request), + the agent,
    + the MCP client spans (each tool is called over MCP; every 5th agent run also lists the tools)."""
    count = 1 if trace.agent else 0
    if trace.agent and trace.index % 5 == 0:
        count += 1  # tools/list
    for step in trace.steps:
        count += 2 if isinstance(step, demo.ToolCall) and trace.agent else 1  # the tool and its tools/call
        if isinstance(step, demo.Call) and step.error is not None:
            break
    return count


def test_example_app_reaches_the_collector_as_one_priced_trace(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(tmp_path / "cfg")
    with through_llmobs(otelcol, config, tmp_path) as (col, received):
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "agent_app.py")],
            env=_env(col.http),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert "instrumentations: openai" in result.stdout
        got = wait_for(lambda: len(spans(received)) >= 4 and spans(received))

    names = sorted(s["name"] for s in got)
    assert names == ["chat gpt-4o-mini", "chat gpt-4o-mini", "execute_tool search_flights", "invoke_agent trip-planner"]
    (agent,) = [s for s in got if s["name"].startswith("invoke_agent")]
    assert {s["trace_id"] for s in got} == {agent["trace_id"]}
    assert all(s["parent"] == agent["span_id"] for s in got if s is not agent)
    assert {s["resource"]["service.name"] for s in got} == {"travel-agent"}
    for chat in (s for s in got if s["name"].startswith("chat")):
        assert chat["attributes"][n.COST_ATTR] > 0  # priced by the collector from the instrumentation's tokens


def test_demo_through_the_collector_is_priced_and_masked(otelcol: Path, tmp_path: Path) -> None:
    count, seed = 40, "e2e"
    config = collector_config(tmp_path / "cfg")
    with through_llmobs(otelcol, config, tmp_path) as (col, received):
        cmd = [sys.executable, "-m", "llmobs.cli.app", "demo", "--endpoint", col.http, "--count", str(count)]
        cmd += ["--seed", seed, "--pii", "--rate", "20"]
        result = subprocess.run(cmd, env=_env("http://127.0.0.1:9"), capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        assert f"Sent {count} traces" in result.stdout
        planned = [demo.plan(i, seed, pii=True) for i in range(count)]
        expected = sum(_played(t) for t in planned)
        got = wait_for(lambda: len(spans(received)) >= expected and spans(received))
        records = wait_for(lambda: logs(received))

    assert len(got) == expected  # every span of the plan arrived, once
    assert {s["resource"]["service.name"] for s in got} == {s.name for s in demo.SERVICES}
    llm = [s for s in got if s["attributes"].get("gen_ai.operation.name") in ("chat", "embeddings")]
    for span in llm:
        a = span["attributes"]
        ok = span["status"].get("code") != "STATUS_CODE_ERROR" and "error.type" not in a
        if a["gen_ai.request.model"] == demo.UNPRICED.name:
            assert n.COST_ATTR not in a
            assert a.get(n.UNPRICED_ATTR) is (True if ok else None), a  # flagged when it used tokens
        elif ok:
            assert a.get(n.COST_ATTR, 0) > 0, (a["gen_ai.provider.name"], a["gen_ai.request.model"])
    assert any(s["attributes"].get(n.UNPRICED_ATTR) for s in llm)  # the plan has successful unpriced calls
    error_types = {s["attributes"].get("error.type") for s in llm} - {None}
    assert any("RateLimit" in e or e == "429" for e in error_types), error_types

    secrets = {v for t in planned for v in t.pii}
    assert secrets
    text = (received / "traces.jsonl").read_text() + (received / "logs.jsonl").read_text()
    leaked = sorted(v for v in secrets if v in text or v.replace(" ", "") in text)
    assert not leaked, leaked[:5]
    assert "[EMAIL]" in text
    assert any("[EMAIL]" in str(r["body"]) for r in records)  # app logs masked too
