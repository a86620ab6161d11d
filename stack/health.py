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

from llmobs import catalog
from llmobs.settings import Settings

# service: (the ports.* setting it is reached on, its readiness path); paths are the images' own.
READINESS = {
    catalog.COLLECTOR: ("collector_health", "/"),  # health_check extension, default path
    catalog.PROMETHEUS: ("prometheus", "/-/ready"),  # /-/healthy answers 200 before the TSDB is open
    catalog.TEMPO: ("tempo", "/ready"),
    catalog.LOKI: ("loki", "/ready"),
    catalog.GRAFANA: ("grafana", "/api/health"),
}
# Where a person (or, for the collector, an app's OTLP/HTTP exporter) goes for each service.
FRONT_DOOR = {
    catalog.COLLECTOR: "otlp_http",
    catalog.PROMETHEUS: "prometheus",
    catalog.TEMPO: "tempo",
    catalog.LOKI: "loki",
    catalog.GRAFANA: "grafana",
}


def host(bind_address: str) -> str:
    """The address to reach published ports at from this machine, URL-ready (IPv6 in brackets)."""
    ip = ipaddress.ip_address(bind_address)
    if ip.is_unspecified:
        return "127.0.0.1" if ip.version == 4 else "[::1]"
    return f"[{ip}]" if ip.version == 6 else str(ip)


def url(settings: Settings, key: str, path: str = "") -> str:
    return f"http://{host(settings.bind_address)}:{getattr(settings.ports, key)}{path}"


def ready_url(settings: Settings, service: str) -> str:
    key, path = READINESS[service]
    return url(settings, key, path)


def front_url(settings: Settings, service: str) -> str:
    return url(settings, FRONT_DOOR[service])


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
        baseline = {c.service: c.restart_count for c in self.engine.containers(self.project)}
        while True:
            elapsed = time.monotonic() - start
            containers = {c.service: c for c in self.engine.containers(self.project)}
            for st in self.statuses.values():
                if st.ready or st.failed:
                    continue
                container = containers.get(st.service)
                if container is None:
                    st.state = "no container"
                elif container.failed or container.restart_count > baseline.get(st.service, 0):
                    st.failed = True
                    st.state = f"{container.state} (exit code {container.exit_code})"
                elif probe(st.url):
                    st.ready, st.state, st.seconds = True, "ready", round(elapsed, 1)
                else:
                    st.state = container.state if container.state != "running" else "starting"
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
