"""Bounces that arrive as data rather than as emails: sending services' event payloads
(Amazon SES, SendGrid, Mailgun, Postmark, SparkPost, Mandrill, Brevo) and MTA log excerpts.

Entry points (each imports its parsers when first called):

- `read_json_paste` / `read_json_bytes`: pasted JSON or a ``.json``/``.jsonl`` file
  (`bot.core.payloads.jsonpaste`);
- `read_log_paste`: PowerMTA accounting CSV and Exchange message tracking
  (`bot.core.payloads.mtalogs`); Postfix, Exim and Sendmail lines are read by
  `bot.core.replytext` and grouped per recipient by `bot.core.payloads.loglines`.

`bot.core.explain` dispatches a paste here; ``smtpbot scan`` reads JSON files through
`read_json_bytes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.model import Report

__all__ = ["JSON_SUFFIXES", "is_json_name", "read_json_bytes", "read_json_paste", "read_log_paste"]

#: File names read as JSON by ``smtpbot scan`` (one object, an array, or JSON Lines).
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


def is_json_name(name: str) -> bool:
    """Is `name` a file of service events (``.json``, ``.jsonl``, ``.ndjson``)?"""
    return name.lower().endswith(JSON_SUFFIXES)


def read_json_paste(text: str, limit: int, limit_name: str) -> Report | None:
    """Pasted JSON (stripped text) -> report; None when it is not JSON after all."""
    from bot.core.payloads.jsonpaste import looks_like_json, read_paste

    return read_paste(text, limit, limit_name) if looks_like_json(text) else None


def read_json_bytes(raw: bytes, limit: int, limit_name: str) -> Report:
    """A ``.json``/``.jsonl`` file's content -> report (verdicts for failed events)."""
    from bot.core.payloads.jsonpaste import read_bytes

    return read_bytes(raw, limit, limit_name)


def read_log_paste(text: str, limit: int, limit_name: str) -> Report | None:
    """PowerMTA accounting rows or Exchange message tracking -> report; None if neither."""
    from bot.core.payloads.mtalogs import read

    return read(text, limit, limit_name)
