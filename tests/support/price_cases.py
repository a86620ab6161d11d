"""Parity cases for the Go cost package: spans and what ``genai_prices.calc_price`` charges for them.

For every (provider, model) genai-prices knows: the model id and the literal aliases of its
match clause, under the provider's id (plus, for some, the semconv name, ``litellm`` with a
``vendor/model`` name, and no provider at all); usages without and with cache tokens, on both
sides of every tier threshold, with cache above input (an error), and with double counts; at a
fixed time, and for dated prices on both sides of every start date and time-of-day boundary.

The expected price is genai-prices' own (the independent reference), as exact decimal text, or
None where it raises or finds no token or request price (the processor must flag the span
unpriced). The Go test ``TestParity`` (internal/cost/parity_test.go) reads the cases.

Run standalone: ``python -m tests.support.price_cases cases.json prices.json``.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from genai_prices import Usage, calc_price
from genai_prices import types as t
from genai_prices.data import providers as genai_providers

from llmobs import prices

PRICE_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "requests_kcount")
FIXED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def expected(provider: str | None, model: str, usage: tuple[Any, ...], at: datetime) -> str | None:
    """genai-prices' total as decimal text, or None when it cannot price the call."""
    inp, cr, cw, out = usage
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = calc_price(
                Usage(input_tokens=inp, cache_read_tokens=cr, cache_write_tokens=cw, output_tokens=out),
                model,
                provider_id=provider,
                genai_request_timestamp=at,
            )
    except (LookupError, ValueError):
        return None
    if not any(getattr(result.model_price, key, None) is not None for key in PRICE_KEYS):
        return None
    return format(result.total_price, "f")


def _literals(clause: Any) -> list[str]:
    if isinstance(clause, t.ClauseOr | t.ClauseAnd):
        return [
            lit for sub in (clause.or_ if isinstance(clause, t.ClauseOr) else clause.and_) for lit in _literals(sub)
        ]
    for attr in ("equals", "starts_with"):
        if isinstance(value := getattr(clause, attr, None), str):
            return [value]
    return []


def _thresholds(model: Any) -> list[int]:
    sets = [model.prices] if isinstance(model.prices, t.ModelPrice) else [c.prices for c in model.prices]
    starts = {
        tier.start
        for s in sets
        for key in PRICE_KEYS
        if isinstance(value := getattr(s, key, None), t.TieredPrices)
        for tier in value.tiers
    }
    return sorted(starts)


def _times(model: Any) -> list[datetime]:
    if isinstance(model.prices, t.ModelPrice):
        return [FIXED]
    out = {FIXED}
    dates = [c.constraint.start_date for c in model.prices if isinstance(c.constraint, t.StartDateConstraint)]
    for d in dates:
        midnight = datetime.combine(d, time(0), tzinfo=UTC)
        out |= {midnight - timedelta(seconds=1), midnight}
    latest = max(dates, default=date(2026, 3, 2)) + timedelta(days=3)
    for c in model.prices:
        if isinstance(c.constraint, t.TimeOfDateConstraint):
            for edge in (c.constraint.start_time, c.constraint.end_time):
                at = datetime.combine(latest, edge.replace(tzinfo=edge.tzinfo or UTC)).astimezone(UTC)
                out |= {at - timedelta(seconds=1), at}
    return sorted(out)


def _usages(model: Any) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = [
        (1234, 0, 0, 321),
        (50_000, 20_000, 5_000, 777),
        (100, 500, 0, 10),
        (1000.5, 0, 0, 10.25),
    ]
    for start in _thresholds(model):
        for inp in (start, start + 1000):
            out.append((inp, inp // 4, inp // 10, 999))
    return out


def cases() -> list[dict[str, Any]]:
    names_by_id: dict[str, list[str]] = {}
    for name, pid in prices.provider_names(genai_providers).items():
        names_by_id.setdefault(pid, []).append(name)
    out: list[dict[str, Any]] = []

    def add(attr: str | None, gp: str | None, ref: str, usage: tuple[Any, ...], at: datetime) -> None:
        out.append(
            {
                "provider": attr,
                "model": ref,
                "usage": list(usage),
                "start_ns": int(at.timestamp()) * 1_000_000_000,
                "want": expected(gp, ref, usage, at),
            }
        )

    for i, prov in enumerate(genai_providers):
        for j, model in enumerate(prov.models):
            refs = [model.id, *_literals(model.match)[:3]]
            # dashed dates also as LiteLLM/OpenRouter write them (genai-prices' second pass)
            refs += [re.sub(r"-(20\d\d)-(\d\d)-(\d\d)(?=$|[-:])", r"-\1\2\3", ref) for ref in refs]
            refs = list(dict.fromkeys(refs))
            times, usages = _times(model), _usages(model)
            for ref in refs:
                for usage in usages:
                    add(prov.id, prov.id, ref, usage, times[0])
            for at in times[1:]:
                for usage in usages[:2]:
                    add(prov.id, prov.id, model.id, usage, at)
            usage = usages[(i + j) % len(usages)]
            # every few models: other spellings of the provider
            if j % 5 == 0:
                add(None, None, model.id, usage, FIXED)
                add("litellm", "litellm", f"{prov.id}/{model.id}", usage, FIXED)
                add(f"  {prov.id.upper()} ", f"  {prov.id.upper()} ", model.id.upper(), usage, FIXED)
                for name in names_by_id.get(prov.id, []):
                    add(name, prices.SEMCONV_PROVIDERS.get(name, name), model.id, usage, FIXED)
    by_id = {p.id: p for p in genai_providers}
    for prov in genai_providers:  # another provider's models through fallback_model_providers
        for fallback in prov.fallback_model_providers or ():
            for model in by_id[fallback].models if fallback in by_id else ():
                add(prov.id, prov.id, model.id, (1234, 100, 0, 321), FIXED)
    for attr, ref in [
        ("my-vllm", "gpt-4o"),
        ("ibm.watsonx.ai", "granite-3"),
        (None, "no-such-model"),
        ("litellm", "x"),
    ]:
        add(attr, attr, ref, (10, 0, 0, 5), FIXED)
    return out


def write(cases_path: Path, price_path: Path) -> dict[str, int]:
    """Write the cases and the exported price file; returns counts for the report."""
    all_cases = cases()
    cases_path.write_text(json.dumps({"cases": all_cases}, separators=(",", ":")))
    price_path.write_bytes(prices.price_file())
    priced = sum(1 for c in all_cases if c["want"] is not None)
    return {"cases": len(all_cases), "priced": priced, "unpriced": len(all_cases) - priced}


if __name__ == "__main__":
    print(write(Path(sys.argv[1]), Path(sys.argv[2])))
