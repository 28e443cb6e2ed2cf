"""Knowledge files (TOML) shipped with the classifier, and their loader.

The TOML files are the only source of truth. Parsing them is slow, though (the pure
Python `tomllib` needs ~35 ms for all of them, a large share of a CLI run's start-up),
so each parsed file is also kept as a `marshal` snapshot in ``__pycache__`` next to it,
checked like a ``.pyc``: it is used only while the TOML file's size and modification
time are the ones it was made from. A snapshot that cannot be read or written (a
read-only install, a zip) is simply not used.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from functools import cache
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))
_SNAPSHOTS = os.path.join(_HERE, "__pycache__")
#: Bumped when the snapshot layout changes; the interpreter's tag covers marshal's format.
_LAYOUT = 1


@cache
def load(name: str) -> dict[str, Any]:
    """Parse ``bot/core/data/<name>.toml`` once per process."""
    path = os.path.join(_HERE, f"{name}.toml")
    try:
        stat = os.stat(path)
    except OSError:  # not a plain directory (zip import): read it as a resource
        return _parse(_resource_text(name))
    stamp = (_LAYOUT, stat.st_size, stat.st_mtime_ns)
    snapshot = _snapshot_path(name)
    data = _read_snapshot(snapshot, stamp)
    if data is None:
        with open(path, encoding="utf-8") as handle:
            data = _parse(handle.read())
        _write_snapshot(snapshot, stamp, data)
    return data


def _parse(text: str) -> dict[str, Any]:
    import tomllib  # only when no snapshot is usable

    return tomllib.loads(text)


def _resource_text(name: str) -> str:
    from importlib.resources import files

    return files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")


def _snapshot_path(name: str) -> str:
    tag = sys.implementation.cache_tag or "python"
    return os.path.join(_SNAPSHOTS, f"{name}.toml.{tag}.marshal")


def _read_snapshot(path: str, stamp: tuple[int, int, int]) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            saved = marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if (
        isinstance(saved, tuple)
        and len(saved) == 2
        and saved[0] == stamp
        and isinstance(saved[1], dict)
    ):
        return saved[1]
    return None


def _write_snapshot(path: str, stamp: tuple[int, int, int], data: dict[str, Any]) -> None:
    """Best effort and atomic (a concurrent reader sees the old file or the new one)."""
    try:
        blob = marshal.dumps((stamp, data))
    except ValueError:  # a TOML date or time: not worth a snapshot
        return
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(_SNAPSHOTS, exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(blob)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
