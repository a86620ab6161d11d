"""The app side is its own package, ``llmobs.sdk``, and stays clear of the stack runner.

An instrumented app imports ``llmobs``; it must not load the CLI's and the stack runner's libraries
(docker, typer, jinja2, pydantic, rich, yaml), which cost import time and memory in every app process.
Two checks: what a fresh process has in ``sys.modules`` after the app-side imports, and a static walk
of every sdk module's imports (including those inside functions, which the first check cannot see
until they run), which may leave ``llmobs.sdk`` only for the leaf modules below.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import llmobs
import llmobs.sdk

ROOT = Path(__file__).resolve().parents[1]
STACK = ROOT / "stack"  # the folder of the package `llmobs` (pyproject.toml package-dir)
SDK = STACK / "sdk"

# What the stack side needs and an app must never load.
STACK_LIBRARIES = ("docker", "typer", "jinja2", "pydantic", "rich", "yaml")

# The llmobs modules outside llmobs.sdk that sdk modules may import, and what each of them may import
# from llmobs in turn. catalog, names and errors hold facts both sides share (the OTLP ports, the demo's
# defaults, RATE_LIMIT_ERROR_RE, LlmobsError) and import nothing from llmobs; the package root holds
# __version__ and forwards llmobs.init & co. to llmobs.sdk.
LEAVES: dict[str, frozenset[str]] = {
    "llmobs": frozenset({"llmobs.sdk"}),
    "llmobs.catalog": frozenset(),
    "llmobs.names": frozenset(),
    "llmobs.errors": frozenset(),
}

PUBLIC = ("init", "agent", "tool", "llm", "conversation", "evaluate")


def _loaded_after(code: str) -> dict[str, list[str]]:
    """Run ``code`` in a fresh interpreter; which stack libraries and llmobs modules it left loaded."""
    probe = (
        f"{code}\n"
        "import json, sys\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        f"print(json.dumps({{'stack': sorted(top & set({STACK_LIBRARIES!r})),\n"
        "    'llmobs': sorted(m for m in sys.modules if m == 'llmobs' or m.startswith('llmobs.'))}), flush=True)\n"
        "import os; os._exit(0)  # no exit-time flush: init()'s exporters would retry an endpoint nobody serves\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("code", "must_have_loaded"),
    [
        ("import llmobs", "llmobs"),
        ("import llmobs.sdk", "llmobs.sdk"),
        ("import llmobs\nllmobs.init", "llmobs.sdk.instrument"),  # resolved lazily by the attribute access
        (
            "from llmobs.sdk import init, agent, tool, llm, conversation, evaluate\n"
            "import llmobs.sdk.demo, llmobs.sdk.errortype, llmobs.sdk.identity",
            "llmobs.sdk.demo",
        ),
        (
            # What init() itself loads: providers, OTLP exporters, the log bridge, the helpers. The app's
            # own instrumentations (openai brings pydantic) are taken out: they are the app's choice.
            "import os, llmobs, llmobs.sdk.instrument as i\n"
            "i.genai_instrumentors = lambda: []\n"
            "llmobs.init(service_name='probe', endpoint='http://127.0.0.1:9')\n"
            "with llmobs.agent('a'), llmobs.conversation('c', user='u'):\n"
            "    llmobs.evaluate('e', score=1.0)",
            "llmobs.sdk.telemetry",
        ),
    ],
    ids=["import-llmobs", "import-sdk", "llmobs.init-attribute", "every-sdk-module", "init-called"],
)
def test_app_side_loads_no_stack_library(code: str, must_have_loaded: str) -> None:
    loaded = _loaded_after(code)
    assert must_have_loaded in loaded["llmobs"], loaded  # the probe really imported what it is about
    assert loaded["stack"] == [], f"{code!r} loaded {loaded['stack']}"
    outside = [m for m in loaded["llmobs"] if m != "llmobs.sdk" and not m.startswith("llmobs.sdk.")]
    assert set(outside) <= set(LEAVES), f"{code!r} loaded stack modules {sorted(set(outside) - set(LEAVES))}"


def test_import_llmobs_reads_only_its_own_file() -> None:
    """``import llmobs`` (the CLI and every app pay for it) leaves even llmobs.sdk for the first attribute use."""
    assert _loaded_after("import llmobs")["llmobs"] == ["llmobs"]


def test_the_probe_sees_a_stack_library() -> None:
    """The check above can fail: the settings model, a stack module, loads pydantic (and is no leaf)."""
    loaded = _loaded_after("import llmobs.settings")
    assert "pydantic" in loaded["stack"]
    assert "llmobs.settings" not in LEAVES


def _module_name(path: Path) -> str:
    rel = path.relative_to(STACK).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(["llmobs", *parts])


def _is_package(module: str) -> bool:
    folder = STACK.joinpath(*module.split(".")[1:])
    return (folder / "__init__.py").is_file()


def _is_module(module: str) -> bool:
    parts = module.split(".")[1:]
    return _is_package(module) or (bool(parts) and STACK.joinpath(*parts).with_suffix(".py").is_file())


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, at any depth (functions, TYPE_CHECKING blocks).

    ``from llmobs import catalog`` imports the module ``llmobs.catalog``; ``from llmobs import __version__``
    imports ``llmobs`` itself. Relative imports are resolved against the file's own package.
    """
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((node.lineno, sub if base.startswith("llmobs") and _is_module(sub) else base))
    return found


def _llmobs(module: str) -> bool:
    return module == "llmobs" or module.startswith("llmobs.")


def _in_sdk(module: str) -> bool:
    return module == "llmobs.sdk" or module.startswith("llmobs.sdk.")


def test_sdk_modules_import_only_the_sdk_and_the_leaf_modules() -> None:
    files = sorted(SDK.rglob("*.py"))
    assert {"__init__.py", "instrument.py", "telemetry.py", "identity.py", "errortype.py", "demo.py"} <= {
        f.name for f in files
    }
    bad = []
    for path in files:
        for line, module in _imports(path):
            top = module.split(".")[0]
            if top in STACK_LIBRARIES:
                bad.append(f"{path.relative_to(ROOT)}:{line}: imports {module}, a stack library")
            elif _llmobs(module) and not _in_sdk(module) and module not in LEAVES:
                bad.append(
                    f"{path.relative_to(ROOT)}:{line}: imports {module}; the sdk may leave llmobs.sdk "
                    f"only for {sorted(LEAVES)}"
                )
    assert bad == []


def test_the_leaf_modules_import_nothing_else_from_llmobs() -> None:
    bad = []
    for leaf, allowed in LEAVES.items():
        path = STACK / "__init__.py" if leaf == "llmobs" else STACK.joinpath(*leaf.split(".")[1:]).with_suffix(".py")
        for line, module in _imports(path):
            inside = _llmobs(module) and not any(module == a or module.startswith(f"{a}.") for a in allowed)
            third_party = not _llmobs(module) and module.split(".")[0] not in sys.stdlib_module_names
            if inside or third_party:
                bad.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    assert bad == []


def test_the_import_walk_sees_what_the_files_import() -> None:
    """The static checks above can fail: the walk resolves each import form to the module it loads."""
    found = {module for _, module in _imports(SDK / "telemetry.py")}
    assert {"llmobs", "llmobs.sdk.identity", "llmobs.sdk.errortype", "opentelemetry"} <= found
    found = {module for _, module in _imports(SDK / "instrument.py")}
    assert {"llmobs.catalog", "llmobs.errors", "llmobs.sdk.telemetry"} <= found  # the last two inside functions


def test_public_names_are_the_sdk_objects() -> None:
    """``llmobs.X`` and ``llmobs.sdk.X`` are one object, defined in the sdk (no second definition)."""
    assert sorted(llmobs.sdk.__all__) == sorted(PUBLIC)
    assert sorted(set(llmobs.__all__) - {"__version__"}) == sorted(llmobs.sdk.__all__)
    for name in PUBLIC:
        obj = getattr(llmobs, name)
        assert obj is getattr(llmobs.sdk, name)
        assert obj.__module__ in ("llmobs.sdk.instrument", "llmobs.sdk.telemetry"), (name, obj.__module__)
    for old in ("instrument", "telemetry", "identity", "errortype", "demo"):  # moved, no shim left behind
        assert importlib.util.find_spec(f"llmobs.{old}") is None, old
        with pytest.raises(AttributeError):
            getattr(llmobs, old)


def test_every_package_folder_is_in_the_wheel() -> None:
    """CI installs a wheel: a folder of the llmobs package missing from pyproject's list would not be in it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    folders = {_module_name(init) for init in STACK.rglob("__init__.py")}
    assert "llmobs.sdk" in folders
    assert folders - listed == set()
