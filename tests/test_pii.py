"""PII rules at render time: statement shape, the rendered processor, and the RE2 check of user patterns.

What the statements do to real data is tested against the collector in test_collector_pii.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from llmobs import pii
from llmobs.config import load
from llmobs.errors import LlmobsError
from llmobs.render import COLLECTOR_CONFIG, render, yaml_str
from llmobs.settings import Pii, PiiPattern


def _collector(tmp_path: Path, *sets: str) -> dict:
    bundle = render(load(sets=list(sets), env={}, cwd=tmp_path).settings)
    return yaml.safe_load(bundle[COLLECTOR_CONFIG])


def test_off_mode_has_no_statements_and_no_processor(tmp_path: Path) -> None:
    rules = pii.rules(Pii(mode="off"))
    assert (rules.trace_statements, rules.log_statements, rules.trace_groups) == ([], [], [])
    config = _collector(tmp_path, "pii.mode=off")
    assert "transform/pii" not in config["processors"]
    for pipeline in config["service"]["pipelines"].values():
        assert "transform/pii" not in pipeline.get("processors", [])


@pytest.mark.parametrize("mode", ["mask", "drop"])
def test_each_context_is_its_own_group(mode: str) -> None:
    rules = pii.rules(Pii(mode=mode))
    groups = {g["context"]: g["statements"] for g in rules.trace_groups}
    assert list(groups) == ["span", "spanevent"]
    assert rules.trace_statements == groups["span"] + groups["spanevent"]
    path = re.compile(r"\b(span|spanevent|log|resource)\.(attributes|cache|body|event_name)\b")
    for context, statements in [*groups.items(), ("log", rules.log_statements)]:
        assert statements
        for st in statements:
            used = {m.group(1) for m in path.finditer(st)}
            assert used == {context}, f"{context} group uses {used}: {st}"


def test_rendered_processor_runs_in_traces_and_logs(tmp_path: Path) -> None:
    config = _collector(tmp_path)
    proc = config["processors"]["transform/pii"]
    assert proc["error_mode"] == "ignore"
    assert [g["context"] for g in proc["trace_statements"]] == ["span", "spanevent"]
    assert all(isinstance(st, str) for st in proc["log_statements"])
    rules = pii.rules(Pii())
    assert proc["trace_statements"][0]["statements"] == rules.trace_groups[0]["statements"]
    assert proc["log_statements"] == rules.log_statements
    pipelines = config["service"]["pipelines"]
    assert pipelines["traces"]["processors"][-1] == "transform/pii"
    assert pipelines["logs"]["processors"][-1] == "transform/pii"


def test_dollars_are_escaped_for_config_expansion() -> None:
    rules = pii.rules(Pii(patterns=[PiiPattern(name="ACCOUNT", regex="ACCT-[0-9]{4}$")]))
    for st in rules.trace_statements + rules.log_statements:
        assert re.search(r"(?<!\$)\$(?!\$)", st.replace("$$", "")) is None, st
    assert any('"ACCT-[0-9]{4}$$"' in st for st in rules.log_statements)
    assert any('"$${1}[SECRET]"' in st for st in rules.log_statements)


def test_user_patterns_run_first_with_their_placeholder() -> None:
    rules = pii.rules(Pii(patterns=[PiiPattern(name="EMPLOYEE_ID", regex=r"\bEMP-[0-9]{6}\b")]))
    span = rules.trace_groups[0]["statements"]
    user = next(i for i, st in enumerate(span) if "[EMPLOYEE_ID]" in st)
    first_builtin = next(i for i, st in enumerate(span) if "[SECRET]" in st or "[EMAIL]" in st)
    assert user < first_builtin
    assert '"\\\\bEMP-[0-9]{6}\\\\b"' in span[user]


def test_exempt_keys_are_restored_and_never_deleted() -> None:
    rules = pii.rules(Pii())
    for statements in (rules.trace_groups[0]["statements"], rules.log_statements):
        assert any(st.startswith("merge_maps(") and '"update")' in st for st in statements)
        keep = next(st for st in statements if '["keep"], {' in st)
        for key in ("gen_ai.request.model", "gen_ai.response.model", "gen_ai.response.id", "gen_ai.tool.call.id"):
            assert f'"{key}": ' in keep


def test_drop_mode_deletes_content_keys() -> None:
    rules = pii.rules(Pii(mode="drop"))
    for ctx, statements in (("span", rules.trace_groups[0]["statements"]), ("log", rules.log_statements)):
        for key in ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions"):
            assert f'delete_key({ctx}.attributes, "{key}")' in statements
    assert any(st.startswith('set(log.body, "") where') for st in rules.log_statements)
    assert not any("delete_key" in st for st in pii.rules(Pii()).log_statements)


@pytest.mark.parametrize(
    ("regex", "words"),
    [
        (r"foo(?=bar)", "look-ahead"),
        (r"(?<!x)foo", "look-behind"),
        (r"(a)\1", "backreference"),
        (r"(?P<x>a)(?P=x)", "backreference"),
        (r"(?>abc)", "atomic"),
        (r"a*+", "possessive"),
        (r"[0-9]++", "possessive"),
        (r"(foo", "missing closing )"),
        (r"foo)", "unexpected )"),
        (r"[z-a]", "range"),
        (r"\Z", "invalid escape"),
        (r"a{1001}", "repeat count"),
        (r"(?x) a b", "not RE2"),
        (r"*abc", "missing argument"),
        (r"\p{Klingon}", "Unicode class"),
        (r"[abc", "missing closing ]"),
        ("", "empty"),
    ],
)
def test_bad_user_pattern_is_refused_at_render(tmp_path: Path, regex: str, words: str) -> None:
    sets = ["pii.patterns=[{name: OK, regex: 'EMP-[0-9]{6}'}, {name: BAD, regex: " + yaml_str(regex) + "}]"]
    settings = load(sets=sets, env={}, cwd=tmp_path).settings
    assert settings.pii.patterns[1].regex == regex
    with pytest.raises(LlmobsError) as info:
        render(settings)
    err = info.value
    assert err.where == "llmobs.yaml"
    assert err.key == "pii.patterns[1].regex"
    assert words in err.problem
    assert err.fix


@pytest.mark.parametrize(
    "regex",
    [
        r"EMP-[0-9]{6}",
        r"\bCUST[0-9]{8}\b",
        r"(?i)project\s+falcon",
        r"(?P<id>ORD)-\d+",
        r"(?<id>ORD)-\d+",
        r"\p{Hangul}{2,4}님",
        r"[[:upper:]]{3}-\d{4}",
        r"\Qa.b\E",
        r"x{,3}",
        r"ACCT-[0-9]{4}$",
        r"[\x{AC00}-\x{D7A3}]+",
        r"a*?b+?",
    ],
)
def test_valid_user_patterns_render(regex: str) -> None:
    pii.check_re2(regex, key="pii.patterns[0].regex")
    rules = pii.rules(Pii(patterns=[PiiPattern(name="X", regex=regex)]))
    assert any("[X]" in st for st in rules.log_statements)


def test_placeholders_are_the_documented_ones() -> None:
    assert set(pii.PLACEHOLDERS) == {"[SECRET]", "[EMAIL]", "[IBAN]", "[IP]", "[KR_RRN]", "[CARD]", "[SSN]", "[PHONE]"}
