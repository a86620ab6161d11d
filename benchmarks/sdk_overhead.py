"""Per-call overhead that LLM instrumentation SDKs add to an app, side by side.

Why: ``llmobs.init()`` turns on the official OpenTelemetry OpenAI instrumentation; this
measures what that costs an app per LLM call, next to the two popular alternatives.

What: the app is the official ``openai`` client calling a local OpenAI-compatible stub
(examples/openai_stub.py) over loopback HTTP, one non-streaming chat completion per call
(~200-character prompt, ``max_tokens=64``, ``max_retries=0``). Four variants:

* ``none``: no instrumentation (the baseline);
* ``llmobs``: ``llmobs.init(service_name=..., endpoint=<collector>)``: the official
  ``opentelemetry-instrumentation-genai-openai`` with OTLP/HTTP batching exporters;
* ``openlit``: ``openlit.init(otlp_endpoint=<collector>, ...)``;
* ``openllmetry``: traceloop-sdk ``Traceloop.init(api_endpoint=<collector>, ...)``.

Each variant runs in its own virtualenv under ``~/.cache/llmobs/bench/<variant>/`` (OpenLIT
and traceloop-sdk pin their own OpenTelemetry versions), built on first use and reused
afterwards; every venv is installed with the baseline's package versions as constraints, so
``openai``, ``httpx2`` and ``pydantic`` are the same everywhere. Every instrumented variant
exports over OTLP/HTTP to a real collector (scripts/build-otelcol) whose ``debug`` exporter
logs how many spans, data points and log records arrive.

Method: one stub and one collector process for the whole run. Each measurement is a fresh
worker process (benchmarks/sdk_overhead_worker.py) that sets its variant up, makes --warmup
calls, then times --calls calls one by one and reports the median. Rounds interleave the
variants (rotated order), so drift on the machine hits all of them alike. A variant's
overhead in a round is its median minus the ``none`` median of the same round; the table
gives the median of those over the rounds. Only one worker runs at a time, so what the
collector logs while a worker runs is that worker's: after each instrumented worker it must
have received at least one span per call made, and nothing at all during the baseline, or
the run fails (an instrumentation that silently did nothing cannot pass as "fast"). Workers
refuse every connection and name lookup that is not for loopback (an audit hook) and report
what was refused.

How to read the output: ``call µs`` is the median wall time of one ``create()`` call (the
median over rounds of each worker's median), ``overhead µs`` what the SDK adds to it (lower
is better), ``IQR µs`` the middle half of the per-round overheads (between-process noise on
a shared 2-core machine is tens of µs: compare variants by the median, not by one round),
``mean ovh µs`` the same difference on means (it includes the spikes the median hides,
e.g. export threads taking the GIL), then what the collector received per worker. The last
line is ``overhead_us=<llmobs> openlit_us=<...> openllmetry_us=<...> ratio_vs_openlit=<llmobs/openlit>``.

Usage: python benchmarks/sdk_overhead.py [--rounds 15] [--calls 2000] [--warmup 200]
(about 5 minutes with the defaults once the venvs exist; building them takes ~2 minutes).
Needs python3.11, PyPI and the collector (LLMOBS_OTELCOL or scripts/build-otelcol).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sdk_overhead_worker as _worker  # noqa: E402 - stdlib-only at import time

from tests.support.collector import Proc, start  # noqa: E402
from tests.support.procs import free_port, otelcol_binary  # noqa: E402

# Pinned versions. openlit 1.45.0 declares `openai<3`, so in every venv the variant's packages are installed
# first and openai==3.57.0 after them, on its own (pip warns about the conflict in openlit's venv; the span
# check below proves its instrumentation still works).
OPENAI = "openai==3.57.0"
OPENLIT = "openlit==1.45.0"
TRACELOOP = "traceloop-sdk==0.62.4"
GENAI_OPENAI = "opentelemetry-instrumentation-genai-openai==1.3b0"
REQUIREMENTS: dict[str, list[str]] = {
    "none": [],
    # The checkout, editable so a reused venv always runs the current llmobs code.
    "llmobs": ["-e", str(REPO), GENAI_OPENAI, "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http"],
    "openlit": [OPENLIT],
    # traceloop-sdk imports httpx without declaring it (older openai clients brought it; 3.x uses httpx2).
    "openllmetry": [TRACELOOP, "httpx"],
}
VARIANTS = list(REQUIREMENTS)
INSTRUMENTED = [v for v in VARIANTS if v != "none"]
BENCH_CACHE = Path.home() / ".cache/llmobs/bench"
WORKER = Path(__file__).resolve().with_name("sdk_overhead_worker.py")
PIP_TIMEOUT = 1200  # seconds for one venv's pip install
WORKER_TIMEOUT = 300  # seconds for one measurement process
RESULT_PREFIX = "SDK_OVERHEAD_RESULT "

COLLECTOR_CONFIG = """
extensions:
  health_check: {{endpoint: "127.0.0.1:{health}"}}
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
      http: {{endpoint: "127.0.0.1:{http}"}}
exporters:
  debug: {{verbosity: basic, sampling_initial: 1000000, sampling_thereafter: 1}}
service:
  extensions: [health_check]
  telemetry:
    logs: {{level: info}}
    metrics: {{level: none}}
  pipelines:
    traces: {{receivers: [otlp], exporters: [debug]}}
    metrics: {{receivers: [otlp], exporters: [debug]}}
    logs: {{receivers: [otlp], exporters: [debug]}}
"""

# What the debug exporter logs per batch at `verbosity: basic`, e.g.
# `info  Traces  {"resource": {...}, "otelcol.component.id": "debug", ..., "resource spans": 1, "spans": 512}`.
COUNTS = {
    "spans": re.compile(r'"spans": (\d+)'),
    "data points": re.compile(r'"data points": (\d+)'),
    "log records": re.compile(r'"log records": (\d+)'),
}


def log(message: str) -> None:
    print(f"sdk_overhead: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- venvs


def _pip(venv: Path, args: list[str], logfile: Path) -> bool:
    with logfile.open("a") as out:
        out.write(f"\n$ pip {' '.join(args)}\n")
        out.flush()
        result = subprocess.run(
            [str(venv / "bin/python"), "-m", "pip", "--disable-pip-version-check", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=PIP_TIMEOUT,
            env=os.environ | {"PIP_NO_INPUT": "1"},
        )
    return result.returncode == 0


def ensure_venv(variant: str, constraints: Path | None) -> Path:
    """The variant's venv, built when missing or when its requirements (or constraints) changed."""
    venv = BENCH_CACHE / variant
    pyproject = REPO / "pyproject.toml"  # llmobs's own dependencies: a change means a new venv
    spec = {
        "requirements": [*REQUIREMENTS[variant], OPENAI],
        "constraints": hashlib.sha256(constraints.read_bytes()).hexdigest() if constraints else None,
        "pyproject": hashlib.sha256(pyproject.read_bytes()).hexdigest() if variant == "llmobs" else None,
    }
    marker = venv / "sdk-overhead.json"
    if marker.is_file() and json.loads(marker.read_text()) == spec and (venv / "bin/python").is_file():
        return venv
    python = shutil.which("python3.11")
    if python is None:
        raise SystemExit("python3.11 is required to build the benchmark venvs")
    log(f"building venv {variant} in {venv} (pip install {' '.join(spec['requirements'])})")
    started = time.monotonic()
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=120)
    logfile = venv / "pip.log"
    pinned = ["-c", str(constraints)] if constraints else []
    ok = _pip(venv, ["install", "-q", "--upgrade", "pip"], logfile)
    if ok and REQUIREMENTS[variant]:
        ok = _pip(venv, ["install", "-q", *REQUIREMENTS[variant], *pinned], logfile)
        if not ok and pinned:
            log(f"{variant}: cannot install with the baseline's versions as constraints; installing unconstrained")
            ok = _pip(venv, ["install", "-q", *REQUIREMENTS[variant]], logfile)
    ok = ok and _pip(venv, ["install", "-q", OPENAI, *pinned], logfile)
    if not ok:
        tail = "\n".join(logfile.read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"pip install failed for {variant} (log {logfile}):\n{tail}")
    marker.write_text(json.dumps(spec))
    log(f"venv {variant} ready in {time.monotonic() - started:.0f}s")
    return venv


def freeze(venv: Path) -> dict[str, str]:
    out = subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "--disable-pip-version-check", "list", "--format=json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(out)}


def ensure_venvs() -> dict[str, Path]:
    """Build the baseline first; its exact versions (but openai's own, pinned anyway) constrain every other venv."""
    base = ensure_venv("none", None)
    skip = ("pip", "setuptools", "wheel", "openai")
    pins = {k: v for k, v in freeze(base).items() if k not in skip}
    constraints = BENCH_CACHE / "constraints.txt"
    text = "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))
    if not constraints.is_file() or constraints.read_text() != text:
        constraints.write_text(text)
    venvs = {"none": base}
    for variant in INSTRUMENTED:
        venvs[variant] = ensure_venv(variant, constraints)
    return venvs


# ---------------------------------------------------------------------------- processes


@dataclass
class Stub:
    process: subprocess.Popen[str]
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_stub(timeout: float = 30) -> Stub:
    process = subprocess.Popen(
        [sys.executable, str(REPO / "examples/openai_stub.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    stub = Stub(process, "")
    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    assert process.stdout is not None
    selector.register(process.stdout, selectors.EVENT_READ)
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"openai stub exited with {process.returncode}")
            if selector.select(timeout=0.5):
                line = process.stdout.readline()
                match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
                if match:
                    stub.url = match.group(1)
                    return stub
        raise RuntimeError(f"openai stub did not report its port within {timeout}s")
    except BaseException:
        stub.stop()
        raise
    finally:
        selector.close()


def start_collector(binary: Path, workdir: Path) -> Proc:
    ports = {"grpc": free_port(), "http": free_port(), "health": free_port()}
    config = workdir / "collector.yaml"
    config.write_text(COLLECTOR_CONFIG.format(**ports))
    return start(binary, config, workdir / "collector", {}, ports)


def received(collector: Proc, since: int) -> tuple[dict[str, int], int]:
    """Counts the debug exporter logged after byte offset ``since``, and the new offset."""
    with collector.log.open("rb") as f:
        f.seek(since)
        data = f.read()
    text = data[: data.rfind(b"\n") + 1].decode(errors="replace")  # whole lines only
    counts = {name: sum(int(n) for n in pattern.findall(text)) for name, pattern in COUNTS.items()}
    return counts, since + len(text.encode())


def worker_env() -> dict[str, str]:
    """The parent environment without anything that could re-point or reconfigure an SDK."""
    prefixes = ("OTEL_", "TRACELOOP_", "OPENLIT_", "OPENAI_", "PYTHON", "LLMOBS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["TRACELOOP_TELEMETRY"] = "false"  # traceloop-sdk: no anonymous usage telemetry (posthog)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


@dataclass
class Sample:
    variant: str
    median_ns: float
    mean_ns: float
    result: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    stderr: str = ""


def run_worker(variant: str, python: Path, stub: Stub, collector: Proc, args: argparse.Namespace) -> Sample:
    _, offset = received(collector, 0)
    cmd = [
        str(python),
        "-I",
        str(WORKER),
        variant,
        "--base-url",
        f"{stub.url}/v1",
        "--otlp",
        collector.http,
        "--calls",
        str(args.calls),
        "--warmup",
        str(args.warmup),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=WORKER_TIMEOUT, env=worker_env())
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"{variant} worker took more than {WORKER_TIMEOUT}s") from e
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"{variant} worker failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )
    result = json.loads(lines[-1][len(RESULT_PREFIX) :])
    if result.get("refused"):
        log(f"{variant}: refused non-loopback network access: {result['refused'][:5]}")
    expected = args.calls + max(args.warmup, 1)  # the worker's first (checked) call counts as warm-up
    counts, _ = received(collector, offset)
    deadline = time.monotonic() + 15
    while variant != "none" and counts["spans"] < expected and time.monotonic() < deadline:
        time.sleep(0.2)  # the collector may still be writing the last batch's line
        counts, _ = received(collector, offset)
    if variant == "none" and any(counts.values()):
        raise RuntimeError(f"the collector received telemetry during the uninstrumented run: {counts}")
    if variant != "none" and counts["spans"] < expected:
        raise RuntimeError(
            f"{variant}: the collector received {counts['spans']} spans for {expected} calls: "
            f"the instrumentation or its exporter did not work.\nworker stderr:\n{proc.stderr[-4000:]}"
        )
    return Sample(variant, result["median_ns"], result["mean_ns"], result, counts, proc.stderr)


# ---------------------------------------------------------------------------- report


def quartiles(values: list[float]) -> tuple[float, float]:
    """First and third quartile (the middle half of the rounds lies between them)."""
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def report(samples: list[list[Sample]]) -> str:
    by_variant: dict[str, list[Sample]] = {v: [] for v in VARIANTS}
    overheads: dict[str, list[float]] = {v: [] for v in VARIANTS}
    mean_overheads: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for round_samples in samples:
        base = next(s for s in round_samples if s.variant == "none")
        for s in round_samples:
            by_variant[s.variant].append(s)
            overheads[s.variant].append((s.median_ns - base.median_ns) / 1000)
            mean_overheads[s.variant].append((s.mean_ns - base.mean_ns) / 1000)
    lines = [
        f"{'variant':<12} {'call µs':>9} {'overhead µs':>12} {'IQR µs':>18} {'mean ovh µs':>12} "
        f"{'spans/round':>12} {'points/round':>13} {'logs/round':>11}"
    ]
    result: dict[str, float] = {}
    for v in VARIANTS:
        call = statistics.median(s.median_ns for s in by_variant[v]) / 1000
        ovh = statistics.median(overheads[v])
        result[v] = ovh
        spread = f"{quartiles(overheads[v])[0]:.1f}..{quartiles(overheads[v])[1]:.1f}"
        counts = {k: statistics.median(s.counts.get(k, 0) for s in by_variant[v]) for k in COUNTS}
        lines.append(
            f"{v:<12} {call:>9.1f} {ovh:>12.1f} {spread:>18} {statistics.median(mean_overheads[v]):>12.1f} "
            f"{counts['spans']:>12.0f} {counts['data points']:>13.0f} {counts['log records']:>11.0f}"
        )
    ratio = result["llmobs"] / result["openlit"] if result["openlit"] else float("nan")
    lines.append(
        f"overhead_us={result['llmobs']:.1f} openlit_us={result['openlit']:.1f} "
        f"openllmetry_us={result['openllmetry']:.1f} ratio_vs_openlit={ratio:.2f}"
    )
    return "\n".join(lines)


# What each worker reports the version of (the worker's own list: one place for it).
VERSION_KEYS = _worker.PACKAGES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per measurement (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed calls before timing (default 200)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.calls < 1 or args.warmup < 0:
        parser.error("--rounds and --calls must be positive, --warmup not negative")

    started = time.monotonic()
    binary = otelcol_binary()
    if binary is None:
        log("no collector binary: set LLMOBS_OTELCOL or run scripts/build-otelcol")
        return 2
    venvs = ensure_venvs()
    pythons = {v: venv / "bin/python" for v, venv in venvs.items()}
    workdir = Path(tempfile.mkdtemp(prefix="llmobs-sdk-overhead-"))
    stub: Stub | None = None
    collector: Proc | None = None
    try:
        stub = start_stub()
        collector = start_collector(binary, workdir)
        print(
            f"rounds={args.rounds} calls={args.calls} warmup={args.warmup} stub={stub.url} "
            f"collector={collector.http} ({binary.parent.name})",
            flush=True,
        )
        samples: list[list[Sample]] = []
        first: dict[str, Sample] = {}
        for r in range(args.rounds):
            order = VARIANTS[r % len(VARIANTS) :] + VARIANTS[: r % len(VARIANTS)]
            round_samples = []
            for variant in order:
                sample = run_worker(variant, pythons[variant], stub, collector, args)
                first.setdefault(variant, sample)
                round_samples.append(sample)
            samples.append(round_samples)
            medians = {s.variant: f"{s.median_ns / 1000:.1f}" for s in round_samples}
            print(f"round {r + 1}/{args.rounds}: median µs {medians}", flush=True)
        for variant in VARIANTS:
            sample = first[variant]
            found = sample.result["versions"]
            listed = " ".join(f"{k}=={found[k]}" for k in VERSION_KEYS if k in found)
            print(f"{variant}: {sample.result['setup']}; setup {sample.result['setup_s']:.2f}s", flush=True)
            print(f"  versions: {listed}", flush=True)
            noise = [line for line in sample.stderr.splitlines() if line.strip()]
            if noise:  # what the SDK itself complained about (first round), for the record
                print(f"  stderr ({len(noise)} lines): " + " | ".join(line[:160] for line in noise[-3:]), flush=True)
        print(f"elapsed={time.monotonic() - started:.0f}s", flush=True)
        print(report(samples), flush=True)
        return 0
    finally:
        if stub is not None:
            stub.stop()
        if collector is not None:
            collector.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
