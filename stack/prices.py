"""Model prices from genai-prices, rendered as the collector's cost rules (OTTL, span context).

Everything here runs at render time, from the data bundled with the installed
genai-prices package (``genai_prices.data``); the collector never fetches prices.
:func:`table` returns transform-processor groups (``CostRules.groups``) that the
``transform/cost`` section of ``collector/config.yaml.j2`` renders verbatim.

What a span gets
    An LLM-call span with ``gen_ai.usage.input_tokens`` or ``gen_ai.usage.output_tokens`` gets
    either ``llmobs.cost.usd`` (double, US dollars) or ``llmobs.cost.unpriced = true``
    (bool) -- never both, and never a cost of 0 for "unknown". Spans without token
    counts are not touched, nor are agent and workflow spans (``invoke_agent``,
    ``invoke_workflow``, ``create_agent``): their usage is the sum of their LLM calls,
    which are priced themselves (pricing both would count the dollars twice, and the sum
    may span several models). The cost is what ``genai_prices.calc_price`` returns for
    ``Usage(input_tokens, cache_read_tokens, cache_write_tokens, output_tokens)``::

        uncached = input - cache_read - cache_write      (input INCLUDES cached tokens)
        cost     = (uncached * input_price + cache_read * cache_read_price
                    + cache_write * cache_write_price + output * output_price) / 1e6
                   + per_request_price

    exactly as genai-prices does it: cache tokens of a model without a cache price are
    not split off (they cost the input price); a tiered price picks its tier from the
    total ``input_tokens`` and the whole count pays the tier price; cache counts above
    the input count, or a negative count, are an error in genai-prices and make the
    span unpriced here. A missing count is 0; counts may be int or double (anything
    else makes the span unpriced).

Which model
    ``gen_ai.response.model`` when present (the model that actually ran, often a
    dated snapshot with its own price), else ``gen_ai.request.model``. Matching is
    genai-prices' own: the name is lower-cased and every model's match clause
    (equals / starts_with / ends_with / contains / regex / or / and) becomes an OTTL
    condition, tried in genai-prices' order; the first match wins (every rule is
    guarded by "nothing matched yet": OTTL has no else). Then the provider's
    ``fallback_model_providers`` (Azure -> OpenAI, Google -> Anthropic, ...), then, as
    genai-prices does, a second pass with a compact date suffix rewritten
    (``-20251211`` -> ``-2025-12-11``).

Which provider
    ``gen_ai.provider.name``, lower-cased and trimmed, resolved the way genai-prices'
    ``find_provider_by_id`` does (exact provider id, then each provider's
    ``provider_match`` clause, in data order), after :data:`SEMCONV_PROVIDERS` for
    the semconv values genai-prices does not resolve itself (``azure.ai.openai`` ->
    azure, ``gcp.gen_ai`` -> google, ``x_ai`` -> x-ai). Without the attribute the
    provider is inferred from the model name with genai-prices' ``model_match``
    clauses (``claude...`` -> anthropic, ``gpt-...`` -> openai), as
    ``calc_price(provider_id=None)`` does. A provider that is present but unknown to
    genai-prices (``ibm.watsonx.ai``, a self-hosted name) is not guessed from the model
    -- the same model elsewhere has another price -- so its spans are unpriced until a
    ``prices`` override names it. ``litellm`` with ``vendor/model`` names is split as
    genai-prices does.

Dates
    Some prices change on a date or by time of day (DeepSeek off-peak). The rules carry
    every dated price and pick, at run time, the one genai-prices picks for the span's
    start time (UTC). Rendering therefore does not depend on the day it runs (the same
    settings and genai-prices version give byte-identical output), and a late or
    replayed span is priced at the price of its own day.

Overrides
    ``settings.prices`` (USD per million tokens) win over genai-prices; the first
    matching override in the list is used. ``provider`` matches the span's
    ``gen_ai.provider.name`` (case-insensitive) or the genai-prices provider id it
    resolves to; ``model`` matches the priced model name (above), ``equals`` or
    ``starts_with``, case-insensitive. Without ``cache_read`` / ``cache_write`` cached
    tokens cost the input price (as genai-prices does for a model without one).

Not covered: price variants selected by request context (batch, ``service_tier``),
non-token units (audio seconds, characters, images, web searches) and the 1-hour
cache-write price (semconv has no attribute for them). A model genai-prices knows
but gives no token or request price is unpriced.

Layout and speed. The transform processor gives every group a fresh ``span.cache``, so
state between groups travels in temporary ``llmobs.cost._*`` span attributes, which the
last group deletes. Groups, in order: resolve provider and model (a few statements for
genai-prices ids and well-known semconv names); the slow path for everything else (only
if unresolved); overrides (only if configured); about 20 bucket groups, each holding the
model rules of a few providers, or of a first-character block of a large provider
(openrouter, azure) -- a span walks only its bucket; the compact-date second pass (only
if nothing matched); the cost. Every span checks every group's condition, so there are
few groups; every statement a span walks costs ~0.1-0.5 us, so equality alternatives are
one ``Index`` over a ``|a|b|c|`` literal and a model's prices are one string literal
parsed at run time (a string also parses much faster than a nested OTTL list at
collector start). Measured on one core: ~60 us per LLM span (~16k/s), ~3 us per span
without token counts; the collector needs ~4 s to parse the rules at start.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from llmobs import names as n
from llmobs.normalize import ottl_str
from llmobs.settings import PriceOverride, Settings

# Semconv gen_ai.provider.name values that genai-prices' own provider matching does not
# resolve (or resolves to a less specific provider) -> genai-prices provider id. Every
# other value goes through genai-prices' matching (aws.bedrock -> aws, gcp.vertex_ai and
# gcp.gemini -> google, mistral_ai -> mistral, moonshot_ai -> moonshotai, ...).
SEMCONV_PROVIDERS: dict[str, str] = {
    "azure.ai.inference": "azure",
    "azure.ai.openai": "azure",  # genai-prices would say "openai"; azure falls back to openai's models
    "gcp.gen_ai": "google",
    "x_ai": "x-ai",
}

# Well-known gen_ai.provider.name values (semconv registry); resolved at render time.
SEMCONV_VALUES = (
    "anthropic",
    "aws.bedrock",
    "azure.ai.inference",
    "azure.ai.openai",
    "cohere",
    "deepseek",
    "gcp.gemini",
    "gcp.gen_ai",
    "gcp.vertex_ai",
    "groq",
    "ibm.watsonx.ai",
    "mistral_ai",
    "moonshot_ai",
    "openai",
    "perplexity",
    "x_ai",
)

# Temporary span attributes that carry state between groups (the last group deletes them).
TMP_PROVIDER = "llmobs.cost._provider"
TMP_KEY = "llmobs.cost._key"
TMP_MODEL = "llmobs.cost._model"
TMP_SPEC = "llmobs.cost._price"

# Rule statements per bucket group: fewer groups make spans without tokens cheaper (every
# span checks every group's condition), smaller buckets make priced spans cheaper (a priced
# span walks its bucket). A provider with more rules is split by the model's first character.
BUCKET_STATEMENTS = 200

_TOKEN_PRICE_KEYS = ("input_mtok", "cache_read_mtok", "cache_write_mtok", "output_mtok")
_REQUEST_PRICE_KEY = "requests_kcount"

# Constraint kinds in a rendered price candidate.
_ALWAYS, _FROM_DATE, _TIME_OF_DAY = 0, 1, 2
_NO_PRICE = "-"

# genai-prices' _COMPACT_DATE_RE ("-20YYMMDD" before "-", ":" or the end, only real dates),
# in RE2 (no lookahead: the following character is captured and put back).
_YEAR = "(20[0-9]{2})"
_COMPACT_DATES = (
    f"-{_YEAR}(0[13578]|1[02])(0[1-9]|[12][0-9]|3[01])(-|:|$)",
    f"-{_YEAR}(0[469]|11)(0[1-9]|[12][0-9]|30)(-|:|$)",
    f"-{_YEAR}(02)(0[1-9]|1[0-9]|2[0-8])(-|:|$)",
    "-(20(?:0[048]|[2468][048]|[13579][26]))(02)(29)(-|:|$)",
)
_COMPACT_HINT = "-20[0-9]{6}"
_STRIP = r"^\s+|\s+$"
_RE2_UNSUPPORTED = re.compile(r"\(\?[=!]|\(\?<[=!]|\(\?P=|\\[1-9]|\\Z|\(\?>|[*+?}]\+")


@dataclass(frozen=True)
class CostRules:
    """Transform-processor groups (span context) plus a summary of what they price."""

    groups: list[dict[str, Any]] = field(default_factory=list)
    entries: int = 0  # (provider, model) pairs from genai-prices, each one rule
    overrides: int = 0
    skipped: tuple[str, ...] = ()  # clauses OTTL cannot express (they never match); empty for the bundled data

    @property
    def statements(self) -> int:
        return sum(len(g["statements"]) for g in self.groups)


# --------------------------------------------------------------------------- OTTL helpers


def _attr(key: str) -> str:
    return f"span.attributes[{ottl_str(key)}]"


def _cache(key: str) -> str:
    return f"span.cache[{ottl_str(key)}]"


def _lit(value: str) -> str:
    """An OTTL string literal that survives the collector's ``${...}`` expansion (``$`` -> ``$$``)."""
    return ottl_str(value).replace("$", "$$")


def _num(value: Decimal | int) -> str:
    """A number as plain decimal text (no exponent), which OTTL's ``Double()`` parses."""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _one_of(values: Sequence[str], var: str) -> str:
    """``var`` is one of ``values``; ``var`` holds ``|value|`` (see :func:`_pipe_wrapped`)."""
    assert all(v and "|" not in v for v in values)
    return f"Index({_lit('|' + '|'.join(values) + '|')}, {var}) >= 0"


def _pipe_wrapped(target: str, source: str) -> list[str]:
    """``target = "|" + source + "|"``, or ``"||"`` (never in a ``|a|b|`` list) if source holds a pipe."""
    return [
        f'set({target}, Concat(["|", {source}, "|"], "")) where {source} != nil and Index({source}, "|") < 0',
        f'set({target}, "||") where {target} == nil',
    ]


class _Untranslatable(ValueError):
    pass


def _group_end(pattern: str, start: int) -> int:
    """Index of the ``)`` closing the group that opens at ``start`` (escapes and classes skipped)."""
    depth, i, in_class = 0, start, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise _Untranslatable(pattern)


def _regex(pattern: str, var: str) -> str:
    """A Python ``re.search`` pattern as an OTTL condition (RE2); a leading ``^(?!...)`` becomes ``not``."""
    if pattern.startswith("^(?!"):
        end = _group_end(pattern, 1)
        negative, rest = pattern[4:end], pattern[end + 1 :]
        parts = [p for p in (negative, rest) if p]
        conds = [f"not IsMatch({var}, {_lit('^(?:' + negative + ')')})"]
        if rest:
            conds.append(f"IsMatch({var}, {_lit('^(?:' + rest + ')')})")
    else:
        parts, conds = [pattern], [f"IsMatch({var}, {_lit(pattern)})"]
    for part in parts:
        if _RE2_UNSUPPORTED.search(part):
            raise _Untranslatable(pattern)
    return conds[0] if len(conds) == 1 else "(" + " and ".join(conds) + ")"


def _clause(clause: Any, var: str, wrapped: str | None = None) -> str:
    """A genai-prices match clause as an OTTL condition on ``var`` (already lower-cased).

    With ``wrapped`` (a variable holding ``|var|``), two or more ``equals`` alternatives of
    an ``or`` become a single ``Index`` over a literal list.
    """
    from genai_prices import types as t

    if isinstance(clause, t.ClauseEquals):
        return f"{var} == {_lit(clause.equals.lower())}"
    if isinstance(clause, t.ClauseStartsWith):
        return f"HasPrefix({var}, {_lit(clause.starts_with.lower())})"
    if isinstance(clause, t.ClauseEndsWith):
        return f"HasSuffix({var}, {_lit(clause.ends_with.lower())})"
    if isinstance(clause, t.ClauseContains):
        return f"Index({var}, {_lit(clause.contains.lower())}) >= 0"
    if isinstance(clause, t.ClauseRegex):
        return _regex(clause.regex, var)
    if isinstance(clause, t.ClauseOr):
        equals = [c.equals.lower() for c in clause.or_ if isinstance(c, t.ClauseEquals)]
        listable = wrapped is not None and len(equals) > 1 and all(e and "|" not in e for e in equals)
        parts = [_one_of(equals, wrapped)] if listable and wrapped else []
        parts += [_clause(c, var, wrapped) for c in clause.or_ if not (listable and isinstance(c, t.ClauseEquals))]
        return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"
    if isinstance(clause, t.ClauseAnd):
        return "(" + " and ".join(_clause(c, var, wrapped) for c in clause.and_) + ")"
    raise _Untranslatable(repr(clause))


def _literals(clause: Any) -> Iterable[str | None]:
    """Literal strings of a clause (None for a regex: anything is possible)."""
    from genai_prices import types as t

    if isinstance(clause, t.ClauseOr | t.ClauseAnd):
        for sub in clause.or_ if isinstance(clause, t.ClauseOr) else clause.and_:
            yield from _literals(sub)
    elif isinstance(clause, t.ClauseRegex):
        yield None
    else:
        yield next(v for v in vars(clause).values() if isinstance(v, str))


def _fits(text: str, template: str) -> bool:
    return len(text) == len(template) and all(
        t == c or (t == "d" and c.isdigit()) for c, t in zip(text, template, strict=True)
    )


def _inserted_dash_possible(lit: str) -> bool:
    """Whether ``lit`` can cover a dash that the compact-date rewrite inserts (``-20YY-MM-DD``)."""
    for i, ch in enumerate(lit):
        if ch != "-":
            continue
        before, after = lit[:i], lit[i + 1 :]
        for left, right in (("-20dd", "dd-dd"), ("-20dd-dd", "dd")):
            ok_before = _fits(before[-len(left) :], left[-len(before) :]) if before else True
            if len(after) <= len(right):
                ok_after = _fits(after, right[: len(after)])
            else:
                ok_after = _fits(after[: len(right)], right) and after[len(right)] in "-:"
            if ok_before and ok_after:
                return True
    return False


def _date_sensitive(clause: Any) -> bool:
    """Whether a clause can match a compact-date-normalised name that it did not match before.

    The rewrite only inserts dashes (``-20251211`` -> ``-2025-12-11``), so a literal that
    matches the rewritten name but not the original one covers an inserted dash.
    """
    return any(lit is None or _inserted_dash_possible(lit) for lit in _literals(clause))


# --------------------------------------------------------------------------- prices


def _rows(prices: Any) -> list[tuple[int, str]]:
    """``(start, row)`` per input-token tier, row = ``in,cache_read,cache_write,out,request,has_cr,has_cw``.

    Token prices are USD per million tokens, ``request`` USD per call; ``has_cr`` /
    ``has_cw`` are 1 when the model has a cache price (else genai-prices does not split
    those tokens off the input). A span uses the last row whose start is below its input
    token count (the first row starts at -1). ``[]``: no token or request price, or a
    price set genai-prices itself refuses -- unpriced.
    """
    from genai_prices import types as t
    from genai_prices.units import _get_registry

    try:
        prices.calc_price(t.Usage())  # genai-prices validates the price set here
    except (ValueError, KeyError):
        return []
    values = {k: getattr(prices, k, None) for k in (*_TOKEN_PRICE_KEYS, _REQUEST_PRICE_KEY)}
    if all(v is None for v in values.values()):
        return []
    registry = _get_registry()
    for key in _TOKEN_PRICE_KEYS:
        assert registry.unit_for_price_key(key).per == 1_000_000, key
    request_per = registry.unit_for_price_key(_REQUEST_PRICE_KEY).per
    starts = sorted({tier.start for v in values.values() if isinstance(v, t.TieredPrices) for tier in v.tiers})

    def at(value: Any, start: int) -> Decimal:
        if value is None:
            return Decimal(0)
        if not isinstance(value, t.TieredPrices):
            return value
        price = value.base
        for tier in value.tiers:  # sorted by start; a tier applies above its start
            if tier.start <= start:
                price = tier.price
        return price

    rows = []
    for start in [-1, *starts]:
        fields = [
            at(values["input_mtok"], start),
            at(values["cache_read_mtok"], start),
            at(values["cache_write_mtok"], start),
            at(values["output_mtok"], start),
            at(values[_REQUEST_PRICE_KEY], start) / request_per,
            0 if values["cache_read_mtok"] is None else 1,
            0 if values["cache_write_mtok"] is None else 1,
        ]
        rows.append((start, ",".join(_num(f) for f in fields)))
    return rows


def _seconds_of_day(value: time) -> int:
    if value.tzinfo is not None:
        value = datetime.combine(date(1970, 1, 1), value).astimezone(UTC).time()
    if value.microsecond:
        raise ValueError(f"time-of-day price boundary {value} is not a whole second")
    return value.hour * 3600 + value.minute * 60 + value.second


def _candidate(constraint: Any, prices: Any) -> tuple[str, list[tuple[int, str]]]:
    """When a price set applies (``kind,a,b``, see :func:`_final_group`) and its rows."""
    from genai_prices import types as t

    if constraint is None:
        kind, a, b = _ALWAYS, 0, 0
    elif isinstance(constraint, t.StartDateConstraint):
        start = datetime.combine(constraint.start_date, time(0), tzinfo=UTC)
        kind, a, b = _FROM_DATE, int(start.timestamp()), 0
    elif isinstance(constraint, t.TimeOfDateConstraint):
        kind, a, b = _TIME_OF_DAY, _seconds_of_day(constraint.start_time), _seconds_of_day(constraint.end_time)
    else:
        raise ValueError(f"unknown genai-prices price constraint {constraint!r}")
    return f"{kind},{a},{b}", _rows(prices)


def _spec(model: Any) -> str:
    """A model's prices as one string, parsed at run time by :func:`_final_group`.

    A model with one price and no tiers -- nearly all -- is just its row; ``-`` means no
    token price. Otherwise: candidates in genai-prices order, ``;``-separated, each
    ``kind,a,b`` followed by ``|start/row`` per tier. A string rather than an OTTL list:
    the collector parses a string literal far faster than a nested list of numbers, and
    it parses thousands of them at every start.
    """
    from genai_prices import types as t

    if isinstance(model.prices, t.ModelPrice):
        cands = [_candidate(None, model.prices)]
    else:
        cands = [_candidate(c.constraint, c.prices) for c in model.prices]
    if len(cands) == 1 and len(cands[0][1]) <= 1:
        rows = cands[0][1]
        return rows[0][1] if rows else _NO_PRICE
    return ";".join(head + "".join(f"|{start}/{row}" for start, row in rows) for head, rows in cands)


def _override_spec(o: PriceOverride) -> str:
    def d(value: float | None) -> Decimal:
        return Decimal(str(value or 0))

    fields = [
        d(o.input),
        d(o.cache_read),
        d(o.cache_write),
        d(o.output),
        0,
        0 if o.cache_read is None else 1,
        0 if o.cache_write is None else 1,
    ]
    return ",".join(_num(f) for f in fields)


# --------------------------------------------------------------------------- provider and model


@dataclass
class _Rule:
    provider: str
    model: str
    clause: Any
    spec: str


def _providers() -> list[Any]:
    from genai_prices.data import providers

    return providers


def _model_rules(provider: Any, by_id: dict[str, Any]) -> list[_Rule]:
    """genai-prices' ``Provider._match_model`` order: own models, then fallback providers' models."""
    rules = [_Rule(provider.id, m.id, m.match, _spec(m)) for m in provider.models]
    for fallback in provider.fallback_model_providers or ():
        if fallback in by_id:
            rules += [_Rule(fallback, m.id, m.match, _spec(m)) for m in by_id[fallback].models]
    return rules


def _known_names(providers: Sequence[Any]) -> dict[str, str]:
    """Provider names resolved at render time: our semconv table, then every well-known semconv
    value that genai-prices' own ``find_provider_by_id`` resolves (``aws.bedrock`` -> ``aws``)."""
    from genai_prices.data_snapshot import find_provider_by_id

    ids = {prov.id for prov in providers}
    assert not ids & set(SEMCONV_PROVIDERS), "a semconv alias shadows a genai-prices provider id"
    known = {k: v for k, v in SEMCONV_PROVIDERS.items() if v in ids}
    for value in SEMCONV_VALUES:
        if value not in known and value not in ids and (found := find_provider_by_id(list(providers), value)):
            known[value] = found.id
    return known


def _resolve_statements(providers: Sequence[Any], *, full: bool, skipped: list[str]) -> list[str]:
    """genai-prices' ``find_provider_by_id`` on ``span.cache["raw"]``, into ``span.cache["p"]``.

    Exact ids first (one string search), then known names; with ``full`` also every
    provider's ``provider_match`` clause in data order (the slow path).
    """
    p, raw, wrapped = _cache("p"), _cache("raw"), _cache("raw|")
    out = [
        *_pipe_wrapped(wrapped, raw),
        f"set({p}, {raw}) where {raw} != nil and {_one_of([prov.id for prov in providers], wrapped)}",
    ]
    by_target: dict[str, list[str]] = {}
    for value, pid in sorted(_known_names(providers).items()):
        by_target.setdefault(pid, []).append(value)
    for pid, values in sorted(by_target.items()):
        names = " or ".join(f"{raw} == {_lit(v)}" for v in values)
        out.append(f"set({p}, {_lit(pid)}) where {p} == nil and ({names})")
    if full:
        for prov in providers:
            if prov.provider_match is not None:
                try:
                    cond = _clause(prov.provider_match, raw)
                except _Untranslatable:
                    skipped.append(f"provider_match of {prov.id}")
                    continue
                out.append(f"set({p}, {_lit(prov.id)}) where {p} == nil and {raw} != nil and {cond}")
    return out


def _read_names() -> list[str]:
    raw, m = _cache("raw"), _cache("m")
    provider, response, request = _attr(n.PROVIDER), _attr(n.RESPONSE_MODEL), _attr(n.REQUEST_MODEL)
    return [
        f"set({raw}, ToLowerCase({provider})) where IsString({provider})",
        f'replace_pattern({raw}, {_lit(_STRIP)}, "") where {raw} != nil and IsMatch({raw}, {_lit(_STRIP)})',
        f'set({m}, ToLowerCase({response})) where IsString({response}) and {response} != ""',
        f'set({m}, ToLowerCase({request})) where {m} == nil and IsString({request}) and {request} != ""',
    ]


@dataclass
class _Unit:
    """Rules that one bucket group walks for one provider: all of them, or one first-character block."""

    provider: str
    rules: list[_Rule]
    keys: list[str]  # span keys (see _hand_over) that land here


def _first_chars(clause: Any) -> set[str] | None:
    """First characters a name matching ``clause`` can start with; None if anything."""
    from genai_prices import types as t

    if isinstance(clause, t.ClauseEquals | t.ClauseStartsWith):
        lit = (clause.equals if isinstance(clause, t.ClauseEquals) else clause.starts_with).lower()
        return {lit[0]} if lit and re.fullmatch(r"[a-z0-9]", lit[0]) else None
    if isinstance(clause, t.ClauseOr):
        subs = [_first_chars(c) for c in clause.or_]
        return None if any(x is None for x in subs) else set().union(*(x for x in subs if x is not None))
    if isinstance(clause, t.ClauseAnd):
        subs = [x for x in (_first_chars(c) for c in clause.and_) if x is not None]
        return set.intersection(*subs) if subs else None
    return None


def _units(provider: str, rules: list[_Rule]) -> list[_Unit]:
    """A provider's rules, split by first character when there are more than BUCKET_STATEMENTS.

    A block holds, in genai-prices order, every rule that can match a name starting with one
    of its characters (rules that can match anything are in every block), so first-match
    order is kept. Names starting with another character can only match those catch-all
    rules: block ``*``.
    """
    if len(rules) <= BUCKET_STATEMENTS:
        return [_Unit(provider, rules, [provider])]
    firsts = [_first_chars(r.clause) for r in rules]
    chars = sorted(set().union(*(f for f in firsts if f is not None)))

    def picked(block: set[str]) -> list[_Rule]:
        return [r for r, f in zip(rules, firsts, strict=True) if f is None or f & block]

    units: list[_Unit] = []
    block: set[str] = set()
    for ch in chars:
        if block and len(picked(block | {ch})) > BUCKET_STATEMENTS:
            units.append(_Unit(provider, picked(block), [f"{provider}:{c}" for c in sorted(block)]))
            block = set()
        block.add(ch)
    if block:
        units.append(_Unit(provider, picked(block), [f"{provider}:{c}" for c in sorted(block)]))
    units.append(_Unit(provider, picked(set()), [f"{provider}:*"]))
    return units


def _buckets(units: Sequence[_Unit]) -> list[list[_Unit]]:
    """Units (data order) packed into buckets of about BUCKET_STATEMENTS rules, one unit per provider."""
    buckets: list[list[_Unit]] = []
    total = BUCKET_STATEMENTS
    for unit in units:
        if total + len(unit.rules) > BUCKET_STATEMENTS or any(u.provider == unit.provider for u in buckets[-1]):
            buckets.append([])
            total = 0
        buckets[-1].append(unit)
        total += len(unit.rules)
    return buckets


def _hand_over(split: dict[str, str]) -> list[str]:
    """Resolved provider and model -> temporary attributes; the key picks the bucket group.

    The key is ``|provider|``, or ``|provider:c|`` for a provider split by first character
    ``c`` (``|provider:*|`` if no block starts with the model's first character).
    """
    p, m, key, first = _cache("p"), _cache("m"), _cache("key"), _cache("first")
    ready = f"{p} != nil and {m} != nil"
    st = [
        f"set({_attr(TMP_MODEL)}, {m}) where {m} != nil",
        f"set({_attr(TMP_PROVIDER)}, {p}) where {ready}",
    ]
    if split:
        names = " or ".join(f"{p} == {_lit(pid)}" for pid in sorted(split))
        st.append(f"set({first}, Substring({m}, 0, 1)) where {ready} and ({names})")
        for pid, chars in sorted(split.items()):
            st.append(
                f'set({key}, Concat(["|", {p}, ":", {first}, "|"], "")) where {first} != nil'
                f" and {p} == {_lit(pid)} and Index({_lit(chars)}, {first}) >= 0"
            )
            st.append(
                f"set({key}, {_lit('|' + pid + ':*|')}) where {key} == nil and {first} != nil and {p} == {_lit(pid)}"
            )
    st.append(f'set({key}, Concat(["|", {p}, "|"], "")) where {key} == nil and {ready}')
    st.append(f"set({_attr(TMP_KEY)}, {key}) where {key} != nil")
    return st


def _resolve_fast(providers: Sequence[Any], split: dict[str, str], skipped: list[str]) -> list[str]:
    """Provider given as a genai-prices id or a well-known semconv name: a handful of statements."""
    return [*_read_names(), *_resolve_statements(providers, full=False, skipped=skipped), *_hand_over(split)]


def _resolve_slow(providers: Sequence[Any], split: dict[str, str], skipped: list[str]) -> list[str]:
    """Everything else: provider_match clauses, litellm, or no provider at all (model_match)."""
    from genai_prices.data_snapshot import find_provider_by_id

    raw, p, m, rest, lit, by_model = (_cache(k) for k in ("raw", "p", "m", "rest", "litellm", "by_model"))
    st = [
        *_read_names(),
        # litellm: a "vendor/model" name names the provider (genai-prices find_provider_model).
        f'set({lit}, true) where {raw} == "litellm"',
        f'set({rest}, {m}) where {lit} == true and {m} != nil and Index({m}, "/") >= 0',
        f'replace_pattern({rest}, "^[^/]*/", "") where {rest} != nil',
        f"set({raw}, {m}) where {rest} != nil",
        f'replace_pattern({raw}, "(?s)/.*", "") where {rest} != nil',
        *_resolve_statements(providers, full=True, skipped=skipped),
        f"set({m}, {rest}) where {rest} != nil and {p} != nil",
    ]
    litellm = find_provider_by_id(list(providers), "litellm")
    if litellm is not None:
        st.append(f"set({p}, {_lit(litellm.id)}) where {lit} == true and {p} == nil")
    # No provider attribute (or litellm without a known vendor): infer it from the model name.
    st.append(f"set({by_model}, true) where {p} == nil and ({_attr(n.PROVIDER)} == nil or {lit} == true)")
    for prov in providers:
        if prov.model_match is not None:
            try:
                cond = _clause(prov.model_match, m)
            except _Untranslatable:
                skipped.append(f"model_match of {prov.id}")
                continue
            st.append(f"set({p}, {_lit(prov.id)}) where {by_model} == true and {p} == nil and {m} != nil and {cond}")
    return [*st, *_hand_over(split)]


def _override_statements(overrides: Sequence[PriceOverride]) -> list[str]:
    """``settings.prices``: the first match wins and takes the span away from genai-prices."""
    raw, m, ov = _cache("raw"), _cache("m"), _cache("override")
    p = _attr(TMP_PROVIDER)
    st = [
        f"set({raw}, ToLowerCase({_attr(n.PROVIDER)})) where IsString({_attr(n.PROVIDER)})",
        f'replace_pattern({raw}, {_lit(_STRIP)}, "") where {raw} != nil and IsMatch({raw}, {_lit(_STRIP)})',
        f"set({m}, {_attr(TMP_MODEL)}) where {_attr(TMP_MODEL)} != nil",
    ]
    for o in overrides:
        model = o.model.lower()
        model_cond = f"{m} == {_lit(model)}" if o.match == "equals" else f"HasPrefix({m}, {_lit(model)})"
        who = _lit(o.provider.lower().strip())
        st.append(
            f"set({ov}, {_lit(_override_spec(o))}) where {ov} == nil and {m} != nil"
            f" and ({raw} == {who} or {p} == {who}) and {model_cond}"
        )
    st += [
        f"set({_attr(TMP_SPEC)}, {ov}) where {ov} != nil",
        f"delete_key(span.attributes, {_lit(TMP_KEY)}) where {ov} != nil",
    ]
    return st


def _rule_statements(rules: Sequence[_Rule], var: str, wrapped: str, guard: str, skipped: list[str]) -> list[str]:
    """First match wins: each rule only fires while ``span.cache["s"]`` is still unset."""
    s = _cache("s")
    out = []
    for rule in rules:
        try:
            cond = _clause(rule.clause, var, wrapped)
        except _Untranslatable:
            skipped.append(f"model {rule.provider}/{rule.model}")
            continue
        out.append(f"set({s}, {_lit(rule.spec)}) where {guard}{s} == nil and {cond}")
    return out


# --------------------------------------------------------------------------- cost


def _final_group(max_candidates: int, max_rows: int) -> list[str]:
    """Pick the price for the span's time and input count, then set the cost or flag the span.

    Candidate kinds: 0 always, 1 from the UTC day starting at unix second ``a``, 2 daily
    from second ``a`` to ``b`` of the UTC day (may wrap midnight). Like genai-prices, the
    last active candidate wins, else the first.
    """
    s, cands, c, h, rows, r, t, d = (_cache(k) for k in ("s", "cands", "c", "h", "rows", "r", "t", "d"))
    tokens = {"in": n.INPUT_TOKENS, "cr": n.CACHE_READ_TOKENS, "cw": n.CACHE_WRITE_TOKENS, "out": n.OUTPUT_TOKENS}
    cin, ccr, ccw, cout = (_cache(k) for k in tokens)
    spec = _attr(TMP_SPEC)
    st = [
        f"set({s}, {spec}) where {spec} != nil",
        # Our cost, unpriced flag and temporary attributes: recomputed from scratch for every span.
        f"delete_matching_keys(span.attributes, {_lit('^' + re.escape('llmobs.cost.'))})",
    ]
    for key, attr in tokens.items():
        # int or double; absent is 0; anything else (a string, a bool) stays nil: unpriced.
        st.append(f"set({_cache(key)}, Double({_attr(attr)})) where IsInt({_attr(attr)}) or IsDouble({_attr(attr)})")
        st.append(f"set({_cache(key)}, 0.0) where {_attr(attr)} == nil")
    st.append(f'set({cands}, Split({s}, ";")) where {s} != nil and (Index({s}, "|") >= 0 or Index({s}, ";") >= 0)')
    st.append(f"set({c}, {cands}[0]) where {cands} != nil")
    if max_candidates > 1:
        st.append(f"set({t}, span.start_time_unix_nano / 1000000000) where {cands} != nil and Len({cands}) > 1")
        st.append(f"set({d}, {t} - ({t} / 86400) * 86400) where {t} != nil")
    kind, a, b = (f"Int({h}[{i}])" for i in range(3))
    active = (
        f"{kind} == {_ALWAYS}"
        f" or ({kind} == {_FROM_DATE} and {t} >= {a})"
        f" or ({kind} == {_TIME_OF_DAY} and {a} <= {b} and {d} >= {a} and {d} < {b})"
        f" or ({kind} == {_TIME_OF_DAY} and {a} > {b} and ({d} >= {a} or {d} < {b}))"
    )
    for i in range(1, max_candidates):
        st.append(f'set({h}, Split(Split({cands}[{i}], "|")[0], ",")) where {t} != nil and Len({cands}) > {i}')
        st.append(f"set({c}, {cands}[{i}]) where {t} != nil and Len({cands}) > {i} and ({active})")
    st.append(f'set({rows}, Split({c}, "|")) where {c} != nil')
    st.append(f'set({s}, "{_NO_PRICE}") where {rows} != nil')
    st.append(f'set({s}, Split({rows}[1], "/")[1]) where {rows} != nil and Len({rows}) > 1')
    for i in range(2, max_rows + 1):
        st.append(
            f'set({s}, Split({rows}[{i}], "/")[1]) where {rows} != nil and Len({rows}) > {i}'
            f' and {cin} != nil and {cin} > Double(Split({rows}[{i}], "/")[0])'
        )
    st.append(f'set({r}, Split({s}, ",")) where {s} != nil')
    p_in, p_cr, p_cw, p_out, p_req, k_cr, k_cw = (f"Double({r}[{i}])" for i in range(7))
    uncached = f"{cin} - {k_cr} * {ccr} - {k_cw} * {ccw}"
    valid = " and ".join(
        [f"{r} != nil and Len({r}) == 7", *(f"{_cache(k)} != nil and {_cache(k)} >= 0" for k in tokens)]
    )
    st.append(
        f"set({_attr(n.COST_ATTR)}, (({uncached}) * {p_in} + {k_cr} * {ccr} * {p_cr} + {k_cw} * {ccw} * {p_cw}"
        f" + {cout} * {p_out}) / 1000000.0 + {p_req}) where {valid} and {uncached} >= 0"
    )
    st.append(f"set({_attr(n.UNPRICED_ATTR)}, true) where {_attr(n.COST_ATTR)} == nil")
    return st


def _max_depths(specs: Iterable[str]) -> tuple[int, int]:
    """Most candidates per model and most rows per candidate, from the rendered specs."""
    cands, rows = 1, 1
    for spec in specs:
        parts = spec.split(";")
        cands = max(cands, len(parts))
        rows = max(rows, *(part.count("|") for part in parts))
    return cands, rows


def table(settings: Settings) -> CostRules:
    """The cost rules for ``settings``: genai-prices' bundled data plus ``settings.prices``."""
    providers = _providers()
    by_id = {p.id: p for p in providers}
    skipped: list[str] = []
    rules = {prov.id: _model_rules(prov, by_id) for prov in providers}
    units = [unit for pid, provider_rules in rules.items() for unit in _units(pid, provider_rules)]
    buckets = _buckets(units)
    split: dict[str, str] = {}
    for unit in units:
        for key in unit.keys:
            pid, _, ch = key.partition(":")
            if ch and ch != "*":
                split[pid] = split.get(pid, "") + ch

    # LLM calls only: agent/workflow spans carry the sum of their calls' usage (counted already).
    aggregate = " or ".join(f"{_attr(n.OPERATION)} == {_lit(op)}" for op in n.AGGREGATE_OPERATIONS)
    has_tokens = f"({_attr(n.INPUT_TOKENS)} != nil or {_attr(n.OUTPUT_TOKENS)} != nil) and not ({aggregate})"
    groups: list[dict[str, Any]] = [
        {"conditions": [has_tokens], "statements": _resolve_fast(providers, split, skipped)},
        {
            "conditions": [f"{has_tokens} and {_attr(TMP_PROVIDER)} == nil"],
            "statements": _resolve_slow(providers, split, skipped),
        },
    ]
    if settings.prices:
        groups.append({"conditions": [has_tokens], "statements": _override_statements(settings.prices)})

    m, p = _cache("m"), _cache("p")
    prologue = [
        f"set({m}, {_attr(TMP_MODEL)})",
        f"set({p}, {_attr(TMP_PROVIDER)})",
        *_pipe_wrapped(_cache("m|"), m),
    ]
    write_back = f"set({_attr(TMP_SPEC)}, {_cache('s')}) where {_cache('s')} != nil"
    key = _attr(TMP_KEY)
    for bucket in buckets:
        body = []
        for unit in bucket:
            body += _rule_statements(unit.rules, m, _cache("m|"), f"{p} == {_lit(unit.provider)} and ", skipped)
        keys = "|" + "|".join(k for unit in bucket for k in unit.keys) + "|"
        groups.append(
            {
                "conditions": [f"{key} != nil and Index({_lit(keys)}, {key}) >= 0"],
                "statements": [*prologue, *body, write_back],
            }
        )

    # genai-prices' second try: a compact date suffix rewritten (-20251211 -> -2025-12-11).
    late: list[str] = []
    for pid, provider_rules in rules.items():
        dated = [r for r in provider_rules if _date_sensitive(r.clause)]
        late += _rule_statements(dated, _cache("n"), _cache("n|"), f"{p} == {_lit(pid)} and ", [])
    if late:
        rewrite = [
            f"replace_pattern({_cache('n')}, {_lit(pattern)}, {_lit('-$1-$2-$3$4')})"
            for pattern in _COMPACT_DATES
            for _ in range(2)  # twice: adjacent dates share their dash (genai-prices uses a lookahead)
        ]
        groups.append(
            {
                "conditions": [
                    f"{_attr(TMP_SPEC)} == nil and {_attr(TMP_PROVIDER)} != nil"
                    f" and IsMatch({_attr(TMP_MODEL)}, {_lit(_COMPACT_HINT)})"
                ],
                "statements": [
                    f"set({p}, {_attr(TMP_PROVIDER)})",
                    f"set({_cache('n')}, {_attr(TMP_MODEL)})",
                    *rewrite,
                    *_pipe_wrapped(_cache("n|"), _cache("n")),
                    *late,
                    write_back,
                ],
            }
        )

    cands, rows = _max_depths(r.spec for provider_rules in rules.values() for r in provider_rules)
    groups.append({"conditions": [has_tokens], "statements": _final_group(cands, rows)})
    entries = sum(len(prov.models) for prov in providers)
    return CostRules(
        groups=groups, entries=entries, overrides=len(settings.prices), skipped=tuple(sorted(set(skipped)))
    )
