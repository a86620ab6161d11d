"""The rendered collector, run for real, masks PII in traces and logs and leaves everything else alone.

The corpus (tests/pii_corpus) goes through in six carriers: string and structured span
attributes, span events, string and map log bodies, and JSON-string log attributes. Recall is
printed (run with -s, or see benchmarks/collector_throughput.py).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests import pii_corpus
from tests.support import otlp
from tests.support.bundle import collector_config
from tests.support.collector import logs, spans, through_llmobs, wait_for

GENAI = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-2024-08-06",
    "gen_ai.response.model": "ft:gpt-4o-2024-08-06:acme:4242424242424242",
    "gen_ai.response.id": "chatcmpl-4242424242424242",
    "gen_ai.tool.call.id": "call_5454545454545454",
    "server.address": "10.0.0.5",
    "gen_ai.usage.input_tokens": 1732450000000,
    "gen_ai.usage.output_tokens": 4242424242424242,
    "gen_ai.request.temperature": 0.5,
    "gen_ai.request.stream": True,
}


def _raw(out: Path) -> str:
    return "".join(p.read_text("utf-8") for p in out.glob("*.jsonl"))


def _escaped_forms(value: str) -> set[str]:
    """How a value could appear in the sink's JSON files."""
    go = json.dumps(value, ensure_ascii=False)[1:-1]
    return {value, go, go.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")}


def test_mask_mode_masks_the_corpus_and_keeps_clean_values(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(tmp_path)
    clean_messages = [
        {"role": "user", "parts": [{"type": "text", "content": "Order ORD-2024-118842, 1732450000000"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "f", "arguments": {"n": 3}}]},
    ]
    with through_llmobs(otelcol, config, tmp_path) as (col, out):
        received = pii_corpus.send_all(col.http, out)
        genai = otlp.span("chat gpt-4o", {**GENAI, "gen_ai.system_instructions": clean_messages, "id": "genai"})
        otlp.post(col.http, "traces", otlp.traces({"service.name": "app"}, [genai]))
        otlp.post(
            col.http, "logs", otlp.logs({"service.name": "app"}, [otlp.log_record("x", {**GENAI, "id": "genai"})])
        )
        span = wait_for(lambda: next((s for s in spans(out) if s["attributes"].get("id") == "genai"), None))
        log = wait_for(lambda: next((r for r in logs(out) if r["attributes"].get("id") == "genai"), None))

    found, missed = pii_corpus.recall(received)
    print(f"\nPII corpus recall: {found}/{found + len(missed)} (values x carriers)")
    assert not missed, "unmasked: " + "; ".join(f"{k} {v!r} in {c}" for k, v, c in missed)

    # No corpus value anywhere in what the sink wrote, in any JSON spelling.
    raw = _raw(out)
    for item in pii_corpus.positives():
        for form in _escaped_forms(item.value):
            assert form not in raw, f"{item.kind} {item.value!r} reached the sink"

    # Clean text arrives byte-identical, in every carrier.
    for i, text in enumerate(pii_corpus.negatives()):
        for carrier in pii_corpus.CARRIERS:
            assert pii_corpus.carried_text(received[f"n{i}|{carrier}"], carrier) == text, carrier
    # ... and a clean structured value keeps its structure and types.
    assert span["attributes"]["gen_ai.system_instructions"] == clean_messages
    assert '{"key":"n","value":{"intValue":"3"}}' in raw

    # Token counts, model names, ids and types are untouched (their values look like PII on purpose).
    for record in (span, log):
        for key, value in GENAI.items():
            assert record["attributes"][key] == value, key
    assert span["types"]["gen_ai.usage.input_tokens"] == "intValue"
    assert span["types"]["gen_ai.usage.output_tokens"] == "intValue"
    assert span["types"]["gen_ai.request.temperature"] == "doubleValue"
    assert span["types"]["gen_ai.request.stream"] == "boolValue"


def test_structured_values_come_back_structured(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(tmp_path)
    messages = [
        {"role": "user", "parts": [{"type": "text", "content": "메일은kim@naver.com이고 전화는010-1234-5678입니다"}]},
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "name": "lookup", "arguments": {"card": "4111111111111111"}}],
        },
    ]
    with through_llmobs(otelcol, config, tmp_path) as (col, out):
        otlp.post(
            col.http,
            "traces",
            otlp.traces({"service.name": "app"}, [otlp.span("chat", {"gen_ai.input.messages": messages})]),
        )
        got = wait_for(lambda: spans(out))[0]
    assert got["types"]["gen_ai.input.messages"] == "arrayValue"
    value = got["attributes"]["gen_ai.input.messages"]
    assert value[0]["parts"][0]["content"] == "메일은[EMAIL]이고 전화는[PHONE]입니다"
    assert value[1]["parts"][0]["arguments"] == {"card": "[CARD]"}


def test_drop_mode_deletes_content_and_masks_the_rest(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(tmp_path, "pii.mode=drop")
    content = {
        "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "jane@example.com"}]}],
        "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"text","content":"hi"}]}]',
        "gen_ai.system_instructions": "You are helpful.",
        "gen_ai.tool.call.arguments": {"q": "weather"},
        "gen_ai.prompt.0.content": "OpenLLMetry prompt",
        "llm.input_messages.0.message.content": "OpenInference prompt",
        "input.value": "raw input",
    }
    with through_llmobs(otelcol, config, tmp_path) as (col, out):
        span = otlp.span(
            "chat",
            {**GENAI, **content, "app.note": "call 010-1234-5678"},
            events=[{"name": "gen_ai.choice", "attributes": {**content, "exception.message": "for jane@example.com"}}],
        )
        otlp.post(col.http, "traces", otlp.traces({"service.name": "app"}, [span]))
        records = [
            otlp.log_record(
                {"content": "secret prompt"}, {**content, "id": "event"}, "gen_ai.client.inference.operation.details"
            ),
            otlp.log_record("user said hi", {"event.name": "gen_ai.user.message", "id": "legacy"}),
            otlp.log_record("login failed for jane@example.com", {"id": "app"}),
        ]
        otlp.post(col.http, "logs", otlp.logs({"service.name": "app"}, records))
        got = wait_for(lambda: spans(out))[0]
        by_id = wait_for(lambda: len(r := {x["attributes"]["id"]: x for x in logs(out)}) == 3 and r)
    for attrs in (got["attributes"], got["events"][0]["attributes"], by_id["event"]["attributes"]):
        assert not set(content) & set(attrs), set(content) & set(attrs)
    assert got["attributes"]["app.note"] == "call [PHONE]"
    assert got["events"][0]["attributes"]["exception.message"] == "for [EMAIL]"
    for key, value in GENAI.items():
        assert got["attributes"][key] == value
    assert by_id["event"]["body"] in ("", None)
    assert by_id["legacy"]["body"] in ("", None)
    assert by_id["app"]["body"] == "login failed for [EMAIL]"
    assert "secret prompt" not in _raw(out) and "jane@example.com" not in _raw(out)


def test_user_patterns_get_their_own_placeholder(otelcol: Path, tmp_path: Path) -> None:
    patterns = "[{name: EMPLOYEE_ID, regex: '\\bEMP-[0-9]{6}\\b'}, {name: ACCOUNT, regex: 'ACCT-[0-9]{4}$'}]"
    config = collector_config(tmp_path, f"pii.patterns={patterns}")
    texts = {
        "a": "badge EMP-123456 (EMP-1234567 is not one)",
        "b": "account ACCT-9876",
        "c": "ACCT-9876 is first; jane@example.com",
    }
    with through_llmobs(otelcol, config, tmp_path) as (col, out):
        received = pii_corpus.send(col.http, texts, out)
    expected = {
        "a": "badge [EMPLOYEE_ID] (EMP-1234567 is not one)",
        "b": "account [ACCOUNT]",
        "c": "ACCT-9876 is first; [EMAIL]",
    }
    for name, text in expected.items():
        # "$" anchors at the end of a string; structured values are walked string by string, but a JSON
        # string attribute is one string whose end is the JSON's.
        carriers = [c for c in pii_corpus.CARRIERS if c != "log.json_attribute"] if name == "b" else pii_corpus.CARRIERS
        for carrier in carriers:
            assert pii_corpus.carried_text(received[f"{name}|{carrier}"], carrier) == text, carrier


def test_off_mode_passes_content_through(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(tmp_path, "pii.mode=off")
    with through_llmobs(otelcol, config, tmp_path) as (col, out):
        received = pii_corpus.send(col.http, {"a": "mail jane@example.com"}, out)
    assert pii_corpus.carried_text(received["a|span.attribute"], "span.attribute") == "mail jane@example.com"


@pytest.mark.parametrize("mode", ["mask", "drop"])
def test_rendered_config_validates(otelcol: Path, tmp_path: Path, mode: str) -> None:
    config = collector_config(tmp_path, f"pii.mode={mode}", "pii.patterns=[{name: X, regex: 'X-[0-9]+$'}]")
    result = subprocess.run(
        [str(otelcol), "validate", f"--config={config}"],
        capture_output=True,
        text=True,
        env={
            "LLMOBS_COLLECTOR_STORAGE": str(tmp_path / "storage"),
            "LLMOBS_PRICES_FILE": str(config.parent / "prices.json"),
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode == 0, result.stderr[-2000:]
