"""Writing a rendered bundle to disk: atomically, pruning stale files, never over foreign files.

A bundle directory carries a marker file listing what llmobs wrote there. The
marker is how we know a directory is ours (we refuse to write into a non-empty
directory without one) and which files a new render may prune (only files we
wrote before; anything a user added, such as ``.env``, is carried over).

The new bundle is built completely in a sibling temp directory and swapped in
with two renames, so a failure at any point leaves the previous bundle as it
was. Containers mount single files, so the swap never empties a directory under
a running service.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from llmobs.errors import LlmobsError

MARKER = ".llmobs-bundle.json"


@dataclass
class Diff:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        parts = [
            f"{len(v)} {k}"
            for k, v in (("added", self.added), ("changed", self.changed), ("removed", self.removed))
            if v
        ]
        return ", ".join(parts) or "no changes"


def diff(rendered: dict[str, bytes], out: Path) -> Diff:
    """What writing ``rendered`` to ``out`` would change (files llmobs owns only)."""
    previous = _owned(out)
    result = Diff()
    for path in sorted(rendered):
        target = out / path
        if not target.is_file():
            result.added.append(path)
        elif target.read_bytes() != rendered[path]:
            result.changed.append(path)
    result.removed = sorted(p for p in previous if p not in rendered and (out / p).exists())
    return result


def write(rendered: dict[str, bytes], out: Path, stamp: dict[str, str]) -> Diff:
    """Replace the bundle at ``out`` with ``rendered``; return what changed."""
    out = out.absolute()
    _check_ours(out)
    changes = diff(rendered, out) if out.exists() else Diff(added=sorted(rendered))
    marker = _marker_bytes(rendered, stamp)
    if not changes and (out / MARKER).is_file() and (out / MARKER).read_bytes() == marker:
        return changes
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes 0700; a bundle dir is as readable as any other
    except OSError as exc:
        raise LlmobsError(
            f"cannot write the bundle: {exc.strerror}", where=str(out), fix="choose a writable directory with --out"
        ) from None
    try:
        for path, data in rendered.items():
            target = tmp / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if out.exists():
            _carry_over(out, tmp, set(rendered) | set(_owned(out)))
        (tmp / MARKER).write_bytes(marker)
        _swap(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise LlmobsError(
            f"cannot write the bundle: {exc.strerror}", where=str(out), fix="check free space and permissions"
        ) from None
    return changes


def _marker_bytes(rendered: dict[str, bytes], stamp: dict[str, str]) -> bytes:
    return (json.dumps({**stamp, "files": sorted(rendered)}, indent=2, sort_keys=True) + "\n").encode()


def _owned(out: Path) -> list[str]:
    marker = out / MARKER
    if not marker.is_file():
        return []
    try:
        return list(json.loads(marker.read_text("utf-8")).get("files", []))
    except (OSError, ValueError):
        return []


def _check_ours(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise LlmobsError("is a file, not a directory", where=str(out), fix="choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise LlmobsError(
            "is not empty and was not created by llmobs; refusing to overwrite it",
            where=str(out),
            fix="choose an empty or new directory with --out",
        )


def _carry_over(old: Path, new: Path, owned: set[str]) -> None:
    """Copy files a user keeps in the bundle dir (not rendered, not owned) into the new tree."""
    for path in sorted(old.rglob("*")):
        rel = path.relative_to(old).as_posix()
        if path.is_dir() or rel == MARKER or rel in owned:
            continue
        target = new / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def _swap(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.rename(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
