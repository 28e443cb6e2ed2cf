"""Characters that must not travel from what a person typed into what the bot posts.

Bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C) can make a shared
answer read differently from what it says; zero-width characters (U+200B–U+200D, U+2060,
U+FEFF) hide text. Both are removed from anything the bot echoes.
"""

from __future__ import annotations

from typing import Any

_INVISIBLE = dict.fromkeys(
    [
        0x061C,
        0x200B, 0x200C, 0x200D, 0x200E, 0x200F,
        0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
        0x2060,
        0x2066, 0x2067, 0x2068, 0x2069,
        0xFEFF,
    ]
)


def strip_invisible(text: str) -> str:
    return text.translate(_INVISIBLE)


def strip_everywhere(value: Any) -> Any:
    """The same JSON-like value with every string cleaned (message text and blocks)."""
    if isinstance(value, str):
        return strip_invisible(value)
    if isinstance(value, list):
        return [strip_everywhere(item) for item in value]
    if isinstance(value, dict):
        return {key: strip_everywhere(item) for key, item in value.items()}
    return value
