"""What the provider and vendor formats share: their own-words tables.

`bot/core/data/vendor_formats.toml` holds, per format, the sentences a provider writes
itself (not a remote server's reply) and the reason each settles. Not a format: this
module has no ``DETECTOR``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from bot.core.data import load

#: How much of a text the phrase tables look at; these reports are short.
_WINDOW = 6_000


def table(name: str) -> dict[str, Any]:
    """One table of `vendor_formats.toml` (``gmail.state_command`` ...), empty if absent."""
    node: Any = load("vendor_formats")
    for key in name.split("."):
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


@cache
def _phrases(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(
        (reason, tuple(p.lower() for p in phrases))
        for reason, phrases in table(name).items()
        if isinstance(phrases, list)
    )


def own_reason(name: str, text: str | None) -> str | None:
    """The reason the first matching phrase of table `name` settles, or None."""
    if not text:
        return None
    low = text[:_WINDOW].lower()
    for reason, phrases in _phrases(name):
        if any(phrase in low for phrase in phrases):
            return reason
    return None
