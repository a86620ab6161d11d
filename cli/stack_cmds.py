"""The commands that run the stack: ``up``, ``down``, ``status``, ``logs``, ``open``, ``doctor``.

Thin on purpose: each parses its options and makes one call into
``llmobs.lifecycle`` / ``llmobs.doctor``. Module level imports only Typer (and
the shared options from cli/options.py), so ``llmobs --help`` never loads docker,
jinja or rich; cli/app.py registers these functions as commands.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from llmobs.cli.options import BackendOpt, ConfigOpt, JsonOpt, SetOpt, load, user_errors

DEFAULT_TIMEOUT = 180.0

TimeoutOpt = Annotated[
    float, typer.Option("--timeout", metavar="S", help="Seconds to wait for every service to become ready.")
]


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def up(
    config: ConfigOpt = None,
    set_: SetOpt = None,
    backend: BackendOpt = None,
    open_: Annotated[bool, typer.Option("--open", help="Open Grafana in a browser once ready.")] = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
) -> None:
    """Render the bundle and start the stack; wait until every service is ready, then print its URLs."""
    from llmobs import lifecycle

    with user_errors():
        lifecycle.up(load(config, set_, backend), _console(), timeout=timeout, open_browser=open_)


def down(
    config: ConfigOpt = None,
    set_: SetOpt = None,
    backend: BackendOpt = None,
    volumes: Annotated[bool, typer.Option("--volumes", "-v", help="Also delete the data volumes.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before deleting data.")] = False,
) -> None:
    """Stop the stack and remove its containers (and, with --volumes, its data)."""
    from llmobs import lifecycle
    from llmobs.errors import LlmobsError

    def confirm(question: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise LlmobsError("--volumes deletes stored data and there is no terminal to ask", fix="pass --yes")
        return typer.confirm(question, default=False)

    with user_errors():
        lifecycle.down(load(config, set_, backend), _console(), volumes=volumes, confirm=confirm)


def status(
    config: ConfigOpt = None,
    set_: SetOpt = None,
    backend: BackendOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show each service's container state, health and URL; exit 1 unless all are healthy."""
    from llmobs import engine

    with user_errors():
        # The engine first, as lifecycle.status does, but before the settings and lifecycle load too:
        # without an engine the answer is one line, without importing pydantic (issue 16).
        engine.reachable()
        from llmobs import lifecycle

        rows = lifecycle.status(load(config, set_, backend))
    if as_json:
        import json

        typer.echo(json.dumps(rows, indent=2))
    else:
        from rich.table import Table

        table = Table()
        for column in ("service", "state", "health", "url"):
            table.add_column(column)
        for row in rows:
            color = "green" if row["health"] == "healthy" else "red"
            table.add_row(row["service"], row["state"], f"[{color}]{row['health']}[/{color}]", row["url"])
        _console().print(table)
        if all(row["container"] is None for row in rows):
            typer.echo("Not running; `llmobs up` starts it.")
    if any(row["health"] != "healthy" for row in rows):
        raise typer.Exit(1)


def logs(
    service: Annotated[str | None, typer.Argument(help="One service (collector, grafana, ...); default all.")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")] = False,
    tail: Annotated[int | None, typer.Option("--tail", "-n", help="Only the last N lines of each service.")] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    backend: BackendOpt = None,
) -> None:
    """Print the services' logs (docker compose logs)."""
    from llmobs import lifecycle

    with user_errors():
        code = lifecycle.logs(load(config, set_, backend), service, follow=follow, tail=tail)
    raise typer.Exit(code)


def open_(config: ConfigOpt = None, set_: SetOpt = None, backend: BackendOpt = None) -> None:
    """Open Grafana in a web browser."""
    from llmobs import lifecycle

    with user_errors():
        target = lifecycle.open_grafana(load(config, set_, backend))
    typer.echo(f"Opened {target}")


def doctor(config: ConfigOpt = None, set_: SetOpt = None, backend: BackendOpt = None) -> None:
    """Check everything `llmobs up` needs; one line per check, with the fix; exit 1 if any fails."""
    from llmobs import doctor as doctor_mod

    with user_errors():
        checks = doctor_mod.run(load(config, set_, backend))
    for check in checks:
        mark = typer.style("✓", fg="green") if check.ok else typer.style("✗", fg="red")
        line = f"{mark} {check.name}: {check.detail}"
        if not check.ok and check.fix:
            line += f" (fix: {check.fix})"
        typer.echo(line)
    if not all(check.ok for check in checks):
        raise typer.Exit(1)
