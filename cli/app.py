"""The ``llmobs`` command: thin Typer commands over the library in ``llmobs.*``.

Module level imports only Typer: ``llmobs --help`` must stay fast, so settings,
Jinja, Docker and OpenTelemetry are imported inside the commands that need them.

The shared options, error handling and fast Typer defaults live in cli/options.py; the command
modules import it, and this module imports them (no cycle). Help is Click's plain formatter
(``rich_markup_mode=None``), not Typer's rich panels: those import ``rich.markdown``/``markdown_it``
and cost ~0.2 s of every ``--help`` for boxes around the same text (issue 16). ``options.Group``
keeps each command's first sentence whole (wrapped) where Click would cut it at the width.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from llmobs import __version__
from llmobs.cli import alerts_cmds, app_cmds, stack_cmds
from llmobs.cli.options import FAST, BackendOpt, ConfigOpt, JsonOpt, SetOpt, group, load, state, user_errors
from llmobs.rendered import TARGETS

app = typer.Typer(
    name="llmobs",
    help="An LLM-observability stack in a box: collector, Tempo, Loki, Prometheus and Grafana.",
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    **FAST,
)
config_app = group("Inspect the effective settings.")
app.add_typer(config_app, name="config")
datadog_app = group("Datadog helpers for --backend datadog.")
app.add_typer(datadog_app, name="datadog")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"llmobs {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    state["debug"] = debug


@app.command()
def render(
    backend: BackendOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Bundle directory (default: .llmobs/ beside the config).")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 and list the differences if DIR is not a fresh render.")
    ] = False,
    target_kind: Annotated[
        str,
        typer.Option(
            "--target",
            "-t",
            help="compose (default): the docker compose bundle; kubernetes: values files for the upstream"
            " Helm charts (default directory: .llmobs-kubernetes/ beside the config).",
        ),
    ] = "compose",
) -> None:
    """Render the bundle: collector, backends, Grafana dashboards and docker-compose.yml."""
    from llmobs import bundle as bundle_mod
    from llmobs import rendered
    from llmobs.errors import LlmobsError

    with user_errors():
        if target_kind not in TARGETS:
            fix = f"use one of: {', '.join(TARGETS)}"
            raise LlmobsError(f"unknown target {target_kind!r}", key="--target", fix=fix)
        made = rendered.bundle(target_kind, config, set_ or [], backend)  # usually cached: no pydantic, no Jinja
        target = out if out is not None else made.default_dir
        if check:
            changes = bundle_mod.diff(made.files, target)
            if changes:
                typer.echo(f"{target}: out of date ({changes.summary()})")
                for label, paths in (("+", changes.added), ("~", changes.changed), ("-", changes.removed)):
                    for path in paths:
                        typer.echo(f"  {label} {path}")
                typer.echo("run `llmobs render` to update it")
                raise typer.Exit(1)
            typer.echo(f"{target}: up to date ({len(made.files)} files)")
            return
        changes = bundle_mod.write(made.files, target, made.stamp)
    typer.echo(f"Rendered {len(made.files)} files for backend {made.backend} to {target} ({changes.summary()})")


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the settings file.")] = Path("llmobs.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented llmobs.yaml holding every setting at its default."""
    from llmobs.errors import LlmobsError
    from llmobs.starter import starter_yaml

    with user_errors():
        if path.exists() and not force:
            raise LlmobsError("already exists", where=str(path), fix="edit it, or pass --force to overwrite it")
        try:
            path.write_text(starter_yaml(), encoding="utf-8")
        except OSError as exc:
            raise LlmobsError(f"cannot write it: {exc.strerror}", where=str(path)) from None
    typer.echo(f"Wrote {path}; edit it, then run `llmobs render` or `llmobs up`.")


@config_app.command("show")
def config_show(
    config: ConfigOpt = None,
    set_: SetOpt = None,
    backend: BackendOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the effective settings and where each value came from."""
    from llmobs.config import effective

    with user_errors():
        shown = effective(config=config, sets=set_ or [], backend=backend)  # usually cached: no pydantic
    if as_json:
        import json

        rows = {key: {"value": value, "source": source} for key, (value, source) in shown.rows.items()}
        typer.echo(json.dumps(rows, indent=2))
        return
    from llmobs import cache
    from llmobs.cli import pages

    title = f"llmobs settings ({shown.config_path or 'no llmobs.yaml'})"
    rows = [(key, str(value), source) for key, (value, source) in shown.rows.items()]
    page = pages.entry("table", cache.package_files("rich"), repr((title, rows)))
    if pages.replay(page):  # drawn before for these rows and this terminal: no rich import, no layout
        return

    def draw() -> None:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        table.add_column("key")
        table.add_column("value")
        table.add_column("source")
        for key, value, source in rows:
            table.add_row(key, value, source if source != "default" else "[dim]default[/dim]")
        Console().print(table)

    pages.draw_and_keep(page, draw)


@datadog_app.command("push-dashboard")
def datadog_push_dashboard(config: ConfigOpt = None, set_: SetOpt = None) -> None:
    """Create the LLM overview dashboard in Datadog (needs DD_API_KEY and DD_APP_KEY)."""
    import os

    from llmobs.datadog import push_dashboard

    with user_errors():
        site = load(config, set_).settings.datadog.site
        url = push_dashboard(
            site, os.environ.get("DD_API_KEY"), os.environ.get("DD_APP_KEY"), os.environ.get("LLMOBS_DATADOG_API_URL")
        )
    typer.echo(f"Created the llmobs dashboard in Datadog ({site}): {url}")


app.command()(stack_cmds.up)
app.command()(stack_cmds.down)
app.command()(stack_cmds.status)
app.command()(stack_cmds.logs)
app.command("open")(stack_cmds.open_)
app.command()(stack_cmds.doctor)
app.command()(app_cmds.env)
app.command()(app_cmds.demo)
app.add_typer(alerts_cmds.alerts_app, name="alerts")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="llmobs")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
