"""scan(raw): one whole email -> Report. (Skeleton: being written.)"""

from __future__ import annotations

from bot.core.model import Report


def scan(raw: bytes) -> Report:
    return Report(bounce=False)
