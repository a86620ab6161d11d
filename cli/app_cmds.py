"""The commands for apps: ``env`` (how to point an app at the stack) and ``demo`` (traffic without an app).

Registered by cli/app.py like stack_cmds; module level imports only Typer.
"""

from __future__ import annotations

from typing import Annotated

import typer

from llmobs.catalog import DEMO_DURATION_S, DEMO_RATE
from llmobs.cli.options import ConfigOpt, SetOpt, load, user_errors


def env(config: ConfigOpt = None, set_: SetOpt = None) -> None:
    """Print the `export OTEL_...` lines that point an app at the running stack: eval "$(llmobs env)"."""
    from llmobs import appenv

    with user_errors():
        settings = load(config, set_).settings
    for line in appenv.exports(settings):
        typer.echo(line)
    if not appenv.collector_ready(settings):
        typer.secho(
            f"note: no collector answers at {appenv.otlp_http_endpoint(settings)} yet; start it with `llmobs up`",
            fg="yellow",
            err=True,
        )


def demo(
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            metavar="URL",
            help="OTLP/HTTP base URL (default: OTEL_EXPORTER_OTLP_ENDPOINT, else the local stack's collector).",
        ),
    ] = None,
    count: Annotated[int | None, typer.Option("--count", "-n", min=1, help="Send this many traces, then stop.")] = None,
    duration: Annotated[
        float | None,
        typer.Option("--duration", "-d", min=1, metavar="S", help=f"Send for S seconds (default {DEMO_DURATION_S:g})."),
    ] = None,
    rate: Annotated[float, typer.Option("--rate", "-r", min=0.1, help="Traces started per second.")] = DEMO_RATE,
    seed: Annotated[
        str | None, typer.Option("--seed", help="Same seed, same traffic (models, tokens, errors).")
    ] = None,
    pii: Annotated[
        bool, typer.Option("--pii", help="Put e-mails, phones, cards and API keys in the prompts, to see masking.")
    ] = False,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Send realistic agent traffic (agents, tools, streamed chats, errors, cost) so every dashboard shows data."""
    import os

    from llmobs.errors import LlmobsError

    with user_errors():
        if count is not None and duration is not None:
            raise LlmobsError("give --count or --duration, not both", key="llmobs demo", fix="drop one of them")
        target = endpoint
        if target is None and not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
            from llmobs import appenv

            settings = load(config, set_).settings
            target = appenv.otlp_http_endpoint(settings)
            if not appenv.collector_ready(settings):
                raise LlmobsError(
                    f"no collector answers at {target}",
                    key="llmobs demo",
                    fix="start the stack with `llmobs up`, or pass --endpoint URL",
                )
        _run_demo(target, count, duration, rate, seed, pii)


def _run_demo(
    endpoint: str | None, count: int | None, duration: float | None, rate: float, seed: str | None, pii: bool
) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from llmobs.sdk import demo as demo_mod

    total = demo_mod.trace_count(count, duration, rate)
    console = Console(stderr=True, highlight=False)
    where = endpoint or "OTEL_EXPORTER_OTLP_ENDPOINT"
    console.print(f"Sending {total} traces to {where} at {rate:g}/s" + (" with PII in prompts" if pii else ""))
    columns = (
        TextColumn("[bold]demo"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("traces · {task.fields[failed]} failed"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("demo", total=total, failed=0)
        result = demo_mod.run(
            endpoint=endpoint,
            count=total,
            rate=rate,
            seed=seed,
            pii=pii,
            on_progress=lambda r: progress.update(task, completed=r.traces, failed=r.failed),
        )
    typer.echo(
        f"Sent {result.traces} traces ({result.failed} ended in an error, as planned) in {result.seconds:.1f} s; "
        f"exported {result.tally.summary()}; open Grafana with `llmobs open`."
    )
