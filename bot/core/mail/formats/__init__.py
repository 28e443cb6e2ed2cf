"""Every report format, one module each; each module exposes ``DETECTOR``.

Modules are discovered rather than listed so that adding a format is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

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
    """The modules of this package, in name order."""
    return sorted(info.name for info in pkgutil.iter_modules(__path__))
