"""The ``error.type`` an exception is recorded with.

The conventions want a short, low-cardinality value: a provider error code or
the exception's class name. We keep the official instrumentations' choice, the
qualified class name (``openai.RateLimitError``, ``TimeoutError``), so a failure
reads the same whether our helpers or theirs saw it. One exception: a rate limit
raised as a generic HTTP error (``httpx.HTTPStatusError``, ``requests.HTTPError``)
would hide behind its class name, and rate limits are what the dashboards and the
``LLMRateLimited`` alert look for; it is recorded as ``429``.
"""

from __future__ import annotations

import re

from llmobs.names import RATE_LIMIT_ERROR_RE

RATE_LIMIT_STATUS = 429
# What the dashboards and alerts count as a rate limit (a class name matching it needs no rewrite).
_SAYS_RATE_LIMIT = re.compile(RATE_LIMIT_ERROR_RE)


def http_status(exc: BaseException) -> int | None:
    """The HTTP status an exception carries, in the places the common HTTP and provider clients put it."""
    candidates = (
        getattr(exc, "status_code", None),  # openai, anthropic, mistral (APIStatusError)
        getattr(exc, "status", None),  # aiohttp ClientResponseError
        getattr(getattr(exc, "response", None), "status_code", None),  # httpx / requests HTTP errors
        getattr(exc, "code", None),  # urllib HTTPError, google.api_core errors
    )
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
    return None


def qualified_name(exc: BaseException) -> str:
    """``module.Class`` as the SDK's exception events record it; builtins unqualified."""
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"


def error_type(exc: BaseException) -> str:
    """The ``error.type`` for ``exc`` (see the module docstring for the rule)."""
    explicit = getattr(exc, "_gen_ai_error_type", None)  # opentelemetry-util-genai's own override hook
    if isinstance(explicit, str) and explicit:
        return explicit
    name = qualified_name(exc)
    if http_status(exc) == RATE_LIMIT_STATUS and not _SAYS_RATE_LIMIT.fullmatch(name):
        return str(RATE_LIMIT_STATUS)
    return name
