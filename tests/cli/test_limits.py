"""Input limits: stated once in `bot.core.limits`, in force where input is read, and never silent.

Each limit, when exceeded, must produce a message that names it (the CLI refuses an
over-limit paste with exit status 2; ``smtpbot scan`` reports an over-limit message as
an error record and goes on); input exactly at a limit is accepted.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli, scanfiles
from bot.core import limits, replytext
from bot.core.explain import MAX_RECIPIENTS as EXPLAIN_MAX_RECIPIENTS
from bot.core.explain import explain
from bot.core.limits import (
    MAX_EXPLAIN_CHARS,
    MAX_EXPLAIN_LINES,
    MAX_MESSAGE_BYTES,
    MAX_PASTE_BYTES,
    MAX_PASTE_RECIPIENTS,
    MAX_RECIPIENTS,
    human_size,
)
from bot.core.mail.formats.fallback import _MAX_RECIPIENTS as FALLBACK_MAX_RECIPIENTS
from bot.core.scan import scan

REPLY = "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown"
BOUNCE = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\n"
    b"To: alice@example.org\n"
    b"Subject: Undelivered Mail Returned to Sender\n"
    b"\n"
    b"I'm sorry to have to inform you that your message could not be delivered.\n"
    b"\n"
    b"<bob@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 <bob@example.com>:\n"
    b"    Recipient address rejected: User unknown (in reply to RCPT TO command)\n"
)


# --------------------------------------------------------------------------- one source


def test_limits_module_is_the_one_in_force() -> None:
    """The readers use the stated numbers, so docs and behaviour cannot drift apart."""
    assert cli.MAX_STDIN_BYTES == MAX_PASTE_BYTES
    assert scanfiles.MAX_MESSAGE_BYTES == MAX_MESSAGE_BYTES
    assert replytext.MAX_TEXT == MAX_EXPLAIN_CHARS
    assert replytext.MAX_LINES == MAX_EXPLAIN_LINES
    assert EXPLAIN_MAX_RECIPIENTS == MAX_PASTE_RECIPIENTS
    assert FALLBACK_MAX_RECIPIENTS == MAX_RECIPIENTS


def test_limits_are_ordered_and_documented() -> None:
    assert 0 < MAX_EXPLAIN_CHARS < MAX_PASTE_BYTES <= MAX_MESSAGE_BYTES
    assert 0 < MAX_PASTE_RECIPIENTS <= MAX_RECIPIENTS
    for name in limits.__all__:
        if name.startswith("MAX_"):
            assert f"`{name}`" in (limits.__doc__ or ""), f"{name} missing from the module doc"


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (20 * 1024 * 1024, "20 MB"),
        (50 * 1024 * 1024, "50 MB"),
        (1536 * 1024, "1.5 MB"),
        (4096, "4096 bytes"),
    ],
)
def test_human_size(size: int, words: str) -> None:
    assert human_size(size) == words


# --------------------------------------------------------------------------- the paste limit


def _explain_stdin(
    data: bytes, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code = cli.main(["explain", "-"])
    out, err = capsys.readouterr()
    return code, out, err


def test_paste_over_the_limit_is_refused_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "MAX_STDIN_BYTES", 4096)
    paste = (REPLY + "\n").encode()
    over = paste * (4096 // len(paste) + 1)
    code, out, err = _explain_stdin(over, capsys, monkeypatch)
    assert code == 2
    assert out == "", "nothing may be reported from a refused paste"
    assert "4096 bytes" in err and "limit" in err


def test_paste_exactly_at_the_limit_is_explained(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = REPLY.encode().ljust(4096)
    monkeypatch.setattr(cli, "MAX_STDIN_BYTES", len(data))
    code, out, _ = _explain_stdin(data, capsys, monkeypatch)
    assert code == 0
    assert "bob@example.com" in out


def test_real_paste_limit_through_the_command() -> None:
    """The installed command, the real 20 MB limit, one byte over: exit 2 and the limit named."""
    over = b"x" * (MAX_PASTE_BYTES + 1)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "explain", "-"],
        input=over,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == b""
    assert human_size(MAX_PASTE_BYTES).encode() in done.stderr


# --------------------------------------------------------------------------- the message limit

LIMIT = 1024 * 1024  # a whole number of MB, so the message can name it as people read it


def _scan(
    paths: list[Path], fmt: scanfiles.Format, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    code = scanfiles.run_scan([str(p) for p in paths], fmt, progress=False)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(scanfiles, "MAX_MESSAGE_BYTES", LIMIT)
    return LIMIT


def test_over_limit_file_is_an_error_naming_the_limit_and_the_scan_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], small_limit: int
) -> None:
    first, big, last = tmp_path / "a.eml", tmp_path / "b.eml", tmp_path / "c.eml"
    first.write_bytes(BOUNCE)
    big.write_bytes(BOUNCE + b"x" * (small_limit + 1 - len(BOUNCE)))
    last.write_bytes(BOUNCE)
    code, out, err = _scan([first, big, last], "json", capsys)
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [r["file"] for r in records] == [str(first), str(big), str(last)]
    error = records[1]["error"]
    assert human_size(small_limit) in error, error
    assert "recipient" not in records[1], "nothing may be reported from an unread message"
    assert records[0]["recipient"] == records[2]["recipient"] == "bob@example.com"
    assert str(big) in err and human_size(small_limit) in err


def test_message_exactly_at_the_limit_is_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], small_limit: int
) -> None:
    path = tmp_path / "a.eml"
    path.write_bytes(BOUNCE + b"x" * (small_limit - len(BOUNCE)))
    assert path.stat().st_size == small_limit
    code, out, _ = _scan([path], "json", capsys)
    assert code == 0
    assert json.loads(out.splitlines()[0])["recipient"] == "bob@example.com"


def test_over_limit_mbox_message_is_an_error_in_csv_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], small_limit: int
) -> None:
    envelope = b"From MAILER-DAEMON Thu Apr 29 23:34:45 2021\n"
    box = tmp_path / "box"
    box.write_bytes(
        envelope
        + BOUNCE
        + b"\n"
        + envelope
        + BOUNCE
        + b"y" * small_limit
        + b"\n"
        + envelope
        + BOUNCE
    )
    code, out, _ = _scan([box], "csv", capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1
    assert [r["message"] for r in rows] == ["1", "2", "3"]
    assert rows[1]["error"] and human_size(small_limit) in rows[1]["error"]
    assert rows[1]["recipient"] == ""
    assert rows[0]["recipient"] == rows[2]["recipient"] == "bob@example.com"


# --------------------------------------------------------------------------- never silent


def _mentions_limit(texts: list[str], limit: int) -> bool:
    return any(str(limit) in t or f"{limit:,}" in t for t in texts)


def _dsn(recipients: int) -> bytes:
    groups = b"".join(
        b"Final-Recipient: rfc822; user%d@example.com\nAction: failed\nStatus: 5.1.1\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n" % n
        for n in range(recipients)
    )
    return (
        b"From: MAILER-DAEMON@example.com\nSubject: Delivery Status Notification (Failure)\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nDelivery failed.\n"
        b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n"
        + groups
        + b"--b--\n"
    )


def _postfix_log(recipients: int) -> str:
    return "\n".join(
        f"postfix/smtp[1]: A{n}: to=<u{n}@example.com>, dsn=5.1.1, status=bounced "
        "(host mx.example.com said: 550 5.1.1 user unknown)"
        for n in range(recipients)
    )


def test_left_out_names_the_limit_and_how_much() -> None:
    assert limits.left_out(10_000, "recipients", 5, "MAX_RECIPIENTS") == (
        "Only the first 10,000 recipients are reported; 5 more were left out "
        "(limit MAX_RECIPIENTS)."
    )
    assert "1 more was left out" in limits.left_out(3, "lines", 1, "X", "were read")


def test_recipients_over_the_limit_are_cut_with_a_note() -> None:
    report = scan(_dsn(MAX_RECIPIENTS + 5))
    assert len(report.verdicts) == MAX_RECIPIENTS
    assert report.verdicts[-1].recipient == f"user{MAX_RECIPIENTS - 1}@example.com"
    assert report.notices == [
        f"Only the first {MAX_RECIPIENTS:,} recipients are reported; 5 more were left out "
        "(limit MAX_RECIPIENTS)."
    ]
    assert set(report.to_dict()) == {"bounce", "verdicts"}, "notices stay out of the JSON"


def test_recipients_at_the_limit_say_there_may_be_more(monkeypatch: pytest.MonkeyPatch) -> None:
    """A parser may stop at the limit itself, so exactly the limit cannot be told from more."""
    monkeypatch.setattr("bot.core.scan.MAX_RECIPIENTS", 3)
    assert scan(_dsn(2)).notices == []
    assert scan(_dsn(3)).notices == [
        "3 recipients are reported, as many as the limit allows (MAX_RECIPIENTS); "
        "the message may name more."
    ]
    cut = scan(_dsn(4))
    assert len(cut.verdicts) == 3
    assert cut.notices and "1 more was left out" in cut.notices[0]


def test_pasted_log_over_the_recipient_limit_says_so() -> None:
    log = _postfix_log(MAX_PASTE_RECIPIENTS + 5)
    assert len(log) < MAX_EXPLAIN_CHARS and log.count("\n") < MAX_EXPLAIN_LINES
    report = explain(log)
    assert len(report.verdicts) == MAX_PASTE_RECIPIENTS
    assert report.notices == [
        f"Only the first {MAX_PASTE_RECIPIENTS:,} recipients are reported; 5 more were left "
        "out (limit MAX_PASTE_RECIPIENTS)."
    ]
    assert explain(_postfix_log(MAX_PASTE_RECIPIENTS)).notices == []


def test_recipients_listed_over_one_reply_are_cut_with_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bot.core.explain.MAX_RECIPIENTS", 2)
    paste = "a@example.com\nb@example.com\nc@example.com\n\n550 5.1.1 User unknown"
    report = explain(paste)
    assert [v.recipient for v in report.verdicts] == ["a@example.com", "b@example.com"]
    assert len(report.notices) == 1 and "1 more was left out" in report.notices[0]


def test_a_paste_read_in_part_says_how_much_was_not_read() -> None:
    report = explain(REPLY + "\n" + "x" * MAX_EXPLAIN_CHARS)
    assert report.bounce and report.verdicts[0].replycode == "550"
    more = len(REPLY) + 1
    assert report.notices == [
        f"Only the first {MAX_EXPLAIN_CHARS:,} characters were read for replies; {more:,} more "
        "were left out (limit MAX_EXPLAIN_CHARS)."
    ]
    assert explain(REPLY.ljust(MAX_EXPLAIN_CHARS)).notices == []


def test_a_paste_over_the_line_limit_says_how_many_lines_were_not_read() -> None:
    report = explain(REPLY + "\n" * 2 + "junk\n" * (MAX_EXPLAIN_LINES + 9))
    assert report.bounce
    # REPLY, one blank line, then junk lines: MAX_EXPLAIN_LINES are read, 11 are not.
    assert report.notices == [
        f"Only the first {MAX_EXPLAIN_LINES:,} lines were read for replies; 11 more were left "
        "out (limit MAX_EXPLAIN_LINES)."
    ]
    assert explain("junk\n" * MAX_EXPLAIN_LINES).notices == []


def test_nothing_found_in_a_cut_paste_still_says_it_was_cut() -> None:
    report = explain("hello " * MAX_EXPLAIN_CHARS)
    assert not report.bounce
    assert _mentions_limit(report.notices, MAX_EXPLAIN_CHARS)


def test_cli_says_when_only_part_of_a_paste_was_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    paste = (REPLY + "\n" + "x" * MAX_EXPLAIN_CHARS).encode()
    code, out, err = _explain_stdin(paste, capsys, monkeypatch)
    assert code == 0
    assert "550" in out and "limit" not in out
    assert err.startswith("smtpbot: note: Only the first 200,000 characters"), err
    assert "MAX_EXPLAIN_CHARS" in err


def test_cli_json_keeps_stdout_json_and_notes_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _postfix_log(MAX_PASTE_RECIPIENTS + 2).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(log)))
    code = cli.main(["explain", "--json", "-"])
    out, err = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"bounce", "verdicts"}
    assert len(data["verdicts"]) == MAX_PASTE_RECIPIENTS
    assert err == (
        f"smtpbot: note: Only the first {MAX_PASTE_RECIPIENTS:,} recipients are reported; "
        "2 more were left out (limit MAX_PASTE_RECIPIENTS).\n"
    )


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_scan_notes_a_cut_report_on_stderr_after_the_file_name(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fmt: scanfiles.Format,
) -> None:
    monkeypatch.setattr("bot.core.scan.MAX_RECIPIENTS", 2)
    big, small = tmp_path / "big.eml", tmp_path / "small.eml"
    big.write_bytes(_dsn(5))
    small.write_bytes(_dsn(1))
    code, out, err = _scan([big, small], fmt, capsys)
    assert code == 0, "a cut report is no failure"
    assert err == (
        f"smtpbot: {big}: note: Only the first 2 recipients are reported; 3 more were left "
        "out (limit MAX_RECIPIENTS).\n"
    )
    if fmt == "json":
        assert [json.loads(line)["file"] for line in out.splitlines()] == [str(big)] * 2 + [
            str(small)
        ]


def test_scan_notes_name_the_mbox_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.core.scan.MAX_RECIPIENTS", 2)
    envelope = b"From MAILER-DAEMON Thu Apr 29 23:34:45 2021\n"
    box = tmp_path / "box"
    box.write_bytes(envelope + _dsn(1) + b"\n" + envelope + _dsn(4))
    _, _, err = _scan([box], "json", capsys)
    assert err.startswith(f"smtpbot: {box} (message 2): note: Only the first 2 recipients")
