"""The scaled collector tier as plain processes: a gateway and N llmobs collectors on loopback.

Everything runs from a rendered bundle (``collector.replicas: N``) exactly as compose runs it; only
the addresses differ, set through the same ``LLMOBS_*`` variables, and the gateway gets the static
resolver (compose and Kubernetes use DNS). Shared by tests/test_collector_scaling.py and
benchmarks/collector_scaling.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.collector import (
    Proc,
    Samples,
    gateway_env,
    llmobs_env,
    llmobs_ports,
    prometheus_samples,
    sink,
    start,
)
from tests.support.procs import free_port


@dataclass
class Tier:
    """A running tier: the gateway apps send to, the llmobs instances, the recording sink."""

    gateway: Proc
    instances: list[Proc]
    sink: Proc
    binary: Path
    config: Path
    received: Path

    def restart(self, index: int) -> Proc:
        """Start instance ``index`` again with its ports and its persistent queue (after ``stop()``)."""
        old = self.instances[index]
        self.instances[index] = start(self.binary, self.config, old.workdir, old.env, old.ports)
        return self.instances[index]


def static_resolver(instances: list[Proc]) -> str:
    """``LLMOBS_GATEWAY_RESOLVER`` for instances listening on loopback ports."""
    return "{static: {hostnames: [" + ", ".join(f'"{p.grpc}"' for p in instances) + "]}}"


@contextmanager
def tier(binary: Path, bundle: Path, workdir: Path, replicas: int) -> Iterator[Tier]:
    """Sink, ``replicas`` llmobs collectors and the gateway, stopped in reverse order on exit."""
    with ExitStack() as stack:
        target = stack.enter_context(sink(binary, workdir / "sink"))
        config = bundle / "collector" / "config.yaml"
        instances: list[Proc] = []
        for i in range(replicas):
            ports = llmobs_ports()
            home = workdir / f"llmobs-{i}"
            proc = start(binary, config, home, llmobs_env(target, home / "storage", ports), ports)
            stack.callback(_stop_current, instances, proc)
            instances.append(proc)
        gw_ports = {"grpc": free_port(), "http": free_port(), "health": free_port(), "telemetry": free_port()}
        gw_env = gateway_env(workdir / "gateway", gw_ports, static_resolver(instances))
        gateway = start(binary, bundle / "collector" / "gateway.yaml", workdir / "gateway", gw_env, gw_ports)
        stack.callback(gateway.stop)
        yield Tier(gateway, instances, target, binary, config, target.workdir / "received")


def _stop_current(instances: list[Proc], original: Proc) -> None:
    """Stop whichever process holds ``original``'s slot now (a test may have restarted it)."""
    for proc in instances:
        if proc.ports == original.ports:
            proc.stop()


def scrape(port: int) -> Samples:
    """Samples by metric name from one instance's Prometheus exporter."""
    return prometheus_samples(port)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc), for per-instance CPU figures."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
