"""``smtpbot scan`` over files, mbox, Maildir and directories: shapes, streaming, errors."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
import tracemalloc
from pathlib import Path

import pytest

from bot import scanfiles
from bot.cli import main
from bot.scanfiles import iter_files, split_mbox

BOUNCE = b"""\
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: sender@example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

The mail system could not deliver your message.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; alice@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <alice@example.com>: Recipient address
    rejected: User unknown in local recipient table

Final-Recipient: rfc822; bob@example.jp
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

--B
Content-Type: text/rfc822-headers

From: Sender <sender@example.org>
Subject: Hello there
Message-ID: <abc.123@example.org>

--B--
"""

NOT_BOUNCE = b"""\
From: Newsletter <news@shop.example>
To: someone@example.org
Subject: This week's offers
Content-Type: text/plain

Save 20% on 550 items! Call 421-555-0100. Release 5.7.1 is out.
"""


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["scan", "--no-progress", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_json_one_line_per_recipient_with_file_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.eml"
    path.write_bytes(BOUNCE)
    code, out, _ = _run(capsys, "--json", str(path))
    assert code == 0
    records = _lines(out)
    assert [r["recipient"] for r in records] == ["alice@example.com", "bob@example.jp"]
    first = records[0]
    assert next(iter(first)) == "file"
    assert first["file"] == str(path)
    assert "message" not in first
    assert first["status"] == "5.1.1"
    for key in ("replycode", "class", "reason", "retry", "provider", "title", "diagnostic",
                "remote_mta", "action", "feedback_type", "actions", "references",
                "hardbounce"):
        assert key in first
    assert first["hardbounce"] is True  # 5.1.1: the address itself is to be suppressed
    assert first["original"] == {
        "message_id": "<abc.123@example.org>", "subject": "Hello there",
        "from": "sender@example.org",
    }


def test_directory_paths_are_relative_and_sorted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "b" / "deep" / "2.eml").write_bytes(BOUNCE)
    (tmp_path / "a.eml").write_bytes(BOUNCE)
    (tmp_path / "news.eml").write_bytes(NOT_BOUNCE)
    code, out, _ = _run(capsys, "--json", str(tmp_path))
    assert code == 0
    files = [r["file"] for r in _lines(out)]
    assert files == ["a.eml", "a.eml", "b/deep/2.eml", "b/deep/2.eml"]


def test_not_a_bounce_gives_no_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "news.eml"
    path.write_bytes(NOT_BOUNCE)
    code, out, _ = _run(capsys, "--json", str(path))
    assert (code, out) == (0, "")


def test_csv_has_header_and_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "b.eml"
    path.write_bytes(BOUNCE)
    code, out, _ = _run(capsys, "--csv", str(path))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2
    assert list(rows[0])[:3] == ["file", "message", "recipient"]
    assert rows[1]["recipient"] == "bob@example.jp"
    assert rows[1]["status"] == "5.2.2"
    assert rows[0]["original_subject"] == "Hello there"


def test_table_summarises_by_reason_domain_and_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.eml"
    path.write_bytes(BOUNCE)
    code, out, _ = _run(capsys, str(path))
    assert code == 0
    assert "By reason" in out and "By recipient domain" in out and "By provider" in out
    assert "example.com" in out and "example.jp" in out
    assert "50.0%" in out
    assert "recipients: 2" in out


def test_mbox_is_split_and_messages_numbered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = BOUNCE.replace(b"The mail system", b">From the mail system")
    mbox = b"".join(
        b"From MAILER-DAEMON Thu Apr 29 23:34:45 2021\n" + m + b"\n"
        for m in (body, NOT_BOUNCE, BOUNCE)
    )
    path = tmp_path / "box"
    path.write_bytes(mbox)
    code, out, _ = _run(capsys, "--json", str(path))
    assert code == 0
    records = _lines(out)
    assert [r["message"] for r in records] == [1, 1, 3, 3]
    with path.open("rb") as handle:
        messages = list(split_mbox(handle))
    assert len(messages) == 3
    assert messages[0] is not None and b"\nFrom the mail system" in messages[0]


def test_mbox_envelope_line_without_blank_line_before(tmp_path: Path) -> None:
    data = (b"From a@example.org Thu Jul  2 12:05:05 2020\nSubject: one\n\nx\n--b--\n"
            b"From b@example.org Thu Jul  2 12:05:06 2020\nSubject: two\n\nFrom here on\n")
    messages = list(split_mbox(io.BytesIO(data)))
    assert len(messages) == 2
    assert messages[1] is not None and b"From here on" in messages[1]


def test_maildir_reads_cur_and_new_but_not_tmp(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    (tmp_path / "cur" / "1:2,S").write_bytes(BOUNCE)
    (tmp_path / "new" / "2").write_bytes(BOUNCE)
    (tmp_path / "tmp" / "3").write_bytes(BOUNCE)
    code, out, _ = _run(capsys, "--json", str(tmp_path))
    assert code == 0
    assert sorted({str(r["file"]) for r in _lines(out)}) == ["cur/1:2,S", "new/2"]


def test_unreadable_file_is_reported_and_scan_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(BOUNCE)
    missing = tmp_path / "missing.eml"
    code, out, err = _run(capsys, "--json", str(missing), str(good))
    assert code == 1
    assert str(missing) in err
    records = _lines(out)
    assert records[0] == {"file": str(missing), "error": records[0]["error"]}
    assert records[0]["error"]
    assert [r.get("recipient") for r in records[1:]] == ["alice@example.com", "bob@example.jp"]


def test_oversized_message_is_an_error_not_parsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scanfiles, "MAX_MESSAGE_BYTES", 1000)
    big = tmp_path / "big.eml"
    big.write_bytes(BOUNCE + b"x" * 2000)
    mbox = tmp_path / "box"
    mbox.write_bytes(b"From x Thu Apr 29 23:34:45 2021\n" + BOUNCE + b"y" * 2000 + b"\n"
                     b"From x Thu Apr 29 23:34:45 2021\n" + BOUNCE)
    code, out, err = _run(capsys, "--json", str(big), str(mbox))
    assert code == 1
    records = _lines(out)
    assert records[0]["file"] == str(big) and "larger than" in str(records[0]["error"])
    assert records[1] == {"file": str(mbox), "message": 1, "error": records[1]["error"]}
    assert [r["message"] for r in records[2:]] == [2, 2]
    assert "big.eml" in err


def test_mbox_streaming_memory_is_bounded(tmp_path: Path) -> None:
    one = b"From x Thu Apr 29 23:34:45 2021\n" + BOUNCE + b"\n"
    path = tmp_path / "box"
    path.write_bytes(one * 3000)  # ~3 MB
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            count = sum(1 for _ in split_mbox(handle))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 3000
    assert peak < path.stat().st_size / 4  # the file is never held whole


def test_iter_files_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / ".hidden").write_bytes(BOUNCE)
    (tmp_path / "x.eml").write_bytes(BOUNCE)
    assert [shown for _, shown in iter_files([str(tmp_path)])] == ["x.eml"]


def test_a_report_cut_at_the_recipient_limit_is_noted_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.core.scan.MAX_RECIPIENTS", 1)
    (tmp_path / "a.eml").write_bytes(BOUNCE)
    (tmp_path / "b.eml").write_bytes(NOT_BOUNCE)
    code, out, err = _run(capsys, "--json", str(tmp_path))
    assert code == 0
    assert [r["recipient"] for r in _lines(out)] == ["alice@example.com"]
    assert err == (
        "smtpbot: a.eml: note: Only the first 1 recipients are reported; 1 more was left out "
        "(limit MAX_RECIPIENTS).\n"
    )


def test_files_are_read_whole_whatever_their_size(tmp_path: Path) -> None:
    """One read for a small .eml; a larger one, or one that is not a plain file, in pieces."""
    small = tmp_path / "small.eml"
    small.write_bytes(BOUNCE)
    large = tmp_path / "large.eml"
    large.write_bytes(BOUNCE + b"x" * 300_000 + b"\n")
    for path in (small, large):
        items = list(scanfiles.iter_messages(str(path), path.name))
        assert [item.raw for item in items] == [path.read_bytes()]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_read_to_its_end(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.eml"
    os.mkfifo(fifo)
    data = BOUNCE + b"y" * 200_000 + b"\n"

    def feed() -> None:
        with fifo.open("wb") as handle:
            for start in range(0, len(data), 4096):
                handle.write(data[start : start + 4096])
                handle.flush()

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        items = list(scanfiles.iter_messages(str(fifo), "pipe.eml"))
    finally:
        writer.join()
    assert [item.raw for item in items] == [data]
