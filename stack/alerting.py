"""Alerts that reach someone: Alertmanager's receivers and routes, budgets, and ``llmobs alerts test``.

What the templates need is computed here once (``prometheus/alertmanager.yml.j2``, the budget rules
in ``prometheus/rules.yml.j2`` and the compose file's ``secrets:``), so the three agree on every
secret's name and path.

Secrets: Alertmanager expands no environment variables in its config, but it reads every secret
we need from a file (webhook ``url_file`` and ``credentials_file``, Slack ``api_url_file``, e-mail
``auth_password_file``, PagerDuty ``routing_key_file``). The compose file declares each as a
compose secret whose source is the environment variable (``secrets: {x: {environment: VAR}}``);
Docker Compose v2 copies the value into the container at ``/run/secrets/<name>`` when it creates
it. The value is never written into the bundle, and no entrypoint script is needed.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from llmobs import catalog
from llmobs import names as n
from llmobs.errors import LlmobsError
from llmobs.settings import Budget, Receiver, Settings

TEST_ALERT = "LLMobsTestAlert"
# receiver type -> the Alertmanager integration name its notification metrics carry
INTEGRATIONS = {"webhook": "webhook", "slack": "slack", "email": "email", "pagerduty": "pagerduty"}
_RE2_META = re.compile(r"([\\.+*?()|\[\]{}^$])")


@dataclass(frozen=True)
class Secret:
    """One receiver secret: compose secret ``name`` from ``env``, read by Alertmanager at ``path``."""

    receiver: str
    field: str
    env: str

    @property
    def name(self) -> str:
        return f"llmobs_{self.receiver}_{self.field}".replace("-", "_")

    @property
    def path(self) -> str:
        return f"{catalog.SECRETS_DIR}/{self.name}"


def secrets(settings: Settings) -> list[Secret]:
    """Every receiver secret, in receiver order."""
    return [Secret(r.name, key, var) for r in settings.alerting.receivers for key, var in r.secrets().items()]


def _regex(values: list[str]) -> str:
    return "|".join(_RE2_META.sub(r"\\\1", v) for v in values)


def _matchers(route: Any) -> list[str]:
    found = []
    for label, values in (
        ("severity", route.severity),
        ("service_name", route.services),
        ("deployment_environment_name", route.environments),
    ):
        if values:  # a double-quoted matcher value: the regex's backslashes escaped once more
            found.append(f'{label}=~"{_regex(values).replace(chr(92), chr(92) * 2)}"')
    return found


def _receiver(r: Receiver) -> dict[str, Any]:
    """One Alertmanager receiver; every secret as a ``*_file`` path, never a value."""
    paths = {s.field: s.path for s in (Secret(r.name, k, v) for k, v in r.secrets().items())}
    cfg: dict[str, Any] = {"send_resolved": r.send_resolved}
    if r.type == "webhook":
        cfg |= {"url_file": paths["url"]} if "url" in paths else {"url": r.url}
        if "bearer_token" in paths:
            cfg["http_config"] = {"authorization": {"type": "Bearer", "credentials_file": paths["bearer_token"]}}
        return {"name": r.name, "webhook_configs": [cfg]}
    if r.type == "slack":
        cfg["api_url_file"] = paths["url"]
        if r.channel:
            cfg["channel"] = r.channel
        cfg["title"] = '{{ template "slack.default.title" . }}'
        cfg["text"] = "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}"
        return {"name": r.name, "slack_configs": [cfg]}
    if r.type == "email":
        cfg |= {"to": r.to, "from": r.from_, "smarthost": r.smarthost}
        if r.username:
            cfg["auth_username"] = r.username
        if "password" in paths:
            cfg["auth_password_file"] = paths["password"]
        cfg["require_tls"] = r.require_tls if r.require_tls is not None else True
        return {"name": r.name, "email_configs": [cfg]}
    cfg |= {"routing_key_file": paths["routing_key"], "severity": "{{ .CommonLabels.severity }}"}
    return {"name": r.name, "pagerduty_configs": [cfg]}


def alertmanager_config(settings: Settings) -> dict[str, Any]:
    """The whole Alertmanager config as data (the template dumps it; values are never spliced into YAML)."""
    a = settings.alerting
    default = a.default_receiver or (a.receivers[0].name if a.receivers else catalog.NO_RECEIVER)
    route: dict[str, Any] = {
        "receiver": default,
        "group_by": list(a.group_by),
        "group_wait": a.group_wait,
        "group_interval": a.group_interval,
        "repeat_interval": a.repeat_interval,
    }
    if a.routes:
        route["routes"] = [{"receiver": r.receiver, "matchers": _matchers(r)} for r in a.routes]
    receivers = [_receiver(r) for r in a.receivers] or [{"name": catalog.NO_RECEIVER}]
    same = ["alertname", "service_name", "deployment_environment_name", n.PROVIDER.replace(".", "_")]
    same += [n.prom_label(n.REQUEST_MODEL), n.BUDGET_LABEL, n.PERIOD_LABEL]
    return {
        "route": route,
        "receivers": receivers,
        # A critical alert (a budget at 100 %) silences the warning of the same thing (the same budget at 80 %).
        "inhibit_rules": [
            {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'], "equal": same}
        ],
    }


def alertmanager_yaml(settings: Settings) -> str:
    import yaml

    return yaml.safe_dump(alertmanager_config(settings), sort_keys=False, allow_unicode=True, width=1000)


# --- Budgets -----------------------------------------------------------------------------------------


def budget_selector(budget: Budget) -> str:
    """The cost metric's matchers for a budget (``{}`` for all calls)."""
    pairs = (
        ("service_name", budget.service),
        ("deployment_environment_name", budget.environment),
        (n.prom_label(n.PROVIDER), budget.provider),
        (n.prom_label(n.REQUEST_MODEL), budget.model),
    )
    return "{" + ", ".join(f"{label}={json.dumps(v)}" for label, v in pairs if v) + "}"


def budgets(settings: Settings) -> list[dict[str, Any]]:
    """What the rules template renders per budget: label, selector, amounts by period."""
    return [
        {
            "label": b.label,
            "selector": budget_selector(b),
            "amounts": {p: v for p, v in (("daily", b.daily_usd), ("monthly", b.monthly_usd)) if v is not None},
        }
        for b in settings.budgets
    ]


def context(settings: Settings) -> dict[str, Any]:
    """Template values: the Alertmanager config text, the compose secrets, the budgets."""
    return {
        "alertmanager_yaml": alertmanager_yaml(settings),
        "alert_secrets": secrets(settings),
        "budgets": budgets(settings),
    }


# --- Running stack: checks, summary, test alert ------------------------------------------------------


def check_environment(settings: Settings, environ: dict[str, str] | Any, compose_v1: bool) -> None:
    """Before ``up`` starts anything: every secret's variable is set, and the compose tool can pass it."""
    for secret in secrets(settings):
        if not environ.get(secret.env):
            raise LlmobsError(
                f"{secret.env} is not set; receiver {secret.receiver!r} reads its {secret.field} from it",
                key=f"alerting.receivers[{secret.receiver}].{secret.field}",
                fix=f"export {secret.env}=... and run `llmobs up` again, or remove the receiver",
            )
    if compose_v1 and secrets(settings):
        raise LlmobsError(
            "docker-compose 1.x cannot pass an environment variable to a container as a secret file",
            key="alerting.receivers",
            fix="install Docker Compose v2 (`docker compose`), which llmobs prefers",
        )


def summary(settings: Settings) -> str:
    """One line for ``llmobs up``: who is told about alerts, or that nobody is."""
    a = settings.alerting
    if not a.receivers:
        return (
            "Alerts: nobody will be notified (no receiver under alerting.receivers in llmobs.yaml); "
            "firing alerts show in Grafana and Alertmanager only"
        )
    default = a.default_receiver or a.receivers[0].name
    kinds = {r.name: r.type for r in a.receivers}
    parts = [f"{default} ({kinds[default]}) by default"]
    for route in a.routes:
        what = " ".join(_matchers(route)) or "everything"
        parts.append(f"{route.receiver} ({kinds[route.receiver]}) for {what}")
    return "Alerts notify " + "; ".join(parts) + "; `llmobs alerts test` sends a test alert"


def _request(url: str, data: bytes | None = None, timeout: float = 5.0) -> bytes:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _notifications(base: str) -> dict[str, tuple[float, float]]:
    """integration -> (notifications attempted, failed), from Alertmanager's own metrics."""
    text = _request(f"{base}/metrics").decode()
    out: dict[str, list[float]] = {}
    for metric, idx in (("alertmanager_notifications_total", 0), ("alertmanager_notifications_failed_total", 1)):
        for m in re.finditer(rf'^{metric}\{{[^}}]*integration="([^"]+)"[^}}]*\}} (\S+)$', text, re.M):
            out.setdefault(m[1], [0.0, 0.0])[idx] += float(m[2])
    return {k: (v[0], v[1]) for k, v in out.items()}


@dataclass
class TestResult:
    receivers: list[str]  # where Alertmanager routed the test alert
    delivered: dict[str, bool]  # integration -> did its notification succeed (absent: not attempted yet)


def send_test_alert(
    base: str, *, severity: str, service: str, environment: str, wait: float, poll: float = 1.0
) -> TestResult:
    """POST a synthetic alert to the Alertmanager at ``base``, see where it is routed and whether it was sent.

    The alert resolves itself after five minutes. Delivery is read from Alertmanager's counters
    ``alertmanager_notifications_total`` / ``_failed_total`` per integration, waited for up to ``wait`` s.
    """
    try:
        before = _notifications(base)
    except (urllib.error.URLError, OSError) as exc:
        raise LlmobsError(
            f"no Alertmanager answers at {base} ({getattr(exc, 'reason', exc)})",
            key="llmobs alerts test",
            fix="start the stack with `llmobs up` (grafana backend)",
        ) from None
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    labels = {
        "alertname": TEST_ALERT,
        "severity": severity,
        "service_name": service,
        "deployment_environment_name": environment,
        "test_id": str(int(now)),
    }
    alert = {
        "labels": labels,
        "annotations": {
            "summary": f"Test alert from `llmobs alerts test` at {stamp}: this receiver works",
            "description": "A synthetic alert; it resolves itself in five minutes.",
        },
        "startsAt": stamp,
        "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 300)),
    }
    _request(f"{base}/api/v2/alerts", json.dumps([alert]).encode())
    query = urllib.parse.quote(f'test_id="{labels["test_id"]}"')
    deadline = time.monotonic() + wait
    receivers: list[str] = []
    delivered: dict[str, bool] = {}
    while True:
        found = json.loads(_request(f"{base}/api/v2/alerts?filter={query}"))
        receivers = sorted({r["name"] for a in found for r in a.get("receivers", [])})
        after = _notifications(base)
        for integration, (total, failed) in after.items():
            old_total, old_failed = before.get(integration, (0.0, 0.0))
            if total > old_total:
                delivered[integration] = failed == old_failed
        if receivers == [catalog.NO_RECEIVER] or (receivers and delivered) or time.monotonic() >= deadline:
            return TestResult(receivers, delivered)
        time.sleep(poll)
