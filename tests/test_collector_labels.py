"""Per-feature cost with bounded labels, through the real collector (metrics.labels, issue 12 item 3).

The cost and token metrics gain the listed attributes as labels; each label keeps its first
max_label_values values and later ones are counted as "other", so the series count stays bounded
whatever apps send, while the spans stored in the trace backend keep their real values.
"""

from __future__ import annotations

import re
from pathlib import Path

import requests

from llmobs import names
from tests.support import otlp
from tests.support.bundle import collector_config
from tests.support.collector import Proc, spans, through_llmobs, wait_for

CAP = 3
FEATURES = [f"feature-{i}" for i in range(10)]


def _scrape(col: Proc, port: str) -> str:
    return requests.get(f"http://127.0.0.1:{col.ports[port]}/metrics", timeout=5).text


def _series(text: str, metric: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line.startswith(metric + "{"):
            labels, value = line.rsplit(" ", 1)
            out[labels] = float(value)
    return out


def test_feature_labels_are_bounded_and_the_cost_adds_up(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(
        tmp_path, "metrics.labels=[llmobs.feature, gen_ai.agent.name]", f"metrics.max_label_values={CAP}"
    )
    batch = []
    for i, feature in enumerate(FEATURES * 2):  # every feature twice: the first CAP keep their name both times
        attrs = {
            names.OPERATION: "chat",
            names.PROVIDER: "openai",
            names.REQUEST_MODEL: "gpt-4o",
            names.INPUT_TOKENS: 1000 + i,
            names.OUTPUT_TOKENS: 100,
            "llmobs.feature": feature,
            "id": f"s{i}",
        }
        batch.append(otlp.span("chat gpt-4o", attrs))
    with through_llmobs(otelcol, config, tmp_path) as (col, out):
        otlp.post(col.http, "traces", otlp.traces({"service.name": "labels"}, batch))
        stored = wait_for(lambda: len(s := spans(out)) == len(batch) and s)
        metrics = wait_for(lambda: (t := _scrape(col, "prometheus")) and names.PROM_COST in t and t, timeout=40)
        folded = wait_for(
            lambda: sum(
                float(v) for k, v in _series(_scrape(col, "telemetry"), "otelcol_llmobs_label_values_folded").items()
            ),
            timeout=20,
        )

    # Tempo's copy keeps every real value.
    assert {s["attributes"]["llmobs.feature"] for s in stored} == set(FEATURES)
    cost_total = sum(s["attributes"][names.COST_ATTR] for s in stored)

    cost = _series(metrics, names.PROM_COST)
    label = names.prom_label("llmobs.feature")
    values = {re.search(rf'{label}="([^"]*)"', k).group(1) for k in cost}
    assert values == {*FEATURES[:CAP], "other"}, values  # the first CAP seen, then "other"
    assert abs(sum(cost.values()) - cost_total) <= 1e-9 * cost_total
    # Spans without the attribute get "none"; agent name was never sent.
    assert all(f'{names.prom_label("gen_ai.agent.name")}="none"' in k for k in cost)
    assert folded == 2 * (len(FEATURES) - CAP)
    tokens = _series(metrics, names.PROM_TOKENS)
    assert tokens and all(label in k for k in tokens)


def test_an_unbounded_attribute_is_refused_as_a_label(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "llmobs.cli.app",
            "render",
            "--out",
            str(tmp_path / "b"),
            "--set",
            "metrics.labels=[user.id]",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "metrics.labels" in lines[0] and "user.id" in lines[0], lines
    assert "Traceback" not in result.stderr and not (tmp_path / "b").exists()
