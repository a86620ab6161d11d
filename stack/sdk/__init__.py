"""llmobs.sdk: the app side of llmobs, what an instrumented app imports.

    from llmobs.sdk import init, agent, tool, llm, conversation, evaluate
    # or, the same objects: import llmobs; llmobs.init(...)

Modules: :mod:`~llmobs.sdk.instrument` (``init``: providers, exporters, the official
instrumentations), :mod:`~llmobs.sdk.telemetry` (the ``agent``/``tool``/``llm``/
``conversation``/``evaluate`` helpers), :mod:`~llmobs.sdk.identity` (conversation and
user ids on every span and log), :mod:`~llmobs.sdk.errortype` (``error.type`` values)
and :mod:`~llmobs.sdk.demo` (the traffic ``llmobs demo`` sends through those helpers).

The boundary: nothing here imports the stack runner (settings, render, lifecycle,
health, ports, engine, compose) or its libraries (docker, typer, jinja2, pydantic,
rich, yaml), so an app pays only for OpenTelemetry, and only on first use. The
facts both sides share are read from three leaf modules that import nothing from
llmobs: :mod:`llmobs.catalog` (the collector's OTLP ports, the demo's defaults),
:mod:`llmobs.names` (``RATE_LIMIT_ERROR_RE``, which the dashboards and alert rules
match too) and :mod:`llmobs.errors` (``LlmobsError``, which the CLI prints as one
line). They stay there rather than moving in here because the templates, settings
and rules read them from there; moving them would leave two import paths per name.
The stack may import from the sdk (``llmobs env`` reads its variable names), never
the reverse. ``tests/test_sdk_package.py`` enforces all of this.

Dependencies: one set, no ``[sdk]`` or ``[cli]`` extra. ``pip install . && llmobs up``
must give a working CLI, so typer, docker, jinja2 and pydantic have to be default
dependencies, and pip has no default extras an app could opt out of; the only way to
spare an app their installation would be a second distribution (``llmobs-sdk``)
released in lockstep. What an instrumented app actually pays for them is import time
and memory, and it pays neither: this package imports none of them. The remaining
cost is install size and their version bounds in the app's resolver; if that ever
matters, this package plus the three leaf modules (and ``llmobs.__version__``) is the
whole of such a split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["agent", "conversation", "evaluate", "init", "llm", "tool"]

# Public name -> the module that defines it; resolved on first use (PEP 562), since
# loading either module loads OpenTelemetry. ``llmobs`` re-exports these same names.
_LAZY = {
    "init": "llmobs.sdk.instrument",
    "agent": "llmobs.sdk.telemetry",
    "tool": "llmobs.sdk.telemetry",
    "llm": "llmobs.sdk.telemetry",
    "conversation": "llmobs.sdk.telemetry",
    "evaluate": "llmobs.sdk.telemetry",
}

if TYPE_CHECKING:
    from llmobs.sdk.instrument import init
    from llmobs.sdk.telemetry import agent, conversation, evaluate, llm, tool


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'llmobs.sdk' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
