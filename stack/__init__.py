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

# The app-facing names: llmobs.sdk's, forwarded on first use (its _LAZY says which module defines each).
# llmobs.sdk is not imported until then either, so `import llmobs` reads one file (the CLI pays for it).
# tests/test_sdk_package.py checks that this list is llmobs.sdk.__all__.
__all__ = ["__version__", "agent", "conversation", "evaluate", "init", "llm", "tool"]

if TYPE_CHECKING:
    from llmobs.sdk import agent, conversation, evaluate, init, llm, tool


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'llmobs' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module("llmobs.sdk"), name)
    globals()[name] = value
    return value
