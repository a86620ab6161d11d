"""`llmobs init`'s starter file lists every setting, and uncommented it reproduces the defaults."""

from __future__ import annotations

from pathlib import Path

import yaml

from llmobs.config import flatten, load
from llmobs.settings import Settings
from llmobs.starter import HEADER, starter_yaml


def _uncommented(text: str) -> str:
    lines = []
    for line in text.split("\n", HEADER.count("\n"))[-1].splitlines():
        if "(for example:)" in line:
            continue
        body = line[2:]
        if body[:1] in ("#", " ") and body.strip().startswith(("-", "#")):
            continue
        lines.append(body)
    return "\n".join(lines) + "\n"


def test_starter_loads_as_defaults_and_names_every_key(tmp_path: Path) -> None:
    text = starter_yaml()
    (tmp_path / "llmobs.yaml").write_text(text)
    assert load(env={}, cwd=tmp_path).settings == Settings()  # all commented out: defaults
    data = yaml.safe_load(_uncommented(text))
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text(yaml.safe_dump(data))
    loaded = load(config=explicit, env={}, cwd=tmp_path)
    assert loaded.settings == Settings()
    defaults = flatten(Settings().model_dump(mode="json"))
    listed = {key for key, source in loaded.sources.items() if source != "default"}
    missing = {key for key, value in defaults.items() if value not in ([], {}) and key not in listed}
    assert not missing
