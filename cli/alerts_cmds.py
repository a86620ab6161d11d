"""``llmobs alerts test``: fire a synthetic alert through the running Alertmanager, to check a receiver in one step.

Registered by cli/app.py as the ``alerts`` group; module level imports only Typer and the shared
options (cli/options.py).
"""

from __future__ import annotations

from typing import Annotated

import typer

from llmobs.cli.options import ConfigOpt, SetOpt, group, load, user_errors

alerts_app = group("Alertmanager: check that alerts reach your receivers (grafana backend).")


@alerts_app.command("test")
def test(
    severity: Annotated[
        str, typer.Option("--severity", help="Label of the test alert: critical, warning or info (routes by it).")
    ] = "warning",
    service: Annotated[
        str, typer.Option("--service", help="service_name label of the test alert (routes by it).")
    ] = "llmobs-alerts-test",
    wait: Annotated[
        float | None,
        typer.Option("--wait", metavar="S", help="Seconds to wait for the notification (default: group_wait + 15)."),
    ] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Send a test alert through the running Alertmanager and report where it went and whether it was delivered."""
    from llmobs import alerting, catalog, health, services
    from llmobs.errors import LlmobsError
    from llmobs.render import seconds

    with user_errors():
        settings = load(config, set_).settings
        if catalog.ALERTMANAGER not in services.by_name(settings):
            raise LlmobsError(
                f"backend {settings.backend} runs no Alertmanager",
                key="llmobs alerts test",
                fix="alerting is your vendor's there; use --backend grafana for the local stack",
            )
        if severity not in ("critical", "warning", "info"):
            raise LlmobsError(f"--severity {severity!r} is not allowed", fix="use critical, warning or info")
        base = health.front_url(settings, catalog.ALERTMANAGER)
        limit = wait if wait is not None else seconds(settings.alerting.group_wait) + 15
        typer.echo(f"Sending {alerting.TEST_ALERT} (severity={severity}, service_name={service}) to {base} ...")
        result = alerting.send_test_alert(
            base, severity=severity, service=service, environment=settings.environment, wait=limit
        )
    if result.receivers == [catalog.NO_RECEIVER] or not result.receivers:
        typer.echo(
            "Alertmanager has it, but nobody is notified: no receiver under alerting.receivers in llmobs.yaml"
            f" (it shows at {base} and in Grafana)"
        )
        raise typer.Exit(1)
    typer.echo(f"Routed to: {', '.join(result.receivers)}")
    if not result.delivered:
        typer.secho(
            f"no notification attempt within {limit:g}s (Alertmanager waits group_wait, or group_interval for a group"
            " it notified recently); see `llmobs logs alertmanager`",
            fg="yellow",
        )
        raise typer.Exit(1)
    for integration, ok in sorted(result.delivered.items()):
        typer.echo(f"  {integration}: {'delivered' if ok else 'FAILED, see `llmobs logs alertmanager`'}")
    if not all(result.delivered.values()):
        raise typer.Exit(1)
