"""Overload: the real llmobs collector, in a container sized as the compose bundle sizes it, fed faster than
its backend drains.

What runs:

* the llmobs collector image (the binary scripts/build-otelcol builds, laid out by tests/support/images.py as
  collector/Dockerfile lays it out) with the **rendered default bundle**: its ``collector/config.yaml`` and
  ``prices.json``, and from the rendered ``docker-compose.yml`` the collector's ``mem_limit``, ``GOMEMLIMIT``,
  ``user``, ``restart`` policy, command and mounts (read from the file, never retyped here); its persistent
  queue is a host directory in place of the named volume, and it runs with ``network_mode: host`` so it
  reaches the sink on 127.0.0.1;
* a recording sink (tests/support/collector.py ``sink``, a plain process) standing in for Tempo. The sink is
  made slow by design: ``--sink paused`` stops it (SIGSTOP) for the whole load, ``--sink slow`` lets it run
  ``--duty`` of every second, ``--sink live`` leaves it alone. A backend slower than the offered load is what
  overloads a collector in production; pausing it makes the overload independent of this machine's speed;
* ``--clients`` loopback threads posting OTLP/HTTP protobuf requests (collector_throughput.py's 2 KB GenAI
  spans with PII) as fast as the collector answers, for ``--duration`` seconds (then they stop by themselves);
  a refused request (429/503, retryable) is retried after 50 ms, as an exporter would. Every span carries an
  id unique to the run, so the sink's copy can be checked span by span.

Then the sink runs freely and the collector drains; the drain ends when the sink holds every span the
collector accepted (its own ``otelcol_receiver_accepted_spans``) or after ``--drain-timeout``.

Reported: requests accepted and refused (and why: the HTTP body names the refusing component), peak
container memory (the cgroup's peak usage, which includes page cache, and the peak anonymous memory sampled
every 100 ms: what the OOM killer counts), OOM kills and restarts, spans accepted vs delivered (unique, and
duplicates from retried exports), the drain time, and what the span-metrics connector counted.

Usage: LLMOBS_OTELCOL=... python benchmarks/collector_overload.py [--duration 60] [--sink slow]
The last line is ``peak_rss_mib=… limit_mib=… accepted=… refused=… delivered=… lost=…``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.collector_throughput import trace_request  # noqa: E402
from llmobs import catalog  # noqa: E402
from tests.support.collector import Proc, llmobs_env, llmobs_ports, sink  # noqa: E402
from tests.support.procs import otelcol_binary  # noqa: E402

MIB = 1024 * 1024
RETRYABLE = (429, 503)  # OTLP/HTTP: ResourceExhausted -> 429, Unavailable -> 503 (gRPC RESOURCE_EXHAUSTED/UNAVAILABLE)
# What the collector says when it refuses (the OTLP/HTTP error body carries the component's error text).
REASONS = {
    b"sending queue is full": "queue_full",  # exporterhelper: the persistent sending_queue is at queue_size
    b"high memory usage": "memory_limiter",  # memory_limiter: heap above its soft limit
}
SPAN_ID = re.compile(rb'"spanId":"([0-9a-f]{16})"')


# ---------------------------------------------------------------------------------------------- the bundle


@dataclass
class Bundle:
    """The rendered default bundle on disk and the collector service as its compose file declares it."""

    root: Path
    service: dict[str, Any]

    @property
    def mem_limit_mib(self) -> int:
        return _mib(str(self.service["mem_limit"]))

    @property
    def gomemlimit(self) -> str:
        return str(self.service["environment"]["GOMEMLIMIT"])

    def queue(self) -> dict[str, Any]:
        """The traces exporter's sending_queue from the rendered collector config."""
        config = yaml.safe_load((self.root / "collector" / "config.yaml").read_text())
        exporter = config["service"]["pipelines"]["traces"]["exporters"][0]
        return dict(config["exporters"][exporter]["sending_queue"])


def render_bundle(workdir: Path, sets: list[str] | None = None) -> Bundle:
    """Render the bundle ``llmobs render`` writes for these settings (the defaults unless ``sets``)."""
    from llmobs.config import load
    from llmobs.render import COMPOSE_FILE, render

    root = workdir / "bundle"
    for name, data in render(load(sets=sets or [], env={}, cwd=workdir).settings).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    compose = yaml.safe_load((root / COMPOSE_FILE).read_text())
    return Bundle(root, compose["services"][catalog.COLLECTOR])


def _mib(size: str) -> int:
    """A compose/Go memory size (``512m``, ``384MiB``, ``1g``) in MiB."""
    match = re.fullmatch(r"(\d+)\s*([kmg]?)(i?b?)", size.strip().lower())
    if not match:
        raise ValueError(f"unreadable memory size {size!r}")
    number, unit = int(match.group(1)), match.group(2)
    return {"": number // MIB, "k": number // 1024, "m": number, "g": number * 1024}[unit]


def _interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` with an empty environment: the default (the bundle's own choice)."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}", lambda m: m.group(1) or "", value)


# ------------------------------------------------------------------------------------------ the container


def collector_image(client: Any, binary: Path) -> str:
    from tests.support import images

    return images.collector_image(client, binary)


@dataclass
class Container:
    """The llmobs collector container and the loopback ports it listens on (host network)."""

    handle: Any
    ports: dict[str, int]
    storage: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.ports['http']}"

    def state(self) -> dict[str, Any]:
        self.handle.reload()
        return dict(self.handle.attrs["State"]) | {"RestartCount": self.handle.attrs.get("RestartCount", 0)}

    def metrics(self) -> dict[str, float]:
        return scrape(self.ports["telemetry"])

    def logs(self) -> str:
        return self.handle.logs(tail=40).decode(errors="replace")


@contextmanager
def collector_container(client: Any, image: str, bundle: Bundle, target: Proc, workdir: Path) -> Iterator[Container]:
    """Run the collector as the rendered compose file declares it, but on the host network."""
    svc = bundle.service
    ports = llmobs_ports()
    storage = workdir / "collector-data"
    storage.mkdir(parents=True, exist_ok=True)
    volumes: dict[str, dict[str, str]] = {}
    for spec in svc["volumes"]:
        source, target_path, *mode = spec.split(":")
        host = (bundle.root / source).resolve() if source.startswith(".") else storage  # the named volume
        volumes[str(host)] = {"bind": target_path, "mode": mode[0] if mode else "rw"}
    env = {key: _interpolate(str(value)) for key, value in svc.get("environment", {}).items()}
    # Addresses on loopback (host network); the storage directory stays the compose one, mounted above.
    env |= {k: v for k, v in llmobs_env(target, storage, ports).items() if k != "LLMOBS_COLLECTOR_STORAGE"}
    handle = client.containers.run(
        image,
        command=svc["command"],
        detach=True,
        name=f"llmobs-overload-{uuid.uuid4().hex[:8]}",
        network_mode="host",
        mem_limit=svc["mem_limit"],
        user=str(svc.get("user", "")) or None,
        restart_policy={"Name": svc.get("restart", "no")},
        environment=env,
        volumes=volumes,
    )
    container = Container(handle, ports, storage)
    try:
        _wait_healthy(container)
        yield container
    finally:
        with suppress(Exception):
            handle.remove(force=True)


def _wait_healthy(container: Container, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = container.state()
        if state["Status"] in ("exited", "dead"):
            raise RuntimeError(f"collector container exited ({state.get('ExitCode')}):\n{container.logs()}")
        with suppress(requests.RequestException):
            if requests.get(f"http://127.0.0.1:{container.ports['health']}/", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"collector container not healthy after {timeout}s:\n{container.logs()}")


def scrape(port: int, labels: str = "") -> dict[str, float]:
    """Prometheus text from 127.0.0.1:port, summed per metric name over the samples whose labels contain
    ``labels`` (e.g. ``gen_ai_token_type="output"``)."""
    totals: dict[str, float] = Counter()
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except requests.RequestException:
        return {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            sample = line.split(" # ", 1)[0]  # OpenMetrics exemplars follow " # "
            name = re.split(r"[{ ]", sample, maxsplit=1)[0]
            if labels not in sample:
                continue
            with suppress(ValueError, IndexError):
                totals[name] += float(sample.rsplit(" ", 1)[1])
    return dict(totals)


# --------------------------------------------------------------------------------------------- memory


class MemoryWatch:
    """Samples the container's memory cgroup (v1 or v2) every 100 ms: peak anonymous memory (what counts
    towards an OOM kill; page cache is reclaimed first), the kernel's own peak usage and OOM kills."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.dir = self._cgroup_dir()
        self.peak_anon = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _cgroup_dir(self) -> Path | None:
        pid = self.container.state().get("Pid")
        with suppress(OSError, TypeError):
            for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
                _, controllers, path = line.split(":", 2)
                if "memory" in controllers.split(","):
                    candidate = Path("/sys/fs/cgroup/memory") / path.lstrip("/")
                elif controllers == "":
                    candidate = Path("/sys/fs/cgroup") / path.lstrip("/")
                else:
                    continue
                if (candidate / "memory.stat").is_file():
                    return candidate
        return None

    @property
    def v2(self) -> bool:
        return self.dir is not None and (self.dir / "memory.current").is_file()

    def _read(self, name: str) -> str:
        assert self.dir is not None
        return (self.dir / name).read_text()

    def stat(self) -> dict[str, int]:
        return {k: int(v) for k, v in (line.split() for line in self._read("memory.stat").splitlines())}

    def anon(self) -> int:
        stat = self.stat()
        return stat.get("anon", 0) if self.v2 else stat.get("rss", 0)  # v1 rss: anonymous memory, huge pages included

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            if self.dir is None:
                self._sample_docker()
                continue
            with suppress(OSError, ValueError):
                self.peak_anon = max(self.peak_anon, self.anon())
                self.samples += 1

    def _sample_docker(self) -> None:
        """No readable cgroup (rootless, another namespace): the engine's stats, slower and coarser."""
        with suppress(Exception):
            mem = self.container.handle.stats(stream=False)["memory_stats"]
            stats = mem.get("stats", {})
            self.peak_anon = max(self.peak_anon, int(stats.get("anon", stats.get("rss", mem.get("usage", 0)))))
            self.samples += 1

    def start(self) -> MemoryWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def peak_usage(self) -> int | None:
        """The kernel's peak usage of the cgroup (anonymous memory plus page cache)."""
        if self.dir is None:
            return None
        with suppress(OSError, ValueError):
            return int(self._read("memory.peak" if self.v2 else "memory.max_usage_in_bytes"))
        return None

    def oom_kills(self) -> int | None:
        """``oom_kill`` from memory.events (v2) or memory.oom_control (v1): processes the kernel killed."""
        if self.dir is None:
            return None
        with suppress(OSError, ValueError):
            text = self._read("memory.events" if self.v2 else "memory.oom_control")
            return dict((k, int(v)) for k, v in (line.split() for line in text.splitlines())).get("oom_kill")
        return None


# ------------------------------------------------------------------------------------------- the sink


class SinkControl:
    """Pauses and resumes the sink process (SIGSTOP / SIGCONT) and counts the spans it wrote."""

    def __init__(self, proc: Proc) -> None:
        self.proc = proc
        self.path = proc.workdir / "received" / "traces.jsonl"
        self.ids: set[bytes] = set()
        self.records = 0
        self._offset = 0
        self._duty: threading.Thread | None = None
        self._stop = threading.Event()

    def pause(self) -> None:
        self.proc.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.process.send_signal(signal.SIGCONT)

    def slow(self, duty: float, period: float = 1.0) -> None:
        """Run the sink ``duty`` of every ``period`` until :meth:`stop_slow`."""

        def cycle() -> None:
            while not self._stop.is_set():
                self.resume()
                self._stop.wait(period * duty)
                if self._stop.is_set():
                    break
                self.pause()
                self._stop.wait(period * (1 - duty))
            self.resume()

        self._duty = threading.Thread(target=cycle, daemon=True)
        self._duty.start()

    def stop_slow(self) -> None:
        self._stop.set()
        if self._duty is not None:
            self._duty.join(timeout=5)
        self.resume()

    def update(self) -> int:
        """Read what the sink wrote since the last call; returns the unique spans so far."""
        if self.path.exists():
            with self.path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
            end = data.rfind(b"\n") + 1  # whole lines only: the file exporter may be mid-write
            found = SPAN_ID.findall(data, 0, end)
            self.records += len(found)
            self.ids.update(found)
            self._offset += end
        return len(self.ids)


# -------------------------------------------------------------------------------------------- the load


class Bodies:
    """OTLP protobuf requests of ``batch`` GenAI spans (collector_throughput.py's), every span id unique."""

    def __init__(self, batch: int) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        self.batch = batch
        self.message = ExportTraceServiceRequest.FromString(trace_request(batch))
        self.spans = [s for rs in self.message.resource_spans for ss in rs.scope_spans for s in ss.spans]
        output = [a.value.int_value for s in self.spans for a in s.attributes if a.key == "gen_ai.usage.output_tokens"]
        self.output_tokens_per_span = sum(output) / len(self.spans)
        self.run = int.from_bytes(os.urandom(8), "big")
        self._n = 0
        self._lock = threading.Lock()

    def next(self) -> bytes:
        with self._lock:
            self._n += 1
            for i, span in enumerate(self.spans):
                span.trace_id = struct.pack(">QII", self.run, self._n, i)
                span.span_id = struct.pack(">II", self._n, i + 1)
            return self.message.SerializeToString()


@dataclass
class LoadStats:
    attempts: int = 0
    accepted: int = 0  # requests answered 200
    refused: Counter[str] = field(default_factory=Counter)  # retryable refusals by reason
    other: Counter[str] = field(default_factory=Counter)  # anything else (non-retryable status, connection error)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())


def offer_load(
    url: str,
    bodies: Bodies,
    clients: int,
    duration: float,
    *,
    min_refused: int = 0,
    max_duration: float | None = None,
) -> LoadStats:
    """Post as fast as the collector answers for ``duration`` s (longer, up to ``max_duration``, until
    ``min_refused`` requests were refused); a refused request is retried after 50 ms."""
    stats = LoadStats()
    stop = threading.Event()

    def client() -> None:
        session = requests.Session()
        body: bytes | None = None
        while not stop.is_set():
            body = body or bodies.next()
            try:
                r = session.post(url, data=body, headers={"Content-Type": "application/x-protobuf"}, timeout=60)
            except requests.RequestException as exc:
                with stats.lock:
                    stats.attempts += 1
                    stats.other[type(exc).__name__] += 1
                time.sleep(0.2)
                continue
            with stats.lock:
                stats.attempts += 1
                if r.status_code == 200:
                    stats.accepted += 1
                elif r.status_code in RETRYABLE:
                    reason = next((name for text, name in REASONS.items() if text in r.content), "other")
                    stats.refused[f"{r.status_code} {reason}"] += 1
                else:
                    stats.other[f"{r.status_code} {r.content[:120]!r}"] += 1
            if r.status_code == 200 or r.status_code not in RETRYABLE:
                body = None
            else:
                time.sleep(0.05)

    start = time.monotonic()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    limit = max(duration, max_duration or duration)
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= limit or (elapsed >= duration and stats.refused_total >= min_refused):
            break
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(timeout=70)
    stats.seconds = time.monotonic() - start
    return stats


# ------------------------------------------------------------------------------------------ the run


@dataclass
class Result:
    limit_mib: int
    gomemlimit: str
    queue: dict[str, Any]
    batch: int
    load: LoadStats
    accepted_spans: int  # the collector's otelcol_receiver_accepted_spans
    refused_spans: int  # its otelcol_receiver_refused_spans
    delivered: int  # unique spans in the sink
    sink_records: int  # spans the sink wrote, duplicates included
    drain_seconds: float
    peak_anon_mib: float
    peak_usage_mib: float | None
    oom_kills: int | None
    oom_killed: bool
    restarts: int
    status: str
    queue_bytes_on_disk: int
    collector_metrics: dict[str, float]
    metric_calls: float | None = None  # LLM calls the span-derived metrics counted
    request_bytes: int = 0  # one OTLP/HTTP request body the clients post

    @property
    def lost(self) -> int:
        return self.accepted_spans - self.delivered

    def report(self) -> str:
        load = self.load
        offered = load.attempts * self.batch / load.seconds if load.seconds else 0
        lines = [
            f"limit: mem_limit={self.limit_mib} MiB GOMEMLIMIT={self.gomemlimit} (rendered docker-compose.yml); "
            f"sending_queue: queue_size={self.queue.get('queue_size')} {self.queue.get('sizer', 'requests')} on disk, "
            f"requests of {self.request_bytes / 1024:.0f} KiB",
            f"load: {load.seconds:.1f} s, {load.attempts} requests of {self.batch} spans "
            f"({offered:.0f} spans/s offered), accepted {load.accepted}, refused {load.refused_total} "
            f"{dict(load.refused)}, other {dict(load.other)}",
            f"collector: accepted_spans={self.accepted_spans} refused_spans={self.refused_spans} (memory_limiter "
            f"{self.collector_metrics.get('otelcol_processor_memory_limiter_refused_spans', 0):.0f}, sending queue "
            f"full {self.collector_metrics.get('otelcol_exporter_enqueue_failed_spans', 0):.0f}), "
            f"queue on disk at the end of the load {self.queue_bytes_on_disk / MIB:.0f} MiB",
            f"memory: peak anon (RSS) {self.peak_anon_mib:.0f} MiB, cgroup peak usage incl. page cache "
            f"{self.peak_usage_mib if self.peak_usage_mib is None else round(self.peak_usage_mib)} MiB, "
            f"limit {self.limit_mib} MiB; oom_kill={self.oom_kills} OOMKilled={self.oom_killed} "
            f"restarts={self.restarts} status={self.status}",
            f"sink: delivered {self.delivered} unique spans ({self.sink_records - self.delivered} duplicates "
            f"from retried exports) in {self.drain_seconds:.1f} s of draining; lost={self.lost}",
        ]
        if self.metric_calls is not None:
            lines.append(
                f"span-derived metrics (llmobs_tokens_total output / tokens per call) counted "
                f"{self.metric_calls:.0f} calls for {self.accepted_spans} accepted spans"
            )
        return "\n".join(lines)

    def summary(self) -> str:
        return (
            f"peak_rss_mib={self.peak_anon_mib:.0f} limit_mib={self.limit_mib} accepted={self.accepted_spans} "
            f"refused={self.refused_spans} delivered={self.delivered} lost={self.lost}"
        )


def run(
    binary: Path,
    workdir: Path,
    *,
    duration: float = 60,
    batch: int = 20,
    clients: int = 4,
    sink_mode: str = "slow",
    duty: float = 0.1,
    min_refused: int = 0,
    max_duration: float | None = None,
    drain_timeout: float = 300,
    span_metrics: bool = False,
    sets: list[str] | None = None,
) -> Result:
    """One overload run (see the module docstring); raises if the collector never became healthy."""
    import docker

    client = docker.from_env(timeout=60)
    bundle = render_bundle(workdir, sets)
    image = collector_image(client, binary)
    with (
        sink(binary, workdir / "sink") as target,
        collector_container(client, image, bundle, target, workdir) as container,
    ):
        control = SinkControl(target)
        memory = MemoryWatch(container).start()
        bodies = Bodies(batch)
        try:
            if sink_mode == "paused":
                control.pause()
            elif sink_mode == "slow":
                control.slow(duty)
            load = offer_load(
                f"{container.http}/v1/traces",
                bodies,
                clients,
                duration,
                min_refused=min_refused,
                max_duration=max_duration,
            )
            queue_bytes = sum(p.stat().st_size for p in container.storage.rglob("*") if p.is_file())
        finally:
            control.stop_slow()  # also resumes a paused sink
        drain_start = time.monotonic()
        accepted = int(container.metrics().get("otelcol_receiver_accepted_spans", 0))
        while control.update() < accepted and time.monotonic() - drain_start < drain_timeout:
            time.sleep(0.2)
        drain = time.monotonic() - drain_start
        calls = None
        if span_metrics:  # the connectors' output, once a flush (15 s) came after the last span
            time.sleep(max(0.0, 17 - (time.monotonic() - drain_start)))
            output = scrape(container.ports["prometheus"], 'gen_ai_token_type="output"').get("llmobs_tokens_total")
            calls = None if output is None else output / bodies.output_tokens_per_span
        memory.stop()
        metrics = container.metrics()
        state = container.state()
        control.update()
        return Result(
            limit_mib=bundle.mem_limit_mib,
            gomemlimit=bundle.gomemlimit,
            queue=bundle.queue(),
            batch=batch,
            request_bytes=len(bodies.message.SerializeToString()),
            load=load,
            accepted_spans=int(metrics.get("otelcol_receiver_accepted_spans", accepted)),
            refused_spans=int(metrics.get("otelcol_receiver_refused_spans", 0)),
            delivered=len(control.ids),
            sink_records=control.records,
            drain_seconds=drain,
            peak_anon_mib=memory.peak_anon / MIB,
            peak_usage_mib=None if memory.peak_usage() is None else memory.peak_usage() / MIB,  # type: ignore[operator]
            oom_kills=memory.oom_kills(),
            oom_killed=bool(state.get("OOMKilled")),
            restarts=int(state.get("RestartCount", 0)),
            status=str(state.get("Status")),
            queue_bytes_on_disk=queue_bytes,
            collector_metrics=metrics,
            metric_calls=calls,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--batch", type=int, default=20, help="spans per request (default 20, ~45 KB)")
    parser.add_argument("--clients", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--sink", choices=("slow", "paused", "live"), default="slow", help="the backend (default slow)")
    parser.add_argument("--duty", type=float, default=0.1, help="--sink slow: share of each second it runs (0.1)")
    parser.add_argument("--drain-timeout", type=float, default=300, help="seconds the drain may take at most")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="llmobs setting KEY=VALUE")
    args = parser.parse_args(argv)

    binary = otelcol_binary()
    if binary is None:
        print("no collector binary: set LLMOBS_OTELCOL or run scripts/build-otelcol", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="llmobs-overload-"))
    try:
        result = run(
            binary,
            workdir,
            duration=args.duration,
            batch=args.batch,
            clients=args.clients,
            sink_mode=args.sink,
            duty=args.duty,
            drain_timeout=args.drain_timeout,
            span_metrics=True,
            sets=args.sets,
        )
        print(result.report())
        print(result.summary())
        return 0 if result.lost == 0 and not result.oom_killed and result.restarts == 0 else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
