"""``llmobs.agent``, ``llmobs.tool`` and ``llmobs.llm``: GenAI telemetry for code no instrumentation covers.

Everything here is a thin layer over ``opentelemetry-util-genai``'s
``TelemetryHandler``, which already emits the conventions' span names
(``invoke_agent {name}``, ``execute_tool {name}``, ``chat {model}``), attributes
and histograms. What the layer adds is what an app author would otherwise get
wrong or repeat:

* one object that is a decorator and a context manager, sync and async, so an
  agent or tool is instrumented by one line;
* tools know the agent they run in (``gen_ai.agent.name``) without being told;
* ``input_tokens`` includes cached tokens, as the conventions require, even for
  providers (Anthropic) that report them separately;
* ``error.type`` recognisable for rate limits (:mod:`llmobs.sdk.errortype`), and the
  exception re-raised untouched;
* ``conversation`` stamps a conversation and user on everything inside it
  (:mod:`llmobs.sdk.identity`), and ``evaluate`` emits the conventions'
  ``gen_ai.evaluation.result`` event, which the collector turns into score metrics.

A :class:`Telemetry` is bound to one set of providers. The module-level
functions use the default one, bound to the global providers that
:func:`llmobs.init` installs; ``llmobs demo`` makes one per simulated service.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

from opentelemetry import trace
from opentelemetry.semconv._incubating.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv._incubating.attributes.gen_ai_attributes import (
    GEN_AI_CONVERSATION_ID,
    GEN_AI_EVALUATION_EXPLANATION,
    GEN_AI_EVALUATION_NAME,
    GEN_AI_EVALUATION_SCORE_LABEL,
    GEN_AI_EVALUATION_SCORE_VALUE,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
)
from opentelemetry.util.genai.handler import TelemetryHandler
from opentelemetry.util.genai.types import Error, FunctionToolDefinition, InputMessage, OutputMessage, TextPart

from llmobs import __version__
from llmobs.sdk import identity
from llmobs.sdk.errortype import error_type

F = TypeVar("F", bound=Callable[..., Any])

SCOPE = "llmobs"  # instrumentation scope of the helpers' telemetry
EVALUATION_EVENT = "gen_ai.evaluation.result"  # the conventions' event name (no constant in semconv 0.66b2)

# Providers whose APIs report cache reads/writes apart from the input tokens (Anthropic's Messages API:
# input_tokens + cache_read_input_tokens + cache_creation_input_tokens is the whole prompt).
CACHE_REPORTED_SEPARATELY = frozenset({"anthropic"})

_current_agent: contextvars.ContextVar[str | None] = contextvars.ContextVar("llmobs_agent", default=None)


class _Invocation:
    """Ends ``self.invocation`` on leaving a ``with`` or ``async with`` block: failed (and re-raised) or stopped."""

    invocation: Any

    def __enter__(self) -> Any:
        raise NotImplementedError

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            self.invocation.fail(Error(message=str(exc), type=error_type(exc), exception=exc))
        else:
            self.invocation.stop()

    async def __aenter__(self) -> Any:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def _messages(value: str | Sequence[Mapping[str, Any] | InputMessage | OutputMessage], output: bool) -> list[Any]:
    """Accept what apps have at hand: a string, or OpenAI-style ``{"role", "content"}`` dicts."""
    cls = OutputMessage if output else InputMessage
    if isinstance(value, str):
        value = [{"role": "assistant" if output else "user", "content": value}]
    result = []
    for item in value:
        if isinstance(item, InputMessage | OutputMessage):
            result.append(item)
            continue
        parts = [TextPart(content=str(item.get("content") or ""))]
        result.append(cls(role=str(item.get("role", "assistant" if output else "user")), parts=parts))
    return result


class _Scope(_Invocation):
    """One agent run or tool call: a context manager (sync and async) and a decorator.

    Used as a decorator, each call of the function opens a fresh scope, so one
    decorated function can run concurrently in threads and tasks.
    """

    def __init__(self, telemetry: Telemetry, name: str, options: dict[str, Any]) -> None:
        self._telemetry = telemetry
        self._name = name
        self._options = options
        self.invocation: Any = None
        self._token: contextvars.Token[str | None] | None = None

    def _start(self) -> Any:
        raise NotImplementedError

    def __enter__(self) -> Any:
        self.invocation = self._start()
        return self.invocation

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is not None:
            _current_agent.reset(self._token)
            self._token = None
        super().__exit__(exc_type, exc, tb)

    def _fresh(self) -> _Scope:
        return type(self)(self._telemetry, self._name, self._options)

    def _record_call(
        self, invocation: Any, args: tuple[Any, ...], kwargs: dict[str, Any], signature: inspect.Signature | None
    ) -> None:
        """Hook for tools: record the call's arguments when content capture is on."""

    def _record_result(self, invocation: Any, result: Any) -> None:
        """Hook for tools: record the result when content capture is on."""

    def __call__(self, fn: F) -> F:
        try:  # once per decorated function, not per call
            signature: inspect.Signature | None = inspect.signature(fn)
        except (TypeError, ValueError):
            signature = None
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                scope = self._fresh()
                with scope as invocation:
                    self._record_call(invocation, args, kwargs, signature)
                    result = await fn(*args, **kwargs)
                    self._record_result(invocation, result)
                    return result

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            scope = self._fresh()
            with scope as invocation:
                self._record_call(invocation, args, kwargs, signature)
                result = fn(*args, **kwargs)
                self._record_result(invocation, result)
                return result

        return wrapper  # type: ignore[return-value]


class AgentScope(_Scope):
    """An in-process agent run: an INTERNAL ``invoke_agent {name}`` span and ``gen_ai.invoke_agent.duration``."""

    def _start(self) -> Any:
        invocation = self._telemetry.handler.invoke_local_agent(
            agent_name=self._name,
            request_model=self._options.get("model"),
            conversation_id=self._options.get("conversation_id") or identity.current().get(GEN_AI_CONVERSATION_ID),
        )
        if self._options.get("description"):
            invocation.agent_description = self._options["description"]
        self._token = _current_agent.set(self._name)
        return invocation


class ToolScope(_Scope):
    """A tool call: an INTERNAL ``execute_tool {name}`` span and ``gen_ai.execute_tool.duration``."""

    def _start(self) -> Any:
        invocation = self._telemetry.handler.tool(
            self._name, tool_type=self._options.get("type", "function"), agent_name=_current_agent.get()
        )
        if self._options.get("description"):
            invocation.tool_description = self._options["description"]
        if self._options.get("call_id"):
            invocation.tool_call_id = self._options["call_id"]
        return invocation

    def _record_call(
        self, invocation: Any, args: tuple[Any, ...], kwargs: dict[str, Any], signature: inspect.Signature | None
    ) -> None:
        if not invocation.should_capture_content:
            return
        try:
            bound = signature.bind_partial(*args, **kwargs).arguments if signature is not None else None
        except TypeError:  # called with arguments its signature does not take; record them as given
            bound = None
        if bound is not None:
            invocation.arguments = {k: _jsonable(v) for k, v in bound.items() if k not in ("self", "cls")}
        else:
            invocation.arguments = {
                "args": [_jsonable(a) for a in args],
                **{k: _jsonable(v) for k, v in kwargs.items()},
            }

    def _record_result(self, invocation: Any, result: Any) -> None:
        if invocation.should_capture_content:
            invocation.tool_result = _jsonable(result)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return repr(value)


class ConversationScope:
    """One conversation (and user): a ``with`` / ``async with`` block or a decorator.

    Every span started and every log record emitted inside carries ``gen_ai.conversation.id`` and
    ``user.id`` (the span already open when the block starts gets them too). Used as a decorator, each
    call opens its own scope, so one decorated handler can serve many conversations concurrently.
    """

    def __init__(self, telemetry: Telemetry, conversation_id: str | None, user: str | None) -> None:
        self._telemetry = telemetry
        self.conversation_id = conversation_id
        self.user = user
        self._tokens: list[contextvars.Token[Any]] = []

    def __enter__(self) -> ConversationScope:
        self._telemetry.install_identity()
        self._tokens.append(identity.enter(self.conversation_id, self.user))
        span = trace.get_current_span()
        if span.is_recording():
            attrs = getattr(span, "attributes", None) or {}
            for key, value in identity.current().items():
                if key not in attrs:
                    span.set_attribute(key, value)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        identity.leave(self._tokens.pop())

    async def __aenter__(self) -> ConversationScope:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, fn: F) -> F:
        def fresh() -> ConversationScope:
            return ConversationScope(self._telemetry, self.conversation_id, self.user)

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with fresh():
                    return await fn(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with fresh():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _forward(name: str, doc: str) -> Any:
    """A property read from and written to the util-genai invocation's ``name``."""
    return property(
        lambda self: getattr(self.invocation, name), lambda self, v: setattr(self.invocation, name, v), doc=doc
    )


class LLMCall(_Invocation):
    """One model call made by a custom client: a ``{operation} {model}`` span and the client histograms.

    Use as ``with llmobs.llm("anthropic", "claude-sonnet-4-5") as call:`` (or
    ``async with``), make the request, then report what the response said with
    :meth:`usage`, :attr:`finish_reasons`, :attr:`response_model`; call
    :meth:`chunk` as each streamed chunk arrives (the first one is the time to
    first chunk). Anything else the conventions define is on :attr:`invocation`
    (util-genai's ``InferenceInvocation``: ``temperature``, ``max_tokens``, ...).
    """

    def __init__(
        self,
        telemetry: Telemetry,
        provider: str,
        model: str,
        *,
        operation: str = "chat",
        server_address: str | None = None,
        server_port: int | None = None,
        input_includes_cache: bool | None = None,
    ) -> None:
        self._telemetry = telemetry
        self._provider = provider
        self._model = model
        self._operation = operation
        self._server = (server_address, server_port)
        self._input_includes_cache = (
            provider not in CACHE_REPORTED_SEPARATELY if input_includes_cache is None else input_includes_cache
        )
        self.invocation: Any = None

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> LLMCall:
        self.invocation = self._telemetry.handler.inference(
            self._provider,
            request_model=self._model,
            operation_name=self._operation,
            server_address=self._server[0],
            server_port=self._server[1],
            error_type_resolver=error_type,
        )
        return self

    # -- what the response said --------------------------------------------------------------
    def usage(
        self,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        *,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> None:
        """Token counts as the provider reported them.

        For providers that count cached tokens apart from the input (Anthropic;
        override with ``input_includes_cache``), the cache reads and writes are
        added to ``input_tokens``: the conventions (and genai-prices, which the
        collector prices with) read ``gen_ai.usage.input_tokens`` as the whole prompt.
        """
        inv = self.invocation
        if input_tokens is not None:
            total = input_tokens
            if not self._input_includes_cache:
                total += (cache_read_tokens or 0) + (cache_write_tokens or 0)
            inv.input_tokens = total
        if output_tokens is not None:
            inv.output_tokens = output_tokens
        if cache_read_tokens is not None:
            inv.cache_read_input_tokens = cache_read_tokens
        if cache_write_tokens is not None:
            inv.cache_write_input_tokens = cache_write_tokens
        if reasoning_tokens is not None:
            inv.thinking_tokens = reasoning_tokens

    def chunk(self) -> None:
        """A streamed chunk arrived (marks the request as streamed; the first sets time to first chunk)."""
        self.invocation.record_stream_chunk()

    @property
    def finish_reasons(self) -> list[str] | None:
        return self.invocation.finish_reasons

    @finish_reasons.setter
    def finish_reasons(self, value: Iterable[str] | str) -> None:
        self.invocation.finish_reasons = [value] if isinstance(value, str) else list(value)

    response_model = _forward("response_model_name", "The model that answered (``gen_ai.response.model``).")
    response_id = _forward("response_id", "The provider's response id (``gen_ai.response.id``).")

    @property
    def should_capture_content(self) -> bool:
        """Whether prompts and completions may be recorded (``capture_content`` / the GenAI env switch)."""
        return bool(self.invocation.should_capture_content)

    def prompt(self, messages: str | Sequence[Mapping[str, Any]]) -> None:
        """The input messages; kept only when content capture is on."""
        if self.should_capture_content:
            self.invocation.input_messages = _messages(messages, output=False)

    def tools(self, definitions: Sequence[Mapping[str, Any]]) -> None:
        """The tools offered to the model, OpenAI-style (``{"type": "function", "function": {...}}``) or flat."""
        if self.should_capture_content:
            functions = [d.get("function", d) for d in definitions]
            self.invocation.tool_definitions = [
                FunctionToolDefinition(name=f["name"], description=f.get("description"), parameters=f.get("parameters"))
                for f in functions
            ]

    def completion(self, messages: str | Sequence[Mapping[str, Any]]) -> None:
        """The output messages; kept only when content capture is on."""
        if self.should_capture_content:
            self.invocation.output_messages = _messages(messages, output=True)


class Telemetry:
    """The helpers, bound to one ``TelemetryHandler`` (one set of providers)."""

    def __init__(
        self, handler: TelemetryHandler | None = None, *, tracer_provider: Any = None, logger_provider: Any = None
    ) -> None:
        self._handler = handler
        self._tracer_provider = tracer_provider
        self._logger_provider = logger_provider

    @classmethod
    def for_providers(
        cls, tracer_provider: Any = None, meter_provider: Any = None, logger_provider: Any = None
    ) -> Telemetry:
        return cls(
            TelemetryHandler(
                tracer_provider=tracer_provider,
                meter_provider=meter_provider,
                logger_provider=logger_provider,
                instrumentation_scope_name=SCOPE,
                instrumentation_scope_version=__version__,
            ),
            tracer_provider=tracer_provider,
            logger_provider=logger_provider,
        )

    def _providers(self) -> tuple[Any, Any]:
        """(tracer, logger) providers: the ones given, else the global ones."""
        from opentelemetry import _logs

        return (
            self._tracer_provider or trace.get_tracer_provider(),
            self._logger_provider or _logs.get_logger_provider(),
        )

    def install_identity(self) -> None:
        """Make sure spans and logs of these providers get the conversation and user (idempotent)."""
        identity.install(*self._providers())

    def conversation(self, conversation_id: str | None, *, user: str | None = None) -> ConversationScope:
        """A conversation, as a ``with`` / ``async with`` block or a decorator.

        ``conversation_id`` is your own id for the conversation (the conventions forbid making one up
        from trace ids); ``user`` your id for the person. Both go on every span and log inside as
        ``gen_ai.conversation.id`` and ``user.id``; the collector can hash user ids
        (``privacy.hash_user_ids``).
        """
        return ConversationScope(self, conversation_id, user)

    def evaluate(
        self,
        name: str,
        *,
        score: float | None = None,
        label: str | None = None,
        explanation: str | None = None,
        response_id: str | None = None,
        model: str | None = None,
        error_type: str | None = None,
        context: Any = None,
    ) -> None:
        """Record the result of an evaluation (an LLM judge, a user's thumbs up, a test) as the
        conventions' ``gen_ai.evaluation.result`` event.

        The event is linked to the current span (or ``context``); ``response_id`` names the evaluated
        response when that span is not the response's. ``model`` (else the current span's model)
        lets the dashboards compare scores by model. The collector turns the events into
        ``llmobs_evaluation_score`` and ``llmobs_evaluation_results_total``.
        """
        from opentelemetry import _logs

        attributes: dict[str, Any] = {GEN_AI_EVALUATION_NAME: name}
        if score is not None:
            attributes[GEN_AI_EVALUATION_SCORE_VALUE] = float(score)
        if label is not None:
            attributes[GEN_AI_EVALUATION_SCORE_LABEL] = str(label)
        if explanation is not None:
            attributes[GEN_AI_EVALUATION_EXPLANATION] = explanation
        if response_id is not None:
            attributes[GEN_AI_RESPONSE_ID] = response_id
        if error_type is not None:
            attributes[ERROR_TYPE] = error_type
        span = trace.get_current_span(context)
        span_attrs = getattr(span, "attributes", None) or {}
        model = model or span_attrs.get(GEN_AI_REQUEST_MODEL) or span_attrs.get(GEN_AI_RESPONSE_MODEL)
        if model:
            attributes[GEN_AI_REQUEST_MODEL] = str(model)
        tracer_provider, logger_provider = self._providers()
        identity.install(tracer_provider, logger_provider)
        logger = _logs.get_logger(SCOPE, __version__, logger_provider=logger_provider)
        logger.emit(event_name=EVALUATION_EVENT, attributes=attributes, context=context)

    @property
    def handler(self) -> TelemetryHandler:
        if self._handler is None:  # bound to the global providers; built on first use so init() can run first
            self._handler = Telemetry.for_providers().handler
        return self._handler

    def agent(
        self, name: str, *, model: str | None = None, description: str | None = None, conversation_id: str | None = None
    ) -> AgentScope:
        """An agent run, as a decorator or a ``with``/``async with`` block: ``invoke_agent {name}``.

        LLM calls and tools inside it become its children; an exception marks the
        run failed (``error.type``) and propagates unchanged.
        """
        options = {"model": model, "description": description, "conversation_id": conversation_id}
        return AgentScope(self, name, options)

    def tool(
        self, name: str, *, type: str = "function", description: str | None = None, call_id: str | None = None
    ) -> ToolScope:
        """A tool call, as a decorator or a ``with``/``async with`` block: ``execute_tool {name}``.

        Inside an agent the span carries the agent's name. With content capture on,
        a decorated tool's arguments and result are recorded.
        """
        return ToolScope(self, name, {"type": type, "description": description, "call_id": call_id})

    def llm(
        self,
        provider: str,
        model: str,
        *,
        operation: str = "chat",
        server_address: str | None = None,
        server_port: int | None = None,
        input_includes_cache: bool | None = None,
    ) -> LLMCall:
        """A model call through a client no instrumentation covers: see :class:`LLMCall`.

        ``provider`` is a ``gen_ai.provider.name`` value (``openai``, ``anthropic``,
        ``gcp.gemini``, ``aws.bedrock``, ...).
        """
        return LLMCall(
            self,
            provider,
            model,
            operation=operation,
            server_address=server_address,
            server_port=server_port,
            input_includes_cache=input_includes_cache,
        )


class _DefaultTelemetry(Telemetry):
    """Whichever :class:`Telemetry` is the default when a scope starts: a decorator may predate ``init()``."""

    @property
    def handler(self) -> TelemetryHandler:
        return _default.handler

    def _providers(self) -> tuple[Any, Any]:
        return _default._providers()


_default = Telemetry()


def set_default(telemetry: Telemetry | None = None) -> None:
    """Rebind the module-level helpers (``init`` does, after setting the content-capture mode; tests do too)."""
    global _default
    _default = telemetry if telemetry is not None else Telemetry()


# The module-level helpers: llmobs.agent, llmobs.tool, llmobs.llm, llmobs.conversation, llmobs.evaluate.
_late = _DefaultTelemetry()
agent = _late.agent
tool = _late.tool
llm = _late.llm
conversation = _late.conversation
evaluate = _late.evaluate
