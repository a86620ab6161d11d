"""Who is talking and in which conversation: ``gen_ai.conversation.id`` and ``user.id`` on every span and log.

:func:`llmobs.conversation` puts the identity in a context variable; two small SDK processors copy it
onto every span started and every log record emitted while it is set, whatever emits them (our helpers,
the official instrumentations, ``logging`` through the OTel bridge). That is what makes a conversation
navigable: each turn's trace, LLM calls, tool calls and GenAI events carry the same id, so Tempo and Loki
can find them without joins.

The processors are installed by :func:`llmobs.init` (and ``llmobs demo``) ahead of the exporting ones;
:func:`install` also adds them to providers an app built itself, once.

Baggage would carry the ids to downstream services too, but also into HTTP headers sent to third
parties (LLM providers among them): user ids must not leave the app that way, so this stays in-process.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from opentelemetry.sdk._logs import LogRecordProcessor
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.semconv._incubating.attributes.gen_ai_attributes import GEN_AI_CONVERSATION_ID
from opentelemetry.semconv._incubating.attributes.user_attributes import USER_ID

_EMPTY: Mapping[str, str] = MappingProxyType({})
_identity: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("llmobs_identity", default=_EMPTY)
_MARK = "_llmobs_identity_installed"


def current() -> Mapping[str, str]:
    """The attributes of the innermost :func:`llmobs.conversation` (empty outside one)."""
    return _identity.get()


def enter(conversation_id: str | None, user: str | None) -> contextvars.Token[Mapping[str, str]]:
    """Set the identity for the current context (inner values win); reset with :func:`leave`."""
    values = dict(_identity.get())
    if conversation_id:
        values[GEN_AI_CONVERSATION_ID] = str(conversation_id)
    if user:
        values[USER_ID] = str(user)
    return _identity.set(MappingProxyType(values))


def leave(token: contextvars.Token[Mapping[str, str]]) -> None:
    _identity.reset(token)


class IdentitySpanProcessor(SpanProcessor):
    """Stamps the conversation and user on each span as it starts; what the span already has wins."""

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        values = _identity.get()
        if values:
            attrs = span.attributes or {}
            for key, value in values.items():
                if key not in attrs:
                    span.set_attribute(key, value)


class IdentityLogProcessor(LogRecordProcessor):
    """Stamps the conversation and user on each log record and event as it is emitted."""

    def on_emit(self, log_record: Any) -> None:
        values = _identity.get()
        if values:
            attrs = log_record.log_record.attributes
            for key, value in values.items():
                if key not in attrs:
                    attrs[key] = value

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def install(tracer_provider: Any = None, logger_provider: Any = None) -> None:
    """Add the identity processors to SDK providers that lack them (others, e.g. no-op ones, are skipped).

    A log processor must run before the exporting one (which queues the record); an app's provider
    already has that one, so ours is put first in its list.
    """
    if hasattr(tracer_provider, "add_span_processor") and not getattr(tracer_provider, _MARK, False):
        tracer_provider.add_span_processor(IdentitySpanProcessor())
        setattr(tracer_provider, _MARK, True)
    if hasattr(logger_provider, "add_log_record_processor") and not getattr(logger_provider, _MARK, False):
        processor = IdentityLogProcessor()
        logger_provider.add_log_record_processor(processor)
        multi = getattr(logger_provider, "_multi_log_record_processor", None)
        chain = getattr(multi, "_log_record_processors", None)
        if isinstance(chain, tuple) and chain and chain[-1] is processor:
            with multi._lock:  # first, ahead of the batching exporter
                multi._log_record_processors = (processor, *chain[:-1])
        setattr(logger_provider, _MARK, True)
