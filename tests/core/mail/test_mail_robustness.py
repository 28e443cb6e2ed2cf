"""Hostile and broken input to `scan`: never an exception, time linear in size."""

from __future__ import annotations

import logging
import sys
import time

import pytest

from bot.core.mail.detector import Parsed
from bot.core.mail.message import BounceMessage
from bot.core.model import Report
from bot.core.scan import scan

HEAD = (
    b"From: MAILER-DAEMON@mx.example.net\nTo: s@example.org\n"
    b"Subject: Undelivered Mail Returned to Sender\n"
)


def _dsn(recipients: int, extra: bytes = b"") -> bytes:
    blocks = b"".join(
        b"Final-Recipient: rfc822; user%d@example.com\nAction: failed\nStatus: 5.1.1\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 unknown\n\n" % n
        for n in range(recipients)
    )
    return (
        HEAD + b'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;'
        b' boundary="B"\n\n--B\nContent-Type: text/plain\n\nfailed\n\n--B\n'
        b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n" + blocks
        + b"--B\nContent-Type: message/rfc822\n\nSubject: hi\n\n" + extra + b"\n--B--\n"
    )


def _elapsed(raw: bytes) -> tuple[float, Report]:
    start = time.process_time()
    report = scan(raw)
    return time.process_time() - start, report


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe" * 1000,
        b"From: x\n\n" + bytes(range(256)) * 100,
        HEAD + b"Content-Type: multipart/report; boundary=\"B\"\n\n--B\nContent-Type: mess",
        HEAD + b"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n",
        HEAD + b"Content-Type: text/plain; charset=no-such-charset\n\n<a@b.example> said: 550 x\n",
        HEAD + b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        b"!!!not base64!!!\n",
        HEAD + b"Content-Type: text/plain; charset=iso-2022-jp\n\n\x1b$B\xff\xfe\x1b(B <a@b.jp>\n",
        HEAD + b"Subject: =?utf-8?B?broken?= =?x-nope?Q?=FF?=\n\n<a@b.example>: 550 no\n",
        b"Subject: \xe9\xe8 8-bit \xff\nFrom: \xff@\xfe\n\n\xff" * 50,
        _dsn(1)[:300],
    ],
)
def test_broken_input_never_raises(raw: bytes) -> None:
    report = scan(raw)
    assert isinstance(report, Report)
    assert report.bounce == bool(report.verdicts)


def test_wrong_declared_charset_still_decodes_text() -> None:
    body = "<jörg@example.de>: host mx said: 550 5.1.1 Benutzer unbekannt für Jörg".encode()
    raw = HEAD + b"Content-Type: text/plain; charset=us-ascii\n\n" + body + b"\n"
    report = scan(raw)
    assert report.bounce
    assert report.verdicts[0].status == "5.1.1"


def test_quoted_printable_and_base64_parts_are_decoded() -> None:
    import base64

    text = "<ヤマダ@example.jp>: host mx said: 550 5.1.1 ユーザーが存在しません".encode()
    raw = (
        HEAD + b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(text)
    )
    report = scan(raw)
    assert report.bounce and report.verdicts[0].status == "5.1.1"


def test_ten_thousand_recipients() -> None:
    report = scan(_dsn(10_000))
    assert len(report.verdicts) == 10_000
    assert report.verdicts[-1].recipient == "user9999@example.com"


def test_ten_megabyte_attachment_scans_fast_and_linearly() -> None:
    small = _dsn(1, extra=b"A" * 76 * 1_000)
    large = _dsn(1, extra=(b"A" * 75 + b"\n") * 140_000)  # ~10 MB
    t_small = min(_elapsed(small)[0] for _ in range(3))
    t_large, report = _elapsed(large)
    assert report.bounce and report.verdicts[0].recipient == "user0@example.com"
    # Ratio guard, not an absolute time: 100x the bytes may cost at most ~300x the time.
    assert t_large < max(t_small, 0.002) * 300


def test_one_megabyte_junk_line_has_no_backtracking() -> None:
    junk = b"550-" + b"5.1.1 " * 170_000 + b"@" * 1000
    small_t = min(_elapsed(HEAD + b"\n" + junk[:10_000])[0] for _ in range(3))
    big_t, _ = _elapsed(HEAD + b"\n" + junk)
    assert big_t < max(small_t, 0.002) * 400


def test_deeply_nested_multiparts() -> None:
    depth = 200
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (n, n) for n in range(depth)
    )
    closing = b"".join(b"\n--b%d--\n" % n for n in reversed(range(depth)))
    raw = HEAD + opening + b"Content-Type: text/plain\n\n<a@example.com>: 550 5.1.1 no\n" + closing
    report = scan(raw)
    assert isinstance(report, Report)


class Exploding:
    name = "exploding"
    order = 1
    body_markers = True

    def __init__(self, where: str) -> None:
        self.where = where

    def sniff(self, msg: BounceMessage) -> bool:
        if self.where == "sniff":
            raise RuntimeError("sniff failed")
        return True

    def parse(self, msg: BounceMessage) -> Parsed | None:
        raise RecursionError("parse failed")


@pytest.mark.parametrize("where", ["sniff", "parse"])
def test_a_detector_bug_fails_under_strict(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """The test suite runs with `STRICT` on (tests/conftest.py): a bug is no silent miss."""
    scan_module = sys.modules["bot.core.scan"]
    assert scan_module.STRICT
    real = scan_module.detectors()
    monkeypatch.setattr(scan_module, "detectors", lambda: (Exploding(where), *real))
    with pytest.raises((RuntimeError, RecursionError)):
        scan(_dsn(2))


@pytest.mark.parametrize("where", ["sniff", "parse"])
def test_a_detector_bug_in_production_is_logged_and_noted(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    scan_module = sys.modules["bot.core.scan"]
    real = scan_module.detectors()
    monkeypatch.setattr(scan_module, "STRICT", False)
    monkeypatch.setattr(scan_module, "detectors", lambda: (Exploding(where), *real))
    with caplog.at_level(logging.ERROR, logger="bot.core.scan"):
        report = scan(_dsn(2))
    # The other detectors still read the message; the report and the log name the culprit.
    assert [v.recipient for v in report.verdicts] == ["user0@example.com", "user1@example.com"]
    assert report.source_format == "rfc3464"
    assert any("exploding detector" in notice for notice in report.notices)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "exploding detector" in errors[0], errors
    assert "failed" not in errors[0].split("raised", 1)[1]  # the type and place, not the text


def test_a_classifier_bug_in_production_keeps_the_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    scan_module = sys.modules["bot.core.scan"]
    monkeypatch.setattr(scan_module, "STRICT", False)

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("classifier bug")

    monkeypatch.setattr(scan_module, "classify", broken)
    report = scan(_dsn(1))
    assert report.verdicts[0].recipient == "user0@example.com"
    assert report.verdicts[0].status == "5.1.1"
    assert report.notices and "classifier" in report.notices[0]
    monkeypatch.setattr(scan_module, "STRICT", True)
    with pytest.raises(ValueError):
        scan(_dsn(1))
