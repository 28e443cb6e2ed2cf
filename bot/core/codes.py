"""SMTP reply codes and enhanced status codes: what each one means and what to do.

The knowledge lives in ``data/reply_codes.toml`` and ``data/status_codes.toml``; this
module turns it into frozen objects once and answers lookups with plain dict hits,
because the classifier calls it for every line it reads.

* Reply codes: every code from 200 to 599 has an entry.  The 45 codes of RFC 5321
  and its extensions have their own text; any other well-formed code gets a generic
  entry built from its class and category digits.
* Enhanced status codes: an exact registry row (``X.1.1``) when there is one, a
  vendor row for a few common unregistered codes, else the subject row
  (``X.1.YYY``) and last the class row (``5.XXX.YYY``), flagged ``registered=False``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from bot.core.data import load

__all__ = [
    "ReplyCode",
    "StatusCode",
    "all_reply_codes",
    "all_status_codes",
    "is_reply_code",
    "is_status_code",
    "reply_code",
    "status_code",
]


@dataclass(frozen=True, slots=True)
class ReplyCode:
    """One three-digit SMTP reply code."""

    code: str
    title: str
    #: "success" | "intermediate" | "transient" | "permanent"
    klass: str
    explanation: str
    actions: tuple[str, ...]
    #: Would resending later succeed with nobody fixing anything? None for 2xx/3xx.
    retry: bool | None
    references: tuple[str, ...]
    #: The extensions/commands under which the code is defined, one line each.
    contexts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StatusCode:
    """One enhanced status code (RFC 3463), as asked for, with the registry row it matched."""

    code: str
    #: Registry key matched: "X.1.1", a subject row "X.1.YYY", or a class row "5.XXX.YYY".
    key: str
    title: str
    explanation: str
    actions: tuple[str, ...]
    #: Sisimai reason the code alone implies, or None when it does not settle one.
    reason: str | None
    #: "success" | "transient" | "permanent"
    klass: str
    retry: bool | None
    references: tuple[str, ...]
    #: False when the exact code is not in the IANA registry (vendor code or fallback).
    registered: bool


_REPLY_SYNTAX = re.compile(r"[2-5][0-9][0-9]")
# RFC 3463: class 2/4/5; subject and detail 1-3 digits without leading zeros.
_STATUS_SYNTAX = re.compile(r"([245])\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})")

_REPLY_CLASS = {"2": "success", "3": "intermediate", "4": "transient", "5": "permanent"}
_STATUS_CLASS = {"2": "success", "4": "transient", "5": "permanent"}
_CLASS_RETRY: dict[str, bool | None] = {"2": None, "3": None, "4": True, "5": False}

#: Cap on cached fallback objects for unlisted status codes (inputs can be adversarial).
_FALLBACK_CACHE_MAX = 4096


def is_reply_code(code: str) -> bool:
    """True for a syntactically valid reply code: three digits, the first 2 to 5."""
    return _REPLY_SYNTAX.fullmatch(code) is not None


def is_status_code(status: str) -> bool:
    """True for a syntactically valid enhanced status code (class 2, 4 or 5)."""
    return _STATUS_SYNTAX.fullmatch(status) is not None


# --------------------------------------------------------------------------- reply codes


def _build_reply_codes() -> dict[str, ReplyCode]:
    data = load("reply_codes")
    table: dict[str, ReplyCode] = {}
    for code, row in data["codes"].items():
        table[code] = ReplyCode(
            code=code,
            title=row["title"],
            klass=row["class"],
            explanation=row["explanation"],
            actions=tuple(row["actions"]),
            retry=row.get("retry"),
            references=tuple(row["references"]),
            contexts=tuple(row.get("contexts", ())),
        )
    generic = data["generic"]
    for number in range(200, 600):
        code = str(number)
        if code not in table:
            table[code] = _generic_reply(code, generic)
    return table


def _generic_reply(code: str, generic: dict[str, Any]) -> ReplyCode:
    cls = generic["class"][code[0]]
    parts = [cls["explanation"]]
    category = generic["category"].get(code[1])
    if category:
        parts.append(category)
    parts.append(generic["unlisted"].format(code=code))
    return ReplyCode(
        code=code,
        title=f"{cls['title']} (non-standard code {code})",
        klass=_REPLY_CLASS[code[0]],
        explanation=" ".join(parts),
        actions=tuple(cls["actions"]),
        retry=_CLASS_RETRY[code[0]],
        references=tuple(generic["references"]),
        contexts=(),
    )


_REPLY_TABLE: dict[str, ReplyCode] | None = None
_REPLY_LISTED: tuple[ReplyCode, ...] = ()


def _reply_table() -> dict[str, ReplyCode]:
    global _REPLY_TABLE, _REPLY_LISTED
    if _REPLY_TABLE is None:
        table = _build_reply_codes()
        listed = load("reply_codes")["codes"]
        _REPLY_LISTED = tuple(table[c] for c in sorted(listed))
        _REPLY_TABLE = table
    return _REPLY_TABLE


def reply_code(code: str) -> ReplyCode | None:
    """The entry for a reply code such as ``"550"``; None unless it is three digits 2xx-5xx."""
    table = _REPLY_TABLE if _REPLY_TABLE is not None else _reply_table()
    return table.get(code)


def all_reply_codes() -> tuple[ReplyCode, ...]:
    """The reply codes defined by RFC 5321 and its extensions, in numeric order."""
    _reply_table()
    return _REPLY_LISTED


# --------------------------------------------------------------------------- status codes


def _row_klass(key: str, row: dict[str, Any]) -> str:
    """The class a registry row (``X.1.1``) is listed under: its only class, else the harshest."""
    if key[0] in _STATUS_CLASS:
        return _STATUS_CLASS[key[0]]
    classes = {str(c) for c in row.get("classes", ())}
    for digit in ("5", "4", "2"):
        if digit in classes:
            return _STATUS_CLASS[digit]
    return "permanent"


def _reason(row: dict[str, Any], digit: str) -> str | None:
    specific = row.get(f"reason_{digit}")
    value = specific if specific is not None else row.get("reason")
    return value or None


def _retry(row: dict[str, Any], digit: str) -> bool | None:
    if digit == "2":
        return None
    specific = row.get(f"retry_{digit}")
    return _CLASS_RETRY[digit] if specific is None else bool(specific)


def _status_entry(
    code: str, key: str, row: dict[str, Any], digit: str, registered: bool, success: dict[str, Any]
) -> StatusCode:
    """One class's reading of a row: class-specific reason, retry and wording."""
    title: str = row["title"]
    explanation: str = row["explanation"]
    actions: tuple[str, ...] = tuple(row["actions"])
    if digit == "2" and not row.get("positive"):
        # The row describes a failure; a 2.x.x code is a success on that subject.
        subject = "X." + key.split(".")[1] if key.startswith("X.") else "X.0"
        title, explanation = success.get(subject, success["X.0"])
        actions = ("Nothing to fix.",)
    else:
        note = row.get(f"when_{digit}")
        if note:
            explanation = f"{explanation} {note}"
    return StatusCode(
        code=code,
        key=key,
        title=title,
        explanation=explanation,
        actions=actions,
        reason=_reason(row, digit),
        klass=_STATUS_CLASS[digit],
        retry=_retry(row, digit),
        references=tuple(row["references"]),
        registered=registered,
    )


class _StatusTables:
    """Everything precomputed for status lookups."""

    __slots__ = ("exact", "fallback", "registry", "rows", "success")

    def __init__(self) -> None:
        data = load("status_codes")
        self.rows: dict[str, dict[str, Any]] = dict(data["codes"])
        vendor: dict[str, dict[str, Any]] = data.get("unregistered", {})
        self.success: dict[str, Any] = {k: tuple(v) for k, v in data["success"].items()}
        self.exact: dict[str, StatusCode] = {}
        self.fallback: dict[str, StatusCode] = {}
        for table, registered in ((self.rows, True), (vendor, False)):
            for key, row in table.items():
                if not key.startswith("X.") or key.endswith(".YYY"):
                    continue
                for digit in _STATUS_CLASS:
                    code = digit + key[1:]
                    entry = _status_entry(code, key, row, digit, registered, self.success)
                    self.exact[code] = entry
        self.registry: tuple[StatusCode, ...] = tuple(
            _registry_entry(key, row) for key, row in self.rows.items()
        )

    def fallback_for(self, status: str) -> StatusCode | None:
        match = _STATUS_SYNTAX.fullmatch(status)
        if match is None:
            return None
        digit, subject, detail = match.groups()
        key = f"X.{subject}.YYY"
        row = self.rows.get(key)
        if row is None:
            key = f"{digit}.XXX.YYY"
            row = self.rows[key]
            unknown = f"Subject {subject} is not in the registry, so only the class is known."
        else:
            unknown = f"Detail {detail} is not in the registry, so only the subject is known."
        entry = _status_entry(status, key, row, digit, False, self.success)
        entry = replace(
            entry, explanation=f"{entry.explanation} {unknown}", reason=None, registered=False
        )
        if len(self.fallback) < _FALLBACK_CACHE_MAX:
            self.fallback[status] = entry
        return entry


def _registry_entry(key: str, row: dict[str, Any]) -> StatusCode:
    """A registry row as listed (``code == key``), read in the class it is listed under."""
    klass = _row_klass(key, row)
    digit = {"success": "2", "transient": "4", "permanent": "5"}[klass]
    return StatusCode(
        code=key,
        key=key,
        title=row["title"],
        explanation=row["explanation"],
        actions=tuple(row["actions"]),
        reason=_reason(row, digit),
        klass=klass,
        retry=_retry(row, digit),
        references=tuple(row["references"]),
        registered=True,
    )


_STATUS: _StatusTables | None = None


def _status_tables() -> _StatusTables:
    global _STATUS
    if _STATUS is None:
        _STATUS = _StatusTables()
    return _STATUS


def status_code(status: str) -> StatusCode | None:
    """The entry for an enhanced status code such as ``"5.1.1"``; None when malformed.

    An unlisted detail falls back to its subject row (``5.1.99`` -> ``X.1.YYY``) and an
    unknown subject to the class row, both with ``registered=False`` and no reason.
    """
    tables = _STATUS if _STATUS is not None else _status_tables()
    hit = tables.exact.get(status)
    if hit is not None:
        return hit
    hit = tables.fallback.get(status)
    if hit is not None:
        return hit
    return tables.fallback_for(status)


def all_status_codes() -> tuple[StatusCode, ...]:
    """Every row of the IANA registry (92), keyed and coded as the registry writes them.

    Rows valid in several classes are given their harshest class (5 before 4 before 2).
    """
    return _status_tables().registry
