"""Every committed generated file equals a fresh generation, and ``scripts/regenerate`` rewrites them.

The files (listed once, in :data:`llmobs.generated.GROUPS`): the Grafana dashboards, the Datadog dashboard
and the default bundle at the repository root (so `docker compose up` in a fresh clone = `llmobs up`).
Generation happens in memory or under tmp_path; nothing here writes into the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from llmobs import generated
from llmobs.generated import COMMAND, DASHBOARDS, DATADOG_DASHBOARD, GROUPS, Group, changes
from llmobs.render import DASHBOARDS_DIR
from tests.support.procs import REPO


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.name)
def test_committed_files_are_a_fresh_generation(group: Group) -> None:
    stale = [
        f"{c.path} ({'no longer generated' if c.action == 'removed' else 'differs'})" for c in changes(REPO, group)
    ]
    assert not stale, f"{group.name}: {', '.join(stale)}, unlike a fresh generation; run {COMMAND}"


def test_the_bundle_copies_the_dashboards_onto_themselves() -> None:
    """The root bundle's grafana/dashboards/ is the generator's folder: rendering the bundle after
    writing the dashboards (the order of GROUPS) is what keeps docker-compose.yml's hash of them current."""
    assert DASHBOARDS == DASHBOARDS_DIR
    assert [g.name for g in GROUPS][-1] == "default bundle"
    bundle = GROUPS[-1].generate()
    assert set(GROUPS[0].generate()) <= set(bundle)


def _checkout(root: Path) -> None:
    """Every generated file of the real checkout, written under ``root``."""
    for group in GROUPS:
        for rel, data in group.generate().items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)


def test_a_stale_missing_or_orphaned_file_is_named(tmp_path: Path) -> None:
    _checkout(tmp_path)
    assert [changes(tmp_path, g) for g in GROUPS] == [[], [], []]
    home = tmp_path / DASHBOARDS / "llm-overview.json"
    home.write_text(home.read_text().replace('"LLM overview"', '"LLM overview (edited by hand)"', 1))
    (tmp_path / DASHBOARDS / "llm-removed.json").write_text("{}\n")
    (tmp_path / DATADOG_DASHBOARD).unlink()
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    found = [sorted((c.path, c.action) for c in changes(tmp_path, g)) for g in GROUPS]
    assert found == [
        [(f"{DASHBOARDS}/llm-overview.json", "updated"), (f"{DASHBOARDS}/llm-removed.json", "removed")],
        [(DATADOG_DASHBOARD, "updated")],
        # The bundle holds the dashboards too: the hand-edited one is stale there as well.
        [("docker-compose.yml", "updated"), (f"{DASHBOARDS}/llm-overview.json", "updated")],
    ]


def test_regenerate_refuses_an_installed_copy_that_is_not_the_checkout(tmp_path: Path) -> None:
    with pytest.raises(generated.LlmobsError, match="not from the checkout"):
        generated.regenerate(tmp_path)
    assert not any(tmp_path.iterdir())


def _copy_sources(root: Path) -> None:
    """What scripts/regenerate imports: pyproject.toml, the packages it maps, and the script."""
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    folders = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"].values())
    for folder in folders:
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "_build"))
    (root / "scripts").mkdir()
    shutil.copy2(REPO / "scripts" / "regenerate", root / "scripts" / "regenerate")


def _run(root: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMOBS_")} | {"PYTHON": sys.executable}
    return subprocess.run(
        [str(root / "scripts" / "regenerate")], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_scripts_regenerate_rewrites_a_checkout_from_its_own_sources(tmp_path: Path) -> None:
    """The script imports the copy's sources, not the installed llmobs: a changed generator in the copy
    changes its output, and the bundle copies the rewritten dashboards."""
    _copy_sources(tmp_path)
    build = tmp_path / "grafana" / "build.py"
    build.write_text(build.read_text().replace('"LLM overview",\n', '"LLM overview (copy)",\n', 1))
    (tmp_path / DATADOG_DASHBOARD).write_text("{}\n")
    (tmp_path / DASHBOARDS / "llm-removed.json").write_text("{}\n")

    first = _run(tmp_path)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert f"updated {DASHBOARDS}/llm-overview.json" in lines
    assert f"updated {DATADOG_DASHBOARD}" in lines
    assert f"removed {DASHBOARDS}/llm-removed.json" in lines
    assert "updated docker-compose.yml" in lines  # not in the copy: the bundle was rendered
    assert lines[-1].startswith("scripts/regenerate: ") and lines[-1].endswith(" files changed")
    assert json.loads((tmp_path / DASHBOARDS / "llm-overview.json").read_text())["title"] == "LLM overview (copy)"
    assert json.loads((tmp_path / DATADOG_DASHBOARD).read_text()) == json.loads(GROUPS[1].generate()[DATADOG_DASHBOARD])
    assert not (tmp_path / DASHBOARDS / "llm-removed.json").exists()

    second = _run(tmp_path)
    assert (second.returncode, second.stdout) == (0, "scripts/regenerate: no files changed\n"), second.stderr


def test_scripts_regenerate_without_llmobs_dependencies_is_one_line_exit_2(tmp_path: Path) -> None:
    _copy_sources(tmp_path)
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMOBS_")} | {"PYTHON": str(venv / "bin/python")}
    result = subprocess.run(
        [str(tmp_path / "scripts" / "regenerate")], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "lacks llmobs's dependencies" in result.stderr, result.stderr
    assert "PYTHON=" in result.stderr and not (tmp_path / "docker-compose.yml").exists()
