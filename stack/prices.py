"""Model prices from genai-prices, exported as the data file the collector's ``llmobs`` processor loads.

Everything here runs at render time, from the data bundled with the installed
genai-prices package (``genai_prices.data``); the collector never fetches prices.
:func:`price_file` returns the price table as JSON (the renderer writes it next to the
collector config); the Go package ``collector/processor/llmobsprocessor/internal/cost``
loads it once at start and prices spans with the semantics below.
:func:`check_price_file` refuses a malformed file (a user's own) before the collector sees it.

What a span gets
    An LLM-call span with ``gen_ai.usage.input_tokens`` or ``gen_ai.usage.output_tokens`` gets
    either ``llmobs.cost.usd`` (double, US dollars) or ``llmobs.cost.unpriced = true``
    (bool) -- never both, and never a cost of 0 for "unknown". Spans without token
    counts are not priced, nor are agent and workflow spans (``invoke_agent``,
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
    (equals / starts_with / ends_with / contains / regex / or / and) is tried in
    genai-prices' order; the first match wins. Then the provider's
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
    Some prices change on a date or by time of day (DeepSeek off-peak). The file carries
    every dated price; the processor picks, per span, the one genai-prices picks for the
    span's start time (UTC): the last active one, else the first. Export therefore does not
    depend on the day it runs (the same genai-prices version gives a byte-identical file),
    and a late or replayed span is priced at the price of its own day.

Overrides
    ``settings.prices`` (USD per million tokens) win over genai-prices; the first
    matching override in the list is used. ``provider`` matches the span's
    ``gen_ai.provider.name`` (case-insensitive) or the genai-prices provider id it
    resolves to; ``model`` matches the priced model name (above), ``equals`` or
    ``starts_with``, case-insensitive. Without ``cache_read`` / ``cache_write`` cached
    tokens cost the input price (as genai-prices does for a model without one).
    Overrides are processor config (rendered from llmobs.yaml), not part of this file.

Not covered: price variants selected by request context (batch, ``service_tier``),
non-token units (audio seconds, characters, images, web searches) and the 1-hour
cache-write price (semconv has no attribute for them). A model genai-prices knows
but gives no token or request price is unpriced.

The file (``FORMAT``; JSON, keys sorted, one provider per line, numbers as exact decimal text)::

    {"format": 1,
     "genai_prices_version": "0.2.3",
     "provider_names": {"aws.bedrock": "aws", "azure.ai.openai": "azure", ...},
     "providers": [
      {"id": "anthropic", "provider_match": CLAUSE|null, "model_match": CLAUSE|null,
       "fallback_model_providers": ["openai", ...],
       "models": [{"id": "claude-3-5-haiku", "match": CLAUSE, "prices": PRICES}, ...]},
      ...]}

    CLAUSE  = {"equals": s} | {"starts_with": s} | {"ends_with": s} | {"contains": s}
            | {"regex": RE2, "not_regex": RE2} (either may be absent; a name matches when
              regex finds a match and not_regex does not) | {"or": [CLAUSE...]} | {"and": [CLAUSE...]}
    PRICES  = SET | [{"constraint": null | {"start_date": "YYYY-MM-DD"}
                                        | {"time_of_day": {"start": "HH:MM:SS", "end": "HH:MM:SS"}},
                      "prices": SET}, ...]          (UTC; the last active entry wins, else the first)
    SET     = {"input_mtok": P, "cache_read_mtok": P, "cache_write_mtok": P, "output_mtok": P,
               "request_usd": P}                    (every key optional; {} = no price: unpriced)
    P       = number | {"base": number, "tiers": [{"start": tokens, "price": number}, ...]}

``*_mtok`` are USD per million tokens, ``request_usd`` USD per call (genai-prices'
``requests_kcount`` / 1000). A tier applies when the input token count is above its start.
``provider_names`` maps ``gen_ai.provider.name`` values to provider ids; it is consulted
after the exact ids and before the ``provider_match`` clauses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from llmobs.errors import LlmobsError

FORMAT = 1

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

# Well-known gen_ai.provider.name values (semconv registry); resolved at export time.
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

# genai-prices price keys the file carries (the token counts semconv has, plus the request price).
TOKEN_PRICE_KEYS = ("input_mtok", "cache_read_mtok", "cache_write_mtok", "output_mtok")
REQUEST_PRICE_KEY = "request_usd"
_GENAI_REQUEST_KEY = "requests_kcount"

# JSON numbers are written from Decimal as exact text: json.dumps cannot, so they travel as
# marked strings and the marks are removed afterwards.
_NUM_MARK = "\x00num:"
_NUM_MARKED = re.compile(r'"\\u0000num:(-?[0-9]+(?:\.[0-9]+)?)"')


class Untranslatable(ValueError):
    """A genai-prices regex clause that RE2 cannot express with Python's meaning."""


# --------------------------------------------------------------------------- regex: Python -> RE2


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
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise Untranslatable(f"unbalanced group in {pattern!r}")


# Escapes whose Python (str pattern, Unicode) meaning RE2 spells differently, or cannot spell.
_ESCAPES = {"d": r"\p{Nd}", "D": r"\P{Nd}", "Z": r"\z"}
_REFUSED_ESCAPES = set("wWsSbB0123456789")
_QUANTIFIERS = set("*+?}")


def _translate(pattern: str, whole: str) -> str:
    """One Python ``re.search`` pattern as RE2 with the same matches.

    ``\\d`` is any Unicode decimal digit in Python (``\\p{Nd}``), ``\\Z`` is RE2's ``\\z``,
    and ``$`` also matches before a final newline in Python (``(?:\\n?\\z)``; only whether
    a match exists matters). Lookarounds, backreferences, atomic groups, possessive
    quantifiers, inline flags and the Unicode-dependent ``\\w \\s \\b`` classes are refused.
    """
    out: list[str] = []
    i, in_class, after_quantifier = 0, False, False
    while i < len(pattern):
        ch = pattern[i]
        quantifier = False
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if not nxt or nxt in _REFUSED_ESCAPES:
                raise Untranslatable(f"\\{nxt} in {whole!r}")
            out.append(_ESCAPES.get(nxt, "\\" + nxt) if not (in_class and nxt == "Z") else "\\" + nxt)
            i += 2
            after_quantifier = False
            continue
        if in_class:
            if ch == "[" and pattern[i + 1 : i + 2] == ":":
                raise Untranslatable(f"POSIX class in {whole!r}")
            in_class = ch != "]"
            out.append(ch)
        elif ch == "[":
            in_class = True
            out.append(ch)
            for lead in ("^", "]"):  # a leading ] is a literal in both dialects
                if pattern[i + 1 : i + 2] == lead:
                    out.append(lead)
                    i += 1
        elif ch == "(" and pattern[i + 1 : i + 2] == "?":
            if pattern[i + 2 : i + 3] == ":":
                out.append("(?:")
                i += 3
            elif pattern[i + 2 : i + 4] == "P<":
                out.append("(?P<")
                i += 4
            else:
                raise Untranslatable(f"{pattern[i : i + 4]!r} in {whole!r}")
            after_quantifier = False
            continue
        elif ch == "$":
            out.append(r"(?:\n?\z)")
        elif ch == "+" and after_quantifier:
            raise Untranslatable(f"possessive quantifier in {whole!r}")
        else:
            quantifier = ch in _QUANTIFIERS
            out.append(ch)
        after_quantifier = quantifier
        i += 1
    if in_class:
        raise Untranslatable(f"unterminated class in {whole!r}")
    return "".join(out)


def re2_clause(pattern: str) -> dict[str, str]:
    """A genai-prices regex clause as ``{"regex": ..., "not_regex": ...}`` (RE2, search semantics).

    A leading negative lookahead ``^(?!X)rest`` -- RE2 has none -- becomes
    ``not_regex: ^(?:X)`` plus ``regex: ^(?:rest)``.
    """
    if pattern.startswith("^(?!"):
        end = _group_end(pattern, 1)
        negative, rest = pattern[4:end], pattern[end + 1 :]
        out = {"not_regex": "^(?:" + _translate(negative, pattern) + ")"}
        if rest:
            out["regex"] = "^(?:" + _translate(rest, pattern) + ")"
        return out
    return {"regex": _translate(pattern, pattern)}


# --------------------------------------------------------------------------- export


def _num(value: Decimal | int) -> str:
    """A number as plain decimal text (no exponent, no trailing zeros)."""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _number(value: Decimal | int) -> str:
    return _NUM_MARK + _num(value)


def _clause(clause: Any, where: str) -> dict[str, Any]:
    from genai_prices import types as t

    if isinstance(clause, t.ClauseEquals):
        return {"equals": clause.equals}
    if isinstance(clause, t.ClauseStartsWith):
        return {"starts_with": clause.starts_with}
    if isinstance(clause, t.ClauseEndsWith):
        return {"ends_with": clause.ends_with}
    if isinstance(clause, t.ClauseContains):
        return {"contains": clause.contains}
    if isinstance(clause, t.ClauseRegex):
        try:
            return re2_clause(clause.regex)
        except Untranslatable as e:
            raise Untranslatable(f"{where}: {e}") from None
    if isinstance(clause, t.ClauseOr):
        return {"or": [_clause(c, where) for c in clause.or_]}
    if isinstance(clause, t.ClauseAnd):
        return {"and": [_clause(c, where) for c in clause.and_]}
    raise Untranslatable(f"{where}: unknown genai-prices clause {clause!r}")


def _price(value: Any, scale: Decimal) -> Any:
    from genai_prices import types as t

    if isinstance(value, t.TieredPrices):
        return {
            "base": _number(value.base / scale),
            "tiers": [{"start": tier.start, "price": _number(tier.price / scale)} for tier in value.tiers],
        }
    return _number(value / scale)


def _price_set(prices: Any, where: str) -> dict[str, Any]:
    """The token and request prices of one genai-prices price set; ``{}`` if it has none (unpriced)."""
    from genai_prices import types as t
    from genai_prices.units import _get_registry

    try:
        prices.calc_price(t.Usage())  # genai-prices refuses an inconsistent price set here
    except (ValueError, KeyError):
        return {}
    registry = _get_registry()
    out: dict[str, Any] = {}
    for key in TOKEN_PRICE_KEYS:
        if registry.unit_for_price_key(key).per != 1_000_000:
            raise ValueError(f"{where}: genai-prices changed the unit of {key}")
        if (value := getattr(prices, key, None)) is not None:
            out[key] = _price(value, Decimal(1))
    if (value := getattr(prices, _GENAI_REQUEST_KEY, None)) is not None:
        out[REQUEST_PRICE_KEY] = _price(value, Decimal(registry.unit_for_price_key(_GENAI_REQUEST_KEY).per))
    return out


def _time_of_day(value: time, where: str) -> str:
    if value.tzinfo is not None:
        value = datetime.combine(date(1970, 1, 1), value).astimezone(UTC).time()
    if value.microsecond:
        raise ValueError(f"{where}: time-of-day price boundary {value} is not a whole second")
    return value.strftime("%H:%M:%S")


def _constraint(constraint: Any, where: str) -> dict[str, Any] | None:
    from genai_prices import types as t

    if constraint is None:
        return None
    if isinstance(constraint, t.StartDateConstraint):
        return {"start_date": constraint.start_date.isoformat()}
    if isinstance(constraint, t.TimeOfDateConstraint):
        return {
            "time_of_day": {
                "start": _time_of_day(constraint.start_time, where),
                "end": _time_of_day(constraint.end_time, where),
            }
        }
    raise ValueError(f"{where}: unknown genai-prices price constraint {constraint!r}")


def _prices(model: Any, where: str) -> Any:
    from genai_prices import types as t

    if isinstance(model.prices, t.ModelPrice):
        return _price_set(model.prices, where)
    return [
        {"constraint": _constraint(c.constraint, where), "prices": _price_set(c.prices, where)} for c in model.prices
    ]


def _providers() -> list[Any]:
    from genai_prices.data import providers

    return providers


def provider_names(providers: Sequence[Any]) -> dict[str, str]:
    """``gen_ai.provider.name`` values -> provider ids: our semconv table, then every well-known
    semconv value that genai-prices' own ``find_provider_by_id`` resolves (``aws.bedrock`` -> ``aws``)."""
    from genai_prices.data_snapshot import find_provider_by_id

    ids = {prov.id for prov in providers}
    assert not ids & set(SEMCONV_PROVIDERS), "a semconv alias shadows a genai-prices provider id"
    known = {k: v for k, v in SEMCONV_PROVIDERS.items() if v in ids}
    for value in SEMCONV_VALUES:
        if value not in known and value not in ids and (found := find_provider_by_id(list(providers), value)):
            known[value] = found.id
    return dict(sorted(known.items()))


def _provider(prov: Any) -> dict[str, Any]:
    return {
        "id": prov.id,
        "provider_match": _clause(prov.provider_match, f"{prov.id}.provider_match") if prov.provider_match else None,
        "model_match": _clause(prov.model_match, f"{prov.id}.model_match") if prov.model_match else None,
        "fallback_model_providers": list(prov.fallback_model_providers or ()),
        "models": [
            {
                "id": m.id,
                "match": _clause(m.match, f"{prov.id}/{m.id}"),
                "prices": _prices(m, f"{prov.id}/{m.id}"),
            }
            for m in prov.models
        ],
    }


def _dumps(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return _NUM_MARKED.sub(r"\1", text)


def price_file() -> bytes:
    """The price table of the installed genai-prices as the processor's JSON file (see the module doc).

    Deterministic: the same genai-prices version gives byte-identical output. Raises
    :class:`Untranslatable` if genai-prices ever ships a match rule RE2 cannot express
    (rather than silently never matching it).
    """
    from genai_prices import __version__

    providers = _providers()
    head = {
        "format": FORMAT,
        "genai_prices_version": __version__,
        "provider_names": provider_names(providers),
    }
    lines = [_dumps(_provider(p)) for p in providers]
    body = _dumps(head)[:-1] + ',"providers":[\n' + ",\n".join(lines) + "\n]}\n"
    return body.encode()


# --------------------------------------------------------------------------- checking a file


class _Bad(Exception):
    def __init__(self, key: str, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.key, self.problem, self.fix = key, problem, fix


def _obj(value: Any, key: str, required: Sequence[str], optional: Sequence[str] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(key, f"expected an object, got {type(value).__name__}", "see the format in stack/prices.py")
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        raise _Bad(f"{key}.{unknown[0]}" if key else unknown[0], "unknown key", "remove it or fix its spelling")
    for name in required:
        if name not in value:
            raise _Bad(f"{key}.{name}" if key else name, "missing", "add it")
    return value


def _list(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad(key, f"expected a list, got {type(value).__name__}", "write a JSON list")
    return value


def _str(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise _Bad(key, "expected a non-empty string", "write a non-empty JSON string")
    return value


def _check_number(value: Any, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _Bad(key, f"expected a number, got {json.dumps(value)[:40]}", "write a non-negative JSON number")
    if not Decimal(value).is_finite() or value < 0:
        raise _Bad(key, f"{value} is not a non-negative finite price", "write a non-negative JSON number")


def _check_clause(value: Any, key: str) -> None:
    kinds = ("equals", "starts_with", "ends_with", "contains", "regex", "not_regex", "or", "and")
    _obj(value, key, (), kinds)
    present = [k for k in kinds if k in value]
    regexes = {"regex", "not_regex"}
    if not present or (len(present) > 1 and not set(present) <= regexes):
        raise _Bad(key, f"a match clause needs exactly one of {', '.join(kinds[:5])}, or, and", "split the clause")
    for k in present:
        if k in ("or", "and"):
            items = _list(value[k], f"{key}.{k}")
            if not items:
                raise _Bad(f"{key}.{k}", "empty list", "list at least one clause")
            for i, sub in enumerate(items):
                _check_clause(sub, f"{key}.{k}[{i}]")
        elif k in regexes:
            pattern = _str(value[k], f"{key}.{k}")
            if "(?=" in pattern or "(?!" in pattern or "(?<" in pattern:
                raise _Bad(f"{key}.{k}", "lookarounds are not RE2", "use not_regex for a negative condition")
        elif not isinstance(value[k], str):
            raise _Bad(f"{key}.{k}", "expected a string", "write a JSON string")


def _check_price(value: Any, key: str) -> None:
    if not isinstance(value, dict):
        _check_number(value, key)
        return
    _obj(value, key, ("base", "tiers"))
    _check_number(value["base"], f"{key}.base")
    previous = -1
    for i, tier in enumerate(_list(value["tiers"], f"{key}.tiers")):
        tkey = f"{key}.tiers[{i}]"
        _obj(tier, tkey, ("start", "price"))
        start = tier["start"]
        if isinstance(start, bool) or not isinstance(start, int) or start < previous:
            raise _Bad(f"{tkey}.start", "expected a token count >= the previous tier's", "sort tiers by start")
        previous = start
        _check_number(tier["price"], f"{tkey}.price")


def _check_set(value: Any, key: str) -> None:
    _obj(value, key, (), (*TOKEN_PRICE_KEYS, REQUEST_PRICE_KEY))
    for name, price in value.items():
        _check_price(price, f"{key}.{name}")


def _check_time(value: Any, key: str) -> None:
    try:
        time.fromisoformat(_str(value, key))
        ok = re.fullmatch(r"[0-2][0-9]:[0-5][0-9]:[0-5][0-9]", value) is not None
    except ValueError:
        ok = False
    if not ok:
        raise _Bad(key, f"{value!r} is not a time of day", "write HH:MM:SS (UTC)")


def _check_prices(value: Any, key: str) -> None:
    if isinstance(value, dict):
        _check_set(value, key)
        return
    if not _list(value, key):
        raise _Bad(key, "empty list of prices", "give a price set, or remove the model")
    for i, cond in enumerate(value):
        ckey = f"{key}[{i}]"
        _obj(cond, ckey, ("prices",), ("constraint",))
        _check_set(cond["prices"], f"{ckey}.prices")
        constraint = cond.get("constraint")
        if constraint is None:
            continue
        _obj(constraint, f"{ckey}.constraint", (), ("start_date", "time_of_day"))
        if len(constraint) != 1:
            raise _Bad(f"{ckey}.constraint", "needs exactly one of start_date, time_of_day", "keep one")
        if "start_date" in constraint:
            try:
                date.fromisoformat(_str(constraint["start_date"], f"{ckey}.constraint.start_date"))
            except ValueError:
                raise _Bad(f"{ckey}.constraint.start_date", "not a date", "write YYYY-MM-DD") from None
        else:
            tod = _obj(constraint["time_of_day"], f"{ckey}.constraint.time_of_day", ("start", "end"))
            for edge in ("start", "end"):
                _check_time(tod[edge], f"{ckey}.constraint.time_of_day.{edge}")


def _check(doc: Any) -> None:
    _obj(doc, "", ("format", "providers"), ("genai_prices_version", "provider_names"))
    if doc["format"] != FORMAT:
        raise _Bad("format", f"format {doc['format']!r} is not {FORMAT}", "export the file with this llmobs version")
    ids: set[str] = set()
    providers = _list(doc["providers"], "providers")
    for i, prov in enumerate(providers):
        pkey = f"providers[{i}]"
        _obj(prov, pkey, ("id", "models"), ("provider_match", "model_match", "fallback_model_providers"))
        pid = _str(prov["id"], f"{pkey}.id")
        if pid in ids:
            raise _Bad(f"{pkey}.id", f"provider {pid!r} is listed twice", "merge the two entries")
        ids.add(pid)
        for clause in ("provider_match", "model_match"):
            if prov.get(clause) is not None:
                _check_clause(prov[clause], f"{pkey}.{clause}")
        for j, fallback in enumerate(
            _list(prov.get("fallback_model_providers", []), f"{pkey}.fallback_model_providers")
        ):
            _str(fallback, f"{pkey}.fallback_model_providers[{j}]")
        for j, model in enumerate(_list(prov["models"], f"{pkey}.models")):
            mkey = f"{pkey}.models[{j}]"
            _obj(model, mkey, ("id", "match", "prices"))
            _str(model["id"], f"{mkey}.id")
            _check_clause(model["match"], f"{mkey}.match")
            _check_prices(model["prices"], f"{mkey}.prices")
    names = doc.get("provider_names", {})
    if not isinstance(names, dict):
        raise _Bad("provider_names", "expected an object", "map gen_ai.provider.name values to provider ids")
    for name, pid in names.items():
        if _str(pid, f"provider_names.{name}") not in ids:
            raise _Bad(f"provider_names.{name}", f"unknown provider id {pid!r}", "name a provider of this file")


def check_price_file(data: bytes, where: str) -> None:
    """Refuse a price file the processor could not load: one line naming ``where``, the key and a fix.

    The collector checks the same again at start (and compiles the RE2 regexes, which
    Python cannot); this lets ``llmobs render`` refuse a user's file before anything runs.
    """
    try:
        doc = json.loads(data, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as e:
        raise LlmobsError(f"not valid JSON ({e})", where=where, fix="export it again with `llmobs render`") from None
    try:
        _check(doc)
    except _Bad as e:
        raise LlmobsError(e.problem, where=where, key=e.key, fix=e.fix) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
