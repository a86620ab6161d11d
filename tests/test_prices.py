"""Cost rules from genai-prices (fast, no collector): determinism, overrides, and the rendered prices.

The expected prices come from ``genai_prices.calc_price``. The collector itself runs the rules
in tests/test_collector_cost.py.
"""

from __future__ import annotations

import random
import re
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from genai_prices import Usage, calc_price
from genai_prices.data import providers as genai_providers
from genai_prices.data_snapshot import find_provider_by_id
from genai_prices.types import _normalize_compact_dated_ref

from llmobs import names, prices
from llmobs.config import load
from llmobs.render import COLLECTOR_CONFIG, render
from llmobs.settings import PriceOverride, Settings


def _spec_price(spec: str, inp: float, cr: float, cw: float, out: float, at: datetime) -> float | None:
    """What the last transform/cost group computes from a spec (a Python mirror of its OTTL)."""
    row = spec
    if "|" in spec or ";" in spec:
        cands = spec.split(";")
        chosen = cands[0]
        t = int(at.timestamp())
        d = t % 86400
        for cand in cands[1:]:
            kind, a, b = (int(x) for x in cand.split("|")[0].split(","))
            if (
                kind == 0
                or (kind == 1 and t >= a)
                or (kind == 2 and a <= b and a <= d < b)
                or (kind == 2 and a > b and (d >= a or d < b))
            ):
                chosen = cand
        parts = chosen.split("|")
        row = parts[1].split("/")[1] if len(parts) > 1 else "-"
        for part in parts[2:]:
            start, tier = part.split("/")
            if inp > float(start):
                row = tier
    fields = [float(x) for x in row.split(",")] if row != "-" else []
    if len(fields) != 7:
        return None
    p_in, p_cr, p_cw, p_out, p_req, k_cr, k_cw = fields
    uncached = inp - k_cr * cr - k_cw * cw
    if uncached < 0:
        return None
    return (uncached * p_in + k_cr * cr * p_cr + k_cw * cw * p_cw + out * p_out) / 1e6 + p_req


def _calc(usage: tuple[int, int, int, int], ref: str, provider: str | None, at: datetime) -> Any:
    inp, cr, cw, out = usage
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return calc_price(
            Usage(input_tokens=inp, cache_read_tokens=cr, cache_write_tokens=cw, output_tokens=out),
            ref,
            provider_id=provider,
            genai_request_timestamp=at,
        )


def test_render_is_deterministic_and_covers_every_genai_prices_model(tmp_path: Path) -> None:
    first, second = prices.table(Settings()), prices.table(Settings())
    assert first == second
    bundle = render(load(env={}, cwd=tmp_path, sets=[]).settings)
    assert bundle[COLLECTOR_CONFIG] == render(load(env={}, cwd=tmp_path, sets=[]).settings)[COLLECTOR_CONFIG]

    assert first.entries == sum(len(p.models) for p in genai_providers)
    assert first.skipped == (), "clauses OTTL cannot express: they would never match"
    rules = [st for g in first.groups for st in g["statements"] if st.startswith('set(span.cache["s"], ')]
    assert len(rules) >= first.entries
    # The collector config carries the groups verbatim (the yaml_str filter keeps OTTL intact).
    config = yaml.safe_load(bundle[COLLECTOR_CONFIG])
    rendered = config["processors"]["transform/cost"]["trace_statements"]
    assert [(g["conditions"], g["statements"]) for g in rendered] == [
        (g["conditions"], g["statements"]) for g in first.groups
    ]
    assert all(g["context"] == "span" for g in rendered)
    print(f"\n{first.entries} (provider, model) entries, {len(first.groups)} groups, {first.statements} statements")


@pytest.mark.parametrize("provider", [p.id for p in genai_providers])
def test_each_models_price_is_calc_price(provider: str) -> None:
    """Every model's rendered price, at times spread over two years and usages across tiers."""
    prov = next(p for p in genai_providers if p.id == provider)
    rnd = random.Random(provider)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for model in prov.models:
        for _ in range(4):
            usage = (rnd.choice([0, 999, 128_001, 250_000, 1_100_000]), 0, 0, rnd.randrange(0, 20_000))
            usage = (usage[0], rnd.choice([0, usage[0] // 3]), rnd.choice([0, usage[0] // 5]), usage[3])
            at = base + timedelta(seconds=rnd.randrange(0, 2 * 365 * 86400))
            try:
                result = _calc(usage, model.id, provider, at)
            except (LookupError, ValueError):
                continue  # the model id does not select the model itself; the collector test covers refs
            got = _spec_price(prices._spec(result.model), *(float(u) for u in usage), at)
            has_price = any(
                getattr(result.model_price, k, None) is not None
                for k in ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "requests_kcount")
            )
            if not has_price:
                assert got is None, (provider, model.id)
                continue
            want = float(result.total_price)
            assert got is not None and abs(got - want) <= 1e-9 * max(1.0, want), (
                provider,
                model.id,
                usage,
                at,
                got,
                want,
            )


def test_semconv_provider_names_resolve_to_genai_prices_providers() -> None:
    known = prices._known_names(genai_providers)
    ids = {p.id for p in genai_providers}
    resolved = {v: (v if v in ids else known.get(v)) for v in prices.SEMCONV_VALUES}
    assert resolved == {
        "anthropic": "anthropic",
        "aws.bedrock": "aws",
        "azure.ai.inference": "azure",
        "azure.ai.openai": "azure",
        "cohere": "cohere",
        "deepseek": "deepseek",
        "gcp.gemini": "google",
        "gcp.gen_ai": "google",
        "gcp.vertex_ai": "google",
        "groq": "groq",
        "ibm.watsonx.ai": None,  # unknown to genai-prices: unpriced unless overridden
        "mistral_ai": "mistral",
        "moonshot_ai": "moonshotai",
        "openai": "openai",
        "perplexity": "perplexity",
        "x_ai": "x-ai",
    }
    # Where genai-prices resolves a semconv name itself, we agree with it.
    for value, pid in known.items():
        if value not in prices.SEMCONV_PROVIDERS:
            found = find_provider_by_id(genai_providers, value)
            assert found is not None and found.id == pid


def test_overrides_come_first_in_settings_order_and_take_the_span(tmp_path: Path) -> None:
    sets = [
        "prices=[{provider: OpenAI, model: GPT-4o, input: 1.5, output: 6, cache_read: 0.25},"
        " {provider: openai, model: gpt-4, match: starts_with, input: 9, output: 9}]"
    ]
    rules = prices.table(load(env={}, cwd=tmp_path, sets=sets).settings)
    assert rules.overrides == 2
    group = next(g for g in rules.groups if any('span.cache["override"]' in s for s in g["statements"]))
    index = rules.groups.index(group)
    first_bucket = next(i for i, g in enumerate(rules.groups) if "llmobs.cost._key" in g["conditions"][0])
    assert 2 <= index < first_bucket, "overrides run after resolving the provider, before genai-prices' rules"
    st = [s for s in group["statements"] if s.startswith('set(span.cache["override"]')]
    assert '"1.5,0.25,0,6,0,1,0"' in st[0] and 'span.cache["m"] == "gpt-4o"' in st[0] and '"openai"' in st[0]
    assert 'HasPrefix(span.cache["m"], "gpt-4")' in st[1] and '"9,0,0,9,0,0,0"' in st[1]
    assert all('span.cache["override"] == nil' in s for s in st), "first matching override wins"
    assert any(s.startswith(f'delete_key(span.attributes, "{prices.TMP_KEY}")') for s in group["statements"])
    # An override's price goes through the same arithmetic as genai-prices' ones.
    spec = prices._override_spec(PriceOverride(provider="x", model="y", input=1.5, output=6, cache_read=0.25))
    assert _spec_price(spec, 1000, 400, 100, 10, datetime.now(UTC)) == pytest.approx(
        (600 * 1.5 + 400 * 0.25 + 10 * 6) / 1e6
    )


def test_override_values_are_escaped_for_ottl_and_the_collector() -> None:
    rules = prices.table(Settings(prices=[PriceOverride(provider="acme", model='a"b\\c${env:X}', input=1, output=1)]))
    st = next(s for g in rules.groups for s in g["statements"] if s.startswith('set(span.cache["override"]'))
    assert 'span.cache["m"] == "a\\"b\\\\c$${env:x}"' in st  # lower-cased, like genai-prices


def test_compact_date_rewrite_matches_genai_prices() -> None:
    rnd = random.Random(7)
    refs = [
        "gpt-5.2-20251211",
        "claude-x-20240229",
        "claude-x-20230229",
        "m-20250431",
        "m-20251301",
        "a-20240101-20240102",
    ]
    for _ in range(3000):
        y, mo, d = rnd.randrange(2000, 2100), rnd.randrange(0, 14), rnd.randrange(0, 33)
        sep = rnd.choice(["", "-", ":", "x", "-v1:0"])
        refs.append(f"{rnd.choice(['gpt-4o', 'm', 'a-b'])}-{y}{mo:02d}{d:02d}{sep}")
    for ref in refs:
        ours = ref
        for pattern in prices._COMPACT_DATES:
            for _ in range(2):
                ours = re.sub(pattern, r"-\1-\2-\3\4", ours)
        assert ours == _normalize_compact_dated_ref(ref), ref


def test_second_pass_keeps_every_rule_a_rewritten_name_can_match() -> None:
    # Every literal that holds a dashed date as the rewrite produces it (followed by "-", ":" or the
    # end) must be in the second pass.
    for provider in genai_providers:
        for model in provider.models:
            for lit in prices._literals(model.match):
                if lit and re.search(r"-20\d\d-\d\d-\d\d(?=[-:]|$)", lit):
                    assert prices._date_sensitive(model.match), (provider.id, model.id, lit)
    assert not prices._date_sensitive(
        next(m for m in genai_providers[0].models if m.is_match("claude-3-5-haiku")).match
    )


def test_regexes_become_re2_conditions() -> None:
    cond = prices._regex("^(?!.*-[tT][tT][sS](?:$|-))", 'span.cache["m"]')
    assert cond == 'not IsMatch(span.cache["m"], "^(?:.*-[tT][tT][sS](?:$$|-))")'
    cond = prices._regex("^(?![^/]+/)(?:labs-)?mistral", "m")
    assert cond == '(not IsMatch(m, "^(?:[^/]+/)") and IsMatch(m, "^(?:(?:labs-)?mistral)"))'
    with pytest.raises(prices._Untranslatable):
        prices._regex("(?<=x)y", "m")


def test_large_providers_are_split_without_changing_the_first_match() -> None:
    """A first-character block must pick the same model genai-prices picks, for every alias."""
    by_id = {p.id: p for p in genai_providers}
    for provider in genai_providers:
        rules = prices._model_rules(provider, by_id)
        units = prices._units(provider.id, rules)
        if len(units) == 1:
            continue
        for rule in rules:
            for ref in {lit.lower() for lit in prices._literals(rule.clause) if lit}:
                unit = next(
                    (u for u in units if f"{provider.id}:{ref[0]}" in u.keys), units[-1]
                )  # the "*" block otherwise
                want = next(r for r in rules if r.clause.is_match(ref))
                assert next(r for r in unit.rules if r.clause.is_match(ref)) is want, (provider.id, ref)
    buckets = prices._buckets([u for p in genai_providers for u in prices._units(p.id, prices._model_rules(p, by_id))])
    keys = [k for b in buckets for u in b for k in u.keys]
    assert len(keys) == len(set(keys))
    assert all(len({u.provider for u in b}) == len(b) for b in buckets)


def test_numbers_are_plain_decimals() -> None:
    from decimal import Decimal

    assert prices._num(Decimal("0.0000001")) == "0.0000001"
    assert prices._num(Decimal("3.000")) == "3"
    assert prices._num(Decimal(0)) == "0"
    assert prices._num(Decimal("12.5")) == "12.5"
    assert prices._num(-1) == "-1"


def test_names_match_the_cost_labels() -> None:
    assert names.COST_ATTR.startswith("llmobs.cost.") and names.UNPRICED_ATTR.startswith("llmobs.cost.")
    assert all(
        t.startswith("llmobs.cost._") for t in (prices.TMP_PROVIDER, prices.TMP_KEY, prices.TMP_MODEL, prices.TMP_SPEC)
    )
