"""PII settings: user patterns checked when settings load (naming their true source), and rendered.

What the processor does to real data is tested against the collector in test_collector_pii.py, and
detector by detector in Go (collector/processor/llmobsprocessor/internal/pii). The pattern check's
verdicts are compared with the processor's own (Go's regexp) in test_pattern_verdicts_match_go.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from llmobs import pii
from llmobs.cli.app import app
from llmobs.config import load
from llmobs.errors import LlmobsError
from llmobs.render import COLLECTOR_CONFIG, render, yaml_str
from tests.support.procs import REPO, require

PII_PACKAGE = REPO / "collector" / "processor" / "llmobsprocessor" / "internal" / "pii"
CASES = PII_PACKAGE / "testdata" / "re2_cases.json"


def _collector(tmp_path: Path, *sets: str) -> dict:
    bundle = render(load(sets=list(sets), env={}, cwd=tmp_path).settings)
    return yaml.safe_load(bundle[COLLECTOR_CONFIG])


def _patterns(*regexes: str) -> str:
    """A YAML flow list of patterns named P0, P1, ... (for --set and LLMOBS_PII__PATTERNS)."""
    return "[" + ", ".join(f"{{name: P{i}, regex: {yaml_str(r)}}}" for i, r in enumerate(regexes)) + "]"


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
        (r"foo(?=bar)", "look-arounds"),
        (r"(?<!x)foo", "look-arounds"),
        (r"(a)\1", "backreferences"),
        (r"(?P<x>a)(?P=x)", "backreferences"),
        (r"(?>abc)", "atomic"),
        (r"a*+", "possessive"),
        (r"[0-9]++", "possessive"),
        (r"(foo", "close every ("),
        (r"foo)", "remove the )"),
        (r"[z-a]", "lower end"),
        (r"\Z", "\\z"),
        (r"a{1001}", "up to 1000"),
        (r"(?x) a b", "flags i, m, s, U"),
        (r"*abc", "put something before"),
        (r"\p{Klingon}", "\\p{Greek}"),
        (r"\p{Old_Italic}", "code-point range"),
        (r"\C", "(?s:.)"),
        (r"(?P<ñ>x)", "A-Z, a-z, 0-9 and _"),
        (r"[[:foo:]]", "[[:alpha:]]"),
        (r"[abc", "close the character class"),
        ("", "write a pattern"),
    ],
)
def test_bad_pattern_from_set_is_refused_when_settings_load(tmp_path: Path, regex: str, words: str) -> None:
    with pytest.raises(LlmobsError) as info:
        load(sets=["pii.patterns=" + _patterns("EMP-[0-9]{6}", regex)], env={}, cwd=tmp_path)
    err = info.value
    assert err.where == "--set pii.patterns"
    assert err.key == "pii.patterns[1].regex"
    assert err.fix is not None and words in err.fix, err.line()
    assert "\n" not in err.line()


CONFIG = """\
project: shop
pii:
  mode: mask
  patterns:
    - name: EMPLOYEE_ID
      regex: 'EMP-[0-9]{6}'
    - name: ORDER
      # a look-ahead, which Go's regexp cannot compile
      regex: 'ORD-(?=[0-9])'
"""


def test_bad_pattern_in_llmobs_yaml_names_the_file_line(tmp_path: Path) -> None:
    (tmp_path / "llmobs.yaml").write_text(CONFIG)
    line = CONFIG.splitlines().index("      regex: 'ORD-(?=[0-9])'") + 1
    with pytest.raises(LlmobsError) as info:
        load(env={}, cwd=tmp_path)
    assert info.value.where == f"llmobs.yaml:{line}"
    assert info.value.key == "pii.patterns[1].regex"
    assert "(?=" in info.value.problem


def test_bad_pattern_in_a_flow_list_names_its_line(tmp_path: Path) -> None:
    text = "pii:\n  patterns: [{name: A, regex: 'a'},\n             {name: B, regex: 'b**'}]\n"
    (tmp_path / "llmobs.yaml").write_text(text)
    with pytest.raises(LlmobsError) as info:
        load(env={}, cwd=tmp_path)
    assert info.value.where == "llmobs.yaml:3"


def test_bad_pattern_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    env = {"LLMOBS_PII__PATTERNS": _patterns("(?<=x)y")}
    with pytest.raises(LlmobsError) as info:
        load(env=env, cwd=tmp_path)
    assert info.value.where == "env LLMOBS_PII__PATTERNS"
    assert info.value.key == "pii.patterns[0].regex"


def test_a_later_source_replaces_the_file_list_and_its_lines(tmp_path: Path) -> None:
    (tmp_path / "llmobs.yaml").write_text(CONFIG)
    fixed = load(sets=["pii.patterns=" + _patterns("ORD-[0-9]+")], env={}, cwd=tmp_path)
    assert [p.regex for p in fixed.settings.pii.patterns] == ["ORD-[0-9]+"]
    assert fixed.source_of("pii.patterns") == "--set pii.patterns"
    with pytest.raises(LlmobsError) as info:  # the --set item is at fault, not llmobs.yaml's line 9
        load(sets=["pii.patterns=" + _patterns("ok", "a{2}{3}")], env={}, cwd=tmp_path)
    assert info.value.where == "--set pii.patterns"


@pytest.mark.parametrize("command", [["config", "show"], ["render"], ["up"]])
def test_every_command_refuses_the_pattern_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("LLMOBS_"):
            monkeypatch.delenv(name)
    from llmobs import lifecycle

    monkeypatch.setattr(lifecycle, "up", lambda *a, **k: pytest.fail("up went past the settings"))
    (tmp_path / "llmobs.yaml").write_text(CONFIG)
    line = CONFIG.splitlines().index("      regex: 'ORD-(?=[0-9])'") + 1
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: llmobs.yaml:{line}: pii.patterns[1].regex: invalid perl operator: (?="), lines
    assert "fix: RE2 has no look-arounds" in lines[0]
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["llmobs.yaml"]


@pytest.mark.parametrize(
    "regex",
    [
        r"EMP-[0-9]{6}",
        r"\bCUST[0-9]{8}\b",
        r"(?i)project\s+falcon",
        r"(?P<id>ORD)-\d+",
        r"(?<id>ORD)-\d+",
        r"\p{Hangul}{2,4}님",
        r"\p{letter}+",
        r"[[:upper:]]{3}-\d{4}",
        r"\Qa.b\E",
        r"x{,3}",
        r"ACCT-[0-9]{4}$",
        r"[\x{AC00}-\x{D7A3}]+",
        r"a*?b+?",
    ],
)
def test_valid_patterns_load(tmp_path: Path, regex: str) -> None:
    settings = load(sets=["pii.patterns=" + _patterns(regex)], env={}, cwd=tmp_path).settings
    assert settings.pii.patterns[0].regex == regex


def test_re2_is_imported_only_to_check_a_pattern(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom pathlib import Path\nfrom llmobs.config import load\n"
        "load(sets=sys.argv[1:], env={}, cwd=Path.cwd())\nprint('re2' in sys.modules)\n"
    )

    def loads_re2(*sets: str) -> bool:
        out = subprocess.run([sys.executable, "-c", code, *sets], cwd=tmp_path, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip() == "True"

    assert not loads_re2()
    assert not loads_re2("pii.mode=drop")
    assert loads_re2("pii.patterns=" + _patterns("EMP-[0-9]{6}"))


def _go_verdicts(tmp_path: Path) -> dict[str, str]:
    """The processor's own verdict (pii.CheckPattern, Go's regexp) on every case: "" or its error."""
    go = shutil.which("go")
    require(go, "Go (for the processor's regexp verdicts)", "install Go 1.26 (https://go.dev/dl/)")
    out = tmp_path / "verdicts.json"
    module = REPO / "collector" / "processor" / "llmobsprocessor"
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "LLMOBS_RE_VERDICTS": str(out)}
    argv = [str(go), "test", "-count=1", "-run", "^TestREVerdicts$", "./internal/pii/"]
    result = subprocess.run(argv, cwd=module, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return json.loads(out.read_text("utf-8"))


def _ours(regex: str) -> str:
    try:
        pii.check_pattern(regex)
    except pii.PatternError as exc:
        return str(exc)
    return ""


def test_pattern_verdicts_match_go(tmp_path: Path) -> None:
    """llmobs accepts exactly the user patterns the collector accepts.

    The cases (testdata/re2_cases.json, each with why it is there) and \\p{NAME} for every name in Go's
    Unicode tables go through the processor's CheckPattern; each verdict must equal llmobs'. Cases
    marked llmobs_refuses are the deliberate exceptions, where llmobs is stricter (each says why).
    """
    cases = json.loads(CASES.read_text("utf-8"))
    stricter = {c["regex"] for c in cases if c.get("llmobs_refuses")}
    verdicts = _go_verdicts(tmp_path)
    assert {c["regex"] for c in cases} <= set(verdicts)
    assert len(verdicts) > len(cases) + 500  # the Unicode names came too
    disagree = []
    for regex, go_error in verdicts.items():
        ours = _ours(regex)
        if regex in stricter:
            if go_error or not ours:
                disagree.append((regex, f"listed as llmobs-only refusal; go: {go_error!r}, llmobs: {ours!r}"))
        elif bool(go_error) != bool(ours):
            disagree.append((regex, f"go: {go_error or 'accepts'}; llmobs: {ours or 'accepts'}"))
    assert not disagree, "\n".join(f"{r[:60]!r}: {why}" for r, why in disagree)
    # Both kinds of verdict occur, and the cases cover each rule that google-re2 alone would get wrong.
    accepted = {r for r, e in verdicts.items() if not e}
    assert {r"\p{greek}", r"\p{Letter}", r"\p{Cn}"} <= accepted
    assert not {r"\C", r"(?P<ñ>x)", r"\p{Old_Italic}", "(" * 1001 + "a" + ")" * 1001} & accepted
