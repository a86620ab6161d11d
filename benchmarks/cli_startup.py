"""Median wall time of `llmobs --help` in a fresh interpreter (target: <= 0.25 s).

Also checks that --help imports none of the heavy modules (docker, opentelemetry,
jinja2, pydantic) and reports the import time of `llmobs` itself (target <= 0.15 s).
Last line: `median_s=<help> import_s=<import llmobs>`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 15
HEAVY = ("docker", "opentelemetry", "jinja2", "pydantic")


def _time(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    help_cmd = [
        sys.executable,
        "-c",
        "import sys; sys.argv=['llmobs','--help']; from llmobs.cli.app import main; main()",
    ]
    import_cmd = [sys.executable, "-c", "import llmobs"]
    baseline_cmd = [sys.executable, "-c", "pass"]
    probe = (
        "import sys; sys.argv=['llmobs','--help']\n"
        "from llmobs.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    heavy = loaded.strip().splitlines()[-1]
    for cmd in (help_cmd, import_cmd):  # warm the page cache and .pyc files
        _time(cmd)
    helps, imports, bases = [], [], []
    for _ in range(RUNS):
        helps.append(_time(help_cmd))
        imports.append(_time(import_cmd))
        bases.append(_time(baseline_cmd))
    median_help = statistics.median(helps)
    median_import = statistics.median(imports) - statistics.median(bases)
    print(f"runs={RUNS} python_startup_s={statistics.median(bases):.3f} heavy_modules_loaded_by_help={heavy}")
    print(f"median_s={median_help:.3f} import_s={median_import:.3f}")


if __name__ == "__main__":
    main()
