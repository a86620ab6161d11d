"""A small travel agent on the official OpenAI client, instrumented with two lines.

    python examples/agent_app.py            # starts a local OpenAI-compatible stub: runs offline
    OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=sk-... python examples/agent_app.py

The two lines are ``import llmobs`` and ``llmobs.init(...)``: the official
OpenTelemetry OpenAI instrumentation then records every ``chat`` call, and the
``@llmobs.agent`` / ``@llmobs.tool`` decorators add the agent run and its tool
calls, so one trace shows agent → LLM calls → tools. Telemetry goes to the local
stack (``llmobs up``), or wherever ``OTEL_EXPORTER_OTLP_ENDPOINT`` points.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import llmobs  # 1/2

MODEL = os.environ.get("AGENT_MODEL", "gpt-4o-mini")
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search_flights",
            "description": "Find flights between two cities.",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
        },
    }
]


@llmobs.tool("search_flights", description="Find flights between two cities.")
def search_flights(query: str) -> list[dict[str, Any]]:
    """A stand-in for a flight API."""
    return [{"flight": "TP 527", "from": "BER", "to": "LIS", "price_eur": 189}]


@llmobs.agent("trip-planner", model=MODEL)
def plan_trip(client: Any, request: str) -> str:
    """One agent run: ask the model, run the tool it asks for, ask again with the result."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a travel agent. Use tools to find flights."},
        {"role": "user", "content": request},
    ]
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS, max_tokens=256)
    message = first.choices[0].message
    if message.tool_calls:
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = search_flights(**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    final = client.chat.completions.create(model=MODEL, messages=messages, max_tokens=256)
    return final.choices[0].message.content or ""


def main() -> None:
    handle = llmobs.init(service_name="travel-agent", environment="development")  # 2/2
    import openai

    stub = None
    if not os.environ.get("OPENAI_BASE_URL"):  # offline: the local OpenAI-compatible stub
        sys.path.insert(0, str(Path(__file__).parent))
        import openai_stub

        stub = openai_stub.serve()
        os.environ["OPENAI_BASE_URL"] = f"http://127.0.0.1:{stub.server_port}/v1"
        os.environ.setdefault("OPENAI_API_KEY", "stub-key")
    client = openai.OpenAI(max_retries=0)
    print(plan_trip(client, "Find me a flight from Berlin to Lisbon next Friday."))
    print(f"telemetry sent to {handle.endpoint} (instrumentations: {', '.join(handle.instrumentations) or 'none'})")
    handle.shutdown()
    if stub is not None:
        stub.shutdown()


if __name__ == "__main__":
    main()
