"""The scaled tier for real: a gateway routing by service to 3 llmobs collectors (the real binary,
loopback, static resolver), from the bundle ``collector.replicas: 3`` renders.

20,000 LLM spans from 50 services; every one must reach the recording sink exactly once, and the
cost and span-metric counters summed over the instances must equal what was sent, with each
service's series on exactly one instance (what routing by service is for). Each test is bounded:
every wait has a deadline, and the processes stop when the test ends.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path

import pytest

from llmobs import names
from tests.support import otlp
from tests.support.bundle import render_to
from tests.support.collector import spans, wait_for
from tests.support.scaled import Tier, scrape, tier

pytestmark = pytest.mark.collector

SERVICES = 50
PER_SERVICE = 400
TOTAL = SERVICES * PER_SERVICE
BATCH = 200
PROVIDER = "acme-scale"
PRICE_IN, PRICE_OUT = 2.0, 8.0  # USD per million tokens, set as an override so the test knows the price
PRICES = f"prices=[{{provider: {PROVIDER}, model: m, match: starts_with, input: {PRICE_IN}, output: {PRICE_OUT}}}]"


def _tokens(service: int, seq: int) -> tuple[int, int]:
    return 100 + (seq * 7 + service) % 900, 10 + (seq * 3 + service) % 90


def _send(t: Tier, run: str) -> float:
    """Send every span through the gateway's OTLP/HTTP port; returns the dollars they cost."""
    cost = 0.0
    for service in range(SERVICES):
        for first in range(0, PER_SERVICE, BATCH):
            batch = []
            for seq in range(first, first + BATCH):
                tokens_in, tokens_out = _tokens(service, seq)
                cost += (tokens_in * PRICE_IN + tokens_out * PRICE_OUT) / 1e6
                attrs = {
                    names.OPERATION: "chat",
                    names.PROVIDER: PROVIDER,
                    names.REQUEST_MODEL: f"m-{service % 5}",
                    names.INPUT_TOKENS: tokens_in,
                    names.OUTPUT_TOKENS: tokens_out,
                    "test.run": run,
                    "test.seq": seq,
                }
                batch.append(otlp.span(f"chat m-{service % 5}", attrs, duration_s=0.2))
            resource = {"service.name": f"svc-{service:02d}", "test.run": run}
            otlp.post(t.gateway.http, "traces", otlp.traces(resource, batch))
    return cost


def _arrived(t: Tier, run: str) -> Counter[tuple[str, int]]:
    return Counter(
        (s["resource"]["service.name"], s["attributes"]["test.seq"])
        for s in spans(t.received)
        if s["attributes"].get("test.run") == run
    )


def _wait_all(t: Tier, run: str, timeout: float = 180) -> Counter[tuple[str, int]]:
    wait_for(lambda: sum(_arrived(t, run).values()) >= TOTAL, timeout=timeout, interval=1)
    time.sleep(3)  # anything sent twice would arrive right behind
    return _arrived(t, run)


def _assert_exactly_once(got: Counter[tuple[str, int]]) -> None:
    expected = {(f"svc-{s:02d}", q) for s in range(SERVICES) for q in range(PER_SERVICE)}
    assert set(got) == expected, f"{len(expected - set(got))} spans missing"
    twice = [key for key, n in got.items() if n > 1]
    assert not twice, f"{len(twice)} spans arrived more than once, e.g. {twice[:3]}"


def _by_instance(t: Tier, metric: str) -> list[dict[str, float]]:
    """Per instance: service (the exporter's job label) -> the metric summed over our provider's series."""
    result = []
    for proc in t.instances:
        per_service: dict[str, float] = {}
        for labels, value in scrape(proc.ports["prometheus"]).get(metric, []):
            if labels.get("gen_ai_provider_name") == PROVIDER:
                per_service[labels["job"]] = per_service.get(labels["job"], 0.0) + value
        result.append(per_service)
    return result


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    render_to(tmp_path, "collector.replicas=3", PRICES)
    return tmp_path / "bundle"


def test_every_span_once_and_counters_exact_over_three_instances(otelcol: Path, bundle: Path, tmp_path: Path) -> None:
    with tier(otelcol, bundle, tmp_path / "run", 3) as t:
        cost = _send(t, "steady")
        _assert_exactly_once(_wait_all(t, "steady"))

        def counted() -> tuple[list[dict[str, float]], list[dict[str, float]]] | None:
            calls, dollars = _by_instance(t, names.PROM_CALLS), _by_instance(t, names.PROM_COST)
            done = sum(sum(c.values()) for c in calls) >= TOTAL and sum(len(d) for d in dollars) >= SERVICES
            return (calls, dollars) if done else None

        # span_metrics flushes every 15 s; the cost counter with every batch.
        calls, dollars = wait_for(counted, timeout=60, interval=2)
    assert sum(sum(c.values()) for c in calls) == TOTAL
    assert math.isclose(sum(sum(d.values()) for d in dollars), cost, rel_tol=1e-9), (dollars, cost)
    for metric, per_instance in ((names.PROM_CALLS, calls), (names.PROM_COST, dollars)):
        homes = Counter(service for instance in per_instance for service in instance)
        assert len(homes) == SERVICES and set(homes.values()) == {1}, f"{metric}: a service on several instances"
        assert all(per_instance), f"{metric}: an instance got no service: {[len(i) for i in per_instance]}"
    for service, n in Counter(svc for instance in calls for svc, v in instance.items() if v == PER_SERVICE).items():
        assert n == 1, service


def test_stopping_one_instance_for_10s_loses_nothing(otelcol: Path, bundle: Path, tmp_path: Path) -> None:
    with tier(otelcol, bundle, tmp_path / "run", 3) as t:
        t.instances[1].stop()
        stopped_at = time.monotonic()
        _send(t, "outage")
        time.sleep(max(0.0, 10 - (time.monotonic() - stopped_at)))
        assert sum(_arrived(t, "outage").values()) < TOTAL, "the stopped instance's services arrived anyway"
        t.restart(1)
        got = _wait_all(t, "outage")
    _assert_exactly_once(got)
