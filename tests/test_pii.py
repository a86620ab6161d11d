"""PII settings at render time: the llmobs processor's rendered config and the RE2 check of user patterns.

What the processor does to real data is tested against the collector in test_collector_pii.py, and
detector by detector in Go (collector/processor/llmobsprocessor/internal/pii).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from llmobs import pii
from llmobs.config import load
from llmobs.errors import LlmobsError
from llmobs.render import COLLECTOR_CONFIG, render, yaml_str


def _collector(tmp_path: Path, *sets: str) -> dict:
    bundle = render(load(sets=list(sets), env={}, cwd=tmp_path).settings)
    return yaml.safe_load(bundle[COLLECTOR_CONFIG])


@pytest.mark.parametrize("mode", ["mask", "drop", "off"])
def test_mode_reaches_the_processor_in_traces_and_logs(tmp_path: Path, mode: str) -> None:
    config = _collector(tmp_path, f"pii.mode={mode}")
    assert config["processors"]["llmobs"]["pii"] == {"mode": mode}
    pipelines = config["service"]["pipelines"]
    for name in ("traces", "logs"):
        steps = pipelines[name]["processors"]
        assert steps.index("memory_limiter") < steps.index("llmobs"), steps
    assert not any(p.startswith("transform/pii") for p in config["processors"])


def test_user_patterns_are_rendered_with_dollars_escaped(tmp_path: Path) -> None:
    sets = ["pii.patterns=[{name: ACCOUNT, regex: 'ACCT-[0-9]{4}$'}, {name: EMPLOYEE_ID, regex: '\\bEMP-[0-9]{6}'}]"]
    config = _collector(tmp_path, *sets)
    # "$$" is the collector's escape for a literal "$" (config expansion); it reaches Go as "$".
    assert config["processors"]["llmobs"]["pii"]["patterns"] == [
        {"name": "ACCOUNT", "regex": "ACCT-[0-9]{4}$$"},
        {"name": "EMPLOYEE_ID", "regex": "\\bEMP-[0-9]{6}"},
    ]


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
