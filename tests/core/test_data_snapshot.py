"""bot.core.data: the marshal snapshots always give what the TOML files say."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core import data


@pytest.fixture
def knowledge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private data directory, so the test never touches the shipped snapshots."""
    monkeypatch.setattr(data, "_HERE", str(tmp_path))
    monkeypatch.setattr(data, "_SNAPSHOTS", str(tmp_path / "__pycache__"))
    data.load.cache_clear()
    yield tmp_path
    data.load.cache_clear()


def test_every_shipped_file_loads_as_its_toml() -> None:
    folder = Path(data.__file__).parent
    for path in sorted(folder.glob("*.toml")):
        assert data.load(path.stem) == tomllib.loads(path.read_text(encoding="utf-8"))


def test_snapshot_is_written_then_used(knowledge: Path) -> None:
    source = knowledge / "rules.toml"
    source.write_text('[a]\nb = ["x", 1, 2.5, true]\n', encoding="utf-8")
    assert data.load("rules") == {"a": {"b": ["x", 1, 2.5, True]}}
    assert len(list((knowledge / "__pycache__").glob("rules.toml.*.marshal"))) == 1
    # Same size and time as the snapshot was made from: the snapshot is what is read.
    stat = source.stat()
    source.write_text('[a]\nb = ["y", 1, 2.5, true]\n', encoding="utf-8")
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    data.load.cache_clear()
    assert data.load("rules") == {"a": {"b": ["x", 1, 2.5, True]}}


def test_edited_file_wins_over_its_snapshot(knowledge: Path) -> None:
    source = knowledge / "rules.toml"
    source.write_text('x = "old"\n', encoding="utf-8")
    assert data.load("rules") == {"x": "old"}
    data.load.cache_clear()
    source.write_text('x = "newer"\n', encoding="utf-8")
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert data.load("rules") == {"x": "newer"}


def test_broken_snapshot_is_ignored(knowledge: Path) -> None:
    (knowledge / "rules.toml").write_text("x = 1\n", encoding="utf-8")
    data.load("rules")
    data.load.cache_clear()
    for snapshot in (knowledge / "__pycache__").glob("*.marshal"):
        snapshot.write_bytes(b"\x00garbage")
    assert data.load("rules") == {"x": 1}


def test_unwritable_snapshot_folder_is_not_an_error(knowledge: Path) -> None:
    (knowledge / "rules.toml").write_text("x = 2\n", encoding="utf-8")
    (knowledge / "__pycache__").write_text("a file where the folder should be")
    assert data.load("rules") == {"x": 2}
    assert not list(knowledge.glob("__pycache__*.tmp"))


def test_dates_are_read_without_snapshot(knowledge: Path) -> None:
    (knowledge / "dated.toml").write_text("when = 2024-01-02\n", encoding="utf-8")
    assert str(data.load("dated")["when"]) == "2024-01-02"
