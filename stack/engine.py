"""The Docker engine, through the Docker SDK, and the one place its failures become one-line errors.

Why the SDK here and the compose tool for the stack itself: ping, container
state, who publishes a port, whether an image is present and per-layer pull
progress are structured answers the SDK returns as data, where the CLI would
need its output parsed; starting and stopping the stack stays with the compose
tool (stack/compose.py), the same command a user runs by hand.

The SDK does not read docker CLI contexts, so without ``DOCKER_HOST`` we ask
the CLI which endpoint its current context uses (Docker Desktop, colima and
rootless engines do not listen on /var/run/docker.sock); the SDK and compose
then talk to the same engine.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from llmobs.errors import LlmobsError

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
CONFIG_HASH_LABEL = "io.llmobs.config-hash"
DEFAULT_SOCKET = "/var/run/docker.sock"
INSTALL_URL = "https://docs.docker.com/engine/install/"


@dataclass(frozen=True)
class Container:
    """One container of a compose project, as ``status``, ``up`` and the tests need it."""

    service: str
    name: str
    id: str
    state: str  # created, running, restarting, exited, dead, ...
    exit_code: int
    restart_count: int
    config_hash: str | None
    image: str
    # container port -> host port it is published on (a scaled service's instances each get one)
    ports: dict[int, int] = field(default_factory=dict, compare=False)

    @property
    def failed(self) -> bool:
        """Exited, dead or crash-looping: it will not become ready by waiting."""
        return self.state in ("exited", "dead", "restarting")


def _published(info: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port of every TCP port the container publishes (first binding)."""
    result = {}
    for key, bindings in ((info.get("NetworkSettings") or {}).get("Ports") or {}).items():
        port, _, proto = key.partition("/")
        if proto == "tcp" and bindings:
            result[int(port)] = int(bindings[0]["HostPort"])
    return result


def docker_host() -> str | None:
    """DOCKER_HOST, else the endpoint of the docker CLI's current context, else None (SDK default)."""
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    cli = shutil.which("docker")
    if not cli:
        return None
    return _context_host(cli, os.environ.get("DOCKER_CONTEXT"), os.environ.get("DOCKER_CONFIG"))


@cache
def _context_host(cli: str, context: str | None, config: str | None) -> str | None:
    """The endpoint of the docker CLI's current context: asked once per process and context choice.

    A ``docker context inspect`` costs a process start; ``llmobs status`` asks before the settings load
    (:func:`reachable`) and again when it connects. ``context`` and ``config`` (DOCKER_CONTEXT and
    DOCKER_CONFIG, which choose the context) are arguments only so that a different choice asks again.
    """
    import subprocess

    try:
        out = subprocess.run(
            [cli, "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    host = out.stdout.strip()
    return host if out.returncode == 0 and host else None


def reachable() -> tuple[str | None, str]:
    """The engine's address (None: the SDK's default) and how errors show it; the one-line LlmobsError
    when the engine is certainly absent (not installed, or its unix socket refuses), without the SDK.

    ``llmobs status`` calls it before loading any settings: without an engine it answers in about
    the time of ``--help`` (issue 16). A yes here is no promise: :func:`connect` still pings.
    """
    host = docker_host()
    shown = host or f"unix://{DEFAULT_SOCKET}"
    if host is None and not shutil.which("docker") and not Path(DEFAULT_SOCKET).exists():
        raise LlmobsError("Docker is not installed on this machine", fix=f"install Docker Engine: {INSTALL_URL}")
    if (refused := _unix_socket_refused(shown)) is not None:
        raise _unreachable(shown, refused)
    return host, shown


def connect(timeout: int = 60) -> Engine:
    """A client for a running engine, or an LlmobsError saying what is missing and how to fix it."""
    host, shown = reachable()

    import docker

    try:
        client = docker.DockerClient(base_url=host, timeout=timeout) if host else docker.from_env(timeout=timeout)
        client.ping()
    except docker.errors.DockerException as exc:
        raise _unreachable(shown, exc) from None
    return Engine(client, shown)


def _unix_socket_refused(host: str) -> OSError | None:
    """Why a ``unix://`` engine socket refuses a connection (missing, nobody listening, no permission), else None.

    The usual "no engine" case answers here in microseconds, before ``import docker`` (docker, requests
    and urllib3: ~0.1 s of CPU) that ``llmobs status``/``up`` without an engine would pay just to fail
    (issue 16). Anything else (tcp://, ssh://, a socket that accepts) goes through the SDK as before.
    """
    if not host.startswith("unix://"):
        return None
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        try:
            sock.connect(host.removeprefix("unix://"))
        except (FileNotFoundError, ConnectionRefusedError, PermissionError) as exc:
            return exc
        except OSError:
            return None  # anything unusual: let the SDK decide and word it
    return None


def _unreachable(host: str, exc: Exception) -> LlmobsError:
    text = str(exc)
    if "Permission denied" in text or "PermissionError" in text:
        return LlmobsError(
            f"permission denied on the Docker engine socket ({host})",
            fix="add your user to the docker group (sudo usermod -aG docker $USER, then log in again)",
        )
    return LlmobsError(
        f"the Docker engine is not running or not reachable at {host}",
        fix="start Docker (e.g. `sudo systemctl start docker`, or open Docker Desktop), or point DOCKER_HOST at it",
    )


class Engine:
    """A connected engine: read-only views of containers, ports and images, plus pulls and logs."""

    def __init__(self, client: Any, host: str) -> None:
        self.client = client
        self.host = host

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        import docker

        try:
            yield
        except docker.errors.NotFound:
            raise
        except docker.errors.APIError as exc:
            raise LlmobsError(f"the Docker engine failed while {doing}: {exc.explanation or exc}") from None
        except docker.errors.DockerException as exc:
            raise _unreachable(self.host, exc) from None
        except OSError as exc:  # the engine went away mid-call (requests wraps most, not all)
            raise _unreachable(self.host, exc) from None

    def version(self) -> dict[str, str]:
        with self._errors("reading its version"):
            info = self.client.version()
        return {"version": str(info.get("Version", "?")), "api": str(info.get("ApiVersion", "?"))}

    def root_dir(self) -> str | None:
        with self._errors("reading its info"):
            return self.client.info().get("DockerRootDir")

    def containers(self, project: str) -> list[Container]:
        """Every container of compose project ``project``, running or not, by service name."""
        import docker

        result = []
        with self._errors("listing containers"):
            summaries = self.client.api.containers(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})
            for summary in summaries:
                try:
                    info = self.client.api.inspect_container(summary["Id"])
                except docker.errors.NotFound:  # removed between list and inspect
                    continue
                labels = info["Config"].get("Labels") or {}
                state = info["State"]
                result.append(
                    Container(
                        service=labels.get(SERVICE_LABEL, "?"),
                        name=info["Name"].lstrip("/"),
                        id=info["Id"],
                        state="restarting" if state.get("Restarting") else str(state.get("Status", "?")),
                        exit_code=int(state.get("ExitCode") or 0),
                        restart_count=int(info.get("RestartCount") or 0),
                        config_hash=labels.get(CONFIG_HASH_LABEL),
                        image=str(info["Config"].get("Image", "")),
                        ports=_published(info),
                    )
                )
        return sorted(result, key=lambda c: c.service)

    def port_publishers(self, port: int) -> list[tuple[str, str | None]]:
        """Containers holding host ``port``: (container name, compose project or None).

        Read from each live container's port bindings, not the list's ``Ports``: a container that
        is restarting still holds its ports through docker-proxy but lists none.
        """
        import docker

        found = []
        with self._errors("listing containers"):
            for summary in self.client.api.containers(all=True):
                if summary.get("State") not in ("running", "restarting", "paused"):
                    continue
                try:
                    info = self.client.api.inspect_container(summary["Id"])
                except docker.errors.NotFound:
                    continue
                bindings = (info.get("HostConfig") or {}).get("PortBindings") or {}
                if any(str(b.get("HostPort")) == str(port) for bs in bindings.values() for b in bs or []):
                    labels = info["Config"].get("Labels") or {}
                    found.append((info["Name"].lstrip("/"), labels.get(PROJECT_LABEL)))
        return found

    def has_image(self, ref: str) -> bool:
        import docker

        with self._errors(f"looking up image {ref}"):
            try:
                self.client.api.inspect_image(ref)
                return True
            except docker.errors.ImageNotFound:
                return False

    def pull(self, ref: str, on_progress: Callable[[int, int], None]) -> None:
        """Pull ``ref``, reporting (bytes done, bytes total) summed over its layers; raise on failure."""
        import docker

        layers: dict[str, tuple[int, int]] = {}
        try:
            for event in self.client.api.pull(ref, stream=True, decode=True):
                if "error" in event:
                    raise LlmobsError(str(event["error"]))
                detail = event.get("progressDetail") or {}
                if event.get("id") and detail.get("total"):
                    done = detail.get("current", 0) if event.get("status") == "Downloading" else detail["total"]
                    layers[event["id"]] = (done, detail["total"])
                elif event.get("id") in layers and event.get("status") in ("Download complete", "Pull complete"):
                    total = layers[event["id"]][1]
                    layers[event["id"]] = (total, total)
                on_progress(sum(d for d, _ in layers.values()), sum(t for _, t in layers.values()))
        except docker.errors.APIError as exc:
            raise LlmobsError(str(exc.explanation or exc)) from None
        except docker.errors.DockerException as exc:
            raise _unreachable(self.host, exc) from None

    def build(self, context: str, ref: str, on_step: Callable[[str], None]) -> None:
        """Build ``ref`` from the Dockerfile in ``context``, reporting each step line; raise on failure."""
        import docker

        try:
            for event in self.client.api.build(path=context, tag=ref, rm=True, forcerm=True, decode=True):
                if "error" in event:
                    raise LlmobsError(str(event["error"]).strip())
                line = str(event.get("stream", "")).strip()
                if line:
                    on_step(line)
        except docker.errors.APIError as exc:
            raise LlmobsError(str(exc.explanation or exc)) from None
        except docker.errors.DockerException as exc:
            raise _unreachable(self.host, exc) from None

    def logs(self, container_id: str, tail: int) -> str:
        import docker

        with self._errors("reading logs"):
            try:
                data = self.client.api.logs(container_id, tail=tail, stdout=True, stderr=True)
            except docker.errors.NotFound:
                return ""
        return data.decode("utf-8", errors="replace")

    def exec(self, container_id: str, argv: list[str]) -> tuple[int, str]:
        """Run ``argv`` inside a running container; (exit code, output)."""
        with self._errors(f"running {argv[0]} in a container"):
            exec_id = self.client.api.exec_create(container_id, argv)["Id"]
            output = self.client.api.exec_start(exec_id).decode("utf-8", errors="replace")
            return int(self.client.api.exec_inspect(exec_id).get("ExitCode") or 0), output

    def remove_volumes(self, names: list[str]) -> None:
        """Delete volumes by name (``down --volumes``: the project's own that compose did not delete)."""
        with self._errors("removing volumes"):
            for name in names:
                self.client.api.remove_volume(name)

    def leftovers(self, project: str) -> dict[str, list[str]]:
        """Containers, networks and volumes compose created for ``project`` that still exist."""
        label = {"label": f"{PROJECT_LABEL}={project}"}
        with self._errors("listing resources"):
            return {
                "containers": [c["Names"][0].lstrip("/") for c in self.client.api.containers(all=True, filters=label)],
                "networks": [n["Name"] for n in self.client.api.networks(filters=label)],
                "volumes": [v["Name"] for v in (self.client.api.volumes(filters=label).get("Volumes") or [])],
            }
