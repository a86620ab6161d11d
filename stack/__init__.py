"""llmobs: an LLM-observability stack in a box.

Importing this package must stay cheap (the CLI's ``--help`` and apps that call
``llmobs.init()`` pay for it), so nothing heavy is imported here: the app-facing
API below is resolved on first use (PEP 562), and only then loads OpenTelemetry.

    import llmobs
    llmobs.init(service_name="travel-agent")

    @llmobs.agent("trip-planner")
    def plan(request): ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

__all__ = ["__version__", "agent", "conversation", "evaluate", "init", "llm", "tool"]

# Public name -> the module that defines it.
_LAZY = {
    "init": "llmobs.instrument",
    "agent": "llmobs.telemetry",
    "tool": "llmobs.telemetry",
    "llm": "llmobs.telemetry",
    "conversation": "llmobs.telemetry",
    "evaluate": "llmobs.telemetry",
}

if TYPE_CHECKING:
    from llmobs.instrument import init
    from llmobs.telemetry import agent, conversation, evaluate, llm, tool


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'llmobs' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
