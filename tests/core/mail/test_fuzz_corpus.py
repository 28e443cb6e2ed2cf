"""Fuzzing the real corpus: broken copies of every bounce in the shared corpus go through `scan`.

Each email is truncated (at fixed fractions and at its header/body boundary), has bytes
flipped (positions drawn from a generator seeded by the file's name, so every run tries
the same copies) and is re-encoded (CRLF and LF swapped, bare CR, Latin-1 re-encoding
of its decoded text, base64 and quoted-printable bodies, body or headers alone). Every
copy must give a report within the JSON contract, without raising.

The number of cases and the slowest input are printed; time is not asserted here
(``test_linear_time`` bounds growth, ``benchmarks/run`` measures speed).
"""

from __future__ import annotations

import base64
import quopri
import random
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.core.explain import explain
from bot.core.model import Report
from bot.core.scan import scan
from tests.conftest import CORPUS, read_jsonl
from tests.core.test_properties import assert_contract

EMAILS = CORPUS / "emails"
FRACTIONS = (0.01, 0.05, 0.1, 0.25, 0.33, 0.5, 0.66, 0.75, 0.9, 0.95, 0.99)
FLIP_ROUNDS = 3


def _emails() -> list[Path]:
    return sorted(p for p in EMAILS.rglob("*") if p.is_file()) if EMAILS.is_dir() else []


def _split(raw: bytes) -> tuple[bytes, bytes, bytes]:
    """Headers, the blank-line separator, body (separator empty when there is none)."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(sep)
        if at >= 0:
            return raw[:at], sep, raw[at + len(sep) :]
    return raw, b"", b""


def _newline(head: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in head else b"\n"


def _with_body_encoding(raw: bytes, name: bytes, body: bytes) -> bytes:
    """The same headers, with the body replaced and labelled with a transfer encoding."""
    head, sep, _ = _split(raw)
    nl = _newline(head)
    kept = [
        line
        for line in head.split(nl)
        if not line.lower().startswith(b"content-transfer-encoding:")
    ]
    return nl.join([*kept, b"Content-Transfer-Encoding: " + name]) + (sep or nl + nl) + body


def _flipped(raw: bytes, rng: random.Random, count: int) -> bytes:
    data = bytearray(raw)
    for _ in range(count):
        at = rng.randrange(len(data))
        data[at] ^= rng.randrange(1, 256)
    return bytes(data)


def variants(name: str, raw: bytes) -> Iterator[tuple[str, bytes]]:
    """Deterministic broken copies of one email: (label, bytes)."""
    head, sep, body = _split(raw)
    for fraction in FRACTIONS:
        yield f"truncated at {fraction:.0%}", raw[: int(len(raw) * fraction)]
    yield "headers only", head + sep
    yield "headers cut mid-line", head[: len(head) // 2] + b"\n\n" + body
    yield "body only", body

    rng = random.Random(zlib.crc32(name.encode()))
    if raw:
        for _ in range(FLIP_ROUNDS):
            for count in (1, 8, max(1, len(raw) // 100)):
                yield f"{count} bytes flipped", _flipped(raw, rng, count)
        at = rng.randrange(len(raw))
        yield "NUL and 0xFF run inserted", raw[:at] + b"\x00\xff" * 64 + raw[at:]

    if b"\r\n" in raw:
        yield "CRLF to LF", raw.replace(b"\r\n", b"\n")
    else:
        yield "LF to CRLF", raw.replace(b"\n", b"\r\n")
    yield "bare CR newlines", raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    yield "Latin-1 re-encoded", raw.decode("utf-8", "replace").encode("latin-1", "replace")
    yield "base64 body", _with_body_encoding(raw, b"base64", base64.encodebytes(body))
    yield (
        "quoted-printable body",
        _with_body_encoding(raw, b"quoted-printable", quopri.encodestring(body)),
    )
    yield "body labelled base64 but not", _with_body_encoding(raw, b"base64", body)


def _timed(run: Callable[[bytes], Report], data: bytes) -> tuple[Report, float]:
    start = time.perf_counter()
    report = run(data)
    return report, time.perf_counter() - start


def test_every_corpus_email_survives_broken_copies(capsys: pytest.CaptureFixture[str]) -> None:
    files = _emails()
    if not files:
        pytest.skip(f"shared corpus not found at {EMAILS}")
    cases = 0
    slowest = ("", "", 0.0, 0)
    failures: list[str] = []
    for path in files:
        name = str(path.relative_to(EMAILS))
        for label, data in variants(name, path.read_bytes()):
            cases += 1
            try:
                report, took = _timed(scan, data)
                assert_contract(report)
            except Exception as exc:  # collect all, report the first few with reproducers
                failures.append(f"{name} [{label}]: {type(exc).__name__}: {exc}"[:500])
                continue
            if took > slowest[2]:
                slowest = (name, label, took, len(data))
    with capsys.disabled():
        print(
            f"\nfuzz corpus: {cases} cases over {len(files)} emails; slowest: {slowest[0]} "
            f"[{slowest[1]}], {slowest[3]} bytes, {slowest[2] * 1000:.1f} ms"
        )
    assert not failures, f"{len(failures)} of {cases} cases failed:\n" + "\n".join(failures[:10])
    assert cases >= len(files) * 30


def _key(report: Report) -> list[tuple[str | None, ...]]:
    return [
        (v.recipient, v.replycode, v.status, v.reason, v.delivery_class) for v in report.verdicts
    ]


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
def test_newline_style_does_not_change_the_verdicts(newline: bytes) -> None:
    """The same bounce saved with CRLF (or old Mac CR) newlines must give the LF verdicts.

    Bounces saved on Windows or fetched over IMAP have CRLF newlines; `BounceMessage`
    turns them into LF before parsing, so no detector sees a carriage return.
    """
    files = _emails()
    if not files:
        pytest.skip(f"shared corpus not found at {EMAILS}")
    differ = []
    for path in files:
        raw = path.read_bytes().replace(b"\r\n", b"\n")
        lf, other = scan(raw), scan(raw.replace(b"\n", newline))
        if lf.bounce != other.bounce or _key(lf) != _key(other):
            differ.append(f"{path.relative_to(EMAILS)}: LF {_key(lf)[:2]} other {_key(other)[:2]}")
    assert not differ, f"{len(differ)} of {len(files)} differ:\n" + "\n".join(differ[:10])


def _pastes(snippet: str, status: str) -> Iterator[tuple[str, str]]:
    """Multi-line texts a user might paste around one reply (snippets are single lines)."""
    yield "line", f"{snippet}\n"
    yield "dsn", (
        "Final-Recipient: rfc822; kijitora@example.org\nAction: failed\n"
        f"Status: {status or '5.0.0'}\nDiagnostic-Code: smtp; {snippet}\n"
    )
    yield "log", (
        "Nov 29 03:20:31 mx postfix/smtp[123]: to=<kijitora@example.org>, status=bounced "
        f"({snippet})\nNov 29 03:20:31 mx postfix/qmgr[99]: removed\n"
    )
    yield "quote", f"I got this back when mailing a customer:\n\n> {snippet}\n\nWhy?\n"


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_explain_reads_crlf_pastes_like_lf(newline: str) -> None:
    """Text copied from a Windows client or a CRLF log pastes with CRLF (or CR) newlines."""
    path = CORPUS / "snippets.jsonl"
    if not path.is_file():
        pytest.skip(f"shared corpus not found at {path}")
    texts = [
        (f"{row['file']} #{row['index']} [{label}]", text)
        for row in read_jsonl(path)
        for label, text in _pastes(row["snippet"], row.get("status") or "")
    ]
    # whole bounces pasted as text go through `scan`, with its own newline handling
    texts += [(str(p.relative_to(EMAILS)), p.read_bytes().decode("utf-8", "replace"))
              for p in _emails()]
    differ = []
    for name, text in texts:
        text = text.replace("\r\n", "\n")
        lf, crlf = explain(text), explain(text.replace("\n", newline))
        if lf.bounce != crlf.bounce or _key(lf) != _key(crlf):
            differ.append(f"{name}: LF {_key(lf)[:2]} CRLF {_key(crlf)[:2]}")
    assert not differ, f"{len(differ)} of {len(texts)} differ:\n" + "\n".join(differ[:10])
