"""Readiness: one URL per service, polled from the host until all answer or one fails.

Polled from the host, not by compose healthchecks, because the Tempo, Loki
(since 3.6) and collector images have no shell to run one in. A service is
ready when its readiness URL answers 200 (a closed port is *not* ready, unlike
docker-otel-lgtm's healthcheck); it has failed when its container exited or
restarted while we waited, which ends the wait at once instead of at the
deadline.
"""

from __future__ import annotations

import base64
import ipaddress
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llmobs import catalog, services
from llmobs.settings import Settings


def host(bind_address: str) -> str:
    """The address to reach published ports at from this machine, URL-ready (IPv6 in brackets)."""
    ip = ipaddress.ip_address(bind_address)
    if ip.is_unspecified:
        return "127.0.0.1" if ip.version == 4 else "[::1]"
    return f"[{ip}]" if ip.version == 6 else str(ip)


def url(settings: Settings, key: str, path: str = "") -> str:
    return f"http://{host(settings.bind_address)}:{getattr(settings.ports, key)}{path}"


def scaled(settings: Settings, service: str) -> bool:
    """True for the collectors of the scaled tier: several instances, each on its own host port."""
    svc = services.by_name(settings).get(service)
    return svc is not None and svc.scaled


def ready_url(settings: Settings, service: str) -> str:
    """The readiness URL; "" for a scaled service, whose instances each have one (:func:`instance_url`)."""
    if scaled(settings, service):
        return ""
    svc = services.by_name(settings)[service]
    return url(settings, svc.ready_key, svc.ready_path)


def instance_url(settings: Settings, container: Any) -> str:
    """The health URL of one instance of the scaled collectors, on the port the engine published it on."""
    port = container.ports.get(catalog.COLLECTOR_HEALTH_PORT)
    return f"http://{host(settings.bind_address)}:{port}/" if port else ""


def front_url(settings: Settings, service: str) -> str:
    if scaled(settings, service):  # the apps send to the gateway; the instances only have health
        return front_url(settings, catalog.GATEWAY)
    return url(settings, services.by_name(settings)[service].front)


def probe(target: str, timeout: float = 2.0) -> bool:
    """True when ``target`` answers HTTP 200 now."""
    return http_status(target, timeout=timeout) == 200


def http_status(target: str, *, auth: tuple[str, str] | None = None, timeout: float = 2.0) -> int | None:
    """The HTTP status ``target`` answers with (optionally with basic auth); None when nothing answers."""
    request = urllib.request.Request(target)
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError, ValueError):
        return None


@dataclass
class Status:
    """Where one service stands while ``up`` waits (and in ``status``)."""

    service: str
    url: str
    state: str = "starting"
    ready: bool = False
    failed: bool = False
    seconds: float | None = None


@dataclass
class Waiter:
    """Polls every service's readiness URL and its container's state until all are ready or one fails."""

    settings: Settings
    services: list[str]
    engine: Any
    project: str
    interval: float = 0.5
    statuses: dict[str, Status] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.statuses = {s: Status(s, ready_url(self.settings, s)) for s in self.services}

    def wait(self, timeout: float, on_update: Callable[[list[Status]], None] = lambda _: None) -> list[Status]:
        """Return every status once all are ready, one failed, or ``timeout`` seconds passed."""
        start = time.monotonic()
        baseline = {c.name: c.restart_count for c in self.engine.containers(self.project)}
        while True:
            elapsed = time.monotonic() - start
            by_service: dict[str, list[Any]] = {}
            for c in self.engine.containers(self.project):
                by_service.setdefault(c.service, []).append(c)
            for st in self.statuses.values():
                if st.ready or st.failed:
                    continue
                # A scaled service (collector.replicas) is ready when every instance answers.
                group = by_service.get(st.service, [])
                wanted = self.settings.collector.replicas if scaled(self.settings, st.service) else 1
                bad = [c for c in group if c.failed or c.restart_count > baseline.get(c.name, 0)]
                if not group:
                    st.state = "no container"
                elif bad:
                    st.failed = True
                    st.state = f"{bad[0].state} (exit code {bad[0].exit_code})"
                elif len(group) >= wanted and all(probe(st.url or instance_url(self.settings, c)) for c in group):
                    st.ready, st.state, st.seconds = True, "ready", round(elapsed, 1)
                else:
                    waiting = [c for c in group if c.state != "running"]
                    st.state = waiting[0].state if waiting else "starting"
            values = list(self.statuses.values())
            on_update(values)
            if all(s.ready for s in values) or any(s.failed for s in values):
                return values
            if elapsed >= timeout:
                for st in values:
                    if not st.ready:
                        st.state = f"not ready after {timeout:.0f}s"
                on_update(values)
                return values
            time.sleep(self.interval)
