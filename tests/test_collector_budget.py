"""The size budget's cut, through the real collector: values over the budget are cut visibly and counted,
values at it pass byte-identical, and a log record's OTLP EventName is kept as `event.name`.

The downstream limits rendered from the same budget are checked in test_real_backend_fixes.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import requests

from tests.support import otlp
from tests.support.bundle import collector_config
from tests.support.collector import Proc, logs, spans, through_llmobs, wait_for

VALUE = 4096
RECORD = 16384
MARKER = re.compile(r"…\[truncated (\d+) bytes\]$")


def _counter(col: Proc, name: str) -> float:
    text = requests.get(f"http://127.0.0.1:{col.ports['telemetry']}/metrics", timeout=5).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


def test_values_over_the_budget_are_cut_visibly_and_counted(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(
        tmp_path, f"limits.max_value_bytes={VALUE}", f"limits.max_record_bytes={RECORD}", "pii.mode=off"
    )
    at = "a" * VALUE
    under = "b" * (VALUE - 1)
    over = "가" * (VALUE // 3 + 5)  # multi-byte: the cut must keep UTF-8 whole
    with through_llmobs(otelcol, config, tmp_path) as (col, out):
        span = otlp.span("chat m", {"gen_ai.input.messages": at, "gen_ai.output.messages": under, "id": "values"})
        span2 = otlp.span("chat m", {"gen_ai.input.messages": over, "id": "over"})
        # Five values at the value budget: 20 KiB in one span, over the 16 KiB record budget.
        span3 = otlp.span("chat m", {**{f"gen_ai.prompt.{i}.content": at for i in range(5)}, "id": "record"})
        otlp.post(col.http, "traces", otlp.traces({"service.name": "budget"}, [span, span2, span3]))
        records = [
            otlp.log_record("x" * (VALUE + 100), {"id": "log-over"}),
            otlp.log_record("", {"id": "event"}, "gen_ai.client.inference.operation.details"),
            otlp.log_record("", {"id": "event-own", "event.name": "mine"}, "gen_ai.choice"),
        ]
        otlp.post(col.http, "logs", otlp.logs({"service.name": "budget"}, records))
        got = wait_for(lambda: len(s := {x["attributes"]["id"]: x for x in spans(out)}) == 3 and s)
        got_logs = wait_for(lambda: len(r := {x["attributes"]["id"]: x for x in logs(out)}) == 3 and r)
        truncated = wait_for(lambda: _counter(col, "otelcol_llmobs_truncated_values"), timeout=15)
        removed = _counter(col, "otelcol_llmobs_truncated_bytes")

    values = got["values"]["attributes"]
    assert values["gen_ai.input.messages"] == at and values["gen_ai.output.messages"] == under

    cut = got["over"]["attributes"]["gen_ai.input.messages"]
    match = MARKER.search(cut)
    assert match and len(cut.encode()) <= VALUE, cut[-80:]
    kept = cut[: match.start()]
    assert over.startswith(kept) and len(over.encode()) - len(kept.encode()) == int(match.group(1))

    record = got["record"]["attributes"]
    sizes = [len(record[f"gen_ai.prompt.{i}.content"].encode()) for i in range(5)]
    assert sum(sizes) <= RECORD and all(MARKER.search(record[f"gen_ai.prompt.{i}.content"]) for i in range(5))
    assert got["record"]["attributes"]["id"] == "record"  # short values are never cut to make room

    body = got_logs["log-over"]["body"]
    assert MARKER.search(body) and len(body.encode()) <= VALUE

    # 1 (over) + 5 (record) + 1 (log body) values cut, and every removed byte counted.
    assert truncated == 7
    removed_in_record = 0
    for i in range(5):
        text = record[f"gen_ai.prompt.{i}.content"]
        marker = MARKER.search(text)
        assert marker and VALUE - len(text[: marker.start()].encode()) == int(marker.group(1))
        removed_in_record += int(marker.group(1))
    expected_removed = (len(over.encode()) - len(kept.encode())) + removed_in_record
    expected_removed += VALUE + 100 - len(body[: MARKER.search(body).start()].encode())
    assert removed == expected_removed

    assert got_logs["event"]["attributes"]["event.name"] == "gen_ai.client.inference.operation.details"
    assert got_logs["event-own"]["attributes"]["event.name"] == "mine"  # what the app sent wins
