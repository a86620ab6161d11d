"""``llmobs demo``: realistic agent traffic, so every dashboard has data a minute after ``llmobs up``.

The telemetry is not imitated: each simulated service gets its own SDK
providers and a :class:`llmobs.sdk.telemetry.Telemetry`, and every run goes through
the same ``agent``/``tool``/``llm`` helpers an instrumented app uses (on
``opentelemetry-util-genai``). Only the model and tool calls are simulated, with
real wall-clock durations: calls run concurrently, so ``--count 200`` ends in
well under 30 s while every recorded latency is one of seconds.

What is in the traffic (drawn per trace from a seeded RNG, so ``--seed`` makes
two runs send the same models, tokens, errors and content):

* three services, two environments; agents with tool loops, plain streamed
  chats, retrieval (embeddings then a chat);
* models of several providers, all priced by genai-prices, plus one self-hosted
  model no price table knows (the "unpriced" panels);
* token counts with a realistic spread, prompt-cache reads (OpenAI style,
  included in the input) and writes (Anthropic style, reported apart and added
  by the ``llm`` helper);
* 429 rate limits, timeouts, failing tools; finish reasons ``stop``,
  ``tool_calls``, and truncation (``length``, ``max_tokens``, ``MAX_TOKENS``);
* message content (captured, as with ``capture_content=True``), and with
  ``--pii`` e-mails, phone numbers, card numbers and API keys in it, so the
  collector's masking shows in Tempo and Loki.
"""

from __future__ import annotations

import logging
import math
import os
import random
import string
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from llmobs.catalog import DEMO_DURATION_S, DEMO_RATE, OTLP_HTTP_PORT
from llmobs.errors import LlmobsError
from llmobs.sdk.instrument import build_providers, log_handler
from llmobs.sdk.telemetry import Telemetry

MAX_TRACE_SECONDS = 6.0  # a trace's simulated time is scaled down to this, so runs end soon after the last start
METRIC_INTERVAL_MS = 5_000  # the demo's apps export metrics every 5 s: panels fill within a minute


# -- what the traffic is made of --
@dataclass(frozen=True)
class Model:
    """A model as the demo calls it: provider (``gen_ai.provider.name``), endpoint, and how it behaves."""

    provider: str
    name: str
    server: str
    ttft_s: float  # median time to first chunk
    token_s: float  # seconds per output token
    response_suffix: str = ""  # the dated snapshot providers answer with
    stop: str = "stop"
    truncated: str = "length"
    tool_stop: str = "tool_calls"
    caches: str = ""  # "read": automatic prompt cache (OpenAI, Gemini); "read_write": explicit (Anthropic)
    # error.type of a 429 and of a timeout, as the provider's SDK raises them and instrumentations record them
    rate_limit_error: str = "openai.RateLimitError"
    timeout_error: str = "openai.APITimeoutError"


GPT_4O_MINI = Model("openai", "gpt-4o-mini", "api.openai.com", 0.35, 0.012, "-2024-07-18", caches="read")
GPT_41 = Model("openai", "gpt-4.1", "api.openai.com", 0.6, 0.02, "-2025-04-14", caches="read")
CLAUDE_SONNET = Model(
    "anthropic",
    "claude-sonnet-4-5",
    "api.anthropic.com",
    0.8,
    0.018,
    "-20250929",
    stop="end_turn",
    truncated="max_tokens",
    tool_stop="tool_use",
    caches="read_write",
    rate_limit_error="anthropic.RateLimitError",
    timeout_error="anthropic.APITimeoutError",
)
CLAUDE_HAIKU = replace(CLAUDE_SONNET, name="claude-haiku-4-5", ttft_s=0.4, token_s=0.008, response_suffix="-20251001")
GEMINI_FLASH = Model(
    "gcp.gemini",
    "gemini-2.5-flash",
    "generativelanguage.googleapis.com",
    0.45,
    0.006,
    stop="STOP",
    truncated="MAX_TOKENS",
    tool_stop="STOP",
    caches="read",
    rate_limit_error="429",  # google.genai raises a generic ClientError with code 429 (RESOURCE_EXHAUSTED)
    timeout_error="httpx.ReadTimeout",
)
MISTRAL_LARGE = Model(
    "mistral_ai",
    "mistral-large-latest",
    "api.mistral.ai",
    0.5,
    0.02,
    rate_limit_error="429",  # mistralai raises SDKError with status_code 429
    timeout_error="httpx.ReadTimeout",
)
EMBEDDING = Model("openai", "text-embedding-3-small", "api.openai.com", 0.0, 0.0)
# Fine-tuned and served in-house behind an OpenAI-compatible API: no price table knows it.
UNPRICED = Model("openai", "acme-support-llama-3.1-70b-ft", "llm.internal.acme.example", 0.3, 0.015)

PRICED_MODELS = (GPT_4O_MINI, GPT_41, CLAUDE_SONNET, CLAUDE_HAIKU, GEMINI_FLASH, MISTRAL_LARGE, EMBEDDING)


@dataclass(frozen=True)
class Service:
    name: str
    version: str
    environment: str


TRAVEL = Service("travel-agent", "1.4.0", "production")
SUPPORT = Service("support-bot", "2.1.3", "production")
DOCS = Service("doc-search", "0.9.0", "staging")
SERVICES = (TRAVEL, SUPPORT, DOCS)


@dataclass(frozen=True)
class AgentKind:
    name: str
    service: Service
    models: tuple[Model, ...]
    tools: tuple[str, ...]
    task: str


AGENTS = (
    AgentKind(
        "trip-planner",
        TRAVEL,
        (GPT_4O_MINI, CLAUDE_SONNET, GPT_41),
        ("search_flights", "search_hotels", "get_weather", "book_flight"),
        "Plan a three-day trip to {city} in {month}, flights from {origin}, budget {budget} EUR.",
    ),
    AgentKind(
        "support-triage",
        SUPPORT,
        (CLAUDE_HAIKU, GPT_4O_MINI),
        ("lookup_order", "search_kb", "issue_refund"),
        "Order {order} arrived damaged; what are my options? I paid {budget} EUR.",
    ),
)

CITIES = ("Lisbon", "Kyoto", "Oaxaca", "Tallinn", "Cape Town", "Hanoi", "Porto", "Montreal")
MONTHS = ("March", "May", "September", "October", "December")
ORIGINS = ("Berlin", "Chicago", "Madrid", "Singapore", "Toronto")
QUESTIONS = (
    "How do I rotate the signing key for our webhook integration?",
    "Summarise the refund policy for annual plans in two sentences.",
    "What changed in the v2 export API compared to v1?",
    "Which regions support data residency, and how do I enable it?",
)


# -- synthetic PII (--pii), generated rather than taken from a list, so masking is shown on values it never saw --
FIRST = ("jane", "omar", "li", "sofia", "kwame", "ines", "dmitri", "priya", "noah", "aiko")
LAST = ("doe", "haddad", "wei", "rossi", "mensah", "garcia", "ivanov", "sharma", "baker", "tanaka")
DOMAINS = ("example.com", "mail.example.org", "corp.example.net", "example.co.uk")


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    digits = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # these get doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)


def email(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"


def phone(rng: random.Random) -> str:
    n = [rng.randint(0, 9) for _ in range(7)]
    return rng.choice(
        (
            f"+1 415-555-{n[0]}{n[1]}{n[2]}{n[3]}",
            f"+44 20 7946 {n[0]}{n[1]}{n[2]}{n[3]}",
            f"(212) 555-{n[0]}{n[1]}{n[2]}{n[3]}",
            f"+49 30 {n[0]}{n[1]}{n[2]}{n[3]}{n[4]}{n[5]}{n[6]}",
        )
    )


def card(rng: random.Random) -> str:
    number = _luhn_complete(rng.choice(("4", "51", "55", "2221")), 16, rng)
    sep = rng.choice((" ", "-", ""))
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


def api_key(rng: random.Random) -> str:
    alnum = string.ascii_letters + string.digits
    if rng.random() < 0.5:
        return "sk-proj-" + "".join(rng.choice(alnum) for _ in range(40))
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))


PII_TEMPLATES = (
    "Please email the itinerary to {email} and text me at {phone}.",
    "Charge it to my card {card}, receipt to {email}.",
    "Our staging key is {key}; the call fails with 401, can you check? Reach me on {phone}.",
    "I am {email}, card ending in the number {card}.",
)


def pii_sentence(rng: random.Random) -> tuple[str, tuple[str, ...]]:
    """A sentence carrying PII, and the PII values that are in it."""
    template = rng.choice(PII_TEMPLATES)
    values = {"email": email(rng), "phone": phone(rng), "card": card(rng), "key": api_key(rng)}
    used = tuple(v for k, v in values.items() if "{" + k + "}" in template)
    return template.format(**values), used


# -- one trace, planned up front --
class RateLimitError(Exception):
    """A provider's HTTP 429, recorded under the ``error.type`` its SDK's exception gets."""

    status_code = 429

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self._gen_ai_error_type = error_type  # opentelemetry-util-genai's (and llmobs.sdk.errortype's) override hook


class APITimeoutError(TimeoutError):
    """A provider call that timed out client-side, recorded like :class:`RateLimitError`."""

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self._gen_ai_error_type = error_type


@dataclass
class Call:
    model: Model
    input_tokens: int
    output_tokens: int
    seconds: float
    ttft: float = 0.0  # > 0: streamed
    chunks: int = 0
    cache_read: int = 0
    cache_write: int = 0
    finish: str = "stop"
    operation: str = "chat"
    max_tokens: int = 1024
    temperature: float = 0.7
    prompt: str = ""
    tools: tuple[str, ...] = ()  # offered to the model (agent steps)
    answer: str = ""
    response_id: str = ""
    error: BaseException | None = None


@dataclass
class ToolCall:
    name: str
    seconds: float
    error: BaseException | None = None
    query: str = ""
    results: int = 0


@dataclass
class Trace:
    """Everything one trace will do, decided before any of it runs (so timing cannot change the content)."""

    index: int
    service: Service
    agent: str | None
    steps: list[Call | ToolCall] = field(default_factory=list)
    user: str = ""
    pii: tuple[str, ...] = ()  # the PII values in ``user`` (--pii), for checking that the collector masked them

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


def _lognormal(rng: random.Random, median: float, sigma: float, low: float, high: float) -> float:
    return min(max(median * math.exp(rng.gauss(0.0, sigma)), low), high)


def _response_id(rng: random.Random, model: Model) -> str:
    prefix = {"anthropic": "msg_", "gcp.gemini": ""}.get(model.provider, "chatcmpl-")
    return prefix + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))


def _call(
    rng: random.Random,
    model: Model,
    context_tokens: int,
    *,
    tool_call: bool,
    first_of_run: bool,
    prompt: str,
    stream: bool | None = None,
) -> Call:
    input_tokens = int(_lognormal(rng, context_tokens, 0.35, 60, 120_000))
    output_tokens = int(_lognormal(rng, 45 if tool_call else 260, 0.5, 8, 4000))
    max_tokens = rng.choice((512, 1024, 2048))
    finish = model.tool_stop if tool_call else model.stop
    if not tool_call and rng.random() < 0.06:  # truncated answers
        output_tokens, finish = max_tokens, model.truncated
    cache_read = cache_write = 0
    if model.caches == "read" and input_tokens > 1024 and rng.random() < 0.55:
        cache_read = (int(input_tokens * rng.uniform(0.4, 0.9)) // 128) * 128
    elif model.caches == "read_write":
        if first_of_run and rng.random() < 0.5:
            cache_write = int(input_tokens * rng.uniform(0.5, 0.8))
        elif not first_of_run:
            cache_read = int(input_tokens * rng.uniform(0.5, 0.85))
        input_tokens -= cache_read + cache_write  # Anthropic reports the uncached remainder as input_tokens
        input_tokens = max(input_tokens, 8)
    streamed = (rng.random() < 0.6) if stream is None else stream
    ttft = _lognormal(rng, model.ttft_s, 0.4, 0.1, 4.0)
    seconds = ttft + output_tokens * model.token_s * rng.uniform(0.8, 1.3)
    error: BaseException | None = None
    roll = rng.random()
    if roll < 0.04:
        error = RateLimitError(
            f"Error code: 429 - Rate limit reached for {model.name} on tokens per min", model.rate_limit_error
        )
        seconds = rng.uniform(0.05, 0.3)
    elif roll < 0.06:
        error = APITimeoutError("Request timed out.", model.timeout_error)
        seconds = rng.uniform(8.0, 12.0)
    return Call(
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        seconds=seconds,
        ttft=ttft if streamed and error is None else 0.0,
        chunks=rng.randint(4, 8) if streamed else 0,
        cache_read=cache_read,
        cache_write=cache_write,
        finish=finish,
        max_tokens=max_tokens,
        temperature=rng.choice((0.0, 0.2, 0.7, 1.0)),
        prompt=prompt,
        answer="I'll call a tool for that." if tool_call else "Here is what I found, step by step.",
        response_id=_response_id(rng, model),
        error=error,
    )


def plan(index: int, seed: str, pii: bool) -> Trace:
    """The ``index``-th trace of a run seeded with ``seed``: agent run (60%), chat (25%) or retrieval (15%)."""
    rng = random.Random(f"{seed}:{index}")
    kind = rng.random()
    user_text, secrets = pii_sentence(rng) if pii else ("", ())
    if kind < 0.6:
        agent = rng.choice(AGENTS)
        model = rng.choice(agent.models)
        task = agent.task.format(
            city=rng.choice(CITIES),
            month=rng.choice(MONTHS),
            origin=rng.choice(ORIGINS),
            budget=rng.randrange(400, 4000, 50),
            order=f"A-{rng.randint(100000, 999999)}",
        )
        prompt = f"{task} {user_text}".strip()
        trace = Trace(index, agent.service, agent.name, user=user_text, pii=secrets)
        context = 1400
        for step in range(rng.choice((1, 1, 2, 2, 3))):
            call = _call(rng, model, context, tool_call=True, first_of_run=step == 0, prompt=prompt)
            call.tools = agent.tools
            trace.steps.append(call)
            for name in rng.sample(agent.tools, rng.choice((1, 1, 2))):
                failed = rng.random() < 0.08
                err = TimeoutError(f"{name}: upstream API timed out after 5s") if failed else None
                seconds = _lognormal(rng, 0.35, 0.6, 0.02, 3.0)
                trace.steps.append(ToolCall(name, seconds, err, query=task[:60], results=rng.randint(0, 12)))
            context += rng.randint(300, 1500)
        final = _call(rng, model, context, tool_call=False, first_of_run=False, prompt=prompt)
        final.tools = agent.tools
        trace.steps.append(final)
        return trace
    if kind < 0.85:
        model = rng.choice((GPT_4O_MINI, GEMINI_FLASH, MISTRAL_LARGE, CLAUDE_HAIKU, UNPRICED))
        prompt = f"{rng.choice(QUESTIONS)} {user_text}".strip()
        trace = Trace(index, SUPPORT, None, user=user_text, pii=secrets)
        trace.steps.append(_call(rng, model, 900, tool_call=False, first_of_run=True, prompt=prompt, stream=True))
        return trace
    question = rng.choice(QUESTIONS)
    trace = Trace(index, DOCS, None, user=user_text, pii=secrets)
    trace.steps.append(
        Call(
            model=EMBEDDING,
            input_tokens=int(_lognormal(rng, 40, 0.4, 5, 500)),
            output_tokens=0,
            seconds=_lognormal(rng, 0.12, 0.4, 0.03, 1.0),
            operation="embeddings",
            prompt=question,
        )
    )
    model = rng.choice((GEMINI_FLASH, MISTRAL_LARGE, UNPRICED))
    prompt = f"Answer from these passages: ... {question} {user_text}".strip()
    trace.steps.append(_call(rng, model, 3200, tool_call=False, first_of_run=True, prompt=prompt))
    return trace


TOOL_PARAMETERS = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}


# -- playing a trace through the helpers --
@dataclass
class App:
    """One simulated service: its providers, its helpers and its logger."""

    service: Service
    telemetry: Telemetry
    log: logging.Logger
    providers: tuple[Any, ...] = ()
    log_handler: logging.Handler | None = None

    def shutdown(self) -> None:
        if self.log_handler is not None:
            self.log.removeHandler(self.log_handler)
        for provider in self.providers:
            provider.shutdown()


Sleep = Callable[[float], None]


def _play_call(app: App, call: Call, sleep: Sleep) -> None:
    model = call.model
    llm_call = app.telemetry.llm(
        model.provider, model.name, operation=call.operation, server_address=model.server, server_port=443
    )
    with llm_call as llm:
        inv = llm.invocation
        if call.operation == "chat":
            inv.max_tokens = call.max_tokens
            inv.temperature = call.temperature
        llm.prompt(call.prompt)
        if call.tools:
            llm.tools(
                [
                    {"name": name, "description": name.replace("_", " "), "parameters": TOOL_PARAMETERS}
                    for name in call.tools
                ]
            )
        if call.ttft:
            sleep(call.ttft)
            llm.response_model = model.name + model.response_suffix  # every chunk carries it, the first one too
            llm.chunk()
            rest = max(call.seconds - call.ttft, 0.0)
            for _ in range(call.chunks):
                sleep(rest / call.chunks)
                llm.chunk()
        else:
            sleep(call.seconds)
        if call.error is not None:
            raise call.error
        llm.usage(
            call.input_tokens,
            call.output_tokens if call.operation == "chat" else None,
            cache_read_tokens=call.cache_read or None,
            cache_write_tokens=call.cache_write or None,
        )
        llm.response_model = model.name + model.response_suffix
        if call.operation == "chat":
            llm.response_id = call.response_id
            llm.finish_reasons = [call.finish]
            llm.completion(call.answer)
            _judge(app, call)


def _judge(app: App, call: Call) -> None:
    """An LLM judge's relevance score for every answer (cut-off answers score low) and, for some, the
    user's thumb: ``gen_ai.evaluation.result`` events, linked to the call's span and model."""
    cut = call.finish in ("length", "max_tokens", "MAX_TOKENS")
    score = 0.3 if cut else 0.6 + (sum(map(ord, call.response_id)) % 40) / 100
    app.telemetry.evaluate(
        "answer_relevance",
        score=round(score, 2),
        label="pass" if score >= 0.5 else "fail",
        explanation="cut off at the token limit" if cut else "answers the question",
        response_id=call.response_id,
    )
    if sum(map(ord, call.response_id)) % 3 == 0:
        up = not cut
        app.telemetry.evaluate(
            "user_feedback",
            score=1.0 if up else 0.0,
            label="thumbs_up" if up else "thumbs_down",
            response_id=call.response_id,
        )


# MCP (semantic conventions v1.39): the agents' tools live on an MCP server; a timed-out call is the
# JSON-RPC error -32001 (request timeout).
MCP_PROTOCOL = "2025-06-18"
MCP_TIMEOUT_CODE = "-32001"


def _mcp_call(app: App, trace: Trace, tool: str | None, error: bool) -> None:
    """One MCP client request (``tools/call {tool}`` or ``tools/list``) as its CLIENT span."""
    from opentelemetry import trace as otel_trace
    from opentelemetry.trace import SpanKind, Status, StatusCode

    method = "tools/call" if tool else "tools/list"
    attributes: dict[str, Any] = {
        "mcp.method.name": method,
        "mcp.session.id": f"mcp-{trace.service.name}-{trace.index // 5}",
        "mcp.protocol.version": MCP_PROTOCOL,
        "jsonrpc.request.id": str(trace.index),
        "network.transport": "tcp",
    }
    if tool:
        attributes |= {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool}
    tracer = otel_trace.get_tracer("llmobs.demo.mcp", tracer_provider=app.telemetry._providers()[0])
    with tracer.start_as_current_span(f"{method} {tool}" if tool else method, kind=SpanKind.CLIENT) as span:
        span.set_attributes(attributes)
        if error:
            span.set_attribute("error.type", MCP_TIMEOUT_CODE)
            span.set_attribute("rpc.response.status_code", MCP_TIMEOUT_CODE)
            span.set_status(Status(StatusCode.ERROR, "request timed out"))


def play(app: App, trace: Trace, sleep: Sleep = time.sleep) -> bool:
    """Run ``trace`` through ``app``'s helpers; False when it ended in an error (as a real request would)."""
    # Conversations of about three turns, and a handful of users: every span and event gets their ids.
    with app.telemetry.conversation(
        f"{trace.service.name}-conv-{trace.index // 3}", user=f"user-{(trace.index // 3) % 23:03d}"
    ):
        return _play(app, trace, sleep)


def _play(app: App, trace: Trace, sleep: Sleep) -> bool:
    try:
        if trace.agent is None:
            for step in trace.steps:
                if isinstance(step, Call):
                    _play_call(app, step, sleep)
            app.log.info("answered a question (%d model calls)", len(trace.steps))
            return True
        first = trace.steps[0]
        model = first.model if isinstance(first, Call) else None
        with app.telemetry.agent(trace.agent, model=model.name if model else None):
            app.log.info("agent %s started for %s", trace.agent, trace.user or "an anonymous user")
            if trace.index % 5 == 0:
                _mcp_call(app, trace, None, False)
            for step in trace.steps:
                if isinstance(step, ToolCall):
                    try:
                        with app.telemetry.tool(step.name, description=step.name.replace("_", " ")) as tool:
                            if tool.should_capture_content:
                                tool.arguments = {"query": step.query}
                            sleep(step.seconds)
                            _mcp_call(app, trace, step.name, step.error is not None)
                            if step.error is not None:
                                raise step.error
                            if tool.should_capture_content:
                                tool.tool_result = {"results": step.results}
                    except TimeoutError as exc:
                        app.log.warning("tool %s failed: %s; continuing without it", step.name, exc)
                    continue
                _play_call(app, step, sleep)
            app.log.info("agent %s finished in %d steps", trace.agent, len(trace.steps))
        return True
    except (RateLimitError, APITimeoutError) as exc:
        app.log.error("request failed: %s: %s", type(exc).__name__, exc)
        return False


# -- running: apps, schedule, progress --
CAPTURE_ENV = {
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_AND_EVENT",
    "OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT": "true",
}


@contextmanager
def content_capture() -> Iterator[None]:
    """Content on while the apps' handlers are built (util-genai reads the switch then), as an app opting in would."""
    saved = {k: os.environ.get(k) for k in CAPTURE_ENV}
    os.environ.update(CAPTURE_ENV)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# -- counting what the exporters delivered --
SIGNAL_UNITS = {"spans": "spans", "logs": "log records", "metrics": "metric points"}


class ExportFailed(LlmobsError):
    """The demo ran but its exporter lost data (wrong port, no collector): exit 1, not a usage error (2)."""

    exit_code = 1


@dataclass
class Tally:
    """What the demo's exporters delivered and lost, per signal, and the exporter's last complaint."""

    exported: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIGNAL_UNITS, 0))
    lost: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIGNAL_UNITS, 0))
    last_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, signal: str, items: int, ok: bool) -> None:
        with self.lock:
            (self.exported if ok else self.lost)[signal] += items

    def summary(self) -> str:
        return ", ".join(f"{self.exported[s]} {unit}" for s, unit in SIGNAL_UNITS.items())


def _items(signal: str, batch: Any) -> int:
    if signal != "metrics":
        return len(batch)
    return sum(
        len(getattr(metric.data, "data_points", ()))
        for rm in batch.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
    )


class _Counted:
    """An exporter that counts what ``export()`` delivered (SUCCESS) or lost; everything else is the exporter's."""

    def __init__(self, signal: str, inner: Any, tally: Tally) -> None:
        self._signal, self._inner, self._tally = signal, inner, tally

    def export(self, batch: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            result = self._inner.export(batch, *args, **kwargs)
        except Exception as exc:  # the SDK's processors log and swallow this; count it first
            self._tally.add(self._signal, _items(self._signal, batch), ok=False)
            self._tally.last_error = f"{type(exc).__name__}: {exc}"
            raise
        self._tally.add(self._signal, _items(self._signal, batch), ok=getattr(result, "name", "") == "SUCCESS")
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _LastError(logging.Handler):
    """Keeps the exporters' last warning for the one-line report, instead of a screenful of retries."""

    def __init__(self, tally: Tally) -> None:
        super().__init__(logging.WARNING)
        self.tally = tally

    def emit(self, record: logging.LogRecord) -> None:
        self.tally.last_error = " ".join(record.getMessage().split())[:300]


@contextmanager
def _quiet_exporters(tally: Tally) -> Iterator[None]:
    """The SDK's export errors go to the tally, not to the terminal (the demo reports them in one line)."""
    logger = logging.getLogger("opentelemetry")
    handler = _LastError(tally)
    saved = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved


def make_app(service: Service, endpoint: str | None, tally: Tally | None = None) -> App:
    """A simulated service exporting OTLP like ``llmobs.init()`` does (same providers, same helpers)."""
    attributes = {
        "service.name": service.name,
        "service.version": service.version,
        "deployment.environment.name": service.environment,
    }
    wrap = (lambda signal, exporter: _Counted(signal, exporter, tally)) if tally is not None else None
    tracer_provider, meter_provider, logger_provider, _, _ = build_providers(
        attributes, endpoint=endpoint, metric_interval_ms=METRIC_INTERVAL_MS, wrap=wrap
    )
    with content_capture():
        telemetry = Telemetry.for_providers(tracer_provider, meter_provider, logger_provider)
    log = logging.getLogger(f"llmobs.demo.{service.name}")
    log.setLevel(logging.INFO)
    log.propagate = False  # the demo's app logs go to the collector, not to the terminal
    handler = log_handler(logger_provider, logging.INFO)
    log.addHandler(handler)
    return App(service, telemetry, log, (tracer_provider, logger_provider, meter_provider), handler)


@dataclass
class Result:
    traces: int = 0
    failed: int = 0
    seconds: float = 0.0
    tally: Tally = field(default_factory=Tally)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def trace_count(count: int | None, duration: float | None, rate: float) -> int:
    """How many traces a run sends: ``count``, or ``duration`` seconds' worth at ``rate`` (default 60 s)."""
    if count is not None:
        return count
    return max(1, round((duration if duration is not None else DEMO_DURATION_S) * rate))


def run(
    *,
    endpoint: str | None,
    count: int,
    rate: float = DEMO_RATE,
    seed: str | None = None,
    pii: bool = False,
    on_progress: Callable[[Result], None] = lambda _: None,
) -> Result:
    """Send ``count`` traces at ``rate`` traces/s; shutting the apps' providers down at the end flushes them.

    ``result.tally`` says what the exporters delivered; when they lost anything (a wrong port, no
    collector) this raises :class:`ExportFailed` with the counts, after everything was tried.
    """
    seed = seed if seed is not None else str(random.SystemRandom().randrange(1 << 32))
    result = Result()
    with _quiet_exporters(result.tally):
        _send(result, endpoint=endpoint, count=count, rate=rate, seed=seed, pii=pii, on_progress=on_progress)
    tally = result.tally
    if any(tally.lost.values()) or not tally.exported["spans"]:
        lost = ", ".join(f"{tally.lost[s]} {unit}" for s, unit in SIGNAL_UNITS.items() if tally.lost[s])
        raise ExportFailed(
            f"the exporter failed: exported {tally.summary()}; lost {lost or 'the rest'} to "
            f"{endpoint or 'OTEL_EXPORTER_OTLP_ENDPOINT'}" + (f" ({tally.last_error})" if tally.last_error else ""),
            key="llmobs demo",
            fix=f"--endpoint must be a collector's OTLP/HTTP base URL, e.g. http://127.0.0.1:{OTLP_HTTP_PORT}",
        )
    return result


def _send(
    result: Result,
    *,
    endpoint: str | None,
    count: int,
    rate: float,
    seed: str,
    pii: bool,
    on_progress: Callable[[Result], None],
) -> None:
    apps = {service.name: make_app(service, endpoint, result.tally) for service in SERVICES}
    started = time.monotonic()

    def one(index: int) -> None:
        trace = plan(index, seed, pii)
        scale = min(1.0, MAX_TRACE_SECONDS / trace.seconds) if trace.seconds else 1.0
        ok = play(apps[trace.service.name], trace, lambda s: time.sleep(s * scale))
        with result.lock:
            result.traces += 1
            result.failed += 0 if ok else 1
        on_progress(result)

    workers = math.ceil(rate * MAX_TRACE_SECONDS * 1.5) + 4
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llmobs-demo") as pool:
            futures = []
            for index in range(count):
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(one, index))
            for future in futures:
                future.result()
    finally:
        for app in apps.values():
            app.shutdown()
    result.seconds = time.monotonic() - started
