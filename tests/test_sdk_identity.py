"""``llmobs.conversation`` and ``llmobs.evaluate`` read back from in-memory SDK providers.

Attribute and event names are taken from ``opentelemetry-semantic-conventions`` (``gen_ai.conversation.id``,
``user.id``, ``gen_ai.evaluation.*``), not from our code; the event name ``gen_ai.evaluation.result`` has
no constant there and is spelled as the GenAI conventions' events page spells it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from opentelemetry import trace
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as GenAI
from opentelemetry.semconv._incubating.attributes.user_attributes import USER_ID

from llmobs.sdk import identity
from llmobs.sdk.instrument import build_providers, log_handler
from tests.support.memory import memory

CONV = GenAI.GEN_AI_CONVERSATION_ID
EVENT = "gen_ai.evaluation.result"


def _logs(mem: Any) -> list[Any]:
    return [r.log_record for r in mem.log_exporter.get_finished_logs()]


def test_every_span_and_log_inside_a_conversation_carries_its_ids() -> None:
    with memory() as mem:
        tel = mem.telemetry
        tracer = mem.tracer_provider.get_tracer("app")
        log = logging.getLogger("test.identity")
        log.setLevel(logging.INFO)
        bridge = log_handler(mem.logger_provider, logging.INFO)
        log.addHandler(bridge)
        try:
            # the request span is opened before the conversation is known
            with (
                tracer.start_as_current_span("POST /chat"),
                tel.conversation("conv-42", user="user-7"),
                tel.agent("trip-planner"),
            ):
                with tel.llm("openai", "gpt-4o-mini") as call:
                    call.usage(10, 5)
                with tel.tool("search_flights"):
                    log.info("found 3 flights")
                with tracer.start_as_current_span("db.query"):
                    pass
            with tel.llm("openai", "gpt-4o-mini"):  # after the block: no ids
                pass
        finally:
            log.removeHandler(bridge)
        finished = mem.spans()
        spans = {s.name: s for s in reversed(finished)}  # the first of each name (the chat inside)
        records = _logs(mem)
    inside = ["POST /chat", "invoke_agent trip-planner", "chat gpt-4o-mini", "execute_tool search_flights", "db.query"]
    for name in inside:
        assert spans[name].attributes.get(CONV) == "conv-42", name
        assert spans[name].attributes.get(USER_ID) == "user-7", name
    after = [s for s in finished if s.name == "chat gpt-4o-mini" and CONV not in s.attributes]
    assert len(after) == 1
    [line] = [r for r in records if r.body == "found 3 flights"]
    assert line.attributes[CONV] == "conv-42" and line.attributes[USER_ID] == "user-7"


def test_decorator_sync_async_concurrent_and_nested() -> None:
    with memory() as mem:
        tel = mem.telemetry
        tracer = mem.tracer_provider.get_tracer("app")

        @tel.conversation("sync-conv", user="u-sync")
        def handle() -> str:
            with tracer.start_as_current_span("sync-turn"):
                return "ok"

        async def turn(conv: str) -> None:
            async with tel.conversation(conv, user=f"user-of-{conv}"):
                await asyncio.sleep(0.01)  # interleave the tasks
                with tracer.start_as_current_span(f"turn {conv}"):
                    await asyncio.sleep(0.01)

        @tel.conversation("async-conv")
        async def handle_async() -> None:
            with (
                tracer.start_as_current_span("async-turn"),
                tel.conversation("inner-conv"),  # the inner id wins
                tracer.start_as_current_span("inner-turn"),
            ):
                pass

        async def main() -> None:
            await asyncio.gather(*(turn(f"c{i}") for i in range(5)))
            await handle_async()

        assert handle() == "ok"
        asyncio.run(main())
        spans = {s.name: s.attributes for s in mem.spans()}
    assert spans["sync-turn"][CONV] == "sync-conv" and spans["sync-turn"][USER_ID] == "u-sync"
    for i in range(5):
        assert spans[f"turn c{i}"][CONV] == f"c{i}" and spans[f"turn c{i}"][USER_ID] == f"user-of-c{i}"
    assert spans["async-turn"][CONV] == "async-conv" and USER_ID not in spans["async-turn"]
    assert spans["inner-turn"][CONV] == "inner-conv"
    assert identity.current() == {}


def test_evaluate_emits_the_conventions_event_linked_to_the_span() -> None:
    with memory() as mem:
        tel = mem.telemetry
        with tel.conversation("conv-1", user="user-1"):
            with tel.llm("anthropic", "claude-sonnet-4-5") as call:
                call.response_model = "claude-sonnet-4-5-20250929"
                span_context = trace.get_current_span().get_span_context()
                tel.evaluate("relevance", score=0.82, label="pass", explanation="on topic")
            tel.evaluate("user_feedback", label="thumbs_down", response_id="resp-9", model="gpt-4o")
        tel.evaluate("toxicity", score=0)  # outside any span or conversation
        records = [r for r in _logs(mem) if r.event_name == EVENT]
    assert len(records) == 3
    judged, thumbs, bare = records
    assert dict(judged.attributes) == {
        GenAI.GEN_AI_EVALUATION_NAME: "relevance",
        GenAI.GEN_AI_EVALUATION_SCORE_VALUE: 0.82,
        GenAI.GEN_AI_EVALUATION_SCORE_LABEL: "pass",
        GenAI.GEN_AI_EVALUATION_EXPLANATION: "on topic",
        GenAI.GEN_AI_REQUEST_MODEL: "claude-sonnet-4-5",  # the evaluated call's model, as the other metrics label it
        CONV: "conv-1",
        USER_ID: "user-1",
    }
    assert (judged.trace_id, judged.span_id) == (span_context.trace_id, span_context.span_id)
    assert thumbs.attributes[GenAI.GEN_AI_RESPONSE_ID] == "resp-9"
    assert thumbs.attributes[GenAI.GEN_AI_REQUEST_MODEL] == "gpt-4o"
    assert GenAI.GEN_AI_EVALUATION_SCORE_VALUE not in thumbs.attributes
    assert isinstance(bare.attributes[GenAI.GEN_AI_EVALUATION_SCORE_VALUE], float)  # a double, as the conventions say
    assert CONV not in bare.attributes and not bare.span_id


def test_init_providers_stamp_before_they_export() -> None:
    """The log stamper must run before the batching exporter queues a record; an app's own provider gets
    ours put first too."""
    tracer_provider, meter_provider, logger_provider, _, _ = build_providers(
        {"service.name": "x"}, endpoint="http://127.0.0.1:9"
    )
    try:
        chain = logger_provider._multi_log_record_processor._log_record_processors
        assert isinstance(chain[0], identity.IdentityLogProcessor) and len(chain) == 2
        span_chain = tracer_provider._active_span_processor._span_processors
        assert isinstance(span_chain[0], identity.IdentitySpanProcessor)
        identity.install(tracer_provider, logger_provider)  # idempotent
        assert len(logger_provider._multi_log_record_processor._log_record_processors) == 2
        assert len(tracer_provider._active_span_processor._span_processors) == 2
    finally:
        tracer_provider.shutdown()
        logger_provider.shutdown()
        meter_provider.shutdown()
