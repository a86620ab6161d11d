"""The CLI end to end (in-process): exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from llmobs.cli.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("LLMOBS_"):
            monkeypatch.delenv(name)


def test_version() -> None:
    from llmobs import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"llmobs {__version__}"


def test_render_default_dir_check_and_rerender(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render"])
    assert result.exit_code == 0, result.output
    out = tmp_path / ".llmobs"
    assert (out / "collector" / "config.yaml").is_file() and (out / "docker-compose.yml").is_file()
    assert runner.invoke(app, ["render", "--check"]).exit_code == 0
    result = runner.invoke(app, ["render", "--check", "--set", "ports.grafana=3001"])
    assert result.exit_code == 1 and "~ docker-compose.yml" in result.output
    before = (out / "docker-compose.yml").read_bytes()
    assert runner.invoke(app, ["render"]).exit_code == 0
    assert (out / "docker-compose.yml").read_bytes() == before


def test_render_beside_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "llmobs.yaml").write_text("ports:\n  grafana: 3005\n")
    result = runner.invoke(app, ["render", "--config", "proj/llmobs.yaml"])
    assert result.exit_code == 0, result.output
    compose = yaml.safe_load((tmp_path / "proj" / ".llmobs" / "docker-compose.yml").read_text())
    assert "127.0.0.1:3005:3000" in compose["services"]["grafana"]["ports"]


def test_backend_switch_is_one_word(tmp_path: Path) -> None:
    assert runner.invoke(app, ["render", "--out", "g"]).exit_code == 0
    assert runner.invoke(app, ["render", "--backend", "datadog", "--out", "d"]).exit_code == 0
    assert not (tmp_path / "d" / "tempo").exists() and (tmp_path / "g" / "tempo").exists()


@pytest.mark.parametrize(
    ("config", "args", "fragment"),
    [
        ("ports: {grafana: [1\n", [], "invalid YAML"),
        ("portz: {}\n", [], "did you mean ports"),
        ("ports: {grafana: x}\n", [], "ports.grafana"),
        ("", ["--backend", "nope"], "backend"),
        ("ports: {grafana: 0}\n", [], "between 1 and 65535"),
        ("ports: {grafana: 9090}\n", [], "ports.prometheus"),
        ("", ["--set", "novalue"], "KEY=VALUE"),
    ],
)
def test_bad_input_exit_2_one_line_no_output(tmp_path: Path, config: str, args: list[str], fragment: str) -> None:
    (tmp_path / "llmobs.yaml").write_text(config)
    result = runner.invoke(app, ["render", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["llmobs.yaml"]


def test_refuses_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    result = runner.invoke(app, ["render", "--out", "mine"])
    assert result.exit_code == 2 and "not created by llmobs" in result.stderr
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_init_then_config_show(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["init"]).exit_code == 2  # never overwrites silently
    (tmp_path / "llmobs.yaml").write_text("environment: prod\n")
    result = runner.invoke(
        app,
        ["config", "show", "--json", "--set", "ports.loki=3101"],
        env={"LLMOBS_BACKEND": "otlp", "LLMOBS_OTLP__ENDPOINT": "http://127.0.0.1:1"},
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows["environment"] == {"value": "prod", "source": "llmobs.yaml:1"}
    assert rows["ports.loki"] == {"value": 3101, "source": "--set ports.loki"}
    assert rows["backend"] == {"value": "otlp", "source": "env LLMOBS_BACKEND"}
    assert rows["ports.grafana"]["source"] == "default"
    table = runner.invoke(app, ["config", "show"])
    assert table.exit_code == 0 and "environment" in table.stdout and "llmobs.yaml:1" in table.stdout


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "llmobs.yaml").write_text("portz: 1\n")
    result = runner.invoke(app, ["--debug", "render"])
    assert result.exit_code != 0 and result.exception is not None
