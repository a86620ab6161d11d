"""The app-facing helpers (``llmobs.agent``, ``llmobs.tool``, ``llmobs.llm``) read back from in-memory providers.

The expected names and attributes are the GenAI conventions' (span ``invoke_agent {name}``,
``execute_tool {name}``, ``chat {model}``; histograms ``gen_ai.client.operation.duration``,
``gen_ai.client.token.usage`` with ``gen_ai.token.type`` input/output), taken from the
``opentelemetry-semantic-conventions`` constants where it has them, not from our code.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import openai
import pytest
import requests
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as GenAI
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics
from opentelemetry.trace import SpanKind, StatusCode

from llmobs.sdk.errortype import error_type, http_status
from tests.support.memory import memory

CACHE_WRITE = "gen_ai.usage.cache_write.input_tokens"  # renamed from cache_creation in the GenAI repo (#440)
TTFC = "gen_ai.response.time_to_first_chunk"


def _by_name(spans: list) -> dict:
    return {s.name: s for s in spans}


def test_agent_tool_and_llm_nest_into_one_trace_with_convention_names() -> None:
    with memory() as mem:
        tel = mem.telemetry

        @tel.tool("search_flights")
        def search(query: str) -> list[str]:
            return ["TP 527"]

        @tel.agent("trip-planner", model="gpt-4o-mini")
        def run() -> str:
            with tel.llm("openai", "gpt-4o-mini", server_address="api.openai.com", server_port=443) as call:
                call.usage(1200, 80, cache_read_tokens=1024)
                call.finish_reasons = ["tool_calls"]
                call.response_model = "gpt-4o-mini-2024-07-18"
            search("BER-LIS")
            return "done"

        assert run() == "done"
        spans = _by_name(mem.spans())

    assert set(spans) == {"invoke_agent trip-planner", "execute_tool search_flights", "chat gpt-4o-mini"}
    agent, tool, chat = (
        spans["invoke_agent trip-planner"],
        spans["execute_tool search_flights"],
        spans["chat gpt-4o-mini"],
    )
    assert agent.kind == SpanKind.INTERNAL and tool.kind == SpanKind.INTERNAL and chat.kind == SpanKind.CLIENT
    assert agent.parent is None
    assert tool.parent.span_id == agent.context.span_id and chat.parent.span_id == agent.context.span_id
    assert len({s.context.trace_id for s in spans.values()}) == 1
    assert agent.attributes[GenAI.GEN_AI_OPERATION_NAME] == "invoke_agent"
    assert agent.attributes[GenAI.GEN_AI_AGENT_NAME] == "trip-planner"
    assert GenAI.GEN_AI_PROVIDER_NAME not in agent.attributes  # removed from in-process agent spans (#289)
    assert tool.attributes[GenAI.GEN_AI_TOOL_NAME] == "search_flights"
    assert tool.attributes[GenAI.GEN_AI_AGENT_NAME] == "trip-planner"  # the tool knows its agent
    assert tool.attributes[GenAI.GEN_AI_OPERATION_NAME] == "execute_tool"
    a = chat.attributes
    assert a[GenAI.GEN_AI_PROVIDER_NAME] == "openai" and "gen_ai.system" not in a
    assert a[GenAI.GEN_AI_USAGE_INPUT_TOKENS] == 1200  # OpenAI's prompt_tokens already include the cached ones
    assert a[GenAI.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 1024
    assert a[GenAI.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert a[GenAI.GEN_AI_RESPONSE_MODEL] == "gpt-4o-mini-2024-07-18"
    assert a["server.address"] == "api.openai.com" and a["server.port"] == 443


def test_anthropic_cached_tokens_are_added_to_input_tokens() -> None:
    """Anthropic's input_tokens exclude cache reads/writes; the conventions' input_tokens include them."""
    with memory() as mem:
        with mem.telemetry.llm("anthropic", "claude-sonnet-4-5") as call:
            call.usage(300, 90, cache_read_tokens=2000, cache_write_tokens=700)
        with mem.telemetry.llm("anthropic", "claude-sonnet-4-5", input_includes_cache=True) as call:
            call.usage(3000, 90, cache_read_tokens=2000)
        with mem.telemetry.llm("openai", "gpt-4o") as call:
            call.usage(3000, 90, cache_read_tokens=2000)
        first, second, third = mem.spans()
        usage = mem.metrics()[gen_ai_metrics.GEN_AI_CLIENT_TOKEN_USAGE]

    assert first.attributes[GenAI.GEN_AI_USAGE_INPUT_TOKENS] == 3000
    assert first.attributes[GenAI.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 2000
    assert first.attributes[CACHE_WRITE] == 700
    assert second.attributes[GenAI.GEN_AI_USAGE_INPUT_TOKENS] == 3000  # already inclusive: not added twice
    assert third.attributes[GenAI.GEN_AI_USAGE_INPUT_TOKENS] == 3000
    by_type = {}
    for p in usage:
        key = (p["attributes"][GenAI.GEN_AI_PROVIDER_NAME], p["attributes"][GenAI.GEN_AI_TOKEN_TYPE])
        by_type[key] = by_type.get(key, 0) + p["sum"]
    assert by_type == {("anthropic", "input"): 6000, ("anthropic", "output"): 180, ("openai", "input"): 3000,
                       ("openai", "output"): 90}  # fmt: skip


def test_streaming_records_time_to_first_chunk() -> None:
    with memory() as mem:
        with mem.telemetry.llm("gcp.gemini", "gemini-2.5-flash") as call:
            call.chunk()
            call.chunk()
            call.chunk()
            call.usage(100, 30)
            call.finish_reasons = "MAX_TOKENS"
        (span,) = mem.spans()
        metrics = mem.metrics()

    assert span.attributes[GenAI.GEN_AI_REQUEST_STREAM] is True
    assert span.attributes[TTFC] >= 0
    assert span.attributes[GenAI.GEN_AI_RESPONSE_FINISH_REASONS] == ("MAX_TOKENS",)
    (ttfc,) = metrics[gen_ai_metrics.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK]
    assert ttfc["count"] == 1
    assert metrics[gen_ai_metrics.GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK][0]["count"] == 2


def _rate_limit() -> openai.RateLimitError:
    """The exception the official client raises on a 429 (built on its own HTTP library's response type)."""
    try:  # openai 3.x is built on httpx2, 1.x and 2.x on httpx
        import httpx2 as http
    except ImportError:
        import httpx as http
    request = http.Request("POST", "https://api.openai.com/v1/chat/completions")
    response = http.Response(429, request=request, json={"error": {"message": "Rate limit reached"}})
    return openai.RateLimitError("Rate limit reached", response=response, body=None)


def _http_429() -> requests.HTTPError:
    response = requests.Response()
    response.status_code = 429
    return requests.HTTPError("429 Client Error: Too Many Requests", response=response)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_rate_limit, "openai.RateLimitError"),  # what the official instrumentation records, too
        (_http_429, "429"),  # a generic HTTP error would hide the rate limit behind requests.HTTPError
        (lambda: TimeoutError("read timed out"), "TimeoutError"),
        (lambda: ValueError("bad"), "ValueError"),
    ],
)
def test_failures_set_error_type_and_reraise_the_same_exception(make, expected: str) -> None:
    exc = make()
    with memory() as mem:
        tel = mem.telemetry

        @tel.agent("a")
        def run() -> None:
            with tel.llm("openai", "gpt-4o"):
                raise exc

        with pytest.raises(type(exc)) as raised:
            run()
        spans = _by_name(mem.spans())
        duration = mem.metrics()[gen_ai_metrics.GEN_AI_CLIENT_OPERATION_DURATION]

    assert raised.value is exc  # untouched: same object, same traceback origin
    for name in ("chat gpt-4o", "invoke_agent a"):
        assert spans[name].status.status_code == StatusCode.ERROR
        assert spans[name].attributes["error.type"] == expected
    assert [p["attributes"]["error.type"] for p in duration] == [expected]


def test_error_type_reads_http_status_where_clients_put_it() -> None:
    class Aiohttp(Exception):
        status = 429

    class Urllib(Exception):
        code = 503

    class GrpcLike(Exception):
        code = "RESOURCE_EXHAUSTED"  # not an HTTP status

    assert http_status(Aiohttp()) == 429 and error_type(Aiohttp()) == "429"
    assert http_status(Urllib()) == 503 and error_type(Urllib()).endswith("Urllib")
    assert http_status(GrpcLike()) is None
    assert error_type(_rate_limit()) == "openai.RateLimitError"


def test_async_helpers_and_concurrent_tasks_keep_their_own_parents() -> None:
    with memory() as mem:
        tel = mem.telemetry

        @tel.tool("lookup")
        async def lookup(n: int) -> int:
            await asyncio.sleep(0.01)
            return n

        @tel.agent("worker")
        async def worker(n: int) -> int:
            async with tel.llm("anthropic", "claude-haiku-4-5") as call:
                await asyncio.sleep(0.01)
                call.usage(10, 5)
            return await lookup(n)

        async def main() -> list[int]:
            return await asyncio.gather(*(worker(i) for i in range(5)))

        assert asyncio.run(main()) == [0, 1, 2, 3, 4]
        spans = mem.spans()

    agents = {s.context.span_id: s for s in spans if s.name == "invoke_agent worker"}
    children = [s for s in spans if s.name != "invoke_agent worker"]
    assert len(agents) == 5 and len(children) == 10
    per_agent: dict[int, int] = {}
    for child in children:
        assert child.parent is not None and child.parent.span_id in agents
        assert child.context.trace_id == agents[child.parent.span_id].context.trace_id
        per_agent[child.parent.span_id] = per_agent.get(child.parent.span_id, 0) + 1
    assert set(per_agent.values()) == {2}  # each run got its own llm call and tool call


def test_tool_arguments_and_result_only_with_content_capture() -> None:
    def run(capture: str | None) -> dict:
        with memory(capture) as mem:

            @mem.telemetry.tool("get_weather")
            def weather(city: str, unit: str = "C") -> dict:
                return {"city": city, "temp": 21}

            weather("Lisbon", unit="F")
            (span,) = mem.spans()
            return dict(span.attributes)

    off, on = run(None), run("SPAN_ONLY")
    assert not any(k.startswith("gen_ai.tool.call.") for k in off)
    assert '"Lisbon"' in on["gen_ai.tool.call.arguments"] and '"F"' in on["gen_ai.tool.call.arguments"]
    assert "21" in on["gen_ai.tool.call.result"]


def test_prompt_and_completion_only_with_content_capture() -> None:
    for capture, expect in ((None, False), ("SPAN_ONLY", True)):
        with memory(capture) as mem:
            with mem.telemetry.llm("openai", "gpt-4o-mini") as call:
                call.prompt("My name is Ada")
                call.completion("Hello Ada")
            (span,) = mem.spans()
        assert (GenAI.GEN_AI_INPUT_MESSAGES in span.attributes) is expect
        assert (GenAI.GEN_AI_OUTPUT_MESSAGES in span.attributes) is expect


def test_agent_and_tool_histograms_are_recorded() -> None:
    with memory() as mem:
        with mem.telemetry.agent("planner"), mem.telemetry.tool("search"):
            pass
        metrics = mem.metrics()
    assert metrics["gen_ai.invoke_agent.duration"][0]["attributes"][GenAI.GEN_AI_AGENT_NAME] == "planner"
    assert metrics["gen_ai.execute_tool.duration"][0]["attributes"][GenAI.GEN_AI_TOOL_NAME] == "search"


def test_import_llmobs_loads_no_opentelemetry_or_provider_sdk() -> None:
    """``import llmobs`` must stay cheap: the SDK, util-genai and provider clients load on first use only."""
    code = (
        "import sys, llmobs; heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('opentelemetry', 'openai', 'anthropic', 'pydantic', 'jinja2', 'docker', 'requests')); print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
    code = "import llmobs; print(llmobs.agent.__module__, llmobs.init.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["llmobs.sdk.telemetry", "llmobs.sdk.instrument"]
