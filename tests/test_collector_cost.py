"""The rendered collector, run for real, prices LLM spans like genai-prices and counts dollars in Prometheus.

Every expected number comes from ``genai_prices.calc_price`` (with the span's start time as
the request time), never from llmobs code. The maximum relative error against it is printed
(run with -s).
"""

from __future__ import annotations

import json
import math
import subprocess
import warnings
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from genai_prices import Usage, calc_price
from genai_prices.data import providers as genai_providers

from llmobs import names
from tests.support import otlp
from tests.support.bundle import collector_config
from tests.support.collector import prometheus_samples, spans, through_llmobs, wait_for

REL = 1e-3  # the brief: within 0.1%
RESOURCE = {"service.name": "checkout", "deployment.environment.name": "prod"}
TOKEN_KEYS = (names.INPUT_TOKENS, names.OUTPUT_TOKENS, names.CACHE_READ_TOKENS, names.CACHE_WRITE_TOKENS)


def _case(
    provider: str | None,
    model: str,
    inp: int | float,
    out: int | float,
    cache_read: int = 0,
    cache_write: int = 0,
    *,
    gp: str | None = "same",
    response_model: str | None = None,
    start: datetime | None = None,
) -> dict[str, Any]:
    """A span and how genai-prices prices it: ``gp`` is the provider_id given to calc_price."""
    attrs: dict[str, Any] = {"gen_ai.operation.name": "chat", names.REQUEST_MODEL: model}
    if provider is not None:
        attrs[names.PROVIDER] = provider
    if response_model:
        attrs[names.RESPONSE_MODEL] = response_model
    attrs[names.INPUT_TOKENS] = inp
    attrs[names.OUTPUT_TOKENS] = out
    if cache_read:
        attrs[names.CACHE_READ_TOKENS] = cache_read
    if cache_write:
        attrs[names.CACHE_WRITE_TOKENS] = cache_write
    return {
        "attrs": attrs,
        "gp": provider if gp == "same" else gp,
        "ref": response_model or model,
        "usage": (inp, cache_read, cache_write, out),
        "start": start,
    }


def _span(name: str, attrs: dict[str, Any], start: datetime | None = None) -> dict[str, Any]:
    span = otlp.span(name, attrs)
    if start is not None:
        ns = int(start.timestamp()) * 1_000_000_000
        span["startTimeUnixNano"], span["endTimeUnixNano"] = str(ns), str(ns + 2_000_000_000)
    return span


def _start_time(span: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(span["startTimeUnixNano"]) // 1_000_000_000, tz=UTC)


def _calc(case: dict[str, Any], start: datetime) -> Any:
    inp, cr, cw, out = case["usage"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return calc_price(
            Usage(input_tokens=inp, cache_read_tokens=cr, cache_write_tokens=cw, output_tokens=out),
            case["ref"],
            provider_id=case["gp"],
            genai_request_timestamp=start,
        )


def _expected(case: dict[str, Any], start: datetime) -> float:
    return float(_calc(case, start).total_price)


def _has_token_price(result: Any) -> bool:
    """Whether genai-prices has a token or request price for the matched model (else: unpriced)."""
    keys = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "requests_kcount")
    return any(getattr(result.model_price, key, None) is not None for key in keys)


def _rel(got: float, want: float) -> float:
    return abs(got - want) / want if want else abs(got)


def _cost_errors(log: str) -> list[str]:
    """transform/cost statements that failed (error_mode ignore logs and skips them)."""
    return [line[-600:] for line in log.splitlines() if "transform/cost" in line and "failed" in line][:5]


DEEPSEEK_PEAK = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # deepseek-chat: 00:30-16:30 UTC is the full price
DEEPSEEK_OFF_PEAK = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)

# 30 priced calls: 14 semconv provider names, dated variants, cache reads and writes, a tier above
# its threshold, time-of-day prices, a per-request price, double token counts, no provider at all.
PRICED = [
    _case("openai", "gpt-4o", 1200, 300),
    _case("openai", "gpt-4o", 5000, 800, 4096, response_model="gpt-4o-2024-05-13"),  # response model wins
    _case("openai", "gpt-4.1-mini", 20_000, 1500, 12_000),
    _case("openai", "o3", 3000, 9000),
    _case("openai", "gpt-5.2-20251211", 800, 200),  # compact date -> gpt-5.2-2025-12-11 (genai-prices' 2nd pass)
    _case("openai", "GPT-4o-Mini", 1000.0, 250.0),  # case-insensitive; double token counts
    _case("anthropic", "claude-sonnet-4-5-20250929", 12_000, 800, 5000, 1000),
    _case("anthropic", "claude-sonnet-4-5-20250929", 250_000, 2000, 20_000, 3000),  # above the 200k tier
    _case("anthropic", "claude-3-5-haiku-latest", 900, 120, 0, 600),
    _case("anthropic", "claude-opus-4-1-20250805", 4000, 700, 2000),
    _case("aws.bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", 2100, 400),
    _case("aws.bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0", 3000, 500, 1000, 200),
    _case("aws.bedrock", "amazon.nova-pro-v1:0", 1500, 300),
    _case("gcp.vertex_ai", "gemini-2.5-pro", 300_000, 4000, 100_000),  # tiered, above its threshold
    _case("gcp.vertex_ai", "gemini-2.5-flash", 7000, 900),
    _case("gcp.gemini", "gemini-2.0-flash", 2000, 100),
    _case("gcp.gen_ai", "gemini-2.5-flash", 2500, 333, gp="google"),  # semconv name genai-prices lacks
    _case("azure.ai.openai", "gpt-4o", 1111, 222, gp="azure"),  # genai-prices would say openai
    _case("mistral_ai", "mistral-large-latest", 3000, 600),
    _case("mistral_ai", "codestral-latest", 6000, 1200),
    _case("x_ai", "grok-3-mini", 4000, 800, gp="x-ai"),
    _case("deepseek", "deepseek-chat", 5000, 700, 3000, start=DEEPSEEK_PEAK),
    _case("deepseek", "deepseek-chat", 5000, 700, 3000, start=DEEPSEEK_OFF_PEAK),  # off-peak price (UTC time of day)
    # deepseek-v4-pro: a base price, a new price from 2026-08-17, and 01:00-04:00 / 06:00-10:00 UTC prices
    _case("deepseek", "deepseek-v4-pro", 8000, 900, start=datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
    _case("deepseek", "deepseek-v4-pro", 8000, 900, start=datetime(2026, 9, 1, 12, 0, tzinfo=UTC)),
    _case("deepseek", "deepseek-v4-pro", 8000, 900, start=datetime(2026, 9, 1, 3, 0, tzinfo=UTC)),
    _case("groq", "llama-3.3-70b-versatile", 3500, 400),
    _case("perplexity", "sonar", 1200, 400),  # + a per-request price
    _case("cohere", "command-r-plus", 2000, 500),
    _case("moonshot_ai", "kimi-k2-0905-preview", 9000, 1000),
    _case("openrouter", "anthropic/claude-3.5-sonnet", 2000, 300),
    _case(None, "claude-3-5-haiku-20241022", 1000, 100, gp=None),  # no provider: genai-prices infers it
    _case("litellm", "anthropic/claude-3-5-haiku-latest", 1000, 100),  # litellm vendor/model split
]

UNPRICED = [
    {names.PROVIDER: "ibm.watsonx.ai", names.REQUEST_MODEL: "ibm/granite-3-8b-instruct", names.INPUT_TOKENS: 500},
    {
        names.PROVIDER: "openai",
        names.REQUEST_MODEL: "no-such-model-anywhere",
        names.INPUT_TOKENS: 10,
        names.OUTPUT_TOKENS: 5,
    },
    {names.PROVIDER: "my-vllm", names.REQUEST_MODEL: "gpt-4o", names.INPUT_TOKENS: 10},  # unknown provider: no guess
    {names.PROVIDER: "openai", names.INPUT_TOKENS: 100, names.OUTPUT_TOKENS: 5},  # no model
    {names.PROVIDER: "openai", names.REQUEST_MODEL: "gpt-4o", names.INPUT_TOKENS: 100, names.CACHE_READ_TOKENS: 500},
    {names.PROVIDER: "openai", names.REQUEST_MODEL: "gpt-4o", names.INPUT_TOKENS: "1200", names.OUTPUT_TOKENS: 3},
]

UNTOUCHED = [
    {"http.request.method": "GET", "url.path": "/health", "http.response.status_code": 200},
    {names.PROVIDER: "openai", names.REQUEST_MODEL: "gpt-4o", "gen_ai.operation.name": "chat"},  # no tokens
    {  # an agent's usage sums its LLM calls: pricing it would count their dollars twice
        names.OPERATION: "invoke_agent",
        names.PROVIDER: "openai",
        names.REQUEST_MODEL: "gpt-4o",
        names.INPUT_TOKENS: 5000,
        names.OUTPUT_TOKENS: 900,
    },
]


def test_costs_match_genai_prices_and_reach_prometheus(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(tmp_path, "environment=staging")
    priced = [(f"priced-{i}", c, _span(f"priced-{i}", c["attrs"], c["start"])) for i, c in enumerate(PRICED)]
    unpriced = [(f"unpriced-{i}", a, _span(f"unpriced-{i}", a)) for i, a in enumerate(UNPRICED)]
    untouched = [(f"untouched-{i}", a, _span(f"untouched-{i}", a)) for i, a in enumerate(UNTOUCHED)]
    everything = priced + unpriced + untouched
    # genai-prices itself must price the priced cases (else the test data is wrong) ...
    expected = {name: _expected(case, _start_time(span)) for name, case, span in priced}
    assert all(v > 0 for v in expected.values()), expected
    # ... and the compact-date case must need its second pass.
    openai = next(p for p in genai_providers if p.id == "openai")
    assert not any(m.is_match("gpt-5.2-20251211") for m in openai.models)
    for model in ("deepseek-chat", "deepseek-v4-pro"):
        dated = [expected[name] for name, case, _ in priced if case["attrs"][names.REQUEST_MODEL] == model]
        assert len(set(dated)) == len(dated), f"{model}: the start times should pick different prices"

    with through_llmobs(otelcol, config, tmp_path) as (col, received):
        otlp.post(col.http, "traces", otlp.traces(RESOURCE, [span for _, _, span in everything[::2]]))
        otlp.post(col.http, "traces", otlp.traces(RESOURCE, [span for _, _, span in everything[1::2]]))
        got = wait_for(lambda: len(s := spans(received)) >= len(everything) and s, timeout=60)
        by_name = {s["name"]: s for s in got}

        # Spans: a double cost equal to genai-prices', token counts untouched, no temporary attributes.
        errors = {}
        for name, case, _ in priced:
            span = by_name[name]
            attrs, types = span["attributes"], span["types"]
            assert types.get(names.COST_ATTR) == "doubleValue", (name, attrs)
            assert names.UNPRICED_ATTR not in attrs, (name, attrs)
            errors[name] = _rel(attrs[names.COST_ATTR], expected[name])
            assert errors[name] < REL, (name, case["ref"], attrs[names.COST_ATTR], expected[name])
            for key in TOKEN_KEYS:
                if key in case["attrs"]:
                    assert attrs[key] == case["attrs"][key]
                    want = "intValue" if isinstance(case["attrs"][key], int) else "doubleValue"
                    assert types[key] == want, (name, key, types[key])
        for name, _, _ in unpriced:
            attrs = by_name[name]["attributes"]
            assert attrs.get(names.UNPRICED_ATTR) is True and by_name[name]["types"][names.UNPRICED_ATTR] == "boolValue"
            assert names.COST_ATTR not in attrs, (name, attrs)
        for name, sent, _ in untouched:
            assert by_name[name]["attributes"] == sent, name
        assert not [k for s in got for k in s["attributes"] if k.startswith("llmobs.cost._")]
        worst = max(errors, key=errors.__getitem__)
        print(
            f"\ncost vs genai_prices.calc_price: {len(errors)} calls, max relative error {errors[worst]:.2e} ({worst})"
        )

        # Prometheus: dollars per provider/model and the unpriced calls, with the dashboard labels.
        def scraped() -> dict[str, list[tuple[dict[str, str], float]]] | None:
            metrics = prometheus_samples(col.ports["prometheus"])
            cost = sum(v for _, v in metrics.get(names.PROM_COST, []))
            calls = sum(v for _, v in metrics.get(names.PROM_UNPRICED, []))
            return metrics if _rel(cost, sum(expected.values())) < REL and calls == len(unpriced) else None

        metrics = wait_for(scraped, timeout=60, interval=1)
        assert _cost_errors(col.output()) == [], "every nil and type is guarded: no statement fails"

    labels = {"gen_ai_provider_name", "gen_ai_request_model", "service_name", "deployment_environment_name"}
    per_model: dict[tuple[str, str], float] = defaultdict(float)
    for name, case, _ in priced:
        per_model[(case["attrs"].get(names.PROVIDER, "unknown"), case["attrs"][names.REQUEST_MODEL])] += expected[name]
    series = metrics[names.PROM_COST]
    assert len(series) == len(per_model)
    for sample_labels, value in series:
        assert labels <= sample_labels.keys(), sample_labels
        assert sample_labels["service_name"] == "checkout" and sample_labels["deployment_environment_name"] == "prod"
        key = (sample_labels["gen_ai_provider_name"], sample_labels["gen_ai_request_model"])
        assert _rel(value, per_model[key]) < REL, (key, value, per_model[key])
    for sample_labels, _ in metrics[names.PROM_UNPRICED]:
        assert labels <= sample_labels.keys(), sample_labels
    unpriced_by_model = {s["gen_ai_request_model"]: v for s, v in metrics[names.PROM_UNPRICED]}
    assert unpriced_by_model["ibm/granite-3-8b-instruct"] == 1 and unpriced_by_model["unknown"] == 1


def test_price_overrides_win(otelcol: Path, tmp_path: Path) -> None:
    config = collector_config(
        tmp_path,
        "prices=[{provider: openai, model: gpt-4o, input: 100, output: 200},"
        " {provider: acme, model: ACME-FT, match: starts_with, input: 2, output: 8, cache_read: 0.5},"
        " {provider: aws, model: amazon.nova-pro-v1:0, input: 1, output: 1},"
        ' {provider: acme, model: "ft-${env:HOME}-$1", input: 3, output: 3}]',  # no ${...} expansion
    )
    cases = {
        "override": {
            names.PROVIDER: "openai",
            names.REQUEST_MODEL: "gpt-4o",
            names.INPUT_TOKENS: 1000,
            names.OUTPUT_TOKENS: 100,
        },
        "prefix": {
            names.PROVIDER: "Acme",
            names.REQUEST_MODEL: "acme-ft-2024",
            names.INPUT_TOKENS: 1000,
            names.OUTPUT_TOKENS: 10,
            names.CACHE_READ_TOKENS: 400,
            names.CACHE_WRITE_TOKENS: 100,  # no cache_write price: costs the input price
        },
        "by-genai-id": {
            names.PROVIDER: "aws.bedrock",
            names.REQUEST_MODEL: "amazon.nova-pro-v1:0",
            names.INPUT_TOKENS: 10,
            names.OUTPUT_TOKENS: 10,
        },
        "not-overridden": {
            names.PROVIDER: "openai",
            names.REQUEST_MODEL: "gpt-4o-mini",
            names.INPUT_TOKENS: 1000,
            names.OUTPUT_TOKENS: 100,
        },
        "other-acme": {names.PROVIDER: "acme", names.REQUEST_MODEL: "other", names.INPUT_TOKENS: 1000},
        "dollars": {names.PROVIDER: "acme", names.REQUEST_MODEL: "FT-${env:HOME}-$1", names.INPUT_TOKENS: 1000},
    }
    want = {
        "override": (1000 * 100 + 100 * 200) / 1e6,
        "prefix": (600 * 2 + 400 * 0.5 + 10 * 8) / 1e6,
        "by-genai-id": 20 / 1e6,
        "dollars": 3000 / 1e6,
        "not-overridden": float(
            calc_price(Usage(input_tokens=1000, output_tokens=100), "gpt-4o-mini", provider_id="openai").total_price
        ),
    }
    with through_llmobs(otelcol, config, tmp_path) as (col, received):
        otlp.post(col.http, "traces", otlp.traces(RESOURCE, [_span(name, attrs) for name, attrs in cases.items()]))
        got = wait_for(lambda: len(s := spans(received)) >= len(cases) and s)
    by_name = {s["name"]: s["attributes"] for s in got}
    for name, value in want.items():
        assert math.isclose(by_name[name][names.COST_ATTR], value, rel_tol=REL), (name, by_name[name])
    assert by_name["other-acme"][names.UNPRICED_ATTR] is True and names.COST_ATTR not in by_name["other-acme"]


def test_every_genai_prices_model_is_priced_like_calc_price(otelcol: Path, tmp_path: Path) -> None:
    """All (provider, model) pairs genai-prices knows, by id, at start times spread over two years."""
    config = collector_config(tmp_path)
    cases, base = [], datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    for provider in genai_providers:
        for model in provider.models:
            i = len(cases)
            usage = ([1234, 250_000, 40_000, 999][i % 4], [0, 1000, 30_000, 0][i % 4], [0, 500][i % 2], 321 + i)
            start = datetime.fromtimestamp(base + i * 28_411, tz=UTC)  # ~2 years, every time of day
            case = _case(provider.id, model.id, usage[0], usage[3], usage[1], usage[2], start=start)
            try:
                result = _calc(case, start)
                want: float | None = float(result.total_price) if _has_token_price(result) else None
            except (LookupError, ValueError):
                want = None  # genai-prices cannot price it: unpriced
            cases.append((f"m{i}", case, want))
    with through_llmobs(otelcol, config, tmp_path) as (col, received):
        for chunk in range(0, len(cases), 500):
            batch = [_span(name, case["attrs"], case["start"]) for name, case, _ in cases[chunk : chunk + 500]]
            otlp.post(col.http, "traces", otlp.traces(RESOURCE, batch))
        got = wait_for(lambda: len(s := spans(received)) >= len(cases) and s, timeout=120)
        assert _cost_errors(col.output()) == []
    by_name = {s["name"]: s["attributes"] for s in got}
    wrong, worst = [], 0.0
    for name, case, want in cases:
        attrs = by_name[name]
        if want is None:
            if names.COST_ATTR in attrs or attrs.get(names.UNPRICED_ATTR) is not True:
                wrong.append((case["gp"], case["ref"], "should be unpriced", attrs.get(names.COST_ATTR)))
            continue
        got_cost = attrs.get(names.COST_ATTR)
        if got_cost is None or _rel(got_cost, want) >= REL:
            wrong.append((case["gp"], case["ref"], want, got_cost))
        else:
            worst = max(worst, _rel(got_cost, want))
    priced = sum(1 for *_, want in cases if want is not None)
    print(f"\n{len(cases)} genai-prices models: {priced} priced, max relative error {worst:.2e}")
    assert not wrong, wrong[:20]
    assert priced > 0.8 * len(cases)


def test_overrides_with_awkward_names_validate(otelcol: Path, tmp_path: Path) -> None:
    """Quotes, backslashes and ``$`` in user values survive YAML and ``${...}`` expansion."""
    models = ['my "ft" model', "cost-$HOME-${env:X}-\\d", "it's"]
    prices = ", ".join(f"{{provider: acme, model: {json.dumps(m)}, input: 1, output: 2}}" for m in models)
    config = collector_config(tmp_path, f"prices=[{prices}]")
    result = subprocess.run(
        [str(otelcol), "validate", f"--config={config}"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "LLMOBS_PRICES_FILE": str(config.parent / "prices.json")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
