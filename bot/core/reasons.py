"""Bounce reasons: what each means (``data/reasons.toml``) and which words in a reply point to it.

Matching is built once at import and costs one tokenisation per reply: every phrase is
indexed by its rarest whole word (its *anchor*), so a reply only tests the few phrases
whose anchor it contains (a plain substring test, or a precompiled regex). Among the
phrases that match, the entry listed first in ``order`` wins: the underlying cause beats
its consequence and the specific beats the generic.

Entries are *causes*: each reports one reason of the vocabulary in `bot.core.model.REASONS`
(usually its own name; ``greylisting`` reports ``blocked``, ``dmarc`` reports
``authfailure``) with its own title, explanation and next steps.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bot.core.data import load
from bot.core.model import REASONS, DeliveryClass

__all__ = [
    "Cause",
    "MatchResult",
    "by_reason",
    "cause",
    "command_reason",
    "delay_warning",
    "gave_up",
    "match",
    "prepare",
    "reply_reason",
    "status_decides",
    "subject_fits",
    "time_window",
    "urgency_against",
    "urgency_hint",
]


@dataclass(frozen=True, slots=True)
class Cause:
    """One explained cause of failure and the vocabulary reason it reports."""

    key: str
    reason: str
    title: str
    klass: DeliveryClass
    #: Would the same message pass later, unchanged, with nobody changing anything?
    retry: bool
    explanation: str
    actions: tuple[str, ...]
    #: Position in ``order``: lower wins when several causes match.
    rank: int
    #: What must happen before it can pass (read after "once").
    fix: str = "the cause is fixed"
    #: It can pass later without the sender changing anything, once someone else acts.
    waits: bool = False
    #: Pages explaining the cause itself (RFC sections).
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The best cause named by a strong phrase, and by a weak one (either may be None)."""

    strong: Cause | None
    weak: Cause | None


@dataclass(frozen=True, slots=True)
class _Needle:
    text: str
    regex: re.Pattern[str] | None
    strong: bool
    cause: Cause


_WORD = re.compile(r"\w+")
#: Where an address's domain or a link ends.
_DOMAIN_END = re.compile(r"[\w.\-]*")
_LINK_END = re.compile(r"[^\s<>()\[\]\"']*")
#: Characters that end an address's local part when reading backwards from ``@``.
_LOCAL_STOP = frozenset(" \t\r\n<>()[]{}\"',;:|")
#: A run of local-part characters (anything but `_LOCAL_STOP`).
_LOCAL_RUN = re.compile("[^" + re.escape("".join(sorted(_LOCAL_STOP))) + "]*")


_DATA: dict[str, Any] = load("reasons")
_ORDER: list[str] = list(_DATA["order"])
_CAUSES: dict[str, Cause] = {}
for _key, _entry in _DATA["reason"].items():
    _reason = str(_entry.get("reason", _key))
    if _reason not in REASONS:
        raise ValueError(f"reasons.toml: {_key} reports unknown reason {_reason!r}")
    _CAUSES[_key] = Cause(
        key=_key,
        reason=_reason,
        title=str(_entry["title"]),
        klass=_entry["class"],
        retry=bool(_entry["retry"]),
        explanation=str(_entry["explanation"]),
        actions=tuple(str(a) for a in _entry.get("actions", ())),
        rank=_ORDER.index(_key),
        fix=str(_entry.get("fix", "the cause is fixed")),
        waits=bool(_entry.get("waits", False)),
        references=tuple(str(r) for r in _entry.get("references", ())),
    )
_MISSING = REASONS - {c.reason for c in _CAUSES.values() if c.key == c.reason}
if _MISSING:
    raise ValueError(f"reasons.toml lacks entries for {sorted(_MISSING)}")


def _build_index() -> dict[str, list[_Needle]]:
    needles: list[tuple[list[str], _Needle]] = []
    for key, entry in _DATA["reason"].items():
        owner = _CAUSES[key]
        for strong, field in ((True, "strong"), (False, "weak")):
            for phrase in entry.get(field, ()):
                words = _WORD.findall(phrase)
                needles.append((words, _Needle(phrase, None, strong, owner)))
        for pattern in entry.get("patterns", ()):
            compiled = re.compile(pattern["re"])
            strong = bool(pattern.get("strong", True))
            needles.append(([pattern["anchor"]], _Needle(pattern["re"], compiled, strong, owner)))
    frequency = Counter(word for words, _ in needles for word in set(words))
    index: dict[str, list[_Needle]] = {}
    for words, needle in needles:
        anchor = min(words, key=lambda w: (frequency[w], -len(w)))
        index.setdefault(anchor, []).append(needle)
    for bucket in index.values():
        bucket.sort(key=lambda n: n.cause.rank)
    return index


_INDEX = _build_index()
#: One phrase to test: (rank of its cause, literal text, compiled regex or None, cause).
_Test = tuple[int, str, "re.Pattern[str] | None", Cause]


def _tests(needles: list[_Needle], strong: bool) -> tuple[_Test, ...]:
    return tuple(
        (n.cause.rank, n.text, n.regex, n.cause) for n in needles if n.strong is strong
    )


#: Anchors as UTF-8 bytes: a reply is tokenised by one bytes.translate and split, the
#: fastest tokeniser CPython offers (ASCII punctuation becomes a separator). Each anchor
#: maps to its strong phrases, sorted by rank (best first); the few anchors of weak
#: phrases have their own table, read only through `_WEAK_ANCHORS`.
_STRONG_INDEX: dict[bytes, tuple[_Test, ...]] = {
    anchor.encode("utf-8"): _tests(needles, True) for anchor, needles in _INDEX.items()
}
_WEAK_INDEX: dict[bytes, tuple[_Test, ...]] = {
    anchor.encode("utf-8"): weak
    for anchor, needles in _INDEX.items()
    if (weak := _tests(needles, False))
}
_ANCHORS = frozenset(_STRONG_INDEX)
_WEAK_ANCHORS = frozenset(_WEAK_INDEX)
#: Rank beyond every cause: "nothing found yet".
_NO_RANK = len(_ORDER) + 1
#: One shared MatchResult per (strong, weak) pair: results are immutable and building a
#: frozen dataclass costs more than the dict hit. At most (causes + 1) ** 2 entries.
_RESULTS: dict[tuple[int, int], MatchResult] = {}
_FOLD = bytes(
    c if (chr(c).isalnum() or c == 0x5F or c >= 0x80) else 0x20 for c in range(256)
)


def _minimal_phrases(phrases: list[str]) -> tuple[str, ...]:
    """`phrases` without those holding another of them (``permanently`` holds
    ``permanent``): the shorter one is found wherever the longer one is."""
    return tuple(p for p in phrases if not any(o != p and o in p for o in phrases))


_TEMPORARY = _minimal_phrases(_DATA["temporary"])
_PERMANENT = _minimal_phrases(_DATA["permanent"])
_COMMAND: dict[str, str] = dict(_DATA.get("command", {}))
_GAVE_UP = _minimal_phrases(_DATA["gave_up"])
_DELAY_WARNING = _minimal_phrases(_DATA["delay_warning"])
_TIME_WINDOW = _minimal_phrases(_DATA["time_window"])
_STATUS_FIRST = frozenset(_DATA.get("status_first", ()))
_REPLY_FALLBACK: dict[str, str] = dict(_DATA.get("reply_fallback", {}))


#: The last (text, prepared) pair: `explain` prepares the server's words for the reply
#: rule and `classify` prepares the very same string again. One entry, so no growth.
_LAST_PREPARED: tuple[str, str] = ("", "")


def prepare(text: str) -> str:
    """Lowercase `text` and blank out addresses and links: their words are no evidence
    (``filtered@example.org``, ``…/reason/#mailboxfull``)."""
    global _LAST_PREPARED
    last = _LAST_PREPARED
    if text is last[0]:
        return last[1]
    low = text.lower()
    if "@" in low or "://" in low:
        low = _blank_noise(low)
    _LAST_PREPARED = (text, low)
    return low


def _blank_noise(low: str) -> str:
    """Cut addresses and links out of `low`. Linear: each ``@`` or ``://`` is visited once
    and the backward scans are bounded."""
    spans: list[tuple[int, int]] = []
    at = low.find("@")
    # The local part is read backwards: a regex over the reversed text, from just
    # before the "@", bounded to 64 characters (one C call instead of a Python loop).
    rev = low[::-1] if at >= 0 else ""
    size = len(low)
    while at >= 0:
        back = size - at
        run = _LOCAL_RUN.match(rev, back, back + min(at, 64))
        start = at - (run.end() - back) if run else at
        m = _DOMAIN_END.match(low, at + 1)
        end = m.end() if m else at + 1
        spans.append((start, end))
        at = low.find("@", end)
    link = low.find("://")
    while link >= 0:
        start = link
        while start > 0 and start > link - 8 and low[start - 1].isalpha():
            start -= 1
        m = _LINK_END.match(low, link + 3)
        end = m.end() if m else link + 3
        spans.append((start, end))
        link = low.find("://", end)
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end in spans:
        if start > pos:
            out.append(low[pos:start])
        pos = max(pos, end)
    out.append(low[pos:])
    return " ".join(out)


def match(low: str) -> MatchResult:
    """The best strong cause whose phrases occur in `low` (from `prepare`), and the best
    weak cause ranked above it (None when the strong one outranks every weak one)."""
    hits = _ANCHORS.intersection(low.encode("utf-8", "surrogatepass").translate(_FOLD).split())
    if not hits:
        return _NOTHING
    strong: Cause | None = None
    best = _NO_RANK
    for anchor in hits:
        for rank, text, regex, owner in _STRONG_INDEX[anchor]:
            if rank >= best:
                break  # sorted by rank: nothing better follows in this bucket
            if (text in low) if regex is None else (regex.search(low) is not None):
                strong, best = owner, rank
                break
    weak: Cause | None = None
    strong_rank = best
    for anchor in _WEAK_ANCHORS.intersection(hits):
        for rank, text, regex, owner in _WEAK_INDEX[anchor]:
            if rank >= best:
                break
            if (text in low) if regex is None else (regex.search(low) is not None):
                weak, best = owner, rank
                break
    key = (strong_rank, best if weak is not None else _NO_RANK)
    result = _RESULTS.get(key)
    if result is None:
        result = _RESULTS[key] = MatchResult(strong, weak)
    return result


_NOTHING = MatchResult(None, None)


def cause(key: str | None) -> Cause | None:
    """The entry named `key` (a reason or a finer cause such as ``greylisting``)."""
    return _CAUSES.get(key) if key else None


def by_reason(reason: str | None) -> Cause | None:
    """The entry describing a vocabulary reason itself."""
    return _CAUSES.get(reason) if reason else None


def urgency_hint(low: str) -> DeliveryClass | None:
    """With no code at all: do the words say the failure is temporary or final?"""
    if _says(low, _PERMANENT):
        return "permanent"
    if _says(low, _TEMPORARY):
        return "transient"
    return None


def urgency_against(low: str, klass: DeliveryClass) -> DeliveryClass | None:
    """`urgency_hint(low)` when it differs from `klass`, else None.

    The same answer for fewer phrase scans: against a temporary class only the final
    words matter, and against a final one the final words are read only once temporary
    words were found.
    """
    if klass == "transient":
        return "permanent" if _says(low, _PERMANENT) else None
    if klass == "permanent":
        if _says(low, _TEMPORARY) and not _says(low, _PERMANENT):
            return "transient"
        return None
    hint = urgency_hint(low)
    return hint if hint != klass else None


def _says(low: str, phrases: tuple[str, ...]) -> bool:
    return any(phrase in low for phrase in phrases)


def gave_up(low: str) -> bool:
    """Do the words (from `prepare`) say the sending server gave up on the message?"""
    return _says(low, _GAVE_UP)


def delay_warning(low: str) -> bool:
    """Do the words say this is a delay warning (the message is still queued)?"""
    return _says(low, _DELAY_WARNING)


def time_window(low: str) -> bool:
    """Do the words say a limit is counted over a time window (it resets with time)?"""
    return _says(low, _TIME_WINDOW)


def command_reason(command: str | None) -> str | None:
    """The reason a refusal at this SMTP stage implies (MAIL -> rejected, CONN -> blocked)."""
    return _COMMAND.get(command.upper()) if command else None


_SUBJECTS: dict[str, frozenset[str]] = {
    subject: frozenset(names) for subject, names in _DATA.get("status_subjects", {}).items()
}


def subject_fits(status: str, reason: str) -> bool:
    """Can an enhanced code of this subject (X.4.y: network) stand for `reason`?"""
    parts = status.split(".")
    allowed = _SUBJECTS.get(parts[1]) if len(parts) == 3 else None
    return allowed is None or not allowed or reason in allowed


def status_decides(reason: str) -> bool:
    """Does an enhanced status code with this reason beat the reply's words?"""
    return reason in _STATUS_FIRST


def reply_reason(replycode: str | None) -> str | None:
    """The reason a bare reply code names on its own (503 bad sequence -> syntaxerror)."""
    return _REPLY_FALLBACK.get(replycode) if replycode else None
