"""Format modules are found by a directory listing that agrees with pkgutil."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest

from bot.core.mail import formats


def test_the_listing_finds_what_pkgutil_finds() -> None:
    expected = sorted(info.name for info in pkgutil.iter_modules(formats.__path__))
    assert formats._module_names() == expected
    assert {"postfix", "rfc3464", "fallback", "_mta"} <= set(expected)


def test_odd_entries_are_treated_as_pkgutil_treats_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.py", "b.cpython-311-x86_64-linux-gnu.so", "b.py", "x.y.py", "__init__.py",
                 "notes.txt", ".hidden.py", "c.pyc"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_bytes(b"")
    (tmp_path / "plain_dir").mkdir()
    (tmp_path / "__pycache__").mkdir()
    monkeypatch.setattr(formats, "__path__", [str(tmp_path)])
    expected = sorted(info.name for info in pkgutil.iter_modules([str(tmp_path)]))
    assert formats._module_names() == expected
