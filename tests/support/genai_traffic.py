"""Representative GenAI traffic, sent the way an instrumented app sends it.

Real OpenTelemetry SDK providers (OTLP/HTTP to a collector) drive
``opentelemetry-util-genai``'s ``TelemetryHandler``, so the spans, the
conventions' histograms (``gen_ai.client.operation.duration``,
``gen_ai.client.token.usage``, ``gen_ai.client.operation.time_to_first_chunk``,
``gen_ai.invoke_agent.duration``, ``gen_ai.execute_tool.duration``) and the
``gen_ai.client.inference.operation.details`` events are exactly what the
library emits; only the model calls themselves are simulated. Plus ordinary app
logs, correlated with the traces.

One :func:`send_round` is, per app:

* ``travel-agent`` (environment ``production``): an agent run ``trip-planner`` with
  streamed chat calls to OpenAI and Anthropic (prompt-cache reads and writes, a
  ``tool_calls`` stop), two tools of which ``book_flight`` fails, and a last call
  cut off at ``max_tokens``; then a ``support-triage`` run that fails on a 429
  from OpenAI.
* ``support-chat`` (no environment: the collector fills in the configured one):
  chats with Gemini (cut off at ``MAX_TOKENS``), Mistral, an embedding call, a
  self-hosted model genai-prices does not know (unpriced), and a call that times out.

Conversations, users, evaluations and MCP (issue 12), each the way another SDK sends them:

* ``travel-agent`` runs happen inside ``llmobs.sdk.identity`` (what ``llmobs.conversation`` uses), so
  every span and event carries ``gen_ai.conversation.id`` and ``user.id``; an LLM judge's score
  and a user's thumbs are ``gen_ai.evaluation.result`` log events (as agento11y and Strands emit
  them), one also as a span event (older SDKs); the agent calls tools on an MCP server
  (``tools/call`` CLIENT spans with ``mcp.*`` attributes, one JSON-RPC error -32602, plus
  ``tools/list``) and records ``mcp.client.operation.duration``.
* ``support-chat`` marks its chats with OpenLLMetry's association properties
  (``traceloop.association.properties.session_id`` / ``user_id``), which the collector
  normalises to the conventions' names.

The dashboards proof (``tests/test_dashboards_proof.py``) sends this through the
real collector into a real Prometheus; ``llmobs demo`` is meant to send the same.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.genai.handler import TelemetryHandler
from opentelemetry.util.genai.types import InputMessage, OutputMessage, TextPart

from llmobs import names as n
from llmobs.sdk import identity
from llmobs.sdk.demo import content_capture
from llmobs.sdk.instrument import log_handler

# The apps. An app without deployment.environment.name gets the collector's configured one.
AGENT_APP = {"service.name": "travel-agent", "service.version": "1.4.0", "deployment.environment.name": "production"}
CHAT_APP = {"service.name": "support-chat", "service.version": "0.9.2"}

UNPRICED_MODEL = "acme/llama-3.1-70b-support-ft"  # self-hosted behind an OpenAI-compatible API


class ProviderError(Exception):
    """An error response from a model provider; ``error_type`` is what instrumentations record."""

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _error_type(exc: BaseException) -> str | None:
    return getattr(exc, "error_type", None)


@dataclass(frozen=True)
class Call:
    """One simulated model call and what its response reported."""

    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_read: int = 0
    cache_write: int = 0
    finish: tuple[str, ...] = ("stop",)
    chunks: int = 0  # > 0: streamed, with time to first chunk
    seconds: float = 0.05
    operation: str = "chat"
    error: BaseException | None = None
    prompt: str = "Plan a weekend in Lisbon; my email is jane.doe@example.com"


@dataclass(frozen=True)
class Tool:
    name: str
    seconds: float = 0.02
    error: BaseException | None = None


TRIP_PLANNER = (
    Call("openai", "gpt-4o-mini", 1850, 120, cache_read=1024, finish=("tool_calls",), chunks=4, seconds=0.15),
    Tool("search_flights", seconds=0.12),
    Tool("book_flight", seconds=0.04, error=TimeoutError("booking API timed out")),
    Call(
        "anthropic",
        "claude-sonnet-4-5",
        4200,
        380,
        cache_read=2048,
        cache_write=1536,
        finish=("end_turn",),
        chunks=6,
        seconds=0.3,
    ),
    Call("openai", "gpt-4o-mini", 2400, 512, finish=("length",), chunks=8, seconds=0.2),
)
SUPPORT_TRIAGE = (
    Call("openai", "gpt-4o", 900, 0, seconds=0.02, error=ProviderError("Rate limit reached for gpt-4o", "429")),
)
CHATS = (
    Call("gcp.gemini", "gemini-2.5-flash", 1300, 2048, finish=("MAX_TOKENS",), chunks=5, seconds=0.25),
    Call("mistral_ai", "mistral-large-latest", 700, 210, seconds=0.12),
    Call("openai", "text-embedding-3-small", 350, 0, finish=(), seconds=0.03, operation="embeddings"),
    Call("openai", UNPRICED_MODEL, 800, 160, seconds=0.1),
    Call("anthropic", "claude-sonnet-4-5", 1200, 0, seconds=0.6, error=TimeoutError("read timed out")),
)


# Conversations and users (one conversation per round and app: every round has a new one).
AGENT_USER = "user-traveller-7"
CHAT_USER = "user-support-3"
TRACELOOP_SESSION = "traceloop.association.properties.session_id"
TRACELOOP_USER = "traceloop.association.properties.user_id"
# Evaluations: an LLM judge's score with a pass/fail label, and a user's thumbs.
JUDGE, FEEDBACK = "answer_relevance", "user_feedback"
EVALUATIONS = (JUDGE, FEEDBACK)
# MCP calls of the trip planner: (method, tool, JSON-RPC error code or None).
MCP_CALLS = (
    ("tools/list", None, None),
    ("tools/call", "get_weather", None),
    ("tools/call", "get_weather", -32602),
)
MCP_TOOLS = ["get_weather"]
MCP_METHODS = ["tools/call", "tools/list"]


class Association(SpanProcessor):
    """OpenLLMetry's way: association properties set on every span started while they are set."""

    def __init__(self) -> None:
        self.properties: dict[str, str] = {}

    def on_start(self, span: object, parent_context: object = None) -> None:
        for key, value in self.properties.items():
            span.set_attribute(key, value)  # type: ignore[attr-defined]


@dataclass
class App:
    """One instrumented app: SDK providers exporting OTLP/HTTP, and its TelemetryHandler."""

    resource: dict[str, str]
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider
    handler: TelemetryHandler
    log: logging.Logger
    _log_handler: logging.Handler = field(repr=False)
    association: Association = field(default_factory=Association)
    rounds: int = 0

    def flush(self) -> None:
        self.tracer_provider.force_flush()
        self.logger_provider.force_flush()
        self.meter_provider.force_flush()

    def shutdown(self) -> None:
        self.flush()
        self.log.removeHandler(self._log_handler)
        self.tracer_provider.shutdown()
        self.logger_provider.shutdown()
        self.meter_provider.shutdown()


def app(endpoint: str, resource: dict[str, str], export_interval_s: float = 1.0) -> App:
    """SDK providers for one app, exporting to the collector's OTLP/HTTP ``endpoint``."""
    res = Resource.create(resource)
    tracer_provider = TracerProvider(resource=res)
    association = Association()
    tracer_provider.add_span_processor(association)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"), schedule_delay_millis=200)
    )
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"), export_interval_millis=int(export_interval_s * 1000)
    )
    meter_provider = MeterProvider(resource=res, metric_readers=[reader])
    logger_provider = LoggerProvider(resource=res)
    identity.install(tracer_provider, logger_provider)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{endpoint}/v1/logs"), schedule_delay_millis=200)
    )
    log = logging.getLogger(f"llmobs.traffic.{resource['service.name']}")
    log.setLevel(logging.INFO)
    log.propagate = False
    log_bridge = log_handler(logger_provider, logging.INFO)
    log.addHandler(log_bridge)
    handler = TelemetryHandler(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
        instrumentation_scope_name="llmobs.traffic",
        instrumentation_scope_version="1",
    )
    return App(resource, tracer_provider, meter_provider, logger_provider, handler, log, log_bridge, association)


@contextmanager
def apps(endpoint: str) -> Iterator[tuple[App, App]]:
    """The two apps, with content capture on; flushed and shut down on exit."""
    with content_capture():
        agent, chat = app(endpoint, AGENT_APP), app(endpoint, CHAT_APP)
        try:
            yield agent, chat
        finally:
            agent.shutdown()
            chat.shutdown()


def _embedding(a: App, call: Call) -> None:
    with a.handler.embedding(call.provider, request_model=call.model) as inv:
        time.sleep(call.seconds)
        inv.response_model_name = call.model
        inv.input_tokens = call.input_tokens
        inv.dimension_count = 1536


def _call(a: App, call: Call) -> None:
    if call.operation == "embeddings":
        _embedding(a, call)
        return
    inv = a.handler.inference(call.provider, request_model=call.model, error_type_resolver=_error_type)
    try:
        inv.input_messages = [InputMessage(role="user", parts=[TextPart(content=call.prompt)])]
        inv.max_tokens = 512
        if call.chunks:
            time.sleep(call.seconds / 3)
            for _ in range(call.chunks):
                inv.record_stream_chunk()
                time.sleep(call.seconds / 3 / call.chunks)
            time.sleep(call.seconds / 3)
        else:
            time.sleep(call.seconds)
        if call.error is not None:
            raise call.error
        inv.response_model_name = call.model
        inv.response_id = f"resp-{time.monotonic_ns()}"
        inv.input_tokens = call.input_tokens
        inv.output_tokens = call.output_tokens
        inv.cache_read_input_tokens = call.cache_read or None
        inv.cache_write_input_tokens = call.cache_write or None
        if call.finish:
            inv.finish_reasons = list(call.finish)
            inv.output_messages = [
                OutputMessage(role="assistant", parts=[TextPart(content="Here is a plan for your weekend.")])
            ]
    except Exception as exc:
        a.log.error("%s call to %s failed: %s", call.provider, call.model, exc)
        inv.fail(exc)
    else:
        inv.stop()
        if call.finish and call.operation == "chat":
            _evaluate(a, call, inv.response_id)


def _evaluate(a: App, call: Call, response_id: str | None) -> None:
    """An LLM judge scores the answer and the user gives a thumb, as log events (agento11y's way); the
    judge also leaves a span event on the agent span (older SDKs' way). Scores differ by model."""
    logger = a.logger_provider.get_logger("llmobs.traffic.evals")
    score = 0.35 if call.finish[0] in ("length", "MAX_TOKENS") else 0.9
    results = (
        (JUDGE, score, "pass" if score >= 0.5 else "fail", "The answer addresses the question."),
        (FEEDBACK, 1.0 if score >= 0.5 else 0.0, "thumbs_up" if score >= 0.5 else "thumbs_down", None),
    )
    for name, value, label, explanation in results:
        attributes = {
            n.EVALUATION_NAME: name,
            n.EVALUATION_SCORE: value,
            n.EVALUATION_LABEL: label,
            n.REQUEST_MODEL: call.model,
        }
        if response_id:
            attributes[n.RESPONSE_ID] = response_id
        if explanation:
            attributes[n.EVALUATION_EXPLANATION] = explanation
        logger.emit(event_name=n.EVALUATION_EVENT, attributes=attributes)
    current = trace.get_current_span()
    if current.is_recording():
        current.add_event(n.EVALUATION_EVENT, {n.EVALUATION_NAME: JUDGE, n.EVALUATION_LABEL: results[0][2]})


def _mcp(a: App, round_no: int) -> None:
    """The agent's MCP client: spans as the MCP conventions (v1.39) name them, and the duration metric."""
    tracer = a.tracer_provider.get_tracer("mcp.client.traffic")
    duration = a.meter_provider.get_meter("mcp.client.traffic").create_histogram(
        "mcp.client.operation.duration", unit="s"
    )
    session = f"mcp-session-{round_no}"
    for i, (method, tool, code) in enumerate(MCP_CALLS):
        attributes: dict[str, str | int] = {
            n.MCP_METHOD: method,
            n.MCP_SESSION_ID: session,
            n.MCP_PROTOCOL_VERSION: "2025-06-18",
            n.JSONRPC_REQUEST_ID: str(i + 1),
            "network.transport": "tcp",
        }
        if tool:
            attributes |= {n.OPERATION: n.TOOL_OPERATION, n.TOOL_NAME: tool}
        name = f"{method} {tool}" if tool else method
        started = time.perf_counter()
        with tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes) as span:
            time.sleep(0.03)
            if code is not None:
                span.set_attribute(n.ERROR_TYPE, str(code))
                span.set_attribute("rpc.response.status_code", str(code))
                span.set_status(Status(StatusCode.ERROR, "Invalid params"))
        metric = {k: v for k, v in attributes.items() if k not in (n.MCP_SESSION_ID, n.JSONRPC_REQUEST_ID)}
        if code is not None:
            metric[n.ERROR_TYPE] = str(code)
        duration.record(time.perf_counter() - started, metric)


def _tool(a: App, tool: Tool, agent_name: str) -> None:
    inv = a.handler.tool(tool.name, tool_type="function", agent_name=agent_name)
    try:
        time.sleep(tool.seconds)
        if tool.error is not None:
            raise tool.error
        a.log.info("tool %s returned 3 results", tool.name)
    except Exception as exc:
        a.log.warning("tool %s failed: %s; the agent continues without it", tool.name, exc)
        inv.fail(exc)
    else:
        inv.stop()


def _agent_run(a: App, name: str, model: str, steps: tuple[Call | Tool, ...], fail_on_error: bool) -> None:
    run = a.handler.invoke_local_agent(agent_name=name, request_model=model)
    a.log.info("agent %s started", name)
    try:
        for step in steps:
            if isinstance(step, Tool):
                _tool(a, step, name)
                continue
            _call(a, step)
            if step.error is not None and fail_on_error:
                raise RuntimeError(f"{name} gave up: {step.error}")
        if name == "trip-planner":
            _mcp(a, a.rounds)
        run.finish_reasons = ["stop"]
    except Exception as exc:
        a.log.error("agent %s failed: %s", name, exc)
        run.fail(exc)
    else:
        a.log.info("agent %s finished", name)
        run.stop()


def conversation_ids(round_no: int) -> tuple[str, str]:
    """The (agent, chat) conversation ids of a round."""
    return f"trip-{round_no}", f"support-{round_no}"


def send_round(agent: App, chat: App) -> None:
    """One round of every scenario (about 3 s of simulated model time), then flush."""
    agent.rounds += 1
    chat.rounds += 1
    trip, support = conversation_ids(agent.rounds)
    token = identity.enter(trip, AGENT_USER)
    try:
        _agent_run(agent, "trip-planner", "gpt-4o-mini", TRIP_PLANNER, fail_on_error=False)
        _agent_run(agent, "support-triage", "gpt-4o", SUPPORT_TRIAGE, fail_on_error=True)
    finally:
        identity.leave(token)
    chat.association.properties = {TRACELOOP_SESSION: support, TRACELOOP_USER: CHAT_USER}
    try:
        for call in CHATS:
            _call(chat, call)
    finally:
        chat.association.properties = {}
    chat.log.info("answered 5 support questions")
    agent.flush()
    chat.flush()


# What a round contains, for the tests to check against.
ALL_CALLS = tuple(s for s in TRIP_PLANNER + SUPPORT_TRIAGE + CHATS if isinstance(s, Call))
MODELS = sorted({c.model for c in ALL_CALLS})
PROVIDERS = sorted({c.provider for c in ALL_CALLS})
TOOLS = sorted({s.name for s in TRIP_PLANNER if isinstance(s, Tool)})
AGENTS = ["support-triage", "trip-planner"]
SPANS_PER_ROUND = len(TRIP_PLANNER) + 1 + len(SUPPORT_TRIAGE) + 1 + len(CHATS) + len(MCP_CALLS)
USERS = sorted([AGENT_USER, CHAT_USER])
SERVICES = sorted([AGENT_APP["service.name"], CHAT_APP["service.name"]])
