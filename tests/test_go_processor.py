"""Our own collector components' Go checks (the llmobs processor and connector), run from the README's
test command (scripts/test -> pytest).

`go vet`, gofmt, the package tests (table tests, the PII corpus, the cost parity runs from
tests/test_prices.py) and a bounded native-fuzzing run of every fuzz target: a masker that panics,
is not idempotent, or changes text without a detector hit fails CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.procs import REPO, require

MODULES = [REPO / "collector" / "processor" / "llmobsprocessor", REPO / "collector" / "connector" / "llmobsconnector"]
FUZZ_SECONDS = int(os.environ.get("LLMOBS_FUZZ_SECONDS", "20"))  # per target; bounded, stops by itself


def _go() -> str:
    go = shutil.which("go")
    require(go, "Go", "install Go 1.26 (https://go.dev/dl/)")
    assert go is not None
    return go


def _run(module: Path, *argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    return subprocess.run(argv, cwd=module, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_go_vet_and_gofmt_clean(module: Path) -> None:
    go = _go()
    vet = _run(module, go, "vet", "./...")
    assert vet.returncode == 0, vet.stderr[-3000:]
    gofmt = shutil.which("gofmt") or str(Path(go).with_name("gofmt"))
    fmt = _run(module, gofmt, "-l", ".")
    assert fmt.returncode == 0 and not fmt.stdout.strip(), f"not gofmt-clean: {fmt.stdout}{fmt.stderr}"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_go_unit_tests_pass(module: Path) -> None:
    result = _run(module, _go(), "test", "-count=1", "./...")
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]


def _fuzz_targets() -> list[tuple[Path, str, str]]:
    found = []
    for module in MODULES:
        for path in sorted(module.rglob("*_test.go")):
            for name in re.findall(r"^func (Fuzz\w+)\(f \*testing\.F\)", path.read_text(), re.M):
                found.append((module, "./" + path.parent.relative_to(module).as_posix(), name))
    return found


def test_there_are_fuzz_targets() -> None:
    assert any(name == "FuzzMask" for _, _, name in _fuzz_targets())


@pytest.mark.parametrize(("module", "package", "target"), _fuzz_targets(), ids=lambda x: getattr(x, "name", x))
def test_fuzz_for_a_bounded_time(module: Path, package: str, target: str) -> None:
    result = _run(
        module,
        _go(),
        "test",
        package,
        "-run=^$",
        f"-fuzz=^{target}$",
        f"-fuzztime={FUZZ_SECONDS}s",
        timeout=FUZZ_SECONDS + 600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
