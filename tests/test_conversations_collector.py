"""Conversations, users and evaluations through the real collector (issue 12).

* Other SDKs' spellings of the conversation and user (Langfuse, OpenLLMetry, OpenInference) arrive as
  ``gen_ai.conversation.id`` / ``user.id``, and are never masked.
* Cardinality: 10,000 distinct users and conversations (LLM spans and evaluation events) add no
  Prometheus series: ids are never metric labels. The series counts are measured on the collector's
  Prometheus exporter, the endpoint Prometheus scrapes.
"""

from __future__ import annotations

import re
from pathlib import Path

import requests

from llmobs import names as n
from tests.support import otlp
from tests.support.bundle import collector_config
from tests.support.collector import spans, through_llmobs, wait_for

RESOURCE = {"service.name": "identity-test", "deployment.environment.name": "test"}
CHAT = {n.OPERATION: "chat", n.PROVIDER: "openai", n.REQUEST_MODEL: "gpt-4o-mini"}


def test_other_sdk_spellings_become_the_conventions_names(otelcol: Path, tmp_path: Path) -> None:
    cases = {
        "langfuse": ({"langfuse.session.id": "lf-conv", "langfuse.user.id": "lf-user"}, "lf-conv", "lf-user"),
        "openllmetry": (
            {
                "traceloop.association.properties.session_id": "tl-conv",
                "traceloop.association.properties.user_id": "tl-user",
            },
            "tl-conv",
            "tl-user",
        ),
        "openinference": ({"session.id": "oi-conv", "user.id": "oi-user"}, "oi-conv", "oi-user"),
        "standard wins": (
            {n.CONVERSATION_ID: "std-conv", "langfuse.session.id": "other", "user.id": "std-user"},
            "std-conv",
            "std-user",
        ),
    }
    config = collector_config(tmp_path)
    with through_llmobs(otelcol, config, tmp_path) as (col, received):
        sent = [otlp.span(f"chat {name}", CHAT | extra) for name, (extra, _, _) in cases.items()]
        otlp.post(col.http, "traces", otlp.traces(RESOURCE, sent))
        got = wait_for(lambda: len(s := spans(received)) >= len(sent) and s)
    by_name = {s["name"]: s["attributes"] for s in got}
    for name, (_, conversation, user) in cases.items():
        attrs = by_name[f"chat {name}"]
        assert attrs[n.CONVERSATION_ID] == conversation, name
        assert attrs[n.USER_ID] == user, name


def _series(metrics_url: str) -> list[str]:
    text = requests.get(metrics_url, timeout=10).text
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_ten_thousand_users_add_no_series(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(tmp_path)
    users = 10_000
    with through_llmobs(otelcol, config, tmp_path) as (col, _):
        url = f"http://127.0.0.1:{col.ports['prometheus']}/metrics"

        def send(first: int, count: int) -> None:
            for start in range(first, first + count, 500):
                batch = range(start, min(start + 500, first + count))
                chats = [
                    otlp.span(
                        "chat gpt-4o-mini",
                        CHAT
                        | {
                            n.CONVERSATION_ID: f"conv-{i}",
                            n.USER_ID: f"user-{i:05d}",
                            n.INPUT_TOKENS: 100 + i % 7,
                            n.OUTPUT_TOKENS: 20,
                        },
                    )
                    for i in batch
                ]
                otlp.post(col.http, "traces", otlp.traces(RESOURCE, chats))
                evals = [
                    otlp.log_record(
                        "",
                        {
                            n.EVALUATION_NAME: "relevance",
                            n.EVALUATION_SCORE: 0.5 + (i % 5) / 10,
                            n.EVALUATION_LABEL: "pass",
                            n.REQUEST_MODEL: "gpt-4o-mini",
                            n.USER_ID: f"user-{i:05d}",
                            n.CONVERSATION_ID: f"conv-{i}",
                        },
                        event_name=n.EVALUATION_EVENT,
                    )
                    for i in batch
                ]
                otlp.post(col.http, "logs", otlp.logs(RESOURCE, evals))

        def settled(expected_calls: int) -> list[str]:
            def total(lines: list[str], prefix: str, needle: str = "") -> float:
                return sum(float(x.rsplit(" ", 1)[1]) for x in lines if x.startswith(prefix) and needle in x)

            def ready() -> list[str] | None:
                """Every derived metric has seen every call: span metrics (flushed every 15 s), tokens, results."""
                lines = _series(url)
                done = (
                    total(lines, n.PROM_TOKENS, 'gen_ai_token_type="output"') >= 20 * expected_calls
                    and total(lines, n.PROM_CALLS + "{", 'gen_ai_operation_name="chat"') >= expected_calls
                    and total(lines, n.PROM_EVAL_RESULTS) >= expected_calls
                )
                return lines if done else None

            return wait_for(ready, timeout=90, interval=0.5)

        send(0, 100)
        before = settled(100)
        send(100, users - 100)
        after = settled(users)
    names = {re.split(r"[{ ]", line, maxsplit=1)[0] for line in after}
    assert {n.PROM_EVAL_RESULTS, f"{n.PROM_EVAL_SCORE}_bucket", n.PROM_COST, n.PROM_CALLS} <= names
    assert not [line for line in after if "user_id" in line or "conv-" in line or "user-0" in line]
    series_before, series_after = len(before), len(after)
    print(f"series after 100 users: {series_before}; after {users} users: {series_after}")
    assert series_after == series_before, (series_before, series_after)
