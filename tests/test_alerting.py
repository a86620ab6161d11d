"""Alertmanager, receivers, budgets and anomaly rules (issue 13): rendered files checked by the real tools.

``amtool check-config`` (Alertmanager 0.35, scripts/build-prometheus) on the rendered Alertmanager config,
``promtool test rules`` on tests/promtool/budgets_test.yml and anomalies_test.yml against the rules
rendered with :data:`BUDGETS` and the default thresholds, and the CLI's one-line errors (exit 2) for
bad receivers and budgets. The real pipeline end to end is tests/test_alerting_e2e.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from llmobs import alerting, catalog
from llmobs.config import load
from llmobs.errors import LlmobsError
from llmobs.render import ALERTMANAGER_FILE, RULES_FILE, render
from tests.support.procs import REPO, require_prometheus_tool

PROMTOOL_DIR = REPO / "tests" / "promtool"
BUDGETS = """
budgets:
  - service: chat
    daily_usd: 10
  - name: team-openai
    provider: openai
    monthly_usd: 300
  - name: roomy
    monthly_usd: 1000
"""
RECEIVERS = """
alerting:
  receivers:
    - name: team
      type: slack
      url: ${env:LLMOBS_T_SLACK_URL}
      channel: '#llm-alerts'
    - name: pager
      type: pagerduty
      routing_key: ${env:LLMOBS_T_PD_KEY}
    - name: mail
      type: email
      to: oncall@example.com
      from: alerts@example.com
      smarthost: smtp.example.com:587
      username: alerts@example.com
      password: ${env:LLMOBS_T_SMTP_PASSWORD}
    - name: hook
      type: webhook
      url: ${env:LLMOBS_T_HOOK_URL}
      bearer_token: ${env:LLMOBS_T_HOOK_TOKEN}
    - name: plain
      type: webhook
      url: http://alerts.internal:9000/llm
  routes:
    - receiver: pager
      severity: [critical]
      services: [checkout, chat.v2]
    - receiver: mail
      environments: [production]
  default_receiver: hook
"""
SECRET_VALUES = {
    "LLMOBS_T_SLACK_URL": "https://hooks.slack.com/services/T000/B000/SLACKSECRET1",
    "LLMOBS_T_PD_KEY": "PDSECRETROUTINGKEY2",
    "LLMOBS_T_SMTP_PASSWORD": "SMTPSECRET3",
    "LLMOBS_T_HOOK_URL": "http://127.0.0.1:1/HOOKSECRET4",
    "LLMOBS_T_HOOK_TOKEN": "HOOKTOKENSECRET5",
}


def _render(tmp: Path, text: str, *sets: str) -> dict[str, bytes]:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "llmobs.yaml").write_text(text)
    # The secrets are in the environment while rendering: none may end up in a file.
    settings = load(config=tmp / "llmobs.yaml", sets=list(sets), env=SECRET_VALUES, cwd=tmp).settings
    bundle = render(settings)
    for rel, data in bundle.items():
        (tmp / "bundle" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "bundle" / rel).write_bytes(data)
    return bundle


def _cli(tmp: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("LLMOBS_")} | {"NO_COLOR": "1"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "llmobs.cli.app", *args], cwd=tmp, env=full, capture_output=True, text=True, timeout=60
    )


# --- Alertmanager config --------------------------------------------------------------------------------


def test_amtool_accepts_every_receiver_type(tmp_path: Path) -> None:
    amtool = require_prometheus_tool("amtool")
    _render(tmp_path, RECEIVERS)
    result = subprocess.run(
        [str(amtool), "check-config", str(tmp_path / "bundle" / ALERTMANAGER_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "SUCCESS" in out and "5 receivers" in out
    assert "WARN" not in out, out  # e.g. a matcher only the classic parser reads


def test_amtool_accepts_the_default_config_without_receivers(tmp_path: Path) -> None:
    amtool = require_prometheus_tool("amtool")
    bundle = _render(tmp_path, "")
    config = yaml.safe_load(bundle[ALERTMANAGER_FILE])
    assert config["route"]["receiver"] == catalog.NO_RECEIVER
    assert config["receivers"] == [{"name": catalog.NO_RECEIVER}]
    result = subprocess.run(
        [str(amtool), "check-config", str(tmp_path / "bundle" / ALERTMANAGER_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_secrets_are_files_filled_by_compose_from_the_environment_never_values(tmp_path: Path) -> None:
    bundle = _render(tmp_path, RECEIVERS)
    for rel, data in bundle.items():
        for name, value in SECRET_VALUES.items():
            assert value.encode() not in data, f"{name}'s value is in {rel}"
    config = yaml.safe_load(bundle[ALERTMANAGER_FILE])
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["team"]["slack_configs"][0]["api_url_file"] == "/run/secrets/llmobs_team_url"
    assert receivers["pager"]["pagerduty_configs"][0]["routing_key_file"] == "/run/secrets/llmobs_pager_routing_key"
    assert receivers["mail"]["email_configs"][0]["auth_password_file"] == "/run/secrets/llmobs_mail_password"
    hook = receivers["hook"]["webhook_configs"][0]
    assert hook["url_file"] == "/run/secrets/llmobs_hook_url" and "url" not in hook
    assert hook["http_config"]["authorization"]["credentials_file"] == "/run/secrets/llmobs_hook_bearer_token"
    assert receivers["plain"]["webhook_configs"][0]["url"] == "http://alerts.internal:9000/llm"
    compose = yaml.safe_load(bundle["docker-compose.yml"])
    declared = {name: spec["environment"] for name, spec in compose["secrets"].items()}
    assert declared == {
        "llmobs_team_url": "LLMOBS_T_SLACK_URL",
        "llmobs_pager_routing_key": "LLMOBS_T_PD_KEY",
        "llmobs_mail_password": "LLMOBS_T_SMTP_PASSWORD",
        "llmobs_hook_url": "LLMOBS_T_HOOK_URL",
        "llmobs_hook_bearer_token": "LLMOBS_T_HOOK_TOKEN",
    }
    assert sorted(compose["services"][catalog.ALERTMANAGER]["secrets"]) == sorted(declared)


def test_routes_grouping_and_inhibition(tmp_path: Path) -> None:
    config = yaml.safe_load(_render(tmp_path, RECEIVERS, "alerting.repeat_interval=12h")[ALERTMANAGER_FILE])
    route = config["route"]
    assert route["receiver"] == "hook"
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("30s", "5m", "12h")
    assert route["routes"] == [
        {"receiver": "pager", "matchers": ['severity=~"critical"', 'service_name=~"checkout|chat\\\\.v2"']},
        {"receiver": "mail", "matchers": ['deployment_environment_name=~"production"']},
    ]
    [inhibit] = config["inhibit_rules"]
    assert inhibit["source_matchers"] == ['severity="critical"'] and "budget" in inhibit["equal"]


def test_prometheus_grafana_and_compose_wire_alertmanager(tmp_path: Path) -> None:
    bundle = _render(tmp_path, "", "ports.alertmanager=19093")
    prometheus = yaml.safe_load(bundle["prometheus/prometheus.yml"])
    [am] = prometheus["alerting"]["alertmanagers"]
    assert am["static_configs"] == [{"targets": [f"{catalog.ALERTMANAGER}:{catalog.ALERTMANAGER_PORT}"]}]
    datasources = yaml.safe_load(bundle["grafana/provisioning/datasources/llmobs.yaml"])["datasources"]
    ds = next(d for d in datasources if d["type"] == "alertmanager")
    assert ds["uid"] == catalog.DS_ALERTMANAGER and ds["jsonData"]["implementation"] == "prometheus"
    service = yaml.safe_load(bundle["docker-compose.yml"])["services"][catalog.ALERTMANAGER]
    assert service["image"].startswith("prom/alertmanager:v0.")
    assert service["ports"] == ["127.0.0.1:19093:9093"]
    assert f"./{ALERTMANAGER_FILE}:{catalog.ALERTMANAGER_CONFIG}:ro" in service["volumes"]
    assert "secrets" not in yaml.safe_load(bundle["docker-compose.yml"])  # no receiver, no secret


def test_no_alertmanager_without_prometheus(tmp_path: Path) -> None:
    bundle = _render(tmp_path, "", "backend=datadog")
    assert ALERTMANAGER_FILE not in bundle
    assert catalog.ALERTMANAGER not in yaml.safe_load(bundle["docker-compose.yml"])["services"]


def test_up_says_who_is_notified_or_that_nobody_is(tmp_path: Path) -> None:
    nobody = load(env={}, cwd=tmp_path).settings
    assert "nobody will be notified" in alerting.summary(nobody)
    (tmp_path / "llmobs.yaml").write_text(RECEIVERS)
    some = load(config=tmp_path / "llmobs.yaml", env={}, cwd=tmp_path).settings
    line = alerting.summary(some)
    assert line.startswith("Alerts notify hook (webhook) by default; pager (pagerduty) for severity=~")
    assert "nobody" not in line


def test_up_refuses_unset_secret_variables_and_compose_v1(tmp_path: Path) -> None:
    (tmp_path / "llmobs.yaml").write_text(RECEIVERS)
    settings = load(config=tmp_path / "llmobs.yaml", env={}, cwd=tmp_path).settings
    missing = {k: v for k, v in SECRET_VALUES.items() if k != "LLMOBS_T_PD_KEY"}
    with pytest.raises(LlmobsError) as err:
        alerting.check_environment(settings, missing, compose_v1=False)
    assert err.value.line().startswith(
        "alerting.receivers[pager].routing_key: LLMOBS_T_PD_KEY is not set; receiver 'pager' reads its routing_key"
    )
    assert "export LLMOBS_T_PD_KEY=" in err.value.line()
    alerting.check_environment(settings, SECRET_VALUES, compose_v1=False)
    with pytest.raises(LlmobsError, match=r"docker-compose 1\.x cannot pass"):
        alerting.check_environment(settings, SECRET_VALUES, compose_v1=True)
    plain = load(env={}, cwd=tmp_path / "..").settings  # no receivers: v1 is fine
    alerting.check_environment(plain, {}, compose_v1=True)


# --- Bad input: one line naming file, key and fix; exit 2 ----------------------------------------------

BAD = {
    "unknown receiver type": (
        "alerting:\n  receivers:\n    - name: team\n      type: teams\n      url: ${env:X}\n",
        ["llmobs.yaml:2: alerting.receivers.type: 'teams' is not allowed", "webhook", "slack", "email", "pagerduty"],
    ),
    "secret without an env reference": (
        "alerting:\n  receivers:\n    - name: team\n      type: slack\n      url: https://hooks.slack.com/services/T/B/x\n",
        ["llmobs.yaml:2: alerting.receivers", "url is a secret", "'${env:SLACK_WEBHOOK_URL}'"],
    ),
    "pagerduty key as a value": (
        "alerting:\n  receivers:\n    - name: pd\n      type: pagerduty\n      routing_key: abc123\n",
        ["alerting.receivers", "routing_key is a secret", "${env:PAGERDUTY_ROUTING_KEY}"],
    ),
    "receiver missing a field": (
        "alerting:\n  receivers:\n    - name: mail\n      type: email\n      to: a@b.c\n      from: x@y.z\n",
        ["alerting.receivers", "receiver 'mail' (email) needs smarthost"],
    ),
    "route to an unknown receiver": (
        "alerting:\n  routes:\n    - receiver: ops\n",
        ["llmobs.yaml", "routes[0].receiver: no receiver named 'ops'", "add one under alerting.receivers"],
    ),
    "budget without amount": (
        "budgets:\n  - service: chat\n",
        ["llmobs.yaml:1: budgets", "budget 'chat' has no amount; give daily_usd or monthly_usd"],
    ),
    "budget share out of range": (
        "alerts:\n  budget_thresholds: [80]\n",
        ["llmobs.yaml:2: alerts.budget_thresholds", "use e.g. 0.8 for 80 %"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_alerting_input_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    text, expected = BAD[case]
    (tmp_path / "llmobs.yaml").write_text(text)
    result = _cli(tmp_path, "render")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for part in expected:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    assert not (tmp_path / ".llmobs").exists()


def test_alerts_test_without_a_running_alertmanager_is_one_line(tmp_path: Path) -> None:
    from tests.support.procs import free_port

    result = _cli(tmp_path, "alerts", "test", "--set", f"ports.alertmanager={free_port()}")
    assert result.returncode == 2
    assert result.stderr.startswith("error: llmobs alerts test: no Alertmanager answers at http://127.0.0.1:")
    assert len(result.stderr.strip().splitlines()) == 1


# --- Budget and anomaly rules -----------------------------------------------------------------------


def _rules(bundle: dict[str, bytes]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for group in yaml.safe_load(bundle[RULES_FILE])["groups"]:
        for rule in group["rules"]:
            found.setdefault(rule.get("alert") or rule["record"], []).append(rule)
    return found


def test_budget_rules_follow_settings(tmp_path: Path) -> None:
    rules = _rules(_render(tmp_path, BUDGETS, "alerts.budget_thresholds=[0.5,0.9,1.2]"))
    amounts = {(r["labels"]["budget"], r["labels"]["period"]): r["expr"] for r in rules["llmobs:budget_usd"]}
    assert amounts == {("chat", "daily"): "vector(10)", ("team-openai", "monthly"): "vector(300)",
                       ("roomy", "monthly"): "vector(1000)"}  # fmt: skip
    spend = {r["labels"]["budget"]: r["expr"] for r in rules["llmobs:budget_spend_usd:increase5m"]}
    assert spend["chat"] == 'sum(increase(llmobs_cost_usd_total{service_name="chat"}[5m])) or vector(0)'
    assert spend["team-openai"].startswith('sum(increase(llmobs_cost_usd_total{gen_ai_provider_name="openai"}[5m]))')
    assert spend["roomy"].startswith("sum(increase(llmobs_cost_usd_total{}[5m]))")
    shares = [(r["expr"], r["labels"]["severity"], r["labels"]["threshold"]) for r in rules["LLMBudgetSpent"]]
    assert shares == [
        ("llmobs:budget_spent:ratio >= 0.5", "warning", "50%"),
        ("llmobs:budget_spent:ratio >= 0.9", "warning", "90%"),
        ("llmobs:budget_spent:ratio >= 1.2", "critical", "120%"),
    ]
    assert "llmobs-budgets" not in _render(tmp_path / "none", "")[RULES_FILE].decode()


def test_anomaly_thresholds_come_from_settings(tmp_path: Path) -> None:
    rules = _rules(
        _render(
            tmp_path,
            "",
            "alerts.anomaly.cost_factor=3",
            "alerts.anomaly.min_calls_per_hour=50",
            "alerts.anomaly.min_error_ratio=0.1",
        )
    )
    cost = [r["expr"] for r in rules["LLMCostAnomaly"]]
    assert [e.splitlines()[0] for e in cost] == [
        "llmobs:cost_usd_per_hour:rate1h > 3 * (llmobs:cost_usd_per_hour:rate1h offset 1w)",
        "llmobs:cost_usd_per_hour:rate1h > 3 * (llmobs:cost_usd_per_hour:rate1h offset 1d)",
    ]
    assert all("llmobs:llm_calls:increase1h >= 50" in e for e in cost)
    assert all("and llmobs:llm_error_ratio:rate1h >= 0.1" in r["expr"] for r in rules["LLMErrorRatioAnomaly"])
    # Yesterday's comparison also needs a week of history (a new service stays quiet for a week).
    assert cost[1].rstrip().endswith("(llmobs:llm_calls:increase1h offset 1w)")


def _promtool_test(tmp_path: Path, tests_file: str, settings_text: str) -> None:
    _render(tmp_path, settings_text)
    work = tmp_path / "promtool"
    work.mkdir()
    shutil.copy(tmp_path / "bundle" / RULES_FILE, work / "llmobs.yml")
    shutil.copy(PROMTOOL_DIR / tests_file, work / tests_file)
    promtool = require_prometheus_tool("promtool")
    result = subprocess.run(
        [str(promtool), "test", "rules", tests_file], cwd=work, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_budget_cases(tmp_path: Path) -> None:
    _promtool_test(tmp_path, "budgets_test.yml", BUDGETS)


def test_promtool_anomaly_cases(tmp_path: Path) -> None:
    _promtool_test(tmp_path, "anomalies_test.yml", "")


@pytest.mark.parametrize(
    ("tests_file", "alerts"),
    [
        ("budgets_test.yml", {"LLMBudgetSpent", "LLMBudgetProjectedOverrun"}),
        ("anomalies_test.yml", {"LLMCostAnomaly", "LLMTokensPerCallAnomaly", "LLMErrorRatioAnomaly"}),
    ],
)
def test_every_budget_and_anomaly_alert_fires_and_stays_quiet_in_a_case(tests_file: str, alerts: set[str]) -> None:
    cases = [c for t in yaml.safe_load((PROMTOOL_DIR / tests_file).read_text())["tests"] for c in t["alert_rule_test"]]
    for alert in alerts:
        assert any(c["alertname"] == alert and c["exp_alerts"] for c in cases), f"{alert} never fires"
        assert any(c["alertname"] == alert and not c["exp_alerts"] for c in cases), f"{alert} is never quiet"


def test_promtool_lints_the_rules_with_budgets(tmp_path: Path) -> None:
    promtool = require_prometheus_tool("promtool")
    _render(tmp_path, BUDGETS)
    result = subprocess.run(
        [str(promtool), "check", "rules", "--lint=all", "--lint-fatal", str(tmp_path / "bundle" / RULES_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
