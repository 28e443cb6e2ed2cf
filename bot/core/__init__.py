"""The classifier core: text or email in, per-recipient verdicts out.

Knows nothing of Slack and does no I/O beyond the input it is handed.

The names below are imported on first use, not with the package: ``smtpbot scan``
needs neither `explain` nor the reply-text tables behind it, and importing everything
eagerly cost every CLI run a few milliseconds of start-up. As before, ``bot.core.scan``
(and ``.explain``, ``.classify``) is the function, even once its module is imported.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.core.classify import classify
    from bot.core.explain import explain
    from bot.core.model import Evidence, OriginalMessage, Report, Verdict
    from bot.core.scan import scan

__all__ = ["Evidence", "OriginalMessage", "Report", "Verdict", "classify", "explain", "scan"]

#: Public name -> the module defining it.
_HOMES = {
    "Evidence": "bot.core.model",
    "OriginalMessage": "bot.core.model",
    "Report": "bot.core.model",
    "Verdict": "bot.core.model",
    "classify": "bot.core.classify",
    "explain": "bot.core.explain",
    "scan": "bot.core.scan",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Core(types.ModuleType):
    """Keeps a function's name from being taken by its same-named submodule.

    Importing ``bot.core.scan`` makes the import system set the package attribute
    ``scan`` to the module; the package exports the function of that name instead.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _HOMES and isinstance(value, types.ModuleType):
            return  # `__getattr__` finds the function on first use
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Core
