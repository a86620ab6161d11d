"""Host ports the stack publishes: which they are, whether they are free, and who holds them if not.

The list comes from the services table (:mod:`llmobs.services`, which the
compose template also follows), each port with its ``ports.*`` setting so the
error can say which ``--set`` moves it. A port held by a container of this same project
is not a conflict (``up`` keeps or recreates that container); one held by
another container is reported with that container's name, and one held by a
local process with its pid and command where /proc tells.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmobs import services
from llmobs.errors import LlmobsError
from llmobs.settings import Ports, Settings


@dataclass(frozen=True)
class HostPort:
    """One published port: the compose service, the host port and the setting that chooses it."""

    service: str
    port: int
    key: str  # "otlp_grpc" for ports.otlp_grpc

    @property
    def what(self) -> str:
        return Ports.model_fields[self.key].description or self.key


def published(settings: Settings) -> list[HostPort]:
    """Every fixed host port the stack publishes, in compose-file order (a scaled service's instances
    publish their health on ports the engine picks, which cannot collide)."""
    return [
        HostPort(svc.name, services.host_port(settings, port.key), port.key)
        for svc in services.running(settings)
        for port in svc.ports
    ]


def is_free(address: str, port: int) -> bool:
    """True when a listener could bind ``address:port`` now (SO_REUSEADDR: TIME_WAIT does not count)."""
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            if exc.errno == errno.EACCES:  # a port below 1024 and we are not root: the engine binds it, not us
                return True
            if exc.errno == errno.EADDRNOTAVAIL:
                raise LlmobsError(
                    f"{address} is not an address of this machine", key="bind_address", fix="use 127.0.0.1 or 0.0.0.0"
                ) from None
            raise
    return True


def taken(ports: list[HostPort], address: str, engine: Any, project: str) -> list[tuple[HostPort, str]]:
    """The ports someone other than ``project`` holds, each with a description of the holder."""
    result = []
    for hp in ports:
        if is_free(address, hp.port):
            continue
        publishers = engine.port_publishers(hp.port) if engine is not None else []
        if any(owner_project == project for _, owner_project in publishers):
            continue
        if publishers:
            holder = "container " + ", ".join(name for name, _ in publishers)
        else:
            holder = process_holding(hp.port) or "another process"
        result.append((hp, holder))
    return result


def check(ports: list[HostPort], address: str, engine: Any, project: str) -> None:
    """Raise one LlmobsError naming every taken port, its holder and the setting that moves it."""
    conflicts = taken(ports, address, engine, project)
    if not conflicts:
        return
    problems = "; ".join(f"port {hp.port} (ports.{hp.key}: {hp.what}) is taken by {holder}" for hp, holder in conflicts)
    moves = " ".join(f"--set ports.{hp.key}=<free port>" for hp, _ in conflicts)
    raise LlmobsError(f"{problems} on {address}", fix=f"stop what holds it, or move llmobs: {moves}")


def process_holding(port: int) -> str | None:
    """``process <pid> (<command>)`` listening on TCP ``port``, from /proc (Linux); None if unknown."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in targets:
                    comm = Path(f"/proc/{pid}/comm").read_text().strip()
                    return f"process {pid} ({comm})"
            except OSError:
                continue
    return None
