"""Collector start-up with the rendered default config: exec to healthy, and `otelcol validate`.

The config is what ``llmobs render`` writes for the defaults (``collector/config.yaml`` and the genai-prices
table ``collector/prices.json`` beside it), run with the same binary and environment as the tests run it
(tests/support/collector.py): addresses on free loopback ports, a fresh storage directory per run, and a
sink collector as the backend so the exporters connect to something real.

* ``start``: from exec until the health_check extension answers 200 (polled every 5 ms; the health check
  reports ready only once every pipeline has started), then the collector is stopped.
* ``validate``: the wall time of ``otelcol-llmobs validate --config=…`` (parses the config, builds every
  component — the llmobs processor loads the price table — and exits).

Each is run ``--runs`` times (default 5) after one unmeasured warm-up; the median and the range are printed.
The issue's target is < 1 s for both.

Usage: LLMOBS_OTELCOL=... python benchmarks/collector_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.collector_overload import render_bundle  # noqa: E402
from tests.support.collector import Proc, llmobs_env, llmobs_ports, sink  # noqa: E402
from tests.support.procs import otelcol_binary  # noqa: E402


def _env(extra: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LLMOBS_")} | extra


def time_start(binary: Path, config: Path, workdir: Path, target: Proc, timeout: float = 30) -> float:
    """Seconds from exec until the health endpoint answers 200."""
    ports = llmobs_ports()
    env = llmobs_env(target, workdir / "storage", ports) | {"LLMOBS_PRICES_FILE": str(config.parent / "prices.json")}
    url = f"http://127.0.0.1:{ports['health']}/"
    session = requests.Session()
    workdir.mkdir(parents=True, exist_ok=True)
    log = (workdir / "collector.log").open("ab")
    start = time.perf_counter()
    process = subprocess.Popen([str(binary), f"--config={config}"], stdout=log, stderr=subprocess.STDOUT, env=_env(env))
    try:
        while True:
            elapsed = time.perf_counter() - start
            if process.poll() is not None:
                raise RuntimeError(f"collector exited with {process.returncode}: see {workdir / 'collector.log'}")
            if elapsed > timeout:
                raise RuntimeError(f"collector not healthy after {timeout}s")
            try:
                if session.get(url, timeout=0.5).status_code == 200:
                    return time.perf_counter() - start
            except requests.RequestException:
                pass
            time.sleep(0.005)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def time_validate(binary: Path, config: Path) -> float:
    env = _env({"LLMOBS_PRICES_FILE": str(config.parent / "prices.json")})
    start = time.perf_counter()
    result = subprocess.run(
        [str(binary), "validate", f"--config={config}"], capture_output=True, text=True, env=env, timeout=120
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"otelcol validate failed:\n{result.stderr[-2000:]}")
    return elapsed


def describe(name: str, samples: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(samples) * 1000:.0f} ms "
        f"(min {min(samples) * 1000:.0f}, max {max(samples) * 1000:.0f}, n={len(samples)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each (default 5)")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="llmobs setting KEY=VALUE")
    args = parser.parse_args(argv)

    binary = otelcol_binary()
    if binary is None:
        print("no collector binary: set LLMOBS_OTELCOL or run scripts/build-otelcol", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="llmobs-startup-"))
    try:
        bundle = render_bundle(workdir, args.sets)
        config = bundle.root / "collector" / "config.yaml"
        prices = config.parent / "prices.json"
        print(
            f"config: {len(config.read_text().splitlines())} lines, {config.stat().st_size / 1024:.0f} KB; "
            f"prices.json {prices.stat().st_size / 1024:.0f} KB"
        )
        validate = [time_validate(binary, config) for _ in range(args.runs + 1)][1:]
        with sink(binary, workdir / "sink") as target:
            starts = [time_start(binary, config, workdir / f"run{i}", target) for i in range(args.runs + 1)][1:]
        print(describe("validate", validate))
        print(describe("start to healthy", starts))
        print(f"validate_ms={statistics.median(validate) * 1000:.0f} start_ms={statistics.median(starts) * 1000:.0f}")
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
