"""`otelcol validate` (the real binary) accepts every backend's render."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.bundle import collector_config

CASES = {
    "grafana": [],
    "grafana-drop": ["pii.mode=drop"],
    "grafana-off": ["pii.mode=off"],
    "grafana-custom-pii": ["pii.patterns=[{name: EMPLOYEE_ID, regex: 'EMP-[0-9]{6}'}]"],
    "grafana-labels": ["metrics.labels=[gen_ai.agent.name, llmobs.feature]", "metrics.max_label_values=20"],
    "datadog-labels": ["backend=datadog", "metrics.labels=[llmobs.feature]"],
    "grafana-prices": ["prices=[{provider: openai, model: my-ft, input: 1.5, output: 2}]"],
    "datadog": ["backend=datadog", "datadog.site=datadoghq.eu"],
    "otlp-grpc": ["backend=otlp", "otlp.endpoint=vendor.example:4317", "otlp.headers={x-api-key: '${env:VENDOR_KEY}'}"],
    "otlp-http-traces": [
        "backend=otlp",
        "otlp.endpoint=https://vendor.example",
        "otlp.protocol=http",
        "otlp.signals=[traces]",
    ],
    # The vendor recipes in the README, as written there.
    "recipe-grafana-cloud": [
        "backend=otlp",
        "otlp.endpoint=https://otlp-gateway-prod-eu-west-2.grafana.net/otlp",
        "otlp.protocol=http",
        "otlp.headers={authorization: 'Basic ${env:GRAFANA_CLOUD_OTLP_AUTH}'}",
    ],
    "recipe-honeycomb": [
        "backend=otlp",
        "otlp.endpoint=api.honeycomb.io:443",
        "otlp.protocol=grpc",
        "otlp.headers={x-honeycomb-team: '${env:HONEYCOMB_API_KEY}'}",
    ],
    "recipe-langfuse": [
        "backend=otlp",
        "otlp.endpoint=https://cloud.langfuse.com/api/public/otel",
        "otlp.protocol=http",
        "otlp.signals=[traces]",
        "otlp.headers={authorization: 'Basic ${env:LANGFUSE_AUTH}'}",
    ],
    "otlp-logs-only": ["backend=otlp", "otlp.endpoint=https://vendor.example:443", "otlp.signals=[logs]"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate(otelcol: Path, tmp_path: Path, case: str) -> None:
    config = collector_config(tmp_path, *CASES[case])
    result = subprocess.run(
        [str(otelcol), "validate", f"--config={config}"],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "DD_API_KEY": "x",
            "VENDOR_KEY": "x",
            "HONEYCOMB_API_KEY": "x",
            "LLMOBS_PRICES_FILE": str(config.parent / "prices.json"),
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "deprecated" not in result.stderr.lower(), result.stderr[-3000:]


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_config_is_short_enough_to_read(tmp_path: Path, case: str) -> None:
    """What the collector does to users' data is reviewable: the rules are code and data, not config."""
    lines = collector_config(tmp_path, *CASES[case]).read_text().count("\n")
    assert lines < 300, f"{case}: {lines} lines"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "prices.json"),
        (b'{"format": 999, "providers": []}', "prices.json"),
        (b"", "prices.json"),
    ],
)
def test_collector_refuses_a_bad_price_file_in_one_line(
    otelcol: Path, tmp_path: Path, content: bytes, words: str
) -> None:
    config = collector_config(tmp_path)
    bad = tmp_path / "prices.json"
    bad.write_bytes(content)
    result = subprocess.run(
        [str(otelcol), "validate", f"--config={config}"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "LLMOBS_PRICES_FILE": str(bad)},
    )
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and words in errors[0], result.stderr[-2000:]
    assert "panic" not in result.stderr and "goroutine" not in result.stderr
