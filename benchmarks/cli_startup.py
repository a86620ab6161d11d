"""How long the everyday commands take from an installed llmobs, and what `--help` imports (issue 16).

Times, in fresh processes, ``llmobs --help``, ``llmobs config show`` (no llmobs.yaml: the defaults),
``llmobs status`` without an engine (DOCKER_HOST points at a socket nobody listens on, so it exits 2
with one line) and ``llmobs render`` (to a temporary directory, nothing changed). Those are the steady
state: a first untimed run of each warms the page cache, the ``.pyc`` files and llmobs' cache (the
render cache, the settings cache ``config show`` reads and the bundle cache ``render`` reads).
``config_show_cold`` and ``render_cold`` are the first run after an install or an upgrade
(``LLMOBS_NO_CACHE=1``), shown for reference.

Measure a real wheel install, not the editable dev venv (from the checkout; ``rm -rf build`` first if a
stale ``build/`` folder exists, or setuptools copies modules deleted since into the wheel)::

    python3 -m venv /tmp/cli-venv && /tmp/cli-venv/bin/pip install -q -c constraints.txt .
    /tmp/cli-venv/bin/python benchmarks/cli_startup.py
    # before/after: one line per venv, runs interleaved so both see the same machine load
    python3 benchmarks/cli_startup.py --venv /tmp/cli-venv-before --venv /tmp/cli-venv

Each figure is the median of ``--runs`` runs: wall seconds (the target applies to it, on a quiet
machine) and CPU seconds (user+sys of the child, which moves far less when other work shares the
cores, so it is the figure to compare on a busy machine); ``best_s`` is the fastest run's wall time.
Targets, 2 cores: --help <= 0.15 s, config show and status <= 0.3 s, render <= 0.5 s. The last lines
are ``key=value`` per venv.
"""

from __future__ import annotations

import argparse
import ast
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# label: (arguments, target wall seconds or None, extra environment)
COMMANDS: dict[str, tuple[list[str], float | None, dict[str, str]]] = {
    "help": (["--help"], 0.15, {}),
    "config_show": (["config", "show"], 0.3, {}),
    "config_show_cold": (["config", "show"], None, {"LLMOBS_NO_CACHE": "1"}),
    "status": (["status"], 0.3, {}),
    "render": (["render", "--out", "{out}"], 0.5, {}),
    "render_cold": (["render", "--out", "{out}"], None, {"LLMOBS_NO_CACHE": "1"}),
}
# What `llmobs --help` must never import: each is tens of milliseconds and no part of printing help.
HEAVY_FOR_HELP = ("docker", "opentelemetry", "jinja2", "pydantic", "yaml", "rich", "genai_prices", "requests")


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """Wall and CPU (user+sys) seconds of one fresh process, and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    code = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, code


def _help_imports(python: Path, env: dict[str, str]) -> list[str]:
    probe = (
        "import sys; sys.argv = ['llmobs', '--help']\n"
        "from llmobs.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY_FOR_HELP!r})))"
    )
    out = subprocess.run([str(python), "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    return ast.literal_eval(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--venv",
        action="append",
        type=Path,
        help="a virtualenv with llmobs installed (repeat to compare; default: the one running this script)",
    )
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    venvs = args.venv or [Path(sys.prefix)]

    with tempfile.TemporaryDirectory(prefix="llmobs-bench-") as tmp:
        work = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLMOBS_")}
        env["DOCKER_HOST"] = f"unix://{work / 'no-engine.sock'}"  # nobody listens: status without an engine
        env["LLMOBS_CACHE"] = str(work / "cache")  # a fresh cache, warmed by the first render below
        cmds: dict[tuple[Path, str], tuple[list[str], dict[str, str]]] = {}
        for i, venv in enumerate(venvs):
            exe = venv / "bin" / "llmobs"
            if not exe.exists():
                sys.exit(f"{exe}: not found; install llmobs into {venv} first")
            out = str(work / f"bundle-{i}")
            for label, (argv, _, extra) in COMMANDS.items():
                cmds[(venv, label)] = ([str(exe), *(a.format(out=out) for a in argv)], {**env, **extra})
        for cmd, cmd_env in cmds.values():  # warm page cache, .pyc files and the render cache
            _run(cmd, cmd_env, work)

        walls: dict[tuple[Path, str], list[float]] = {key: [] for key in cmds}
        cpus: dict[tuple[Path, str], list[float]] = {key: [] for key in cmds}
        codes: dict[tuple[Path, str], set[int]] = {key: set() for key in cmds}
        for _ in range(args.runs):  # round-robin: every command and venv sees the same load over time
            for key, (cmd, cmd_env) in cmds.items():
                wall, cpu, code = _run(cmd, cmd_env, work)
                walls[key].append(wall)
                cpus[key].append(cpu)
                codes[key].add(code)

        load = os.getloadavg()[0]
        print(f"runs={args.runs} cores={os.cpu_count()} load1={load:.2f} (targets assume a quiet machine)")
        print(f"{'venv':<28} {'command':<16} {'wall_s':>7} {'cpu_s':>7} {'best_s':>7} {'target':>7}  exit")
        summary = []
        for venv in venvs:
            heavy = _help_imports(venv / "bin" / "python", env)
            figures = []
            for label, (_, target, _) in COMMANDS.items():
                key = (venv, label)
                wall, cpu, best = statistics.median(walls[key]), statistics.median(cpus[key]), min(walls[key])
                mark = "" if target is None else f"{target:.2f}" + (" ok" if wall <= target else " OVER")
                print(f"{venv!s:<28} {label:<16} {wall:7.3f} {cpu:7.3f} {best:7.3f} {mark:>7}  {sorted(codes[key])}")
                figures.append(f"{label}_s={wall:.3f} {label}_cpu_s={cpu:.3f}")
            print(f"{venv!s:<28} --help imports of {', '.join(HEAVY_FOR_HELP)}: {heavy or 'none'}")
            summary.append(f"{venv} " + " ".join(figures))
        print("\n".join(summary))


if __name__ == "__main__":
    main()
