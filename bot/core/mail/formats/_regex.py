"""The format modules' regular expressions, compiled once per install instead of per run.

`re.compile` parses and assembles a pattern in pure Python before handing the result to
the C engine: for the ~200 patterns of the format modules that is 15-30 ms of every
``smtpbot`` start, more than parsing a hundred emails. This module keeps what
`re.compile` assembles (the engine's code words, group names) in a `marshal` file in
``__pycache__``, keyed by the exact interpreter version like a ``.pyc``, and on later
runs gives it straight to the engine (~1 ms for all of them). A checksum guards the
file and the engine checks the code it is given; anything unexpected (another Python,
an unreadable or read-only cache, a pattern the fast path does not handle) falls back
to `re.compile`, so the patterns are the objects `re.compile` would make (``==``
compares their code).

Not a format: this module has no ``DETECTOR``. `compiling` routes `re.compile` to
`cached_compile` while `bot.core.mail.formats` imports its modules, so a format module
needs no change.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # the engine behind `re`
import contextlib
import marshal
import os
import re
import sys
import zlib
from collections.abc import Iterator
from typing import Any

#: Only the interpreter line whose `re` internals this mirrors uses the fast path.
_SUPPORTED = sys.version_info[:2] == (3, 11)
_LAYOUT = 2
_PATH = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "__pycache__",
    f"regex.{sys.implementation.cache_tag or 'python'}.marshal",
)
#: Flags the fast path leaves to `re.compile` (DEBUG prints, TEMPLATE warns).
_SPECIAL = re.DEBUG | re.TEMPLATE

#: More saved patterns than this means most are stale (edited since): start afresh.
_MAX_ENTRIES = 2_000
_re_compile = re.compile
_Key = tuple[str, int]
_saved: dict[_Key, tuple[Any, ...]] | None = None
_used: dict[_Key, tuple[Any, ...]] = {}
_added = False


def _stamp() -> tuple[Any, ...]:
    return (_LAYOUT, sys.hexversion, getattr(_sre, "MAGIC", None))


def cached_compile(pattern: Any, flags: Any = 0) -> re.Pattern[Any]:
    """`re.compile`, from the saved code when there is some."""
    global _added
    if not _SUPPORTED or not isinstance(pattern, str):
        return _re_compile(pattern, flags)
    try:
        value = int(flags)
        if value & _SPECIAL:
            return _re_compile(pattern, flags)
        key = (pattern, value)
        args = _load().get(key)
        if args is None:
            args = _assemble(pattern, value)
            _added = True
        compiled: re.Pattern[Any] = _sre.compile(*args)
        _used[key] = args
        return compiled
    except Exception:  # anything unexpected: the ordinary way
        return _re_compile(pattern, flags)


def _assemble(pattern: str, flags: int) -> tuple[Any, ...]:
    """What `re._compiler.compile` hands to `_sre.compile` (CPython 3.11)."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    code = [int(word) for word in _compiler._code(parsed, flags)]
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (
        pattern,
        int(flags | parsed.state.flags),
        code,
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )


def _load() -> dict[_Key, tuple[Any, ...]]:
    global _saved
    if _saved is None:
        _saved = {}
        try:
            with open(_PATH, "rb") as handle:
                stamp, checksum, payload = marshal.loads(handle.read())
            if stamp == _stamp() and checksum == zlib.crc32(payload):
                entries = marshal.loads(payload)
                if isinstance(entries, dict):
                    _saved = entries
        except Exception:  # missing, unreadable or foreign: start empty
            pass
    return _saved


def save() -> None:
    """Write the patterns compiled so far, if any was new; best effort and atomic."""
    global _added
    if not _added:
        return
    _added = False
    temp = f"{_PATH}.{os.getpid()}.tmp"
    try:
        # Keep what other runs saved (they may import other modules in the window),
        # unless edited patterns have piled up: then only this run's.
        entries = {**_load(), **_used}
        if len(entries) > _MAX_ENTRIES:
            entries = dict(_used)
        payload = marshal.dumps(entries)
        blob = marshal.dumps((_stamp(), zlib.crc32(payload), payload))
        os.makedirs(os.path.dirname(_PATH), exist_ok=True)
        with open(temp, "wb") as handle:
            handle.write(blob)
        os.replace(temp, _PATH)
    except Exception:  # read-only install, full disk ...: compile each run instead
        with contextlib.suppress(Exception):
            os.unlink(temp)


@contextlib.contextmanager
def compiling() -> Iterator[None]:
    """Route `re.compile` through `cached_compile` for the duration (module imports)."""
    re.compile = cached_compile
    try:
        yield
    finally:
        re.compile = _re_compile
        save()
