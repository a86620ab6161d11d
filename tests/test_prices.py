"""The price file exported from genai-prices, and the Go cost package that prices spans with it.

Expected prices come from ``genai_prices.calc_price`` (and the file's values from genai-prices'
own data), never from llmobs code. ``test_go_prices_like_calc_price`` runs the Go parity test
(internal/cost/parity_test.go) on cases tests/support/price_cases.py generates from the
installed genai-prices, so the fixture can never be stale; it skips without Go (fails when
CI=true). The real collector runs the processor in tests/test_collector_cost.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from genai_prices import types as t
from genai_prices.data import providers as genai_providers
from genai_prices.data_snapshot import find_provider_by_id

from llmobs import names, prices
from llmobs.errors import LlmobsError
from tests.support import price_cases

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "collector" / "processor" / "llmobsprocessor"
COST_PKG = MODULE / "internal" / "cost"


@pytest.fixture(scope="module")
def exported() -> bytes:
    return prices.price_file()


def test_export_is_deterministic_and_covers_every_genai_prices_model(exported: bytes) -> None:
    assert exported == prices.price_file()
    doc = json.loads(exported)
    assert doc["format"] == prices.FORMAT
    from genai_prices import __version__

    assert doc["genai_prices_version"] == __version__
    assert [p["id"] for p in doc["providers"]] == [p.id for p in genai_providers]
    for ours, theirs in zip(doc["providers"], genai_providers, strict=True):
        assert [m["id"] for m in ours["models"]] == [m.id for m in theirs.models], theirs.id
        assert ours["fallback_model_providers"] == list(theirs.fallback_model_providers or ())
    lines = exported.decode().splitlines()
    assert len(lines) == len(genai_providers) + 2, "one provider per line"
    # Numbers are plain decimal text: no exponent, no float noise.
    numbers = re.findall(r"(?<=[:\[,])-?[0-9][0-9.eE+-]*(?=[,}\]])", exported.decode())
    assert numbers and all(re.fullmatch(r"[0-9]+(\.[0-9]*[1-9])?", n) for n in numbers), numbers[:5]
    prices.check_price_file(exported, "prices.json")
    models = sum(len(p.models) for p in genai_providers)
    print(f"\n{len(genai_providers)} providers, {models} models, {len(exported)} bytes")


def _genai_set(model_price: Any) -> dict[str, Any]:
    """What the file should say for one genai-prices price set (from genai-prices' own values)."""
    out: dict[str, Any] = {}
    for key in (*prices.TOKEN_PRICE_KEYS, "requests_kcount"):
        value = getattr(model_price, key, None)
        scale = Decimal(1000) if key == "requests_kcount" else Decimal(1)
        name = prices.REQUEST_PRICE_KEY if key == "requests_kcount" else key
        if isinstance(value, t.TieredPrices):
            out[name] = {
                "base": value.base / scale,
                "tiers": [{"start": tier.start, "price": tier.price / scale} for tier in value.tiers],
            }
        elif value is not None:
            out[name] = value / scale
    return out


def test_every_price_is_genai_prices_value_exactly(exported: bytes) -> None:
    doc = json.loads(exported, parse_float=Decimal)
    checked = 0
    for ours, theirs in zip(doc["providers"], genai_providers, strict=True):
        for om, gm in zip(ours["models"], theirs.models, strict=True):
            if isinstance(gm.prices, t.ModelPrice):
                assert om["prices"] == _genai_set(gm.prices), (theirs.id, gm.id)
            else:
                assert [c["prices"] for c in om["prices"]] == [_genai_set(c.prices) for c in gm.prices], gm.id
                for c, g in zip(om["prices"], gm.prices, strict=True):
                    if isinstance(g.constraint, t.StartDateConstraint):
                        assert c["constraint"] == {"start_date": g.constraint.start_date.isoformat()}
                    elif isinstance(g.constraint, t.TimeOfDateConstraint):
                        tod = c["constraint"]["time_of_day"]
                        assert (tod["start"], tod["end"]) == (
                            g.constraint.start_time.strftime("%H:%M:%S"),
                            g.constraint.end_time.strftime("%H:%M:%S"),
                        )
                    else:
                        assert c["constraint"] is None
            checked += 1
    assert checked == sum(len(p.models) for p in genai_providers)


def test_semconv_provider_names_resolve_to_genai_prices_providers(exported: bytes) -> None:
    known = json.loads(exported)["provider_names"]
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


@pytest.mark.parametrize(
    ("pattern", "want"),
    [
        ("^o[134]", {"regex": "^o[134]"}),
        (r"^claude-opus-5[-@]\d{8}$", {"regex": r"^claude-opus-5[-@]\p{Nd}{8}(?:\n?\z)"}),
        ("^(?!.*-[tT][tT][sS](?:$|-))", {"not_regex": r"^(?:.*-[tT][tT][sS](?:(?:\n?\z)|-))"}),
        ("^(?![^/]+/)(?:labs-)?mistral", {"not_regex": "^(?:[^/]+/)", "regex": "^(?:(?:labs-)?mistral)"}),
        (r"[\d$]x\Z", {"regex": r"[\p{Nd}$]x\z"}),
        ("^(?P<v>a)b", {"regex": "^(?P<v>a)b"}),
    ],
)
def test_regexes_become_re2(pattern: str, want: dict[str, str]) -> None:
    assert prices.re2_clause(pattern) == want


@pytest.mark.parametrize(
    "pattern", ["(?<=x)y", "a(?=b)", r"(a)\1", r"\bword", r"\w+", "(?i)gpt", "a++", "(?>a)", "x(?!y)", "[[:alpha:]]"]
)
def test_python_only_regexes_are_refused(pattern: str) -> None:
    with pytest.raises(prices.Untranslatable):
        prices.re2_clause(pattern)


def test_export_fails_clearly_on_an_untranslatable_clause(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = t.Provider(
        id="acme",
        name="Acme",
        api_pattern="x",
        models=[
            t.ModelInfo(id="m1", match=t.ClauseRegex(regex="(?<=a)m1"), prices=t.ModelPrice(input_mtok=Decimal(1)))
        ],
    )
    monkeypatch.setattr(prices, "_providers", lambda: [*genai_providers, bad])
    with pytest.raises(prices.Untranslatable, match=r"acme/m1: .*\(\?<=a\)m1"):
        prices.price_file()


def _mutated(exported: bytes, edit: Any) -> bytes:
    doc = json.loads(exported)
    edit(doc)
    return json.dumps(doc).encode()


def _first_model(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["providers"][0]["models"][0]


def _set_path(doc: dict[str, Any], value: Any, *path: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _model(**fields: Any) -> Any:
    """An edit that sets fields of the file's first model."""
    return lambda doc: _first_model(doc).update(fields)


def _input_price(value: Any) -> Any:
    return _model(prices={"input_mtok": value})


TIERS_UNSORTED = {"base": 1, "tiers": [{"start": 5, "price": 1}, {"start": 2, "price": 1}]}
BAD_DATE = [{"constraint": {"start_date": "2025-13-01"}, "prices": {}}]
BAD_FILES = [
    ("not json", None, "not valid JSON", None),
    ("format", lambda d: _set_path(d, 2, "format"), "format 2 is not 1", "format"),
    ("negative price", _input_price(-1), "non-negative", "input_mtok"),
    ("string price", _input_price("1"), "expected a number", "input_mtok"),
    ("unknown key", _model(price=1), "unknown key", "models[0].price"),
    ("two clause kinds", _model(match={"equals": "a", "contains": "b"}), "exactly one", "match"),
    ("lookahead", _model(match={"regex": "^(?!x)"}), "lookarounds", "match.regex"),
    ("missing id", lambda d: _first_model(d).pop("id"), "missing", "models[0].id"),
    ("bad date", _model(prices=BAD_DATE), "not a date", "start_date"),
    ("empty prices list", _model(prices=[]), "empty", "prices"),
    ("unknown provider name", lambda d: _set_path(d, "nope", "provider_names", "x_ai"), "unknown provider", "x_ai"),
    ("duplicate provider", lambda d: d["providers"].append(d["providers"][0]), "listed twice", ".id"),
    ("tiers out of order", _input_price(TIERS_UNSORTED), "previous tier", "tiers[1].start"),
]


@pytest.mark.parametrize(("name", "edit", "problem", "key"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_malformed_price_file_is_refused_in_one_line(
    exported: bytes, name: str, edit: Any, problem: str, key: str | None
) -> None:
    data = b"{" if name == "not json" else _mutated(exported, edit)
    with pytest.raises(LlmobsError) as info:
        prices.check_price_file(data, "/etc/llmobs/prices.json")
    line = info.value.line()
    assert line.startswith("/etc/llmobs/prices.json: ") and "\n" not in line and "(fix: " in line, line
    assert problem in line, line
    if key:
        assert info.value.key is not None and key in info.value.key, line


def test_go_constants_match_names() -> None:
    """The Go package spells the attribute names itself; they must be stack/names.py's."""
    source = (COST_PKG / "cost.go").read_text()
    for value in (
        names.PROVIDER,
        names.OPERATION,
        names.REQUEST_MODEL,
        names.RESPONSE_MODEL,
        names.INPUT_TOKENS,
        names.OUTPUT_TOKENS,
        names.CACHE_READ_TOKENS,
        names.CACHE_WRITE_TOKENS,
        names.COST_ATTR,
        names.UNPRICED_ATTR,
    ):
        assert f'= "{value}"' in source, value
    ops = re.search(r"aggregateOperations = \[\.\.\.\]string\{(.*?)\}", source)
    assert ops and tuple(json.loads(f"[{ops.group(1)}]")) == names.AGGREGATE_OPERATIONS
    assert f"const FormatVersion = {prices.FORMAT}" in (COST_PKG / "load.go").read_text()


def test_go_prices_like_calc_price(tmp_path: Path) -> None:
    """Every (provider, model) genai-prices knows, priced by the Go package, equals calc_price within 1e-9."""
    go = shutil.which("go")
    if go is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Go is required in CI for the cost parity test")
        pytest.skip("Go is not installed: the Go cost package's parity with genai-prices is not checked")
    counts = price_cases.write(tmp_path / "cases.json", tmp_path / "prices.json")
    env = {
        **os.environ,
        "LLMOBS_PRICE_CASES": str(tmp_path / "cases.json"),
        "LLMOBS_PRICE_FILE": str(tmp_path / "prices.json"),
    }
    result = subprocess.run(
        [go, "test", "-count=1", "-run", "^TestParity$", "-v", "./internal/cost/"],
        cwd=MODULE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = next(line for line in result.stdout.splitlines() if line.startswith("PARITY: "))
    assert summary.startswith(f"PARITY: {counts['cases']} cases ({counts['priced']} priced"), summary
    assert " 0 differ" in summary, summary
    print(f"\n{summary}")
