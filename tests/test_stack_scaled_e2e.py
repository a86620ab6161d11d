"""The scaled collector tier through compose on a real Docker engine: `llmobs up --set collector.replicas=3`.

A gateway routing by service to 3 llmobs collectors (one scaled compose service, found by DNS),
the real collector image and the real Prometheus (tests/support/images.py; Grafana, Tempo and Loki
are stand-ins). GenAI spans from many services go to the gateway's published OTLP port; the real
Prometheus, which finds every instance by DNS, must then hold exactly what was sent: cost (priced
independently here with ``genai_prices.calc_price``) and span-metric call counts summed over the
instances, each service's series on exactly one instance (its ``collector`` label). Then one
instance is stopped for 10 s while more is sent, and nothing may be lost or counted twice. Last,
`llmobs down --volumes --yes` (without the --set: what a user types) must leave nothing, the
instances' anonymous queue volumes included.

The tests run in order against one stack (its own compose project name and free host ports, so a
concurrent run of the other stack tests does not collide) and share it; every wait has a deadline
and the stack is removed even when a test fails.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from genai_prices import Usage, calc_price

from llmobs import catalog, names
from tests.support import otlp
from tests.support.docker_env import Project, build_images, require_engine

pytestmark = [pytest.mark.docker, pytest.mark.collector]

REPLICAS = 3
SCALED = f"collector.replicas={REPLICAS}"
SERVICES = 20
PER_SERVICE = 100  # 2,000 spans in the steady phase
OUTAGE_ROUNDS = 10  # one round a second while an instance is stopped: 20 services x 5 spans each
OUTAGE_PER_ROUND = 5
OUTAGE_S = 10
BATCH = 50
# Real models of the default price table; the expected price is genai-prices' own.
MODELS = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-3-5-haiku-latest"),
]
# Prometheus scrapes and re-resolves DNS every 15 s and span metrics flush every 15 s: a few rounds.
PROMETHEUS_WAIT_S = 180
SETTLE_S = 20  # one more scrape after the sums match: anything counted twice would show


@dataclass
class Scaled:
    """The running project plus what the tests learned about it (shared in order)."""

    project: Project
    instance_volumes: set[str] = field(default_factory=set)


def _instances(project: Project) -> list[Any]:
    """The collector containers (``Project.containers`` keys by service, which holds only one of them)."""
    label = {"label": [f"com.docker.compose.project={project.name}", "com.docker.compose.service=collector"]}
    return sorted(project.client.containers.list(all=True, filters=label), key=lambda c: c.name)


def _anonymous_volumes(project: Project) -> set[str]:
    return {
        m["Name"]
        for c in _instances(project)
        for m in c.attrs["Mounts"]
        if m["Type"] == "volume" and m["Destination"] == catalog.COLLECTOR_STORAGE_DIR
    }


@pytest.fixture(scope="module")
def scaled(otelcol: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    client = require_engine()
    project = Project(
        client,
        tmp_path_factory.mktemp("scaled"),
        build_images(client, otelcol),
        name=f"llmobs-scaled-{uuid.uuid4().hex[:8]}",
    )
    state = Scaled(project)
    try:
        result = project.run("up", "--set", SCALED, "--timeout", "180", timeout=400)
        assert result.returncode == 0, f"llmobs up failed:\n{result.stdout}\n{result.stderr}"
        state.instance_volumes = _anonymous_volumes(project)
        yield state
    finally:
        project.cleanup()
        for name in state.instance_volumes:  # unlabelled: cleanup's label filter cannot see them
            with contextlib.suppress(Exception):  # already gone (the normal case)
                client.volumes.get(name).remove(force=True)


def _status(project: Project) -> dict[str, dict[str, Any]]:
    result = project.run("status", "--set", SCALED, "--json", timeout=60)
    rows = json.loads(result.stdout) if result.stdout.strip() else []
    return {row["service"]: row for row in rows}


def _query(project: Project, promql: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{project.ports['prometheus']}/api/v1/query"
    response = requests.get(url, params={"query": promql}, timeout=10)
    response.raise_for_status()
    return response.json()["data"]["result"]


def _wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 3) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f}s")
        time.sleep(interval)


def _price(provider: str, model: str, tokens_in: int, tokens_out: int, at: datetime) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        usage = Usage(input_tokens=tokens_in, output_tokens=tokens_out)
        return float(calc_price(usage, model, provider_id=provider, genai_request_timestamp=at).total_price)


def _post(project: Project, service: str, seqs: range) -> float:
    """One OTLP/HTTP request of spans for ``service`` to the gateway; returns what genai-prices charges."""
    cost, batch = 0.0, []
    for seq in seqs:
        provider, model = MODELS[(seq + len(service)) % len(MODELS)]
        tokens_in, tokens_out = 200 + (seq * 37) % 1800, 20 + (seq * 11) % 400
        span = otlp.span(
            f"chat {model}",
            {
                names.OPERATION: "chat",
                names.PROVIDER: provider,
                names.REQUEST_MODEL: model,
                names.INPUT_TOKENS: tokens_in,
                names.OUTPUT_TOKENS: tokens_out,
            },
            duration_s=0.3,
        )
        start = datetime.fromtimestamp(int(span["startTimeUnixNano"]) / 1e9, tz=UTC)
        cost += _price(provider, model, tokens_in, tokens_out, start)
        batch.append(span)
    otlp.post(f"http://127.0.0.1:{project.ports['otlp_http']}", "traces", otlp.traces({"service.name": service}, batch))
    return cost


def _sums(project: Project, prefix: str) -> tuple[float, float]:
    """(calls, dollars) summed over every instance for the services named ``prefix-*``."""
    selector = f'{{service_name=~"{prefix}-.*"}}'
    calls = _query(project, f"sum({names.PROM_CALLS}{selector})")
    cost = _query(project, f"sum({names.PROM_COST}{selector})")
    return (float(calls[0]["value"][1]) if calls else 0.0, float(cost[0]["value"][1]) if cost else 0.0)


def _wait_sums(project: Project, prefix: str, spans: int, dollars: float) -> tuple[float, float]:
    """Wait until Prometheus has counted ``spans`` calls and ``dollars`` (or more), then one more scrape."""

    def reached() -> tuple[float, float] | None:
        calls, cost = _sums(project, prefix)
        return (calls, cost) if calls >= spans and cost >= dollars * (1 - 1e-9) else None

    try:
        _wait_for(reached, PROMETHEUS_WAIT_S, f"{prefix}: {spans} calls and ${dollars:.6f} in Prometheus")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; got (calls, dollars) = {_sums(project, prefix)}") from None
    time.sleep(SETTLE_S)
    return _sums(project, prefix)


def _homes(project: Project, metric: str, prefix: str) -> dict[str, set[str]]:
    """service -> the instances (``collector`` label) holding its series of ``metric``."""
    homes: dict[str, set[str]] = {}
    for series in _query(project, f'{metric}{{service_name=~"{prefix}-.*"}}'):
        homes.setdefault(series["metric"]["service_name"], set()).add(series["metric"]["collector"])
    return homes


def test_status_lists_every_instance_and_the_gateway_healthy(scaled: Scaled) -> None:
    rows = _status(scaled.project)
    instances = [f"{catalog.COLLECTOR}-{i}" for i in range(1, REPLICAS + 1)]
    assert {*instances, catalog.GATEWAY} <= set(rows), rows
    assert catalog.COLLECTOR not in rows  # one row per instance, not one for the scaled service
    assert all(rows[name]["health"] == "healthy" for name in [*instances, catalog.GATEWAY]), rows
    assert rows[catalog.GATEWAY]["url"] == f"http://127.0.0.1:{scaled.project.ports['otlp_http']}"
    health_urls = {rows[name]["url"] for name in instances}
    assert len(health_urls) == REPLICAS and all(u.startswith("http://127.0.0.1:") for u in health_urls)
    assert len(scaled.instance_volumes) == REPLICAS  # each instance its own queue volume
    # Prometheus found every instance by DNS.
    targets = _wait_for(
        lambda: len(r := _query(scaled.project, 'up{job="llmobs-collector"} == 1')) == REPLICAS and r,
        60,
        "3 llmobs-collector targets up in Prometheus",
    )
    assert len({t["metric"]["collector"] for t in targets}) == REPLICAS


def test_counters_summed_over_instances_equal_what_was_sent(scaled: Scaled) -> None:
    prefix = f"{scaled.project.name}-steady"
    cost = 0.0
    for service in range(SERVICES):
        for first in range(0, PER_SERVICE, BATCH):
            cost += _post(scaled.project, f"{prefix}-{service:02d}", range(first, first + BATCH))
    calls, dollars = _wait_sums(scaled.project, prefix, SERVICES * PER_SERVICE, cost)
    assert calls == SERVICES * PER_SERVICE
    assert math.isclose(dollars, cost, rel_tol=1e-9), (dollars, cost)
    for metric in (names.PROM_CALLS, names.PROM_COST):
        homes = _homes(scaled.project, metric, prefix)
        assert len(homes) == SERVICES, f"{metric}: {len(homes)} services"
        split = {svc: sorted(h) for svc, h in homes.items() if len(h) != 1}
        assert not split, f"{metric}: services on several instances: {split}"
        used = {h for hs in homes.values() for h in hs}
        assert len(used) >= 2, f"{metric}: every service on one instance ({used}): nothing was spread"
        spread = sorted(sum(1 for hs in homes.values() if h in hs) for h in used)
        print(f"steady {metric}: calls {calls:.0f}, ${dollars:.9f} vs ${cost:.9f}, services per instance {spread}")


def test_stopping_one_instance_for_10s_loses_nothing(scaled: Scaled) -> None:
    # New service names: the stopped instance's counters restart from zero, so the steady phase's
    # sums no longer hold; this phase's series all start while (or after) the instance is down.
    prefix = f"{scaled.project.name}-outage"
    victim = _instances(scaled.project)[1]
    victim.stop(timeout=10)
    stopped = time.monotonic()
    cost = 0.0
    for rnd in range(OUTAGE_ROUNDS):
        seqs = range(rnd * OUTAGE_PER_ROUND, (rnd + 1) * OUTAGE_PER_ROUND)
        for service in range(SERVICES):
            cost += _post(scaled.project, f"{prefix}-{service:02d}", seqs)
        time.sleep(max(0.0, stopped + (rnd + 1) * OUTAGE_S / OUTAGE_ROUNDS - time.monotonic()))
    victim.reload()
    assert victim.status == "exited", victim.status  # really down the whole time (restart: unless-stopped)
    victim.start()
    sent = SERVICES * OUTAGE_ROUNDS * OUTAGE_PER_ROUND
    calls, dollars = _wait_sums(scaled.project, prefix, sent, cost)
    assert calls == sent, f"{sent - calls:+.0f} calls missing"
    assert math.isclose(dollars, cost, rel_tol=1e-9), (dollars, cost)
    moved = sum(len(h) > 1 for h in _homes(scaled.project, names.PROM_COST, prefix).values())
    print(f"outage: calls {calls:.0f}/{sent}, ${dollars:.9f} vs ${cost:.9f}, {moved} services on 2+ instances")
    # The restarted instance is healthy again and reachable on its (new) health port.
    _wait_for(
        lambda: all(r["health"] == "healthy" for r in _status(scaled.project).values()),
        60,
        "every row of `llmobs status` healthy after the restart",
    )
    assert _anonymous_volumes(scaled.project) == scaled.instance_volumes  # its queue volume kept


def test_down_with_volumes_leaves_nothing_behind(scaled: Scaled) -> None:
    project = scaled.project
    assert project.leftovers()["volumes"], "the running stack should own named volumes"
    # No --set: `down` must remove the gateway and its queue volume although llmobs.yaml has 1 replica.
    result = project.run("down", "--volumes", "--yes", timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert project.leftovers() == {"containers": [], "networks": [], "volumes": []}
    still = {v.name for v in project.client.volumes.list() if v.name in scaled.instance_volumes}
    assert not still, f"the instances' anonymous queue volumes were left: {still}"
