"""explain(text): anything typed or pasted -> Report. (Skeleton: being written.)"""

from __future__ import annotations

from bot.core.model import Report


def explain(text: str) -> Report:
    return Report(bounce=False)
