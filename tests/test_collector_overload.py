"""Overload, bounded: the real llmobs collector in a container with the memory limit and GOMEMLIMIT of the
rendered compose bundle, its backend paused, loopback clients posting GenAI spans as fast as it answers.

The overload comes from the design, not from this machine's speed: with the sink stopped nothing drains, so
the persistent sending_queue (collector.queue_mib of disk, set small here) must fill and the collector must then refuse
with a retryable status. The load runs at least 20 s and until some requests were refused (at most 120 s).
Then the sink resumes and every span the collector accepted must reach it. benchmarks/collector_overload.py
is the 60 s version that reports the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.collector_overload import Result, run
from tests.support.docker_env import engine_client
from tests.support.procs import require

pytestmark = [pytest.mark.docker, pytest.mark.collector]

BATCH = 20  # spans per request (~45 KB)
QUEUE_MIB = 16  # the disk queue's size for this test: it fills in seconds on any machine


@pytest.fixture(scope="module")
def overload(otelcol: Path, tmp_path_factory: pytest.TempPathFactory) -> Result:
    require(engine_client(), "a Docker engine", "run scripts/start-docker as root (scripts/test does)")
    return run(
        otelcol,
        tmp_path_factory.mktemp("overload"),
        duration=20,
        min_refused=10,
        max_duration=120,
        batch=BATCH,
        clients=4,
        sink_mode="paused",
        drain_timeout=180,
        sets=[f"collector.queue_mib={QUEUE_MIB}"],
    )


def test_the_collector_refuses_with_a_retryable_status_once_its_queue_is_full(overload: Result) -> None:
    load = overload.load
    assert load.refused_total >= 10, overload.report()
    assert not load.other, f"non-retryable answers or connection errors: {dict(load.other)}\n{overload.report()}"
    # The sending queue refused (the memory_limiter may too, but the full queue is what must happen here).
    assert any(reason.endswith("queue_full") for reason in load.refused), overload.report()
    assert overload.refused_spans == overload.collector_metrics["otelcol_receiver_refused_spans"] > 0
    # Nothing drains while the sink is stopped: the queue took about queue_size bytes (on disk), then refused.
    queue_bytes = overload.queue["queue_size"]
    assert overload.queue["sizer"] == "bytes" and queue_bytes == QUEUE_MIB * 1024 * 1024
    accepted_bytes = load.accepted * overload.request_bytes
    assert 0.5 * queue_bytes <= accepted_bytes <= 1.5 * queue_bytes, overload.report()


def test_memory_stays_under_the_container_limit_without_oom_or_restart(overload: Result) -> None:
    assert overload.peak_anon_mib > 0, "memory was never sampled"
    assert overload.peak_anon_mib < overload.limit_mib, overload.report()
    if overload.peak_usage_mib is not None:
        assert overload.peak_usage_mib <= overload.limit_mib, overload.report()
    assert overload.oom_kills in (0, None), overload.report()
    assert not overload.oom_killed and overload.restarts == 0 and overload.status == "running", overload.report()


def test_every_accepted_span_reaches_the_sink_after_it_resumes(overload: Result) -> None:
    # What the clients saw accepted is what the collector counted, and all of it arrived, span by span.
    assert overload.accepted_spans == overload.load.accepted * BATCH, overload.report()
    assert overload.delivered == overload.accepted_spans, overload.report()
    assert overload.lost == 0
