"""An on-disk cache for render-time work whose result depends only on installed files (issue 16).

Exporting genai-prices into the collector's price table (:func:`llmobs.prices.price_file`)
imports genai-prices' whole data snapshot and prices every one of its ~2,600 price sets
once: about 0.4 s of CPU, the largest part of ``llmobs render`` (and of ``up``/``status``,
which render too). Its output is a pure function of the installed genai-prices and of
llmobs' own exporter code, so it is kept under the user's cache directory, keyed by
the size and modification time of every file it may depend on: upgrading or editing either
package gives a new key and a fresh export; nothing is ever served across versions.
Compiling the Jinja templates is the next largest part (~0.14 s); :func:`jinja_bytecode_cache`
keeps Jinja's compiled code there too (Jinja checks each template's source checksum itself).
``llmobs config show`` keeps its answer there as well (:func:`llmobs.config.effective`: keyed by
the installed files and its inputs, so it need not import pydantic and validate again), ``render``
its bundle (:mod:`llmobs.rendered`), and the CLI its printed help pages and settings table
(:mod:`llmobs.cli.pages`).

The cache is an optimisation only: a missing, unreadable or unwritable cache directory
means the work is done as before. ``LLMOBS_CACHE`` (the same variable scripts/test honours)
or ``XDG_CACHE_HOME`` move it; ``LLMOBS_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Callable, Iterable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import llmobs

KEEP = 8  # newest entries kept per kind; older ones are removed when a new one is written


def cache_dir() -> Path | None:
    """Where cached files live, or None when caching is off."""
    if os.environ.get("LLMOBS_NO_CACHE", "").strip() not in ("", "0"):
        return None
    root = os.environ.get("LLMOBS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "llmobs"
    )
    return Path(root) / "render-cache"


def package_files(name: str) -> list[Path]:
    """The ``.py`` files of an installed package, found without importing it (importing is the cost we avoid)."""
    spec = find_spec(name)
    if spec is None:
        return []
    if spec.submodule_search_locations is None:  # a single module
        return [Path(spec.origin)] if spec.origin else []
    return sorted(p for p in _walk(spec.submodule_search_locations) if p.suffix == ".py")


def _walk(folders: Iterable[str | Path]) -> set[Path]:
    """Every file under ``folders`` but compiled caches; os.walk, not Path.rglob: a third of the time,
    and every cached CLI page pays it."""
    found: set[Path] = set()
    for folder in folders:
        for parent, dirs, names in os.walk(folder):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            found.update(Path(parent, name) for name in names)
    return found


# llmobs' subpackages that live outside stack/ in a checkout (pyproject.toml [tool.setuptools.package-dir];
# a test keeps the two lists equal). In a wheel they are folders of llmobs/ itself.
SUBPACKAGES = ("cli", "collector", "prometheus", "tempo", "loki", "grafana")


def llmobs_files() -> list[Path]:
    """Every file of the installed llmobs (modules, templates, dashboards, rules), checkout or wheel."""
    folders: set[Path] = set()
    for name in ("llmobs", *(f"llmobs.{sub}" for sub in SUBPACKAGES)):
        spec = find_spec(name)
        if spec is not None:
            folders.update(Path(f) for f in spec.submodule_search_locations or [])
    return sorted(_walk(folders))


def key(kind: str, inputs: Iterable[Path], extra: str = "") -> str:
    """A digest of what the result depends on: llmobs and Python versions, each input's path, size and mtime,
    and ``extra`` (what else it depends on, as text)."""
    sha = hashlib.sha256(f"{kind}\0{llmobs.__version__}\0{sys.version_info[:2]}\0{extra}\0".encode())
    for path in inputs:
        try:
            st = path.stat()
        except OSError:
            sha.update(f"{path}\0missing\0".encode())
        else:
            sha.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return sha.hexdigest()[:32]


def cached(kind: str, inputs: Iterable[Path], produce: Callable[[], bytes]) -> bytes:
    """``produce()``, served from the cache when none of ``inputs`` changed since it was stored."""
    folder = cache_dir()
    if folder is None:
        return produce()
    path = folder / f"{kind}-{key(kind, inputs)}"
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = produce()
    store(path, kind, data)
    return data


def store(path: Path, kind: str, data: bytes) -> None:
    """Write entry ``path`` (``<cache_dir>/<kind>-<key>``) whole or not at all; keep the newest of its kind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old state or the whole file
        _prune(path.parent, kind)
    except OSError:
        pass  # a read-only or full disk only costs the speed-up


def _prune(folder: Path, kind: str) -> None:
    entries = sorted(folder.glob(f"{kind}-*"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)


def price_file() -> bytes:
    """:func:`llmobs.prices.price_file`, cached by the installed genai-prices and llmobs' own modules.

    Every top-level ``llmobs/*.py`` counts, not just prices.py, so a helper it comes to import is covered too.
    """
    inputs = [*package_files("genai_prices"), *sorted(Path(__file__).parent.glob("*.py"))]

    def produce() -> bytes:
        from llmobs import prices

        return prices.price_file()

    return cached("prices", inputs, produce)


def jinja_bytecode_cache() -> Any:
    """A ``jinja2.BytecodeCache`` in the cache directory for ``Environment(bytecode_cache=...)``, or None.

    Jinja keys each entry by template name and file and refuses it unless the template's source
    checksum and Jinja's bytecode format match, so an edited or upgraded template is recompiled.
    Errors writing an entry are swallowed: the cache may only make rendering faster, never fail it.
    """
    folder = cache_dir()
    if folder is None:
        return None
    import jinja2

    class _BestEffort(jinja2.FileSystemBytecodeCache):
        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    try:
        (folder / "jinja").mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BestEffort(str(folder / "jinja"))
