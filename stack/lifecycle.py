"""``llmobs up`` / ``down`` / ``status`` / ``logs`` / ``open`` as ordered steps over the small modules.

up = render the bundle -> engine answers -> compose tool found -> host ports
free -> images present (pulled with a progress bar each) -> ``compose up`` ->
every readiness URL answers (live table) -> URLs and the app's OTLP settings.
Each check that can fail does so before anything starts, with one line that
names the fix. This module only orders the steps and prints through one rich
Console; the Typer commands are one call each.
"""

from __future__ import annotations

import os
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from llmobs import alerting, appenv, catalog, envfile, health, ports, services
from llmobs.bundle import Diff
from llmobs.compose import Compose, find_tool
from llmobs.config import Loaded
from llmobs.engine import Engine, connect
from llmobs.errors import LlmobsError
from llmobs.services import COMPOSE_FILE
from llmobs.settings import Settings

LOG_TAIL = 25


class NotReady(LlmobsError):
    """A service did not become ready: its logs were printed; exit 1 (the stack, not the input, is at fault)."""

    exit_code = 1


@dataclass
class Stack:
    """A rendered bundle and what it runs: services, images and published ports."""

    settings: Settings
    bundle_dir: Path
    rendered: dict[str, bytes]

    @property
    def project(self) -> str:
        return self.settings.project

    @property
    def compose_file(self) -> Path:
        return self.bundle_dir / COMPOSE_FILE

    @cached_property
    def table(self) -> list[services.Service]:
        """What these settings run (the services table; the rendered compose file follows it)."""
        return services.running(self.settings)

    @property
    def services(self) -> list[str]:
        return [svc.name for svc in self.table]

    @property
    def images(self) -> dict[str, str]:
        return {svc.name: services.image(self.settings, svc) for svc in self.table}

    @property
    def builds(self) -> dict[str, Path]:
        """Services whose image the bundle can build (compose ``build:``), with their build context."""
        return {svc.name: self.bundle_dir / svc.build for svc in self.table if svc.build}

    @property
    def ports(self) -> list[ports.HostPort]:
        return ports.published(self.settings)

    def compose(self) -> Compose:
        return Compose(find_tool(), self.compose_file, self.project)


def load(loaded: Loaded, *, write: bool) -> tuple[Stack, Diff | None]:
    """Render the bundle (and, with ``write``, write it and its ``.env``) into the state directory."""
    from llmobs import bundle
    from llmobs.render import render
    from llmobs.state import bundle_dir, stamp

    stack = Stack(loaded.settings, bundle_dir(loaded), render(loaded.settings))
    if not write:
        return stack, None
    changes = bundle.write(stack.rendered, stack.bundle_dir, stamp(stack.settings))
    if not stack.settings.loopback and catalog.GRAFANA in stack.services:
        envfile.grafana_password(stack.bundle_dir)
    if stack.settings.privacy.hash_user_ids:
        envfile.user_id_hash_key(stack.bundle_dir)
    return stack, changes


def up(loaded: Loaded, console: Any, *, timeout: float, open_browser: bool = False) -> None:
    started = time.monotonic()
    stack, changes = load(loaded, write=True)
    assert changes is not None
    console.print(f"Bundle {stack.bundle_dir} ({changes.summary()})", highlight=False)
    _check_secrets(stack, console)
    engine = connect()
    compose = stack.compose()
    if catalog.ALERTMANAGER in stack.services:
        alerting.check_environment(stack.settings, os.environ, compose.tool.v1)
    ports.check(stack.ports, stack.settings.bind_address, engine, stack.project)
    pull_missing(engine, stack, console)

    before = {c.service: c.id for c in engine.containers(stack.project)}
    compose.up()
    after = {c.service: c.id for c in engine.containers(stack.project)}
    created = sorted(s for s in after if s not in before)
    recreated = sorted(s for s in after if s in before and before[s] != after[s])
    unchanged = sorted(s for s in after if before.get(s) == after[s])
    for label, names in (("created", created), ("recreated", recreated), ("unchanged", unchanged)):
        if names:
            console.print(f"{label}: {', '.join(names)}", highlight=False)

    statuses = wait_ready(engine, stack, console, timeout)
    # A container that died is the story; services still starting at that moment are not.
    bad = [s for s in statuses if s.failed] or [s for s in statuses if not s.ready]
    if bad:
        _show_logs(engine, stack, [s.service for s in bad], console)
        names = ", ".join(f"{s.service} ({s.state})" for s in bad)
        raise NotReady(
            f"not ready: {names}; its last log lines are above",
            fix=f"`llmobs logs {bad[0].service}`; `llmobs up --timeout` for slow machines; `llmobs doctor`",
        )
    _ensure_grafana_login(engine, stack, console)
    console.print(f"[green]llmobs is up[/green] in {time.monotonic() - started:.1f}s", highlight=False)
    _summary(stack, console)
    if catalog.ALERTMANAGER in stack.services:
        console.print(alerting.summary(stack.settings), markup=False, highlight=False, soft_wrap=True)
    if open_browser and catalog.GRAFANA in stack.services:
        webbrowser.open(health.front_url(stack.settings, catalog.GRAFANA))


def _check_secrets(stack: Stack, console: Any) -> None:
    """Secrets the collector reads from the environment at start: refuse (the backend's required ones,
    Datadog's API key) or warn (otlp.headers' references) when unset."""
    backend = services.backend(stack.settings)
    for name in backend.required_env:
        if not os.environ.get(name):
            raise LlmobsError(
                f"{name} is not set; {backend.name.capitalize()} would refuse everything the collector sends",
                fix=f"export {name}=<your {backend.name.capitalize()} API key> and run `llmobs up` again",
            )
    if stack.settings.backend == "otlp":
        for name in stack.settings.otlp.env_vars():
            if not os.environ.get(name):
                console.print(f"[yellow]warning:[/yellow] {name} (used in otlp.headers) is not set", highlight=False)


def _ensure_grafana_login(engine: Engine, stack: Stack, console: Any) -> None:
    """Beyond loopback, make the admin password in .env the one Grafana checks.

    Grafana takes GF_SECURITY_ADMIN_PASSWORD only when it creates its database. A data volume
    made earlier (say, on loopback, where the password stays "admin") would keep the old one
    even though anonymous access is now off; `grafana cli admin reset-admin-password` fixes it.
    """
    if stack.settings.loopback or catalog.GRAFANA not in stack.services:
        return
    password = envfile.grafana_password(stack.bundle_dir)
    api = health.url(stack.settings, "grafana", "/api/user")
    auth = (envfile.GRAFANA_ADMIN, password)
    if health.http_status(api, auth=auth, timeout=5) != 401:
        return
    grafana = next(c for c in engine.containers(stack.project) if c.service == catalog.GRAFANA)
    code, output = engine.exec(grafana.id, ["grafana", "cli", "admin", "reset-admin-password", password])
    if code != 0 or health.http_status(api, auth=auth, timeout=5) == 401:
        raise LlmobsError(
            f"Grafana refuses the admin password in {stack.bundle_dir / envfile.ENV_FILE}: {output.strip()[-200:]}",
            fix="`llmobs down --volumes` then `llmobs up` recreates Grafana's data with it",
        )
    console.print("Grafana's data predates login mode: its admin password is now the one in .env", highlight=False)


def pull_missing(engine: Engine, stack: Stack, console: Any) -> None:
    """Pull every image that is not on this machine, one progress bar each; one line per failure.

    An image the bundle can build (the llmobs collector: compose ``build:``) is built when it cannot
    be pulled, showing the build step it is on.
    """
    missing = {svc: ref for svc, ref in stack.images.items() if not engine.has_image(ref)}
    if not missing:
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    builds = stack.builds
    with Progress(*columns, console=console) as progress:
        for service, ref in missing.items():
            task = progress.add_task(f"pull {ref}", total=None)
            try:
                engine.pull(ref, lambda done, total, t=task: progress.update(t, completed=done, total=total or None))
            except LlmobsError as exc:
                if service in builds:
                    _build(engine, ref, builds[service], progress, task)
                    continue
                raise LlmobsError(
                    f"image {ref} is not on this machine and cannot be pulled: {exc.problem}",
                    key=f"images.{service}",
                    fix=f"connect to the network, `docker load` it, or --set images.{service}=<an image you have>",
                ) from None


def _build(engine: Engine, ref: str, context: Path, progress: Any, task: Any) -> None:
    """Build ``ref`` from ``context`` (minutes: the collector is compiled), the current step on its bar."""
    progress.update(task, description=f"build {ref}: starting")

    def step(line: str) -> None:
        if line.startswith("Step ") or line.startswith("#"):
            progress.update(task, description=f"build {ref}: {line[:80]}")

    try:
        engine.build(str(context), ref, step)
    except LlmobsError as exc:
        raise LlmobsError(
            f"image {ref} cannot be pulled and building it from {context / 'Dockerfile'} failed: {exc.problem}",
            key="images.collector",
            fix="the build needs Docker Hub's golang image and the Go module proxy; "
            "or `docker load` it, or --set images.collector=<an image you have>",
        ) from None
    progress.update(task, description=f"built {ref}", completed=1, total=1)


def wait_ready(engine: Engine, stack: Stack, console: Any, timeout: float) -> list[health.Status]:
    from rich.live import Live

    waiter = health.Waiter(stack.settings, stack.services, engine, stack.project)
    if not console.is_terminal:  # a log or a pipe: the final table once, not every refresh
        statuses = waiter.wait(timeout)
        console.print(_table(statuses))
        return statuses
    with Live(_table(list(waiter.statuses.values())), console=console, refresh_per_second=4) as live:
        return waiter.wait(timeout, lambda statuses: live.update(_table(statuses)))


def _table(statuses: list[health.Status]) -> Any:
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("service", "state", "ready in", "readiness URL"):
        table.add_column(column)
    for st in statuses:
        color = "green" if st.ready else "red" if st.failed else "yellow"
        seconds = f"{st.seconds:.1f}s" if st.seconds is not None else ""
        table.add_row(st.service, f"[{color}]{st.state}[/{color}]", seconds, st.url)
    return table


def _show_logs(engine: Engine, stack: Stack, services: list[str], console: Any) -> None:
    containers = {c.service: c for c in engine.containers(stack.project)}
    for service in services:
        container = containers.get(service)
        text = engine.logs(container.id, LOG_TAIL).rstrip() if container else "(no container)"
        console.rule(f"{service}: last {LOG_TAIL} log lines", style="red")
        console.print(text or "(no output)", markup=False, highlight=False, soft_wrap=True)
    console.rule(style="red")


def _summary(stack: Stack, console: Any) -> None:
    s = stack.settings
    plain = {"markup": False, "highlight": False, "soft_wrap": True}
    ui = sorted((svc for svc in stack.services if svc != catalog.COLLECTOR), key=lambda svc: svc != catalog.GRAFANA)
    rows = [(svc.capitalize(), health.front_url(s, svc)) for svc in ui]
    rows += [("OTLP gRPC", health.url(s, "otlp_grpc")), ("OTLP HTTP", health.url(s, "otlp_http"))]
    for label, link in rows:
        console.print(f"  {label:<11} {link}", **plain)
    if catalog.GRAFANA in stack.services:
        if s.loopback:
            console.print(f"  Grafana: anonymous {s.grafana.anonymous_role} (bound to {s.bind_address})", **plain)
        else:
            password = envfile.grafana_password(stack.bundle_dir)
            env_path = stack.bundle_dir / envfile.ENV_FILE
            console.print(f"  Grafana login: {envfile.GRAFANA_ADMIN} / {password}  (kept in {env_path})", **plain)
    console.print('Point your app at it (or run: eval "$(llmobs env)"); `llmobs demo` sends sample traffic:', **plain)
    for line in appenv.exports(s):
        console.print(f"  {line}", **plain)


def down(loaded: Loaded, console: Any, *, volumes: bool, confirm: Callable[[str], bool]) -> None:
    stack, _ = load(loaded, write=True)
    engine = connect()
    compose = stack.compose()
    if volumes and not confirm(
        f"Delete the data volumes of project {stack.project} (all stored traces, logs, metrics, Grafana state)?"
    ):
        raise LlmobsError("nothing was stopped or deleted", fix="answer y, or pass --yes")
    compose.down(volumes)
    left = engine.leftovers(stack.project)
    if volumes and left["volumes"] and not left["containers"]:
        # Compose deletes only the volumes the current file names: after `up --set collector.replicas=3`,
        # a plain `down --volumes` would leave the gateway's queue volume. The user just agreed to delete
        # every data volume of the project, and these carry its label.
        engine.remove_volumes(left["volumes"])
        left = engine.leftovers(stack.project)
    kept = left.pop("volumes")
    if any(left.values()) or (volumes and kept):
        raise LlmobsError(f"`down` left resources behind: {left | {'volumes': kept}}", fix="remove them with docker")
    note = "data volumes deleted" if volumes else f"data kept in {len(kept)} volumes (`--volumes` deletes them)"
    console.print(f"Stopped project {stack.project}: containers and network removed, {note}", highlight=False)


def status(loaded: Loaded) -> list[dict[str, Any]]:
    """One row per service the settings run, and per container the engine runs for the project: state,
    readiness and URL (probed now).

    The engine's containers count too: after ``up --set collector.replicas=3``, a plain ``status`` (whose
    settings say one collector) still shows the gateway and every collector instance that runs.
    """
    engine = connect()  # first: without an engine the answer is one line, without rendering anything (issue 16)
    stack, _ = load(loaded, write=False)
    found = engine.containers(stack.project)
    containers = {c.service: c for c in found}
    others = sorted({c.service for c in found} - set(stack.services))
    rows = []
    for service in [*stack.services, *others]:
        group = [c for c in found if c.service == service]
        if health.scaled(stack.settings, service) or service in others or len(group) > 1:
            # One row per instance, each probed on the health port the engine published for it.
            wanted = stack.settings.collector.replicas if health.scaled(stack.settings, service) else len(group)
            rows += _instance_rows(stack.settings, service, group, wanted)
            continue
        container = containers.get(service)
        state = container.state if container else "not created"
        running = container is not None and container.state == "running"
        ready = running and health.probe(health.ready_url(stack.settings, service))
        rows.append(
            {
                "service": service,
                "state": state,
                "health": "healthy" if ready else "unhealthy" if container else "-",
                "url": health.front_url(stack.settings, service),
                "container": container.name if container else None,
            }
        )
    return rows


def _instance_rows(settings: Settings, service: str, containers: list[Any], wanted: int) -> list[dict[str, Any]]:
    """Every instance of a service (``collector-1`` ...), each probed on its own published health port;
    a wanted instance that does not exist (yet) is a row too, so a missing one shows."""
    by_name = {c.name.rsplit("-", 1)[-1]: c for c in containers}
    count = max(wanted, len(containers))
    rows = []
    for index in range(1, count + 1):
        container = by_name.get(str(index))
        target = health.instance_url(settings, container) if container else ""
        ready = container is not None and container.state == "running" and bool(target) and health.probe(target)
        rows.append(
            {
                "service": f"{service}-{index}" if count > 1 else service,
                "state": container.state if container else "not created",
                "health": "healthy" if ready else "unhealthy" if container else "-",
                "url": target or "-",
                "container": container.name if container else None,
            }
        )
    return rows


def logs(loaded: Loaded, service: str | None, *, follow: bool, tail: int | None) -> int:
    stack, _ = load(loaded, write=True)
    if service is not None and service not in stack.services:
        raise LlmobsError(f"no service {service!r}", fix=f"one of: {', '.join(stack.services)}")
    connect()
    return stack.compose().logs([service] if service else [], follow, tail)


def open_grafana(loaded: Loaded) -> str:
    stack, _ = load(loaded, write=False)
    if catalog.GRAFANA not in stack.services:
        raise LlmobsError(
            f"backend {stack.settings.backend} runs no Grafana", fix="open your vendor's UI, or use --backend grafana"
        )
    target = health.front_url(stack.settings, catalog.GRAFANA)
    if not health.probe(health.ready_url(stack.settings, catalog.GRAFANA)):
        raise LlmobsError(f"Grafana is not answering at {target}", fix="run `llmobs up` first")
    webbrowser.open(target)
    return target
