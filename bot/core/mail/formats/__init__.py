"""Every report format, one module each; each module exposes ``DETECTOR``.

Modules are discovered rather than listed so that adding a format is adding a file.
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from importlib.machinery import all_suffixes

from bot.core.mail.detector import Detector


@cache
def detectors() -> tuple[Detector, ...]:
    """All detectors, most specific first (by ``order``, then name)."""
    found: list[Detector] = []
    for name in _module_names():
        module = importlib.import_module(f"{__name__}.{name}")
        detector = getattr(module, "DETECTOR", None)
        if detector is not None:
            found.append(detector)
    return tuple(sorted(found, key=lambda d: (d.order, d.name)))


def _module_names() -> list[str]:
    """The modules in this package's folders: what ``pkgutil.iter_modules`` lists here.

    A plain directory listing; pkgutil costs a millisecond of every scan's start-up.
    Source, bytecode and extension files of one module count once; a folder with an
    ``__init__.py`` is a package module; ``__init__`` and dotted names are no modules.
    """
    suffixes = sorted(all_suffixes(), key=len, reverse=True)  # longest first, as inspect
    names: set[str] = set()
    for folder in __path__:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            suffix = next((s for s in suffixes if entry.endswith(s)), None)
            if suffix is not None:
                name = entry[: -len(suffix)]
            elif os.path.isfile(os.path.join(folder, entry, "__init__.py")):
                name = entry
            else:
                continue
            if name and "." not in name and name != "__init__":
                names.add(name)
    return sorted(names)
