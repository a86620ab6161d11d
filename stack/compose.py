"""The compose tool: ``docker compose`` (v2), falling back to ``docker-compose`` (v1, or v2 standalone).

Why shell out instead of reimplementing compose with the SDK: compose already
decides which containers a changed file affects (its own config hash, which
includes our ``io.llmobs.config-hash`` label), so a second ``llmobs up``
recreates exactly what changed and nothing else, the same as a user's own
``docker compose up``. Every call names the file and the project explicitly
(``-f <bundle>/docker-compose.yml -p <project>``), so nothing depends on the
working directory, and a failure becomes one LlmobsError with compose's own
last line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from llmobs.errors import LlmobsError

INSTALL_URL = "https://docs.docker.com/compose/install/linux/"
# Candidates in order of preference: the v2 CLI plugin, then a standalone binary (v1 is Python, v2 Go).
CANDIDATES: tuple[tuple[str, ...], ...] = (("docker", "compose"), ("docker-compose",))


@dataclass(frozen=True)
class Tool:
    """A working compose command and the version it reports."""

    argv: tuple[str, ...]
    version: str

    @property
    def name(self) -> str:
        return " ".join([Path(self.argv[0]).name, *self.argv[1:]])

    @property
    def v1(self) -> bool:
        """docker-compose 1.x (Python): predates the top-level ``name`` key of the Compose Specification."""
        return self.version.startswith("1.")


def find_tool() -> Tool:
    """The first compose command that answers ``version``; an LlmobsError naming the fix when none does."""
    for candidate in CANDIDATES:
        exe = shutil.which(candidate[0])
        if not exe:
            continue
        try:
            out = subprocess.run(
                [exe, *candidate[1:], "version", "--short"], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.SubprocessError):
            continue
        version = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
        if out.returncode == 0 and version:
            return Tool((exe, *candidate[1:]), version.lstrip("v"))
    raise LlmobsError(
        "no compose tool found: neither `docker compose` (v2) nor `docker-compose` runs",
        fix=f"install the Docker Compose plugin ({INSTALL_URL})",
    )


@dataclass(frozen=True)
class Compose:
    """One compose project: the tool, the bundle's compose file and the project name."""

    tool: Tool
    file: Path
    project: str

    def argv(self, *args: str) -> list[str]:
        # v1 reads the file minus `name:` from stdin (see stdin()) and, run in the bundle dir (cwd()),
        # resolves ./collector/... and .env there.
        source = ["-f", "-", "--project-directory", str(self.file.parent)] if self.tool.v1 else ["-f", str(self.file)]
        return [*self.tool.argv, *source, "-p", self.project, *args]

    def stdin(self) -> str | None:
        """What v1 reads as its compose file: ours without the top-level ``name`` key it rejects (``-p`` names it)."""
        if not self.tool.v1:
            return None
        return "".join(line for line in self.file.read_text("utf-8").splitlines(True) if not line.startswith("name:"))

    def run(self, *args: str, timeout: float = 600) -> str:
        """Run a compose command to completion; its output, or an LlmobsError with its last error line."""
        try:
            out = subprocess.run(
                self.argv(*args),
                input=self.stdin(),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=_env(),
                cwd=self.file.parent,
            )
        except subprocess.TimeoutExpired:
            raise LlmobsError(
                f"`{self.tool.name} {args[0]}` did not finish within {timeout:.0f}s",
                fix="check the engine with `llmobs doctor`",
            ) from None
        if out.returncode != 0:
            raise LlmobsError(
                f"`{self.tool.name} {' '.join(args)}` failed: {_reason(out.stderr or out.stdout)}",
                where=str(self.file),
                fix="see `llmobs logs`, or run `llmobs doctor`",
            )
        return out.stdout + out.stderr

    def up(self) -> str:
        # --remove-orphans: services a new backend no longer renders (tempo, loki, ...) go away.
        return self.run("up", "--detach", "--remove-orphans")

    def down(self, volumes: bool) -> str:
        return self.run("down", "--remove-orphans", *(["--volumes"] if volumes else []))

    def logs(self, services: list[str], follow: bool, tail: int | None) -> int:
        """Stream logs to this terminal (no capture: ``-f`` runs until Ctrl-C); compose's exit code."""
        args = ["logs", "--no-color"]
        if follow:
            args.append("--follow")
        if tail is not None:
            args += ["--tail", str(tail)]
        source = self.stdin()
        try:
            with subprocess.Popen(
                self.argv(*args, *services),
                stdin=subprocess.PIPE if source else None,
                text=True,
                env=_env(),
                cwd=self.file.parent,
            ) as proc:
                if source:
                    proc.communicate(source)
                return proc.wait()
        except KeyboardInterrupt:
            return 0


def _env() -> dict[str, str]:
    # Compose v2 prints ANSI progress to a terminal; captured output should be plain lines.
    return {**os.environ, "COMPOSE_ANSI": "never", "COMPOSE_PROGRESS": "plain"}


def _reason(text: str) -> str:
    """The line that says what went wrong: v2 ends with ``Error ...``; v1 explains in its first lines."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    marked = [
        line for line in lines if line.lower().startswith("error") or "error response from daemon" in line.lower()
    ]
    if marked:
        return marked[-1]
    return " ".join(lines[:2]) or "no output"
