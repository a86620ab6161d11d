"""A local OpenAI-compatible server, so the example app, the tests and the overhead benchmark run offline.

It answers ``POST /v1/chat/completions`` the way the OpenAI API does, closely
enough for the official ``openai`` client and its OpenTelemetry instrumentation:

* a plain completion with ``usage`` (including ``prompt_tokens_details.cached_tokens``);
* a ``tool_calls`` answer when the request offers tools and holds no tool result yet;
* server-sent events when ``stream`` is true (with a final usage chunk when
  ``stream_options.include_usage`` asks for it);
* an HTTP 429 rate-limit error for the model named :data:`RATE_LIMITED_MODEL`.

Token counts are derived from the request text, so they are deterministic. The
server is standard library only: run it with ``python examples/openai_stub.py``
(prints ``listening on http://127.0.0.1:PORT``) or start it in-process with
:func:`serve`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RATE_LIMITED_MODEL = "rate-limited-model"
CACHED_PREFIX_TOKENS = 64  # prompts longer than this report a cached prefix, as OpenAI's prompt caching does


def _tokens(text: str) -> int:
    """About four characters a token, like real tokenizers on English text."""
    return max(1, len(text) // 4)


def _prompt_text(messages: list[dict[str, Any]]) -> str:
    parts = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "\n".join(parts)


def completion(request: dict[str, Any]) -> dict[str, Any]:
    """The chat completion the stub answers ``request`` with."""
    messages = request.get("messages") or []
    prompt = _prompt_text(messages)
    model = request.get("model", "gpt-4o-mini")
    wants_tool = bool(request.get("tools")) and not any(m.get("role") == "tool" for m in messages)
    prompt_tokens = _tokens(prompt)
    if wants_tool:
        tool = request["tools"][0]["function"]["name"]
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{prompt_tokens}",
                    "type": "function",
                    "function": {"name": tool, "arguments": json.dumps({"query": prompt[-40:]})},
                }
            ],
        }
        finish, answer = "tool_calls", ""
    else:
        answer = f"Here is what I found about: {prompt[-60:]}"
        message = {"role": "assistant", "content": answer}
        finish = "stop"
    max_tokens = request.get("max_completion_tokens") or request.get("max_tokens")
    completion_tokens = _tokens(answer) if answer else 12
    if max_tokens and completion_tokens > max_tokens:
        completion_tokens, finish = max_tokens, "length"
    cached = (prompt_tokens // CACHED_PREFIX_TOKENS) * CACHED_PREFIX_TOKENS if prompt_tokens > 2 * 64 else 0
    return {
        "id": f"chatcmpl-stub{prompt_tokens:06d}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": f"{model}-2024-07-18" if model == "gpt-4o-mini" else model,
        "system_fingerprint": "fp_stub",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }


def _chunks(body: dict[str, Any], include_usage: bool) -> list[dict[str, Any]]:
    """The completion as stream chunks: role, content pieces (or the tool call), finish, usage."""
    base = {k: body[k] for k in ("id", "created", "model", "system_fingerprint")} | {"object": "chat.completion.chunk"}
    choice = body["choices"][0]
    message = choice["message"]
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    if message.get("tool_calls"):
        deltas.append({"tool_calls": [dict(message["tool_calls"][0], index=0)]})
    else:
        words = message["content"].split(" ")
        deltas.extend({"content": w + (" " if i < len(words) - 1 else "")} for i, w in enumerate(words))
    chunks = [base | {"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    chunks.append(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]})
    if include_usage:
        chunks.append(base | {"choices": [], "usage": body["usage"]})
    return chunks


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses its connection, as against the real API
    disable_nagle_algorithm = True  # headers and body go out as two writes; Nagle would hold the second ~40 ms

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the benchmark sends thousands of requests."""

    def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if status == 429:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(
                404,
                json.dumps({"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}}).encode(),
            )
            return
        if request.get("model") == RATE_LIMITED_MODEL:
            error = {"message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded"}
            self._send(429, json.dumps({"error": error}).encode())
            return
        body = completion(request)
        if not request.get("stream"):
            self._send(200, json.dumps(body).encode())
            return
        include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        events = "".join(f"data: {json.dumps(c)}\n\n" for c in _chunks(body, include_usage)) + "data: [DONE]\n\n"
        self._send(200, events.encode(), "text/event-stream")


def serve(port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Start the stub in a daemon thread; ``server.server_port`` is the bound port, ``shutdown()`` stops it."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="openai-stub", daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _Handler)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
