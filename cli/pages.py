"""Printed pages served from the cache: help pages and ``config show``'s table (issue 16).

A help page is a pure function of the installed llmobs and Typer, the words typed and the terminal; the
settings table is one of the settings (already cached, :func:`llmobs.config.effective`), rich and the
terminal. Yet printing either costs importing the library that draws it: ``import typer`` alone is
0.12 s of a 0.2 s ``llmobs --help`` on this project's 2-core machine (budget 0.15 s), and rich's import
and table layout 0.15 s of ``config show`` (budget 0.3 s). So the first time, the page is drawn as
always and the bytes printed are kept; later the bytes are printed without importing either.

The key (:func:`llmobs.cache.key`) covers everything the page can depend on: the installed files that
draw it (size and mtime: an upgrade or an edit is a new key), the Python and llmobs versions, what is
shown, and :func:`terminal`: stdout's encoding, whether it is a terminal, the size of each standard
stream's terminal (rich asks all three) and every environment variable Click, Typer and rich read for
width and colour (tests/test_cli_startup.py checks the list against their sources). Only a page drawn
without error is kept. ``LLMOBS_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from pathlib import Path

# What Click (shutil.get_terminal_size), Typer and rich read from the environment to size and colour output.
TERMINAL_VARS = frozenset(
    {
        "COLORTERM",
        "COLUMNS",
        "DATABRICKS_RUNTIME_VERSION",
        "FORCE_COLOR",
        "GITHUB_ACTIONS",
        "JUPYTER_COLUMNS",
        "JUPYTER_LINES",
        "LINES",
        "NO_COLOR",
        "PY_COLORS",
        "TERM",
        "TERMINAL_WIDTH",
        "TTY_COMPATIBLE",
        "TTY_INTERACTIVE",
        "UNICODE_VERSION",  # rich: character cell widths
    }
)
TERMINAL_PREFIXES = ("TYPER", "_TYPER", "CLICK", "_CLICK")


def terminal() -> str:
    """What a drawn page depends on besides its content: stdout and the terminal, as text for a cache key."""
    stdout = sys.stdout
    sizes = []
    for fd in (0, 1, 2):
        try:
            sizes.append(tuple(os.get_terminal_size(fd)))
        except (OSError, ValueError):
            sizes.append(None)
    try:
        tty = stdout.isatty()
    except (AttributeError, ValueError):
        tty = None
    env = sorted(
        (name, value)
        for name, value in os.environ.items()
        if name in TERMINAL_VARS or name.startswith(TERMINAL_PREFIXES)
    )
    return repr((getattr(stdout, "encoding", None), tty, sizes, env))


def entry(kind: str, inputs: Iterable[Path], shown: str) -> Path | None:
    """The cache entry for a page of ``kind`` drawn by ``inputs`` from ``shown``; None when caching is off
    or the standard streams have no byte streams to record and replay through."""
    if getattr(sys.stdout, "buffer", None) is None or getattr(sys.stderr, "buffer", None) is None:
        return None
    from llmobs import cache

    folder = cache.cache_dir()
    if folder is None:
        return None
    return folder / f"{kind}-{cache.key(kind, [*cache.llmobs_files(), *inputs], shown + terminal())}"


def replay(page: Path | None) -> bool:
    """Print the kept page and say True, or say False when there is none."""
    if page is None:
        return False
    try:
        data = page.read_bytes()
    except OSError:
        return False
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return True


def draw_and_keep(page: Path | None, draw: Callable[[], None]) -> None:
    """``draw()`` with stdout and stderr recorded on their way out; keep what went to stdout if ``draw``
    returned or exited with 0 and wrote nothing to stderr (a replay prints stdout only)."""
    if page is None:
        draw()
        return
    from llmobs import cache

    out, err = _Recorded(sys.stdout), _Recorded(sys.stderr)
    sys.stdout, sys.stderr = out.text, err.text
    clean = False
    try:
        draw()
        clean = True
    except SystemExit as exc:
        clean = exc.code in (0, None)
        raise
    finally:
        sys.stdout, sys.stderr = out.close(), err.close()
        if clean and out.data and not err.data:
            cache.store(page, page.name.rsplit("-", 1)[0], out.data)


class _Recorded:
    """A text stream that writes through to ``real`` and records the bytes: a real TextIOWrapper with
    ``real``'s encoding, so Click and rich write to it as they would to ``real``."""

    def __init__(self, real: TextIO) -> None:
        import io

        self.real = real
        self.sink = io.BytesIO()
        recorded = self

        class _Tee(io.RawIOBase):
            def writable(self) -> bool:
                return True

            def isatty(self) -> bool:
                return real.isatty()

            def fileno(self) -> int:
                return real.fileno()

            def write(self, data: bytes) -> int:  # type: ignore[override]
                recorded.sink.write(data)
                real.buffer.write(data)
                return len(data)

        self.text = io.TextIOWrapper(_Tee(), encoding=real.encoding, errors=real.errors, write_through=True)

    @property
    def data(self) -> bytes:
        return self.sink.getvalue()

    def close(self) -> TextIO:
        """Flush everything through and give back the real stream."""
        self.text.flush()
        self.real.buffer.flush()
        return self.real


def help_page(args: list[str]) -> Path | None:
    """The entry for ``llmobs ARGS`` when it is nothing but command words and ``--help``/``-h``, else None."""
    if not args or args[-1] not in ("--help", "-h") or not all(_is_word(arg) for arg in args[:-1]):
        return None
    from llmobs import cache

    # one kind per page (help, help.render, help.config.show): pruning keeps the newest of each
    return entry(".".join(["help", *args[:-1]]), cache.package_files("typer"), repr(args))


def _is_word(arg: str) -> bool:
    return arg.replace("-", "").isalpha() and arg.islower() and not arg.startswith("-")
