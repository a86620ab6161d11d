"""``llmobs demo``: what it sends has the SDK's shape, is deterministic per seed, and covers what the dashboards show.

The shape check runs the real thing on both sides in memory: the example app (official OpenAI
client → local stub, official OpenAI instrumentation, ``llmobs.agent``/``llmobs.tool``) and the
demo's traces played through the same providers. Attribute names are then checked against the
conventions' registry in ``opentelemetry-semantic-conventions``, not against a list of ours.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes, mcp_attributes
from opentelemetry.semconv._incubating.attributes.jsonrpc_attributes import JSONRPC_REQUEST_ID
from opentelemetry.semconv._incubating.attributes.network_attributes import NETWORK_TRANSPORT
from opentelemetry.semconv._incubating.attributes.rpc_attributes import RPC_RESPONSE_STATUS_CODE
from opentelemetry.semconv._incubating.attributes.user_attributes import USER_ID
from opentelemetry.trace import SpanKind
from typer.testing import CliRunner

from llmobs.cli.app import app
from llmobs.sdk import demo, telemetry
from tests.support.memory import Memory, memory

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

import agent_app  # noqa: E402 - from examples/
import openai_stub  # noqa: E402

# The conventions' attribute registry, plus what the GenAI repo added after the 0.66b2 constants were cut
# (cache_write replaced cache_creation in #440; time_to_first_chunk is recommended on streaming spans).
REGISTRY = {v for k, v in vars(gen_ai_attributes).items() if k.startswith("GEN_AI_") and isinstance(v, str)} | {
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.response.time_to_first_chunk",
    "error.type",
    "server.address",
    "server.port",
    USER_ID,  # llmobs.conversation(user=...)
}
# MCP client spans (semantic conventions v1.39): what the demo's MCP calls may carry besides REGISTRY.
MCP_REGISTRY = {v for k, v in vars(mcp_attributes).items() if k.startswith("MCP_") and isinstance(v, str)} | {
    JSONRPC_REQUEST_ID,
    NETWORK_TRANSPORT,
    RPC_RESPONSE_STATUS_CODE,
}
MCP_NAME = re.compile(r"^(tools/call \S+|tools/list)$")
OPERATION_OF = re.compile(r"^(chat|embeddings|execute_tool|invoke_agent) \S+$")
VOLATILE = {"gen_ai.response.time_to_first_chunk"}  # measured, so it differs run to run


def _no_sleep(_: float) -> None:
    pass


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    server = openai_stub.serve()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def _sdk_output(base_url: str) -> Memory:
    """The example app's telemetry: llmobs helpers + the official OpenAI instrumentation, content on."""
    with memory("SPAN_AND_EVENT") as mem:
        instrumentor = OpenAIInstrumentor()
        instrumentor.instrument(**mem.providers)
        telemetry.set_default(mem.telemetry)
        try:
            client = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)
            agent_app.plan_trip(client, "Flights from Berlin to Lisbon on Friday?")
            stream = client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "hello"}],
                stream=True,
                stream_options={"include_usage": True},
            )
            for _ in stream:
                pass
            with pytest.raises(openai.RateLimitError):
                client.chat.completions.create(
                    model=openai_stub.RATE_LIMITED_MODEL, messages=[{"role": "user", "content": "x"}]
                )
        finally:
            instrumentor.uninstrument()
            telemetry.set_default(None)
        return mem


def _demo_output(seed: str, count: int, pii: bool = False) -> tuple[Memory, list[demo.Trace]]:
    with memory("SPAN_AND_EVENT") as mem:
        app_ = demo.App(demo.TRAVEL, mem.telemetry, demo.logging.getLogger("llmobs.test.demo"))
        traces = [demo.plan(i, seed, pii) for i in range(count)]
        for trace in traces:
            demo.play(app_, trace, _no_sleep)
        return mem, traces


def _keys_by_operation(spans: list[Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for span in spans:
        out.setdefault(span.attributes["gen_ai.operation.name"], set()).update(span.attributes)
    return out


def test_demo_telemetry_has_the_shape_the_sdk_produces(stub: str) -> None:
    sdk = _sdk_output(stub)
    mine, _ = _demo_output("shape", 150)
    sdk_spans, all_demo_spans = sdk.spans(), mine.spans()
    mcp_spans = [s for s in all_demo_spans if "mcp.method.name" in s.attributes]
    demo_spans = [s for s in all_demo_spans if "mcp.method.name" not in s.attributes]
    assert mcp_spans and any(s.attributes.get("error.type") == "-32001" for s in mcp_spans)
    for span in mcp_spans:
        assert MCP_NAME.match(span.name) and span.kind == SpanKind.CLIENT, span.name
        assert set(span.attributes) <= REGISTRY | MCP_REGISTRY, set(span.attributes) - REGISTRY - MCP_REGISTRY

    for span in sdk_spans + demo_spans:
        assert OPERATION_OF.match(span.name), span.name  # {operation} {model|tool|agent}
        assert span.name.split(" ", 1)[1] in (
            span.attributes.get("gen_ai.request.model"),
            span.attributes.get("gen_ai.tool.name"),
            span.attributes.get("gen_ai.agent.name"),
        )
    kinds = {(s.attributes["gen_ai.operation.name"], s.kind) for s in sdk_spans}
    assert kinds <= {(s.attributes["gen_ai.operation.name"], s.kind) for s in demo_spans}

    sdk_keys, demo_keys = _keys_by_operation(sdk_spans), _keys_by_operation(demo_spans)
    for operation, keys in sdk_keys.items():
        portable = {k for k in keys if not k.startswith("openai.")}  # provider-specific extras
        assert portable <= demo_keys[operation], (operation, portable - demo_keys[operation])
    for operation, keys in demo_keys.items():
        assert keys <= REGISTRY, (operation, keys - REGISTRY)  # no invented or outdated names

    sdk_metrics, demo_metrics = sdk.metrics(), mine.metrics()
    assert set(sdk_metrics) <= set(demo_metrics), set(sdk_metrics) - set(demo_metrics)
    for name, points in demo_metrics.items():
        demo_attr_keys = set().union(*(p["attributes"] for p in points))
        assert demo_attr_keys <= REGISTRY, (name, demo_attr_keys - REGISTRY)
        if name in sdk_metrics:
            sdk_attr_keys = set().union(*(p["attributes"] for p in sdk_metrics[name]))
            assert {k for k in sdk_attr_keys if not k.startswith("openai.")} <= demo_attr_keys, name


def _fingerprint(mem: Memory) -> Counter[tuple[Any, ...]]:
    return Counter(
        (s.name, tuple(sorted((k, str(v)) for k, v in s.attributes.items() if k not in VOLATILE))) for s in mem.spans()
    )


def test_same_seed_same_traffic_other_seed_other_traffic() -> None:
    first, _ = _demo_output("seed-a", 40, pii=True)
    again, _ = _demo_output("seed-a", 40, pii=True)
    other, _ = _demo_output("seed-b", 40, pii=True)
    assert _fingerprint(first) == _fingerprint(again)
    assert _fingerprint(first) != _fingerprint(other)


def test_traffic_covers_what_the_dashboards_show() -> None:
    traces = [demo.plan(i, "coverage", pii=False) for i in range(400)]
    calls = [s for t in traces for s in t.steps if isinstance(s, demo.Call)]
    tools = [s for t in traces for s in t.steps if isinstance(s, demo.ToolCall)]
    models = {c.model for c in calls}
    assert set(demo.PRICED_MODELS) | {demo.UNPRICED} == models
    assert len({m.provider for m in models}) >= 4
    assert {t.service for t in traces} == set(demo.SERVICES)
    assert {t.agent for t in traces} >= {a.name for a in demo.AGENTS}
    errors = Counter(type(c.error).__name__ for c in calls if c.error is not None)
    assert errors["RateLimitError"] >= 5 and errors["APITimeoutError"] >= 2
    assert sum(t.error is not None for t in tools) >= 5
    finish = Counter(c.finish for c in calls if c.operation == "chat" and c.error is None)
    truncations = {m.truncated for m in models if m.provider != "openai" or m is demo.GPT_4O_MINI}
    assert truncations & set(finish) == truncations  # length, max_tokens, MAX_TOKENS all appear
    assert any(c.cache_read for c in calls) and any(c.cache_write for c in calls)
    assert any(c.ttft for c in calls) and any(not c.ttft and c.operation == "chat" for c in calls)
    seconds = sorted(c.seconds for c in calls if c.error is None and c.operation == "chat")
    assert 0.3 < seconds[len(seconds) // 2] < 8  # the median call takes seconds, like a real LLM call
    failed = sum(1 for t in traces if any(isinstance(s, demo.Call) and s.error for s in t.steps))
    assert 0.03 < failed / len(traces) < 0.3
    assert not any("@" in c.prompt for c in calls)  # no PII unless asked


def test_pii_mode_puts_generated_pii_in_the_prompts() -> None:
    traces = [demo.plan(i, "pii", pii=True) for i in range(50)]
    assert all(t.pii for t in traces)
    for t in traces:
        prompts = " ".join(s.prompt for s in t.steps if isinstance(s, demo.Call))
        assert all(value in prompts for value in t.pii)
    assert len({v for t in traces for v in t.pii}) > 50  # generated, not a short fixed list


def test_env_prints_exports_for_the_configured_port() -> None:
    result = CliRunner().invoke(app, ["env", "--set", "ports.otlp_http=14318"])
    assert result.exit_code == 0, result.output
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines() if line.startswith("export ")
    )
    assert exports["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:14318"
    assert exports["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert "gen_ai_latest_experimental" in exports["OTEL_SEMCONV_STABILITY_OPT_IN"]


def test_demo_refuses_when_no_collector_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.procs import free_port

    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    port = free_port()
    result = CliRunner().invoke(app, ["demo", "--count", "1", "--set", f"ports.collector_health={port}"])
    assert result.exit_code == 2
    assert "no collector answers" in result.output and "llmobs up" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = CliRunner().invoke(app, ["demo", "--count", "3", "--duration", "5"])
    assert result.exit_code == 2 and "not both" in result.output
