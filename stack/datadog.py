"""The Datadog side of ``--backend datadog``: the LLM overview dashboard, and pushing it.

The dashboard follows the Grafana LLM overview's panels (traffic, errors, latency,
tokens, cost by model). Its queries use the names Datadog gives OTLP metrics:
metric and attribute names are kept as sent (dots included); histograms become
DISTRIBUTION metrics (queried with ``count:``/``p95:``/``sum:``) and delta sums
become COUNT metrics (queried with ``.as_count()``/``.as_rate()``). Source:
Datadog documentation, "OTLP Metrics Types" (docs.datadoghq.com/metrics/open_telemetry/otlp_metric_types).
The collector converts cumulative sums to delta before export, which Datadog's
OTLP metrics intake requires.

:func:`dashboard_json` generates ``stack/templates/datadog-dashboard.json``, the file
``--backend datadog`` puts in the bundle and ``llmobs datadog push-dashboard`` sends;
``scripts/regenerate`` rewrites it and ``tests/test_generated_files.py`` fails when it is stale.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from llmobs import names as n
from llmobs.errors import LlmobsError

DASHBOARD_RESOURCE = "datadog-dashboard.json"
# OTLP metric names as Datadog keeps them (no Prometheus renaming); only this dashboard queries them.
DURATION = "gen_ai.client.operation.duration"
TOKENS = "gen_ai.client.token.usage"
SPAN_CALLS = "traces.span.metrics.calls"
SCOPE = "{$service,$env,$provider,$model}"
ERRORS_SCOPE = f"{{$service,$env,$provider,$model,{n.ERROR_TYPE}:*}}"


def _timeseries(
    title: str, queries: list[tuple[str, str]], unit_hint: str = "", display: str = "line"
) -> dict[str, Any]:
    formulas = [{"formula": name, "alias": alias} for name, (alias, _) in zip("abcdefgh", queries, strict=False)]
    return {
        "definition": {
            "type": "timeseries",
            "title": title + (f" ({unit_hint})" if unit_hint else ""),
            "requests": [
                {
                    "response_format": "timeseries",
                    "display_type": display,
                    "queries": [
                        {"data_source": "metrics", "name": name, "query": query}
                        for name, (_, query) in zip("abcdefgh", queries, strict=False)
                    ],
                    "formulas": formulas,
                }
            ],
        }
    }


def _toplist(title: str, query: str) -> dict[str, Any]:
    return {
        "definition": {
            "type": "toplist",
            "title": title,
            "requests": [
                {
                    "response_format": "scalar",
                    "queries": [{"data_source": "metrics", "name": "a", "query": query, "aggregator": "sum"}],
                    "formulas": [{"formula": "a", "limit": {"count": 10, "order": "desc"}}],
                }
            ],
        }
    }


def dashboard() -> dict[str, Any]:
    """The dashboard definition for Datadog's dashboards API (POST /api/v1/dashboard)."""
    model = f"{{{n.REQUEST_MODEL}}}"
    widgets = [
        _timeseries(
            "LLM requests per second by model", [("requests", f"count:{DURATION}{SCOPE} by {model}.as_rate()")]
        ),
        _timeseries(
            "Errors per second by error type (429 = rate limited)",
            [("errors", f"count:{DURATION}{ERRORS_SCOPE} by {{{n.ERROR_TYPE}}}.as_rate()")],
            display="bars",
        ),
        _timeseries(
            "Latency by model",
            [
                ("p50", f"p50:{DURATION}{SCOPE} by {model}"),
                ("p95", f"p95:{DURATION}{SCOPE} by {model}"),
                ("p99", f"p99:{DURATION}{SCOPE} by {model}"),
            ],
            "seconds",
        ),
        _timeseries(
            "Tokens per second, input vs output",
            [("tokens", f"sum:{TOKENS}{SCOPE} by {{{n.TOKEN_TYPE}}}.as_rate()")],
            "tokens/s",
            display="area",
        ),
        _timeseries(
            "Cost per hour by model",
            [("cost", f"sum:{n.COST_METRIC}{SCOPE} by {model}.as_count().rollup(sum, 3600)")],
            "USD",
            display="bars",
        ),
        _toplist("Top models by cost", f"sum:{n.COST_METRIC}{SCOPE} by {model}.as_count()"),
        _toplist("Unpriced calls by model", f"sum:{n.UNPRICED_METRIC}{SCOPE} by {model}.as_count()"),
        _timeseries(
            "LLM calls per second from spans (apps without metrics)",
            [("calls", f"sum:{SPAN_CALLS}{{$service,$env,{n.OPERATION}:chat}} by {model}.as_rate()")],
        ),
    ]
    variables = [
        ("service", "service"),
        ("env", "deployment.environment.name"),
        ("provider", n.PROVIDER),
        ("model", n.REQUEST_MODEL),
    ]
    return {
        "title": "LLM overview (llmobs)",
        "description": "Traffic, errors, latency, tokens and cost of LLM calls, from the llmobs collector.",
        "layout_type": "ordered",
        "template_variables": [{"name": name, "prefix": prefix, "default": "*"} for name, prefix in variables],
        "widgets": widgets,
    }


def dashboard_json() -> str:
    """The committed ``datadog-dashboard.json``: sorted keys, so a change shows as a small diff."""
    return json.dumps(dashboard(), indent=2, sort_keys=True) + "\n"


def committed_dashboard() -> bytes:
    return files("llmobs.templates").joinpath(DASHBOARD_RESOURCE).read_bytes()


def api_url(site: str) -> str:
    return f"https://api.{site}"


def push_dashboard(site: str, api_key: str | None, app_key: str | None, base_url: str | None = None) -> str:
    """Create the dashboard through Datadog's API; return its URL."""
    import requests

    if not api_key or not app_key:
        missing = " and ".join(v for v, k in (("DD_API_KEY", api_key), ("DD_APP_KEY", app_key)) if not k)
        raise LlmobsError(
            f"{missing} not set", fix="export DD_API_KEY=<api key> DD_APP_KEY=<application key> (Organization settings)"
        )
    url = f"{base_url or api_url(site)}/api/v1/dashboard"
    try:
        response = requests.post(
            url,
            data=committed_dashboard(),
            headers={"DD-API-KEY": api_key, "DD-APPLICATION-KEY": app_key, "Content-Type": "application/json"},
            timeout=30,
        )
    except requests.RequestException as exc:
        raise LlmobsError(
            f"cannot reach {url}: {exc.__class__.__name__}", fix="check network access and datadog.site"
        ) from None
    if response.status_code in (401, 403):
        raise LlmobsError(
            f"Datadog refused the keys ({response.status_code})", fix="check DD_API_KEY, DD_APP_KEY and datadog.site"
        )
    if response.status_code >= 300:
        raise LlmobsError(f"Datadog answered {response.status_code}: {response.text[:200]}", where=url)
    body = response.json()
    return str(body.get("url") or body.get("id") or "")
