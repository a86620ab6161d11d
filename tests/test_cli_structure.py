"""Imports point one way: the CLI's modules (issue 14, item 4) and every llmobs module.

cli/options.py holds what every command shares; the command modules import it; cli/app.py imports
them all. Before, app.py and the command modules imported each other at the bottom of the files
(``noqa: E402``), which worked only in one import order.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CLI = Path(__file__).resolve().parent.parent / "cli"


def _cli_imports(path: Path) -> set[str]:
    """The llmobs.cli modules ``path`` imports, anywhere in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "llmobs.cli":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("llmobs.cli."):
                found.add(node.module.rsplit(".", 1)[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.rsplit(".", 1)[1] for a in node.names if a.name.startswith("llmobs.cli.")}
    return found


def test_the_cli_modules_form_no_import_cycle() -> None:
    graph = {path.stem: _cli_imports(path) for path in CLI.glob("*.py") if path.stem != "__init__"}
    assert graph["options"] == set() and graph["pages"] == set()
    commands = {name for name in graph if name.endswith("_cmds")}
    assert commands == {"stack_cmds", "app_cmds", "alerts_cmds"}
    for name in commands:
        assert graph[name] == {"options"}, name
    assert graph["app"] == {"options", "pages", *commands}
    assert graph["launch"] == {"pages", "app"}  # the console script: cached help pages, else the app


def test_no_import_waits_for_the_end_of_a_file() -> None:
    """Every module-level import is at the top (no E402 exemptions left)."""
    for path in CLI.glob("*.py"):
        body = ast.parse(path.read_text("utf-8")).body
        seen_code = False
        for node in body:
            is_import = isinstance(node, ast.Import | ast.ImportFrom)
            is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            if is_import:
                assert not seen_code, f"{path.name}:{node.lineno} imports after code"
            elif not is_docstring:
                seen_code = True
        assert "noqa: E402" not in path.read_text("utf-8"), path.name


def test_every_command_module_imports_first_in_a_fresh_process() -> None:
    """Each module can be the first one imported (the old cycle broke some orders)."""
    for module in ("options", "pages", "stack_cmds", "app_cmds", "alerts_cmds", "app", "launch"):
        code = f"import llmobs.cli.{module}; import llmobs.cli.app as a; print(len(a.app.registered_commands))"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
        assert out.returncode == 0, out.stderr
        assert int(out.stdout) >= 9


def _module_graph() -> dict[str, set[str]]:
    """llmobs module -> the llmobs modules it imports anywhere (function-level included); package roots
    (``llmobs``, ``llmobs.sdk``, ``llmobs.cli``: version and lazy re-exports) are left out."""
    root = CLI.parent
    modules: dict[str, Path] = {}
    for folder, package in (("stack", "llmobs"), ("cli", "llmobs.cli"), ("grafana", "llmobs.grafana")):
        for path in (root / folder).rglob("*.py"):
            if path.name != "__init__.py":
                rel = path.relative_to(root / folder).with_suffix("")
                modules[".".join([package, *rel.parts])] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("llmobs"):
                candidates = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
                found |= {c for c in candidates if c in modules}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in modules}
        graph[name] = found - {name}
    return graph


def test_no_import_cycle_between_llmobs_modules() -> None:
    graph = _module_graph()
    assert {"llmobs.render", "llmobs.kubernetes", "llmobs.services", "llmobs.cli.app"} <= set(graph)
    assert "llmobs.render" in graph["llmobs.kubernetes"]  # the graph sees function-level imports too
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        for dep in sorted(graph[name]):
            assert dep not in path, " -> ".join([*path[path.index(dep) :], dep])
            if dep not in done:
                visit(dep, [*path, dep])
        done.add(name)

    for name in sorted(graph):
        visit(name, [name])
