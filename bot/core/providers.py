"""Who answered (mailbox provider, filter, blocklist) and what their own codes mean.

Knowledge lives in ``data/providers.toml``; this module only compiles it once at
import and matches it.  Two jobs:

* `detect_provider` looks for identifying markers (host names, reply signatures
  such as ``- gsmtp`` or ``[TSS04]``) in the reply text and in the remote MTA's
  host name.  Each marker is indexed by its longest word; the text is cut into
  words once (a C-speed byte translate and split), and only markers whose word
  occurs are searched for.  That keeps the time linear in the reply's length,
  whatever the number of markers.
* `provider_rule` finds the first rule of that provider (then of the provider it
  inherits from, then the blocklists' rules, which apply to every reply) whose
  phrase, codes and command fit.

Ranking when several markers match: a marker in the remote MTA's host name beats a
reply signature, which beats a bare mail domain (``gmail.com`` may just be part of
the recipient's address); then a mailbox provider beats a filter, which beats a
blocklist the reply merely quotes; then the longer (more specific) marker wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.core.data import load

__all__ = [
    "Provider",
    "ProviderRule",
    "all_providers",
    "bare_code_rule",
    "detect_provider",
    "provider_rule",
]


@dataclass(frozen=True, slots=True)
class Provider:
    """A mailbox provider, mail filter or blocklist we can recognise."""

    key: str
    name: str
    docs: str | None


@dataclass(frozen=True, slots=True)
class ProviderRule:
    """What a provider's own code or wording means (reason in Sisimai's vocabulary).

    `reference` is the rule's ``source`` in the data: the page that documents the case.
    `actions` are that case's steps (they replace the reason's generic ones), `gloss`
    the provider's meaning of the code where it differs from IANA's, `see` further
    pages for the user (a delisting form).
    """

    provider: Provider
    reason: str | None
    title: str | None
    explanation: str | None
    actions: tuple[str, ...]
    reference: str
    gloss: str | None = None
    see: tuple[str, ...] = ()


_KIND_RANK = {"blocklist": 0, "filter": 1, "mailbox": 2}
_MAILBOX = _KIND_RANK["mailbox"]
#: Strength of where a marker was seen: a bare mail domain in the text (may be an address).
_WEAK, _STRONG, _REMOTE = 0, 1, 2
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
#: Best marker so far: ((strength, kind rank, marker length), provider key).
_Best = tuple[tuple[int, int, int], str] | None


class _LazyPattern:
    """A data regex compiled on its first search: most never meet a reply that reaches them.

    Compiling them all up front would slow the start-up of every command-line run.
    """

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: re.Pattern[str] | None = None

    def search(self, text: str) -> re.Match[str] | None:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.source)
        return compiled.search(text)


@dataclass(frozen=True, slots=True)
class _Rule:
    owner: Provider
    needles: tuple[str, ...]
    pattern: _LazyPattern | None
    codes: frozenset[str]
    #: (class.subject prefix, low, high) for ranges such as ``5.7.606-649``.
    ranges: tuple[tuple[str, int, int], ...]
    when_class: str | None
    commands: frozenset[str]
    result: ProviderRule
    #: Does the rule depend on the reply's codes (codes, ranges or a class)?
    gated: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    provider: Provider
    kind_rank: int
    parent: str | None


def _parse_codes(raw: list[str]) -> tuple[frozenset[str], tuple[tuple[str, int, int], ...]]:
    exact: set[str] = set()
    ranges: list[tuple[str, int, int]] = []
    for code in raw:
        head, sep, high = code.partition("-")
        if sep:
            prefix, _, low = head.rpartition(".")
            ranges.append((prefix + ".", int(low), int(high)))
        else:
            exact.add(code.lower())
    return frozenset(exact), tuple(ranges)


def _compile() -> tuple[
    dict[str, _Entry],
    dict[str, list[dict[str, Any]]],
    list[tuple[tuple[str, ...], str]],
    dict[bytes, list[tuple[str, str, int, int]]],
    tuple[tuple[str, _LazyPattern, str], ...],
    dict[str, tuple[str, int]],
]:
    data = load("providers")
    entries: dict[str, _Entry] = {}
    rule_specs: dict[str, list[dict[str, Any]]] = {}
    global_rules: list[tuple[tuple[str, ...], str]] = []
    literal: dict[str, tuple[str, int]] = {}
    patterns: list[tuple[str, _LazyPattern, str]] = []
    bare: dict[str, tuple[str, int]] = {}
    for item in data["provider"]:
        key = item["key"]
        provider = Provider(key=key, name=item["name"], docs=item.get("docs"))
        kind = item.get("kind", "mailbox")
        entries[key] = _Entry(provider, _KIND_RANK[kind], item.get("inherits"))
        for marker in item.get("markers", []):
            literal.setdefault(marker.lower(), (key, _STRONG))
        for domain in item.get("domains", []):
            literal.setdefault(domain.lower(), (key, _WEAK))
        for spec in item.get("patterns", []):
            patterns.append((spec.get("hint", ""), _LazyPattern(spec["regex"]), key))
        rule_specs[key] = item.get("rules", [])
        for index, spec in enumerate(rule_specs[key]):
            if not spec.get("source"):
                raise ValueError(f"provider {key!r} rule {index} names no source")
            if spec.get("bare"):
                for code in spec.get("codes", []):
                    if "-" in code:
                        _, _, low_high = code.rpartition(".")
                        prefix = code[: len(code) - len(low_high)]
                        low, _, high = low_high.partition("-")
                        for number in range(int(low), int(high) + 1):
                            bare.setdefault(f"{prefix}{number}", (key, index))
                    else:
                        bare.setdefault(code.lower(), (key, index))
        if kind == "blocklist":
            global_rules.append((_minimal_gates(item.get("markers", [])), key))
    by_word: dict[bytes, list[tuple[str, str, int, int]]] = {}
    for marker, (key, strength) in literal.items():
        words = _WORD_SPLIT.findall(marker)
        if not words:
            raise ValueError(f"provider marker {marker!r} holds no word to index it by")
        # Index by the most telling word: common words (com, mail...) would send
        # every reply through the slow path.
        telling = [word for word in words if word not in _COMMON_WORDS] or words
        word = max(telling, key=len).encode("ascii")
        by_word.setdefault(word, []).append((marker, key, strength, entries[key].kind_rank))
    return entries, rule_specs, global_rules, by_word, tuple(patterns), bare


def _minimal_gates(markers: list[str]) -> tuple[str, ...]:
    """The markers that decide "the reply names this blocklist": a marker containing
    another (``zen.spamhaus.org`` holds ``spamhaus``) can only be found where that one is.
    """
    lowered = list(dict.fromkeys(m.lower() for m in markers))
    return tuple(m for m in lowered if not any(o != m and o in m for o in lowered))


def _rules(key: str) -> tuple[_Rule, ...]:
    """The rules of one provider, built on first use (a run meets a few providers)."""
    built = _BUILT.get(key)
    if built is None:
        built = _BUILT[key] = tuple(_rule(_ENTRIES[key].provider, raw) for raw in _RULE_SPECS[key])
    return built


def _rule(provider: Provider, raw: dict[str, Any]) -> _Rule:
    match = raw.get("match", "")
    needles: tuple[str, ...] = ()
    pattern = None
    if raw.get("regex", False):
        pattern = _LazyPattern(match)
    else:
        parts = [match] if isinstance(match, str) else match
        needles = tuple(part.lower() for part in parts if part)
    codes, ranges = _parse_codes(raw.get("codes", []))
    result = ProviderRule(
        provider=provider,
        reason=raw.get("reason"),
        title=raw.get("title"),
        explanation=raw.get("explanation"),
        actions=tuple(raw.get("actions", ())),
        reference=raw["source"],
        gloss=raw.get("gloss"),
        see=tuple(raw.get("see", ())),
    )
    return _Rule(
        owner=provider,
        needles=needles,
        pattern=pattern,
        codes=codes,
        ranges=ranges,
        when_class=raw.get("when_class"),
        commands=frozenset(c.upper() for c in raw.get("commands", [])),
        result=result,
        gated=bool(codes or ranges or raw.get("when_class")),
    )


_WORD_SPLIT = re.compile(r"[a-z0-9]+")
_COMMON_WORDS = frozenset(
    {
        *("com", "net", "org", "mail", "email", "www", "smtp", "mx", "sender"),
        *("postmaster", "support", "co", "ne", "jp", "de", "fr", "ru", "uk"),
    }
)
#: bytes.translate table: ASCII letters folded to lower case, digits kept, all else a space.
_FOLD = bytes(
    c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122) else 32 for c in range(256)
)
_ENTRIES, _RULE_SPECS, _GLOBAL_RULES, _BY_WORD, _PATTERNS, _BARE = _compile()
_BUILT: dict[str, tuple[_Rule, ...]] = {}
_WORDS = frozenset(_BY_WORD)
_ALL = tuple(entry.provider for entry in _ENTRIES.values())
#: (gate marker, blocklist key) for every blocklist, in file order.
_GATES = tuple((gate, listed) for gates, listed in _GLOBAL_RULES for gate in gates)

_CONTINUATION_RE = re.compile(
    r"[245](?<![\w.#-][245])\d\d"
    r"(?:-#?[245]\.\d{1,3}\.\d{1,3}|-| #?[245]\.\d{1,3}\.\d{1,3})(?![\w.])"
)
# The look-behind sits after the first digit: a pattern that opens with a character
# class is scanned for that class in C, one opening with a look-behind is tried at
# every position (twice as slow on a pasted line).
_REPLY_RE = re.compile(r"[245](?<![\d.][245])\d\d(?![\d.])")
_STATUS_RE = re.compile(r"[245](?<![\d.][245])\.\d{1,3}\.\d{1,3}(?![\d.])")


def all_providers() -> tuple[Provider, ...]:
    """Every provider, filter and blocklist the data file describes, in file order."""
    return _ALL


def _bounded(lowered: str, marker: str) -> bool:
    """Whether `marker` occurs in `lowered` without touching letters/digits at its word edges."""
    check_left = marker[0] in _ALNUM
    check_right = marker[-1] in _ALNUM
    size = len(marker)
    start = lowered.find(marker)
    while start >= 0:
        end = start + size
        if (not check_left or start == 0 or lowered[start - 1] not in _ALNUM) and (
            not check_right or end == len(lowered) or lowered[end] not in _ALNUM
        ):
            return True
        start = lowered.find(marker, start + 1)
    return False


def _scan_words(raw: str, lowered: str, strength: int, best: _Best) -> _Best:
    """Fold every literal marker found in `raw` into the best (score, key) so far."""
    hits = _WORDS.intersection(raw.encode("utf-8", "surrogatepass").translate(_FOLD).split())
    for word in hits:
        for marker, key, marker_strength, kind_rank in _BY_WORD[word]:
            if marker not in lowered:
                continue
            score = (max(strength, marker_strength), kind_rank, len(marker))
            if (best is None or score > best[0]) and _bounded(lowered, marker):
                best = (score, key)
    return best


def _scan_patterns(lowered: str, strength: int, best: _Best) -> _Best:
    """Fold vendor-code patterns (``OFR_416``, ``AUP#CXBL``, ``(S3150)``...) into `best`."""
    for hint, pattern, key in _PATTERNS:
        if hint and hint not in lowered:
            continue
        match = pattern.search(lowered)
        if match is None:
            continue
        score = (max(strength, _STRONG), _ENTRIES[key].kind_rank, len(match.group()))
        if best is None or score > best[0]:
            best = (score, key)
    return best


def detect_provider(text: str, remote_mta: str | None = None) -> Provider | None:
    """The provider, filter or blocklist that `text` (a reply) or `remote_mta` names, if any."""
    best: _Best = None
    remote = remote_mta.lower() if remote_mta else ""
    lowered = text.lower() if text else ""
    if remote:
        best = _scan_words(remote_mta or "", remote, _REMOTE, best)
    if lowered:
        best = _scan_words(text, lowered, _WEAK, best)
    # A host name or reply signature of a mailbox provider already settles it; vendor
    # code patterns only matter when nothing (or only a quoted blocklist) was found.
    if best is None or best[0][0] < _STRONG or best[0][1] < _MAILBOX:
        if remote:
            best = _scan_patterns(remote, _REMOTE, best)
        if lowered:
            best = _scan_patterns(lowered, _WEAK, best)
    return _ENTRIES[best[1]].provider if best is not None else None


def bare_code_rule(code: str) -> ProviderRule | None:
    """The rule for a code only one provider uses (``5.7.606``, ``4.7.650``), asked alone.

    Rules marked ``bare = true`` in the data: with no reply text to name the provider,
    the code itself does, so a bare lookup gets the provider's meaning, not IANA's.
    """
    found = _BARE.get(code.lower().lstrip("#"))
    if found is None:
        return None
    key, index = found
    return _rules(key)[index].result


def _code_matches(rule: _Rule, codes: tuple[str, ...]) -> bool:
    if not rule.codes.isdisjoint(codes):
        return True
    if not rule.ranges:
        return False
    for code in codes:
        for prefix, low, high in rule.ranges:
            if code.startswith(prefix):
                tail = code[len(prefix):]
                if tail.isdigit() and low <= int(tail) <= high:
                    return True
    return False


def provider_rule(
    provider: Provider | None,
    text: str,
    replycode: str | None,
    status: str | None,
    *,
    command: str | None = None,
) -> ProviderRule | None:
    """The first rule of `provider` (or of any blocklist) that fits this reply.

    `replycode`/`status` gate rules that are specific to a code; when one is
    missing, the first such code written in `text` stands in.  `command` (``RCPT``,
    ``DATA``...) gates the few rules that depend on the SMTP stage.
    """
    original = text.lower() if text else ""
    candidates: list[tuple[_Rule, ...]] = []
    seen: set[str] = set()
    key = provider.key if provider is not None else None
    codes: tuple[str, ...] | None = None
    if key is None and _BARE:
        # No marker named anyone: a code only one provider uses names that provider.
        codes = _codes(original, replycode, status)
        for code in codes:
            if code in _BARE:
                key = _BARE[code][0]
                break
    while key is not None and key in _ENTRIES and key not in seen:
        seen.add(key)
        candidates.append(_rules(key))
        key = _ENTRIES[key].parent
    # A blocklist's rules only matter when the reply names that blocklist: one flat
    # loop over (gate, blocklist) pairs in file order.
    for gate, listed in _GATES:
        if gate in original and listed not in seen:
            seen.add(listed)
            group = _rules(listed)
            if group:
                candidates.append(group)
    if not candidates:
        return None
    lowered = _flatten(original)

    upper_command = command.upper() if command else None
    informational: ProviderRule | None = None
    for group in candidates:
        for rule in group:
            needles = rule.needles
            if needles:
                if needles[0] not in lowered:
                    continue  # the common case: one find rules the rule out
                if len(needles) > 1 and not all(n in lowered for n in needles[1:]):
                    continue
            if rule.commands and upper_command not in rule.commands:
                continue
            # Codes before the rule's regex: a set test is cheaper than a search, and
            # every condition must hold, so the order changes no answer.
            if rule.gated:
                if codes is None:
                    codes = _codes(original, replycode, status)
                if (rule.codes or rule.ranges) and not _code_matches(rule, codes):
                    continue
                if rule.when_class and not any(code[:1] == rule.when_class for code in codes):
                    continue
            if rule.pattern is not None and rule.pattern.search(lowered) is None:
                continue
            if rule.result.reason is None:
                # Explains a vendor reference code but settles nothing: keep looking.
                if informational is None:
                    informational = rule.result
                continue
            return rule.result
    return informational


def _flatten(lowered: str) -> str:
    """Join a multi-line reply into one phrase-friendly line.

    ``550-5.7.1 ... multiple 550 5.7.1 addresses`` becomes ``... multiple addresses``:
    continuation prefixes inside the text would otherwise split vendor phrases.
    """
    return " ".join(_CONTINUATION_RE.sub(" ", lowered).split())


def _codes(lowered: str, replycode: str | None, status: str | None) -> tuple[str, ...]:
    """The reply and enhanced codes to gate rules on: the caller's, else the text's first."""
    if not replycode:
        found = _REPLY_RE.search(lowered)
        replycode = found.group() if found else None
    if not status:
        found = _STATUS_RE.search(lowered)
        status = found.group() if found else None
    if replycode and status:
        return (replycode.lower().lstrip("#"), status.lower().lstrip("#"))
    if replycode or status:
        return ((replycode or status or "").lower().lstrip("#"),)
    return ()
