"""Scoring of the held-out set in tests/data/unseen (shared by test_unseen.py and
benchmarks/unseen_vs_sisimai.py).

The set is kept apart from the rules: no rule or phrase in bot/core/data is written from it,
and a miss found here is fixed as a class of problem with its own sample elsewhere, so the
figures keep measuring text the rules were not written from.

Emails: each ``NAME.eml`` has a ``NAME.toml`` sidecar listing the recipients that failed
(address, reason, class, hardbounce). Per expected recipient: found (a record names it),
reason, class and hardbounce of that record; over all records: duplicates (a second record
for an address already reported) and phantoms (a record for an address not expected).
Lines: ``lines*.jsonl``, one pasted reply per line with the reason (where the line makes it
clear) and the class an engineer reads in it.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UNSEEN = Path(__file__).resolve().parents[1] / "data" / "unseen"
EMAILS = UNSEEN / "emails"
#: Reply lines, one batch per file (lines.jsonl, lines2.jsonl ...), in the order written.
LINE_FILES = sorted(UNSEEN.glob("lines*.jsonl"))


@dataclass
class Record:
    """One recipient record as a tool reported it."""

    recipient: str | None
    reason: str | None
    delivery_class: str | None
    hardbounce: bool | None = None


@dataclass
class Tally:
    """Counts for one tool over one part of the set."""

    expected: int = 0
    found: int = 0
    reason: int = 0
    reason_cases: int = 0
    delivery_class: int = 0
    hardbounce: int = 0
    records: int = 0
    duplicates: int = 0
    phantoms: int = 0
    misses: list[str] = field(default_factory=list)

    def share(self, name: str) -> float:
        cases = self.reason_cases if name == "reason" else self.expected
        return 100.0 * getattr(self, name) / cases if cases else 0.0

    def phantom_share(self) -> float:
        return 100.0 * self.phantoms / self.records if self.records else 0.0


def email_cases() -> list[tuple[Path, list[dict[str, Any]]]]:
    """Every held-out email with the recipients its sidecar expects."""
    cases = []
    for path in sorted(EMAILS.glob("*.eml")):
        sidecar = tomllib.loads(path.with_suffix(".toml").read_text(encoding="utf-8"))
        cases.append((path, list(sidecar["recipient"])))
    return cases


def line_cases() -> list[dict[str, Any]]:
    """Every held-out reply line with its expected reason (optional) and class."""
    cases = []
    for path in LINE_FILES:
        with path.open(encoding="utf-8") as handle:
            cases.extend(json.loads(row) for row in handle if row.strip())
    return cases


def _address(value: str | None) -> str:
    return (value or "").strip().lower()


def score_email(
    tally: Tally, name: str, expected: list[dict[str, Any]], records: list[Record]
) -> None:
    """Add one email's records to the tally."""
    wanted = {_address(item["address"]): item for item in expected}
    seen: Counter[str] = Counter()
    first: dict[str, Record] = {}
    for record in records:
        address = _address(record.recipient)
        tally.records += 1
        seen[address] += 1
        if seen[address] > 1:
            tally.duplicates += 1
        elif address in wanted:
            first[address] = record
        else:
            tally.phantoms += 1
            tally.misses.append(f"{name}: phantom {address or '(no address)'}")
    for address, item in wanted.items():
        tally.expected += 1
        tally.reason_cases += 1
        got = first.get(address)
        if got is None:
            tally.misses.append(f"{name}: {address} not found")
            continue
        tally.found += 1
        tally.reason += got.reason == item["reason"]
        tally.delivery_class += got.delivery_class == item["class"]
        tally.hardbounce += got.hardbounce == item.get("hardbounce")
        if got.reason != item["reason"] or got.delivery_class != item["class"]:
            tally.misses.append(
                f"{name}: {address} got {got.reason}/{got.delivery_class}, "
                f"expected {item['reason']}/{item['class']}"
            )


def score_line(tally: Tally, case: dict[str, Any], got: Record | None) -> None:
    """Add one reply line's answer to the tally."""
    tally.expected += 1
    reason = got.reason if got else None
    delivery_class = got.delivery_class if got else None
    tally.delivery_class += delivery_class == case["class"]
    if "reason" in case:
        tally.reason_cases += 1
        tally.reason += reason == case["reason"]
    if reason != case.get("reason", reason) or delivery_class != case["class"]:
        tally.misses.append(
            f"{case['text'][:90]!r} got {reason}/{delivery_class}, "
            f"expected {case.get('reason')}/{case['class']}"
        )


def smtpbot_emails() -> Tally:
    """smtpbot's scan over every held-out email."""
    from bot.core.scan import scan

    tally = Tally()
    for path, expected in email_cases():
        report = scan(path.read_bytes())
        records = [
            Record(v.recipient, v.reason, v.delivery_class, v.hardbounce)
            for v in report.verdicts
        ]
        score_email(tally, path.name, expected, records)
    return tally


def smtpbot_lines() -> Tally:
    """smtpbot's explain over every held-out reply line."""
    from bot.core.explain import explain

    tally = Tally()
    for case in line_cases():
        verdicts = explain(case["text"]).verdicts
        got = verdicts[0] if verdicts else None
        record = Record(None, got.reason, got.delivery_class) if got else None
        score_line(tally, case, record)
    return tally
