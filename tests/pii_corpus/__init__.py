"""The PII corpus (pii.json) and how it travels through a collector: every value in every carrier.

Carriers (where a text can sit): a plain string span attribute, the text part of structured
``gen_ai.input.messages``, an exception event's ``exception.message``, a string log body, a
map log body, and a log attribute holding a JSON string (``json.dumps``: Korean as \\uXXXX).
Each record carries ``test.case`` so what arrives can be matched to what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import otlp
from tests.support.collector import logs, spans, wait_for

DATA = json.loads((Path(__file__).parent / "pii.json").read_text("utf-8"))
CASE = "test.case"


@dataclass(frozen=True)
class Item:
    kind: str  # expected placeholder name (EMAIL, PHONE, ...)
    value: str  # what must not arrive
    text: str  # the value in its context


def positives() -> list[Item]:
    """Every corpus value, each in one of the contexts (rotating, so all contexts are used)."""
    contexts = DATA["contexts"]
    items, n = [], 0
    for kind, entries in DATA["positives"].items():
        for entry in entries:
            core = entry.get("before", "") + entry["value"] + entry.get("after", "")
            items.append(Item(kind, entry["value"], contexts[n % len(contexts)].format(core)))
            n += 1
    return items


def negatives() -> list[str]:
    return list(DATA["negatives"])


def _messages(text: str) -> list[dict[str, Any]]:
    return [
        {"role": "system", "parts": [{"type": "text", "content": "You are a helpful assistant."}]},
        {"role": "user", "parts": [{"type": "text", "content": text}]},
    ]


# carrier name -> (signal, builder(case id, text) -> record)
CARRIERS: dict[str, tuple[str, Callable[[str, str], dict[str, Any]]]] = {
    "span.attribute": ("traces", lambda case, text: otlp.span("chat", {CASE: case, "app.note": text})),
    "span.messages": (
        "traces",
        lambda case, text: otlp.span("chat", {CASE: case, "gen_ai.input.messages": _messages(text)}),
    ),
    "span.event": (
        "traces",
        lambda case, text: otlp.span(
            "chat", {CASE: case}, events=[{"name": "exception", "attributes": {"exception.message": text}}]
        ),
    ),
    "log.body": ("logs", lambda case, text: otlp.log_record(text, {CASE: case})),
    "log.map_body": ("logs", lambda case, text: otlp.log_record({"content": text, "index": 1}, {CASE: case})),
    "log.json_attribute": (
        "logs",
        lambda case, text: otlp.log_record(
            "event", {CASE: case, "gen_ai.output.messages": json.dumps(_messages(text))}, "gen_ai.choice"
        ),
    ),
}


def send(http: str, texts: dict[str, str], out_dir: Path, timeout: float = 60) -> dict[str, dict[str, Any]]:
    """Send each text in every carrier; return what arrived, by case id ("<name>|<carrier>")."""
    batches: dict[str, list[dict[str, Any]]] = {"traces": [], "logs": []}
    for name, text in texts.items():
        for carrier, (signal, build) in CARRIERS.items():
            batches[signal].append(build(f"{name}|{carrier}", text))
    for start in range(0, len(batches["traces"]), 200):
        otlp.post(http, "traces", otlp.traces({"service.name": "pii-corpus"}, batches["traces"][start : start + 200]))
    for start in range(0, len(batches["logs"]), 200):
        otlp.post(http, "logs", otlp.logs({"service.name": "pii-corpus"}, batches["logs"][start : start + 200]))
    want = len(batches["traces"]) + len(batches["logs"])

    def received() -> dict[str, dict[str, Any]]:
        got = {s["attributes"].get(CASE): s for s in spans(out_dir)}
        got.update({r["attributes"].get(CASE): r for r in logs(out_dir)})
        return got if len(got) >= want else {}

    return wait_for(received, timeout=timeout)


def strings(value: Any) -> Iterator[str]:
    """Every string inside a received value (attributes, events, bodies; maps and lists)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def carried_text(record: dict[str, Any], carrier: str) -> str:
    """The text as it arrived in ``carrier`` (JSON strings decoded)."""
    if carrier == "span.attribute":
        return record["attributes"]["app.note"]
    if carrier == "span.messages":
        return record["attributes"]["gen_ai.input.messages"][1]["parts"][0]["content"]
    if carrier == "span.event":
        return record["events"][0]["attributes"]["exception.message"]
    if carrier == "log.body":
        return record["body"]
    if carrier == "log.map_body":
        return record["body"]["content"]
    return json.loads(record["attributes"]["gen_ai.output.messages"])[1]["parts"][0]["content"]


def send_all(http: str, out_dir: Path) -> dict[str, dict[str, Any]]:
    """The whole corpus (positives as p<i>, negatives as n<i>) through a collector."""
    texts = {f"p{i}": item.text for i, item in enumerate(positives())}
    texts.update({f"n{i}": text for i, text in enumerate(negatives())})
    return send(http, texts, out_dir)


def recall(received: dict[str, dict[str, Any]]) -> tuple[int, list[tuple[str, str, str]]]:
    """(masked count, [(kind, value, carrier) that arrived unmasked or without its placeholder])."""
    found, missed = 0, []
    for i, item in enumerate(positives()):
        for carrier in CARRIERS:
            record = received[f"p{i}|{carrier}"]
            text = carried_text(record, carrier)
            leaked = any(item.value in s for s in strings(record))
            if leaked or f"[{item.kind}]" not in text:
                missed.append((item.kind, item.value, carrier))
            else:
                found += 1
    return found, missed
