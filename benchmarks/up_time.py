"""Seconds from `llmobs up` to every service ready, on a real engine with the local test images.

cold: a new project (no containers, no volumes: created, started, waited for);
warm: the same project with its containers stopped (started again, not recreated);
noop: `llmobs up` again with everything running and nothing changed.
Median of RUNS each. The images are the tests' (tests/support/images.py): the
real collector and Prometheus, stand-ins for Grafana, Tempo and Loki, so the
numbers measure llmobs, compose and the engine, not Grafana's own start-up.
Needs a Docker engine (scripts/start-docker) and the collector from scripts/build-otelcol.
Last line: `cold_s=<median> warm_s=<median>`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.docker_env import Project, build_images, engine_client
from tests.support.procs import otelcol_binary

RUNS = 3


def _up(project: Project) -> float:
    start = time.perf_counter()
    result = project.run("up", "--timeout", "120")
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"llmobs up failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    client = engine_client()
    otelcol = otelcol_binary()
    if client is None or otelcol is None:
        raise SystemExit("needs a Docker engine (scripts/start-docker) and the collector (scripts/build-otelcol)")
    refs = build_images(client, otelcol)
    cold, warm, noop = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS):
            project = Project(client, Path(tmp) / f"run{i}", refs)
            try:
                cold.append(_up(project))
                noop.append(_up(project))
                for container in project.containers().values():
                    container.stop(timeout=10)
                warm.append(_up(project))
            finally:
                project.cleanup()
            print(f"run {i + 1}: cold {cold[-1]:.2f}s, warm {warm[-1]:.2f}s, noop {noop[-1]:.2f}s", flush=True)
    print(f"runs={RUNS} images={sorted(refs.values())}")
    print(f"noop_s={statistics.median(noop):.2f} (second up, nothing changed)")
    print(f"cold_s={statistics.median(cold):.2f} warm_s={statistics.median(warm):.2f}")


if __name__ == "__main__":
    main()
