"""split_returned / original_from_headers: where the returned message starts, what it says."""

from __future__ import annotations

import itertools
import re

import pytest

from bot.core.mail import common


@pytest.mark.parametrize(
    ("body", "report"),
    [
        ("oops\n------ This is a copy of the message\nFrom: a", "oops\n"),
        ("oops\n> | ORIGINAL MESSAGE follows\n", "oops\n"),
        ("oops\nContent-Type:\tmessage/RFC822\n\nSubject: x\n", "oops\n"),
        ("Original message\nfirst line", ""),
        ("no marker here, not even an original message mid-line\n", None),
        ("Échec de remise\n--- Original message ---\nSubject: café\n", "Échec de remise\n"),
    ],
)
def test_the_report_ends_at_the_first_marker_line(body: str, report: str | None) -> None:
    got_report, tail = common.split_returned(body)
    if report is None:
        assert (got_report, tail) == (body, "")
    else:
        assert got_report == report and got_report + tail == body


def test_marker_decoration_accepts_what_the_plain_form_accepts() -> None:
    """Every prefix up to 5 characters over the decoration alphabet: the decoration is
    written so that no two parts can take the same ``|`` (the plain form backtracks
    quadratically on a run of pipes), and must accept exactly what the plain form does."""
    plain = re.compile(r"[ \t>|]*(?:[-=*_|]{2,}[ \t]*)?original message\Z")
    ours = re.compile(common._MARKER_LEAD + r"original message\Z")
    for size in range(6):
        for chars in itertools.product(" \t>|-=*_x", repeat=size):
            text = "".join(chars) + "original message"
            assert bool(plain.match(text)) == bool(ours.match(text)), repr(text)


def test_the_original_headers_are_read_case_and_folds_ignored() -> None:
    text = (
        "> SUBJECT: café\n   au lait\nfrom: A <a@b.example>\nMessage-ID:\n <x@y>\n"
        "Subject: second\n"
    )
    original = common.original_from_headers(text)
    assert original is not None
    assert (original.subject, original.sender, original.message_id) == (
        "café au lait",
        "a@b.example",
        "<x@y>",
    )
