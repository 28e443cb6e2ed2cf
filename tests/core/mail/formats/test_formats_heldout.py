"""Formats the shared corpus lacks (or barely has): hand-written samples in their layouts.

`heldout/*.eml` beside this file are our own synthetic reports (example.* addresses, 192.0.2.x
addresses) written after each format's published layout: ApacheJames, Barracuda, Courier,
DragonFly (dma), Facebook, GMX, InterScan MSS, MailFoundry, McAfee, Notes, PowerMTA,
SendGrid, X1/X2/X4/X5, m-FILTER, Yahoo, 1&1, Mail.ru, Yandex, Activehunter, MXLogic, AOL,
MessageLabs, V5 sendmail, Office 365, Outlook.com, Bigfoot. `labels.jsonl` holds, per
recipient, what that format's Sisimai module gives (reasons in Sisimai's newest vocabulary; a pseudo
status such as 5.0.911 is Sisimai-internal and not compared). One table checks them all:
how well the parsers generalise beyond the corpus they were tuned on.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from bot.core.scan import scan

DATA = Path(__file__).parent / "heldout"

#: Module -> the detector that should read it, where a dedicated one exists.
DETECTOR: dict[str, str] = {
    "ApacheJames": "apachejames",
    "Courier": "courier",
    "DragonFly": "dragonfly",
    "Facebook": "facebook",
    "InterScanMSS": "interscanmss",
    "McAfee": "mcafee",
    "mFILTER": "mfilter",
    "Notes": "notes",
    "PowerMTA": "powermta",
    "X1": "x1",
    "X4": "x4",
    "Yahoo": "yahoo",
}


def _cases() -> list[tuple[str, list[dict[str, Any]]]]:
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with open(DATA / "labels.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                label = json.loads(line)
                by_file[label["file"]].append(label)
    return [(name, sorted(labels, key=lambda x: x["index"])) for name, labels in by_file.items()]


CASES = _cases()


def test_every_fixture_is_labelled() -> None:
    assert {p.name for p in DATA.glob("*.eml")} == {name for name, _ in CASES}
    assert len(CASES) >= 30


@pytest.mark.parametrize(("name", "labels"), CASES, ids=[c[0] for c in CASES])
def test_heldout_sample(name: str, labels: list[dict[str, Any]]) -> None:
    report = scan((DATA / name).read_bytes())
    assert report.bounce
    wanted = DETECTOR.get(labels[0]["module"])
    if wanted is not None:
        assert report.source_format == wanted
    got = {(v.recipient or "").lower(): v for v in report.verdicts}
    assert sorted(got) == sorted(label["recipient"].lower() for label in labels)
    for label in labels:
        verdict = got[label["recipient"].lower()]
        assert verdict.reason == label["reason"], label["recipient"]
        if label["status"] and not label["status_pseudo"]:
            assert verdict.status == label["status"], label["recipient"]
        assert (verdict.replycode or "") == label["replycode"], label["recipient"]


#: Ordinary mail that shares a Subject or a header with those formats.
NOT_BOUNCES = {
    "delivery-report": (
        "From: Logistics <ops@example.com>\nTo: team@example.org\n"
        "Subject: Delivery report for week 9\n\nAll parcels were delivered on time.\n"
    ),
    "undeliverable-message": (
        "From: Help Desk <help@example.com>\nTo: user@example.org\n"
        "Subject: Undeliverable message in your outbox\n\n"
        "One message in your outbox could not be sent; please retry later.\n"
    ),
    "mcafee-header": (
        "From: news@example.com\nTo: user@example.org\nSubject: Delivery Status\n"
        "X-NAI-Header: Modified by McAfee Email and Web Security Virtual Appliance\n\n"
        "Your order has shipped; tracking details follow soon.\n"
    ),
    "courier-subject": (
        "From: admin@example.com\nTo: user@example.org\n"
        "Subject: NOTICE: mail delivery status.\n\nThe mail server will be upgraded tonight.\n"
    ),
    "returned-mail-x1": (
        'From: "Mail Deliver System" <desk@example.com>\nTo: user@example.org\n'
        "Subject: Returned Mail: parcel\n\nThe original message was received at noon.\n"
        "Nothing else to say.\n"
    ),
}


@pytest.mark.parametrize("text", NOT_BOUNCES.values(), ids=list(NOT_BOUNCES))
def test_lookalikes_are_not_bounces(text: str) -> None:
    report = scan(text.encode())
    assert report.verdicts == []


@pytest.mark.parametrize(("name", "labels"), CASES, ids=[c[0] for c in CASES])
def test_a_truncated_copy_names_only_recipients_it_holds(
    name: str, labels: list[dict[str, Any]]
) -> None:
    """A cut message is read without a bug (tests run under `scan.STRICT`), and whatever
    it reports is there in what is left of it: truncation invents no recipient."""
    raw = (DATA / name).read_bytes()
    for cut in (len(raw) // 3, len(raw) // 2, len(raw) - 40):
        report = scan(raw[:cut])
        assert report.bounce == bool(report.verdicts)
        text = raw[:cut].decode("utf-8", "replace").lower()
        for verdict in report.verdicts:
            assert verdict.recipient and verdict.recipient.lower() in text, (cut, verdict)
