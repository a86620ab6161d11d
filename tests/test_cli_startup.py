"""What the everyday commands do at start (issue 16): the imports they skip and the render cache.

No timings here (a shared CI machine makes them flaky); benchmarks/cli_startup.py measures. These
tests pin the causes instead: which modules a command imports in a fresh interpreter, that help is
complete without rich, and that the render and settings caches serve exactly what would be computed.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmobs import cache, catalog, prices
from llmobs.cli.app import app

# Modules `llmobs --help` must not import: each costs tens of milliseconds and none prints help.
# rich/markdown_it are what Typer's rich help panels pull in (~0.2 s of every --help with Typer 0.29).
NOT_FOR_HELP = (
    "docker",
    "genai_prices",
    "jinja2",
    "markdown_it",
    "opentelemetry",
    "pydantic",
    "requests",
    "rich",
    "yaml",
)


def _imports_of(
    args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[set[str], str, int]:
    """Top-level packages loaded by ``llmobs ARGS`` in a fresh interpreter, its output and exit code."""
    code = (
        "import sys, io, contextlib\n"
        f"sys.argv = ['llmobs', *{args!r}]\n"
        "from llmobs.cli.app import main\n"
        "out = io.StringIO()\n"
        "code = 0\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):\n"
        "    try:\n        main()\n    except SystemExit as exc:\n        code = exc.code or 0\n"
        "print(out.getvalue())\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}), code)\n"
    )
    run_env = {**os.environ, **(env or {})}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=run_env, cwd=cwd
    )
    assert result.returncode == 0, result.stderr[-2000:]
    *output, last = result.stdout.rstrip("\n").splitlines()
    modules, _, exit_code = last.rpartition(" ")
    return set(ast.literal_eval(modules)), "\n".join(output), int(exit_code)


@pytest.mark.parametrize("args", [["--help"], [], ["render", "--help"], ["config", "--help"], ["status", "--help"]])
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    loaded, output, code = _imports_of(args)
    assert "Usage: llmobs" in output
    assert code in (0, 2), output  # no arguments: help, exit 2 (Click's no_args_is_help)
    assert loaded.isdisjoint(NOT_FOR_HELP), sorted(loaded & set(NOT_FOR_HELP))


def test_help_lists_every_command_with_its_whole_first_sentence() -> None:
    """Plain help must not lose what the rich panels showed: no command's summary is cut with '...'."""
    output = " ".join(CliRunner().invoke(app, ["--help"]).output.split())
    commands = {info.name or info.callback.__name__: info.callback for info in app.registered_commands}
    commands.update({group.name: None for group in app.registered_groups})
    assert set(commands) >= {"render", "init", "up", "down", "status", "logs", "open", "doctor", "env", "demo"}
    for name, callback in commands.items():
        if callback is None:
            continue
        first = " ".join((callback.__doc__ or "").split("\n\n")[0].split())
        first = first.split(". ")[0]
        assert f"{name} {first}" in output, f"{name}: {first!r} not in help"
    for group in app.registered_groups:
        assert f"{group.name} {group.typer_instance.info.help}" in output


def test_status_without_an_engine_is_one_line_and_never_imports_docker(tmp_path: Path) -> None:
    dead = tmp_path / "no-engine.sock"
    loaded, output, code = _imports_of(["status"], env={"DOCKER_HOST": f"unix://{dead}"})
    assert code == 2
    assert output.strip().splitlines() == [
        f"error: the Docker engine is not running or not reachable at unix://{dead} "
        "(fix: start Docker (e.g. `sudo systemctl start docker`, or open Docker Desktop), or point DOCKER_HOST at it)"
    ]
    assert "docker" not in loaded and "jinja2" not in loaded and "genai_prices" not in loaded
    # Nor the settings: the engine is asked first. And Typer builds no pydantic coercion for absent options.
    assert "pydantic" not in loaded and "yaml" not in loaded, sorted(loaded & {"pydantic", "yaml"})


@pytest.fixture
def no_llmobs_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The caller's LLMOBS_* variables removed, and a cache of the test's own (the extra env to pass)."""
    for name in list(os.environ):
        if name.startswith("LLMOBS_"):
            monkeypatch.delenv(name)
    return {"LLMOBS_CACHE": str(tmp_path / "cache")}


def test_an_option_given_is_still_coerced_by_typer(tmp_path: Path, no_llmobs_env: dict[str, str]) -> None:
    """Typer's coercion is deferred for absent options only: a given one still goes through it."""
    dead = tmp_path / "no-engine.sock"
    (tmp_path / "other.yaml").write_text("ports:\n  grafana: 3009\n")
    args = ["config", "show", "--json", "-c", "other.yaml", "-s", "ports.loki=3108"]
    _, output, code = _imports_of(args, env=no_llmobs_env, cwd=tmp_path)
    assert code == 0, output
    rows = json.loads(output)
    assert rows["ports.grafana"] == {"value": 3009, "source": "other.yaml:2"}
    assert rows["ports.loki"] == {"value": 3108, "source": "--set ports.loki"}
    _, output, code = _imports_of(["status", "-s", "nope"], env={"DOCKER_HOST": f"unix://{dead}"})
    assert code == 2 and "not reachable" in output, output


def _show(cwd: Path, env: dict[str, str], *args: str) -> tuple[dict[str, dict[str, object]], set[str]]:
    """`llmobs config show --json ARGS` in a fresh process: its rows and the packages it loaded."""
    loaded, output, code = _imports_of(["config", "show", "--json", *args], env=env, cwd=cwd)
    assert code == 0, output
    return json.loads(output), loaded


def test_config_show_is_served_from_the_settings_cache_and_never_stale(
    tmp_path: Path, no_llmobs_env: dict[str, str]
) -> None:
    """The second `config show` imports neither pydantic nor PyYAML, prints the same, and follows every input."""
    env = no_llmobs_env
    work = tmp_path / "work"
    work.mkdir()
    config = work / "llmobs.yaml"
    config.write_text("environment: prod\nports:\n  grafana: 3002\n")

    cold, loaded = _show(work, env)
    assert "pydantic" in loaded
    assert cold["ports.grafana"] == {"value": 3002, "source": "llmobs.yaml:3"}
    assert cold["ports.loki"] == {"value": catalog.LOKI_PORT, "source": "default"}
    cold_table = _imports_of(["config", "show"], env=env, cwd=work)
    warm, loaded = _show(work, env)
    assert warm == cold
    assert "pydantic" not in loaded and "yaml" not in loaded, sorted(loaded)
    warm_table = _imports_of(["config", "show"], env=env, cwd=work)
    assert warm_table[1:] == cold_table[1:] and "pydantic" not in warm_table[0]
    assert "3002" in warm_table[1] and "llmobs.yaml:3" in warm_table[1]

    config.write_text("environment: prod\nports:\n  grafana: 3003\n")  # same size: its bytes count, not its mtime
    rows, _ = _show(work, {**env, "LLMOBS_NOT_A_SETTING": "x"})
    assert rows["ports.grafana"] == {"value": 3003, "source": "llmobs.yaml:3"}
    rows, _ = _show(work, {**env, "LLMOBS_PORTS__GRAFANA": "3004"})
    assert rows["ports.grafana"] == {"value": 3004, "source": "env LLMOBS_PORTS__GRAFANA"}
    rows, _ = _show(work, env, "--set", "ports.grafana=3005", "-b", "otlp", "-s", "otlp.endpoint=https://v.example:443")
    assert rows["ports.grafana"]["value"] == 3005 and rows["backend"] == {"value": "otlp", "source": "--backend"}
    rows, _ = _show(tmp_path, env)  # another directory, no llmobs.yaml
    assert rows["ports.grafana"] == {"value": catalog.GRAFANA_PORT, "source": "default"}
    rows, loaded = _show(work, {**env, "LLMOBS_NO_CACHE": "1"})
    assert "pydantic" in loaded and rows["ports.grafana"]["value"] == 3003

    config.write_text("ports:\n  grafana: 0\n")  # errors are never stored, nor served from an earlier success
    for _ in range(2):
        _, output, code = _imports_of(["config", "show"], env=env, cwd=work)
        assert code == 2 and output.startswith("error: llmobs.yaml:2: ports.grafana:"), output


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _render(cwd: Path, env: dict[str, str], *args: str) -> tuple[set[str], str]:
    """`llmobs render ARGS` in a fresh process (it must succeed): the packages it loaded and its output."""
    loaded, output, code = _imports_of(["render", *args], env=env, cwd=cwd)
    assert code == 0, output
    return loaded, output


def test_render_is_served_from_the_bundle_cache_and_never_stale(tmp_path: Path, no_llmobs_env: dict[str, str]) -> None:
    """The second `render` imports neither pydantic nor Jinja, writes the same bundle, and follows every input."""
    from llmobs.bundle import MARKER
    from llmobs.config import load
    from llmobs.kubernetes import render as render_kubernetes
    from llmobs.render import render

    env = no_llmobs_env
    work = tmp_path / "work"
    work.mkdir()
    config = work / "llmobs.yaml"
    config.write_text("ports:\n  grafana: 3002\n")
    expected = render(load(cwd=work, env={}).settings)  # computed here, in this process, without any cache

    loaded, _ = _render(work, env, "--out", str(tmp_path / "cold"))
    assert "jinja2" in loaded and "pydantic" in loaded
    cold = _tree(tmp_path / "cold")
    assert {path: data for path, data in cold.items() if path != MARKER} == expected
    loaded, output = _render(work, env, "--out", str(tmp_path / "warm"), "--set", "environment=production")
    loaded, output = _render(work, env, "--out", str(tmp_path / "warm"))
    assert "pydantic" not in loaded and "jinja2" not in loaded, sorted(loaded & {"pydantic", "jinja2"})
    assert _tree(tmp_path / "warm") == cold, "the cached bundle differs from the rendered one"
    assert output.startswith(f"Rendered {len(expected)} files for backend grafana to {tmp_path / 'warm'}")
    _, output = _render(work, env, "--check", "--out", str(tmp_path / "warm"))
    assert "up to date" in output
    _render(work, env)  # the default directory, from the cache too
    assert _tree(work / ".llmobs") == cold

    def grafana_port(*args: str, run_env: dict[str, str] = env) -> str:
        _render(work, run_env, "--out", str(tmp_path / "b"), *args)
        compose = (tmp_path / "b" / "docker-compose.yml").read_text()
        return next(line.split(":")[1] for line in compose.splitlines() if line.strip().endswith(':3000"'))

    config.write_text("ports:\n  grafana: 3003\n")  # same size: its bytes count, not its mtime
    assert grafana_port() == "3003"
    assert grafana_port(run_env={**env, "LLMOBS_PORTS__GRAFANA": "3004"}) == "3004"
    assert grafana_port("--set", "ports.grafana=3005") == "3005"
    assert grafana_port() == "3003"

    sets = [
        f"kubernetes.storage.{key}" for key in ("traces_bucket=llmobs-t", "logs_bucket=llmobs-l", "region=eu-west-1")
    ]
    for _ in range(2):  # another target: its own entry and its own default directory
        loaded, _ = _render(work, env, "--target", "kubernetes", *(arg for item in sets for arg in ("-s", item)))
    assert "pydantic" not in loaded and "yaml" not in loaded
    kube = _tree(work / ".llmobs-kubernetes")
    assert {p: d for p, d in kube.items() if p != MARKER} == render_kubernetes(
        load(cwd=work, env={}, sets=sets).settings
    )

    config.write_text("ports:\n  grafana: 0\n")  # errors are never stored, nor served from an earlier success
    for _ in range(2):
        _, output, code = _imports_of(["render", "--out", str(tmp_path / "b")], env=env, cwd=work)
        assert code == 2 and output.startswith("error: llmobs.yaml:2: ports.grafana:"), output


def test_the_bundle_cache_covers_every_file_llmobs_installs() -> None:
    """Templates, dashboards, rules and the collector manifest count as much as modules: an edit is a new key."""
    import tomllib

    from llmobs import render as render_mod

    mapping = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert {f"llmobs.{sub}" for sub in cache.SUBPACKAGES} | {"llmobs"} == set(mapping["package-dir"])
    files = {str(p) for p in cache.llmobs_files()}
    for wanted in ("docker-compose.yml.j2", "builder-config.yaml", "build.py", "app.py", "render.py"):
        assert any(f.endswith(f"/{wanted}") for f in files), wanted
    assert not any("__pycache__" in f for f in files)
    assert render_mod.__file__ in files


# --------------------------------------------------------------------------- help pages from the cache


def _launch(
    args: list[str], env: dict[str, str], entry: str = "llmobs.cli.launch", cwd: Path | None = None
) -> tuple[bytes, set[str], int]:
    """The console script (``entry``'s main) in a fresh process: stdout bytes, packages loaded, exit code."""
    code = (
        "import sys\n"
        f"sys.argv = ['llmobs', *{args!r}]\n"
        f"from {entry} import main\n"
        "try:\n    main()\n    code = 0\nexcept SystemExit as exc:\n    code = exc.code or 0\n"
        "print(repr((sorted({m.split('.')[0] for m in sys.modules}), code)), file=sys.stderr)\n"
    )
    run_env = {**os.environ, **env}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, env=run_env, cwd=cwd)
    loaded, exit_code = ast.literal_eval(result.stderr.decode().strip().splitlines()[-1])
    return result.stdout, set(loaded), exit_code


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["render", "--help"], ["config", "show", "--help"]])
def test_help_from_the_cache_is_typers_page_for_every_width(args: list[str], no_llmobs_env: dict[str, str]) -> None:
    """Byte for byte what Typer prints, at each width, with one cache shared across widths; no Typer on a hit."""
    pages = set()
    for columns in ("60", "100", "200", "60"):
        env = {**no_llmobs_env, "COLUMNS": columns}
        typers, _, code = _launch(args, env, entry="llmobs.cli.app")
        assert code == 0 and typers.startswith(b"Usage: llmobs")
        first, loaded, code = _launch(args, env)
        assert (first, code) == (typers, 0)
        again, loaded, code = _launch(args, env)
        assert (again, code) == (typers, 0)
        assert "typer" not in loaded, sorted(loaded)
        pages.add(typers)
    assert len(pages) == 2, "60 and 100 columns give different pages; 100 and 200 the same (Click caps it)"


def test_config_show_table_from_the_cache_is_richs_drawing(tmp_path: Path, no_llmobs_env: dict[str, str]) -> None:
    """The kept table is byte for byte rich's, per width and colour setting and per settings; no rich on a hit."""
    (tmp_path / "llmobs.yaml").write_text("ports:\n  grafana: 3002\n")
    cases = [{"COLUMNS": "80"}, {"COLUMNS": "150"}, {"COLUMNS": "80", "FORCE_COLOR": "1"}, {"COLUMNS": "80"}]
    tables = set()
    for extra in cases:
        env = {**no_llmobs_env, **extra}
        drawn, loaded, code = _launch(["config", "show"], {**env, "LLMOBS_NO_CACHE": "1"}, cwd=tmp_path)
        assert code == 0 and "rich" in loaded and b"3002" in drawn and b"llmobs.yaml:2" in drawn
        for _ in range(2):
            shown, loaded, code = _launch(["config", "show"], env, cwd=tmp_path)
            assert (shown, code) == (drawn, 0)
        assert "rich" not in loaded and "pydantic" not in loaded, sorted(loaded & {"rich", "pydantic"})
        tables.add(drawn)
    assert len(tables) == 3 and any(b"\x1b[" in table for table in tables), "widths and colour draw differently"
    (tmp_path / "llmobs.yaml").write_text("ports:\n  grafana: 3003\n")
    shown, _, _ = _launch(["config", "show"], {**no_llmobs_env, "COLUMNS": "80"}, cwd=tmp_path)
    assert b"3003" in shown and b"3002" not in shown


def test_every_terminal_variable_typer_and_rich_read_is_in_the_page_key() -> None:
    """A variable that changes how Click, Typer or rich draw must be in pages.terminal(), or a kept page
    would be replayed under another look. Found by reading their sources for environment lookups."""
    import re

    import rich
    import typer

    from llmobs.cli import pages

    lookup = re.compile(r"""(?:getenv|environ\.get|environ\[|env)\(?\s*["']([A-Z_][A-Z0-9_]*)["']""")
    unrelated = {  # completion scripts, Typer's pydantic switch, where rich keeps its config: no page drawn
        "COMP_CWORD",
        "COMP_WORDS",
        "PYDANTIC_DISABLE_PLUGINS",
        "XDG_CONFIG_HOME",
    }
    found = set()
    for package in (typer, rich):
        for source in Path(package.__file__).parent.rglob("*.py"):
            found |= set(lookup.findall(source.read_text("utf-8")))
    assert {"COLUMNS", "FORCE_COLOR", "NO_COLOR"} <= found, "the source scan finds nothing: fix the pattern"
    missing = {
        name
        for name in found - unrelated
        if name not in pages.TERMINAL_VARS and not name.startswith(pages.TERMINAL_PREFIXES)
    }
    assert not missing, f"add to pages.TERMINAL_VARS (or to unrelated, saying why): {sorted(missing)}"


def test_only_clean_help_requests_are_stored(no_llmobs_env: dict[str, str]) -> None:
    folder = Path(no_llmobs_env["LLMOBS_CACHE"]) / "render-cache"
    for args in (["nonsense", "--help"], ["render", "--out", "x", "--help"], ["--version"], ["status", "-h", "x"]):
        _launch(args, no_llmobs_env)
    assert not list(folder.glob("help*"))
    _, _, code = _launch(["nonsense", "--help"], no_llmobs_env)
    assert code == 2, "an unknown command is still Typer's error"
    _, loaded, _ = _launch(["--help"], {**no_llmobs_env, "LLMOBS_NO_CACHE": "1"})
    assert "typer" in loaded and not list(folder.glob("help*"))


def test_a_page_is_kept_only_when_drawn_cleanly(tmp_path: Path) -> None:
    """Kept: stdout of a draw that returned or exited 0 with nothing on stderr. Not kept: a warning on stderr
    (a replay prints stdout only), a non-zero exit, an exception."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from llmobs.cli import pages\n"
        "mode, page = sys.argv[1], Path(sys.argv[2])\n"
        "def draw():\n"
        "    print('table ünï')\n"
        "    if mode == 'warn': print('warning: x', file=sys.stderr)\n"
        "    if mode == 'exit0': sys.exit(0)\n"
        "    if mode == 'exit1': sys.exit(1)\n"
        "    if mode == 'raise': raise RuntimeError('boom')\n"
        "pages.draw_and_keep(page, draw)\n"
    )
    for mode, kept in (("warn", False), ("exit1", False), ("raise", False), ("plain", True), ("exit0", True)):
        page = tmp_path / f"t-{mode}"
        result = subprocess.run([sys.executable, "-c", script, mode, str(page)], capture_output=True, timeout=60)
        assert result.stdout == "table ünï\n".encode(), (mode, result.stdout, result.stderr)
        assert page.exists() == kept, mode
        if kept:
            assert page.read_bytes() == result.stdout


def test_the_help_key_follows_installed_files_and_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_llmobs_env: dict[str, str]
) -> None:
    from llmobs.cli import pages

    monkeypatch.setenv("LLMOBS_CACHE", no_llmobs_env["LLMOBS_CACHE"])
    module = tmp_path / "app.py"
    module.write_text("HELP = 'a'\n")
    monkeypatch.setattr(cache, "llmobs_files", lambda: [module])
    first = pages.help_page(["render", "--help"])
    assert first is not None and first == pages.help_page(["render", "--help"])
    module.write_text("HELP = 'bb'\n")
    edited = pages.help_page(["render", "--help"])
    assert edited != first
    monkeypatch.setenv("COLUMNS", "71")
    assert pages.help_page(["render", "--help"]) not in (first, edited)
    monkeypatch.setenv("_TYPER_FORCE_DISABLE_TERMINAL", "1")
    assert pages.help_page(["render", "--help"]) not in (first, edited)
    assert pages.help_page(["render", "-o", "x", "--help"]) is None
    assert pages.help_page(["render"]) is None


# --------------------------------------------------------------------------- Typer coercion without pydantic


def _typer_params() -> list[tuple[Any, Any]]:
    """Every (command, parameter) of the llmobs CLI, nested groups included."""
    import typer.main

    found = []

    def walk(command: Any) -> None:
        for param in command.params:
            found.append((command, param))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return found


def test_plain_coercion_is_typers_own_for_every_llmobs_parameter(tmp_path: Path) -> None:
    """`options._plain` must give what Typer's pydantic adapter gives (or refuse the same way), for every
    parameter it takes on; and it must take on every text and path parameter llmobs has."""
    from typer._click.core import Context
    from typer._click.exceptions import BadParameter
    from typer._coercion import build_runtime_param

    from llmobs.cli.options import _NOT_PLAIN, _plain

    existing, folder = tmp_path / "f.yaml", tmp_path / "d"
    existing.write_text("x")
    folder.mkdir()
    texts = ["x", "", "3001", "a=b", " spaced ", "-", "ünï", str(existing), str(folder), str(tmp_path / "none")]
    checked = 0
    for command, param in _typer_params():
        desc = param.type_descriptor
        many = param.multiple or param.nargs == -1
        values: list[Any] = [tuple(texts), (), ("one",)] if many else texts
        ctx = Context(command)
        for value in values:
            mine = _plain(value, param, ctx)
            if mine is _NOT_PLAIN:
                assert desc.annotation not in (str, Path, list[str], list[Path]), f"{param.name}: not taken on"
                break
            try:
                typers = build_runtime_param(desc).coerce(value, param=param, ctx=ctx)
            except BadParameter as exc:
                typers = ("refused", str(exc))
            assert (type(mine), mine) == (type(typers), typers), f"{command.name} {param.name} {value!r}"
            checked += 1
    assert checked > 50
    _, output, code = _imports_of(["render", "--out", str(existing)], cwd=tmp_path)
    assert code == 2 and "f.yaml" in output, "a file where the bundle directory goes must still be refused"


# --------------------------------------------------------------------------- the render cache


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LLMOBS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LLMOBS_NO_CACHE", raising=False)
    return tmp_path / "cache" / "render-cache"


def test_cached_price_file_is_the_export_and_is_served_from_disk(
    cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = prices.price_file()
    assert cache.price_file() == fresh
    assert [p.read_bytes() for p in cache_root.glob("prices-*")] == [fresh]

    def refuse() -> bytes:
        raise AssertionError("recomputed although nothing changed")

    monkeypatch.setattr(prices, "price_file", refuse)
    assert cache.price_file() == fresh


def test_cache_key_follows_every_input(tmp_path: Path) -> None:
    source = tmp_path / "data.py"
    source.write_text("A = 1\n")
    first = cache.key("prices", [source])
    assert cache.key("prices", [source]) == first
    os.utime(source, ns=(1, 1))
    touched = cache.key("prices", [source])
    assert touched != first
    source.write_text("A = 22\n")
    os.utime(source, ns=(1, 1))
    assert cache.key("prices", [source]) != touched, "same mtime, other size"
    assert cache.key("other", [source]) != cache.key("prices", [source])


def test_the_price_cache_covers_genai_prices_data_and_llmobs_sources() -> None:
    import genai_prices

    inputs = set(cache.package_files("genai_prices"))
    assert Path(genai_prices.__file__).parent / "data.py" in inputs
    assert Path(prices.__file__) in set(Path(cache.__file__).parent.glob("*.py"))


def test_no_cache_and_an_unusable_cache_dir_still_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def produce() -> bytes:
        calls.append(1)
        return b"x"

    monkeypatch.setenv("LLMOBS_NO_CACHE", "1")
    assert cache.cached("t", [], produce) == b"x" and cache.cache_dir() is None
    monkeypatch.delenv("LLMOBS_NO_CACHE")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("LLMOBS_CACHE", str(blocker))  # its "render-cache" folder can never be created
    assert cache.cached("t", [], produce) == b"x"
    assert cache.cached("t", [], produce) == b"x"
    assert len(calls) == 3


def test_old_entries_are_pruned(cache_root: Path) -> None:
    for i in range(cache.KEEP + 3):  # a different input each time: a new key, a new entry
        cache.cached("t", [Path(f"/nonexistent/{i}")], lambda i=i: str(i).encode())
    assert len(list(cache_root.glob("t-*"))) == cache.KEEP


def test_jinja_bytecode_cache_gives_the_same_bundle(cache_root: Path, tmp_path: Path) -> None:
    """Rendering with compiled templates from disk is byte-identical to compiling them; edits recompile."""
    from llmobs.config import load
    from llmobs.render import render

    settings = load(cwd=tmp_path, env={}).settings
    first = render(settings)
    entries = sorted((cache_root / "jinja").iterdir())
    assert entries, "render stored no compiled templates"
    assert render(settings) == first
    assert sorted((cache_root / "jinja").iterdir()) == entries, "a second render compiled again"
    bcc = cache.jinja_bytecode_cache()
    import jinja2

    env = jinja2.Environment(bytecode_cache=bcc, loader=jinja2.DictLoader({"t.j2": "a {{ x }}"}))
    assert env.get_template("t.j2").render(x=1) == "a 1"
    env = jinja2.Environment(bytecode_cache=bcc, loader=jinja2.DictLoader({"t.j2": "b {{ x }}"}))
    assert env.get_template("t.j2").render(x=1) == "b 1", "a changed source must not be served stale"
