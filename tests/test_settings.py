"""Settings: defaults, precedence of the four sources, provenance, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmobs.config import load
from llmobs.errors import LlmobsError
from llmobs.settings import Settings


def _write(tmp: Path, text: str) -> Path:
    path = tmp / "llmobs.yaml"
    path.write_text(text)
    return path


def test_defaults_need_no_file(tmp_path: Path) -> None:
    loaded = load(env={}, cwd=tmp_path)
    s = loaded.settings
    assert (s.backend, s.bind_address, s.ports.grafana) == ("grafana", "127.0.0.1", 3000)
    assert loaded.config_path is None
    assert set(loaded.sources.values()) == {"default"}
    for image in s.images.model_dump().values():
        assert ":" in image and not image.endswith(":latest")


def test_precedence_file_env_set(tmp_path: Path) -> None:
    _write(tmp_path, "environment: staging\nports:\n  grafana: 3001\n  prometheus: 9091\n")
    env = {"LLMOBS_PORTS__GRAFANA": "3002", "LLMOBS_TEMPO_ENDPOINT": "ignored:4317", "HOME": "/x"}
    loaded = load(env=env, cwd=tmp_path, sets=["ports.grafana=3003"])
    s = loaded.settings
    assert s.environment == "staging" and s.ports.prometheus == 9091 and s.ports.grafana == 3003
    assert loaded.source_of("environment") == "llmobs.yaml:1"
    assert loaded.source_of("ports.prometheus") == "llmobs.yaml:4"
    assert loaded.source_of("ports.grafana") == "--set ports.grafana"
    assert loaded.source_of("ports.loki") == "default"
    # env wins over the file when --set is absent
    assert load(env=env, cwd=tmp_path).settings.ports.grafana == 3002


def test_set_parses_lists_and_maps(tmp_path: Path) -> None:
    s = load(
        env={},
        cwd=tmp_path,
        sets=[
            "backend=otlp",
            "otlp.endpoint=https://api.honeycomb.io",
            "otlp.protocol=http",
            "otlp.signals=[traces, logs]",
            "otlp.headers={x-honeycomb-team: '${env:HONEYCOMB_API_KEY}'}",
            "environment=yes",
        ],
    ).settings
    assert s.otlp.signals == ["traces", "logs"]
    assert s.otlp.headers == {"x-honeycomb-team": "${env:HONEYCOMB_API_KEY}"}
    assert s.environment == "yes"


@pytest.mark.parametrize(
    ("yaml_text", "sets", "expect"),
    [
        ("ports:\n  grafana: [3000\n", [], ["llmobs.yaml:2", "invalid YAML"]),
        (
            "ports:\n  grafanna: 3001\n",
            [],
            ["llmobs.yaml:2", "ports.grafanna", "unknown key", "did you mean ports.grafana"],
        ),
        ("", ["portz.grafana=1"], ["--set portz.grafana", "did you mean ports"]),
        ("ports:\n  grafana: lots\n", [], ["llmobs.yaml:2", "ports.grafana", "integer"]),
        ("backend: splunk\n", [], ["llmobs.yaml:1", "backend", "'splunk'", "grafana", "datadog", "otlp"]),
        ("ports:\n  grafana: 70000\n", [], ["ports.grafana", "between 1 and 65535"]),
        ("ports:\n  loki: 9090\n", [], ["llmobs.yaml:2", "ports.loki", "ports.prometheus", "9090"]),
        ("images:\n  grafana: grafana/grafana:latest\n", [], ["images.grafana", "latest"]),
        ("images:\n  grafana: grafana/grafana\n", [], ["images.grafana", "no tag"]),
        ("", ["backend=otlp"], ["otlp.endpoint"]),
        ("", ["otlp.endpoint=https://vendor.example"], ["otlp.endpoint", "needs a port", "otlp.protocol=http"]),
        ("", ["otlp.headers={authorization: sk-live-123}"], ["otlp.headers", "environment variable"]),
        ("- a\n- b\n", [], ["llmobs.yaml", "mapping"]),
        ("retention:\n  traces: two weeks\n", [], ["retention.traces", "duration"]),
        ("bind_address: localhost\n", [], ["bind_address", "IP address"]),
    ],
)
def test_bad_input_is_one_line_naming_file_key_and_fix(
    tmp_path: Path, yaml_text: str, sets: list[str], expect: list[str]
) -> None:
    _write(tmp_path, yaml_text)
    with pytest.raises(LlmobsError) as info:
        load(env={}, cwd=tmp_path, sets=sets)
    line = info.value.line()
    assert "\n" not in line
    for fragment in expect:
        assert fragment in line, line


def test_env_unknown_nested_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LlmobsError, match=r"env LLMOBS_PORTS__GRAFANNA.*did you mean ports\.grafana"):
        load(env={"LLMOBS_PORTS__GRAFANNA": "1"}, cwd=tmp_path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(LlmobsError, match=r"not found.*llmobs init"):
        load(config=tmp_path / "nope.yaml", env={}, cwd=tmp_path)


def test_loopback_detection() -> None:
    assert Settings().loopback
    assert not Settings(bind_address="0.0.0.0").loopback
    assert Settings(bind_address="::1").loopback
