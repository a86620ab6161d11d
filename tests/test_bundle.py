"""Writing bundles: atomic, pruning, refusing foreign directories, and `--check`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llmobs import bundle
from llmobs.errors import LlmobsError

STAMP = {"generator": "test"}


def test_write_prunes_only_its_own_stale_files_and_keeps_user_files(tmp_path: Path) -> None:
    out = tmp_path / "b"
    bundle.write({"a.yaml": b"1\n", "sub/b.yaml": b"2\n"}, out, STAMP)
    (out / ".env").write_text("SECRET=1\n")
    os.chmod(out / ".env", 0o600)
    changes = bundle.write({"a.yaml": b"9\n", "c.yaml": b"3\n"}, out, STAMP)
    assert (changes.added, changes.changed, changes.removed) == (["c.yaml"], ["a.yaml"], ["sub/b.yaml"])
    assert not (out / "sub" / "b.yaml").exists()
    assert (out / "a.yaml").read_bytes() == b"9\n"
    assert (out / ".env").read_text() == "SECRET=1\n" and (out / ".env").stat().st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".b.")]  # no temp dirs left


def test_unchanged_render_touches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "b"
    bundle.write({"a.yaml": b"1\n"}, out, STAMP)
    inode = (out / "a.yaml").stat().st_ino
    assert not bundle.write({"a.yaml": b"1\n"}, out, STAMP)
    assert (out / "a.yaml").stat().st_ino == inode


def test_refuses_a_foreign_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(LlmobsError, match="not created by llmobs"):
        bundle.write({"a.yaml": b"1\n"}, tmp_path, STAMP)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_failure_leaves_previous_bundle_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "b"
    bundle.write({"a.yaml": b"old\n"}, out, STAMP)

    def boom(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bundle, "_swap", boom)
    with pytest.raises(LlmobsError, match="No space left"):
        bundle.write({"a.yaml": b"new\n", "b.yaml": b"x\n"}, out, STAMP)
    assert (out / "a.yaml").read_bytes() == b"old\n" and not (out / "b.yaml").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


def test_unwritable_output_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(LlmobsError, match="cannot write the bundle") as info:
        bundle.write({"a.yaml": b"1\n"}, blocker / "b", STAMP)
    assert "--out" in info.value.line()
    if os.geteuid() != 0:  # root writes through permissions
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(LlmobsError, match="cannot write"):
            bundle.write({"a.yaml": b"1\n"}, locked / "b", STAMP)


def test_diff_reports_changes(tmp_path: Path) -> None:
    out = tmp_path / "b"
    bundle.write({"a.yaml": b"1\n", "b.yaml": b"2\n"}, out, STAMP)
    d = bundle.diff({"a.yaml": b"1\n", "b.yaml": b"3\n", "c.yaml": b""}, out)
    assert (d.added, d.changed, d.removed) == (["c.yaml"], ["b.yaml"], [])
    assert not bundle.diff({"a.yaml": b"1\n", "b.yaml": b"2\n"}, out)
