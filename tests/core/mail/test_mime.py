"""bot.core.mail.mime builds exactly the tree the stdlib parser builds (compat32).

Detectors read payload strings, preambles and header values; any drift would change
verdicts silently, so the trees are compared field by field: on the corpus, on
hand-written quirks of the feed parser, and on generated MIME structures.
"""

from __future__ import annotations

import email
import re
from email.message import Message
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.mail import mime
from bot.core.mail.message import BounceMessage, unix_newlines
from tests.conftest import CORPUS


def shape(msg: Message, path: str = "0") -> list[tuple[str, str, Any]]:
    """Everything the parser decides about a message tree, flattened."""
    out: list[tuple[str, str, Any]] = [
        (path, "headers", list(msg._headers)),  # type: ignore[attr-defined]
        (path, "unixfrom", msg.get_unixfrom()),
        (path, "default", msg.get_default_type()),
        (path, "type", msg.get_content_type()),
        (path, "preamble", msg.preamble),
        (path, "epilogue", msg.epilogue),
    ]
    payload = msg._payload  # type: ignore[attr-defined]
    if isinstance(payload, list):
        out.append((path, "parts", len(payload)))
        for index, part in enumerate(payload):
            out += shape(part, f"{path}.{index}")
    else:
        out.append((path, "payload", payload))
    return out


def assert_same(raw: bytes) -> None:
    assert shape(mime.parse(raw)) == shape(email.message_from_bytes(raw))


def test_corpus_trees_are_identical() -> None:
    emails = sorted((CORPUS / "emails").rglob("*.eml"))
    if not emails:
        pytest.skip("shared corpus not available")
    for path in emails:
        assert_same(path.read_bytes())


QUIRKS = {
    "envelope line then headers": b"From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\nbody\n",
    "fold before any field": b" stray fold\nSubject: x\n\nbody\n",
    "field without name": b": nameless\nSubject: x\n\nbody\n",
    "no blank line before body": b"Subject: x\nthis line is no header\nmore\n",
    "no final line break": b"Subject: x\nX-Last: y",
    "folded values keep their breaks": b"Subject: a\r\n  b\r\n\tc\r\nX: \r\n\r\nbody\r\n",
    "envelope line closing the block": b"Subject: x\nFrom a@b Mon\n\nbody\n",
    "lone carriage returns": b"Subject: x\rY: z\r\rbody\r",
    "8-bit header": b"Subject: caf\xc3\xa9\n\nbody\n",
    "multipart without boundary": b"Content-Type: multipart/mixed\n\n--x\nbody\n",
    "no opening boundary": b'Content-Type: multipart/mixed; boundary="b"\n\npre\n--b--\nepi\n',
    "no close boundary": b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\none\n--b\n\ntwo\n',
    "doubled boundary lines": (
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n--b\n\none\n--b--\n'
    ),
    "boundary with blanks and close in a row": (
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b \t\n--b--\nafter\n'
    ),
    "empty boundary": b'Content-Type: multipart/mixed; boundary=""\n\n--\n\none\n----\n',
    "nested with outer boundary inside": (
        b'Content-Type: multipart/mixed; boundary="o"\n\n--o\n'
        b'Content-Type: multipart/alternative; boundary="i"\n\n--i\n\nin\n--o\n\nnext\n--o--\n'
    ),
    "digest parts default to messages": (
        b'Content-Type: multipart/digest; boundary="d"\n\n--d\n\nSubject: inner\n\nhi\n--d--\n'
    ),
    "delivery-status blocks": (
        b"Content-Type: message/delivery-status\n\nA: 1\n\n\nB: 2\njunk\n\nC: 3\n\n"
    ),
    "attached message": b"Content-Type: message/rfc822\n\nFrom x\nSubject: in\n\nbody\n",
    "close boundary without line break": (
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\none\n--b--'
    ),
    "epilogue after close": (
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\n1\n--b--\n\nepi\n'
    ),
    "prefix of another boundary": (
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\none\n--bb\n--b-1\n--b--x\n--b--\n'
    ),
    "folded boundary value (a line break inside)": (
        b"Content-Type: multipart/mixed; boundary=b\n folded\n--b\n folded\n"
    ),
}


@pytest.mark.parametrize("raw", QUIRKS.values(), ids=QUIRKS.keys())
def test_feed_parser_quirks_are_kept(raw: bytes) -> None:
    assert_same(raw)
    assert_same(raw.replace(b"\n", b"\r\n"))


_LINES = st.sampled_from([
    "", "\n", "\r\n", "body text\n", " folded\n", "\tfolded\n", "X-A: 1\n", ": bad\n",
    "From a@b Mon\n", "Subject: s\n", "junk\n", "--b\n", "--b--\n", "--b \n", "--c\n",
    "--c--\n", "Content-Type: multipart/mixed; boundary=b\n",
    "Content-Type: multipart/mixed; boundary=\"c\"\n", "Content-Type: message/rfc822\n",
    "Content-Type: message/delivery-status\n", "Content-Type: multipart/digest; boundary=b\n",
    "Content-Type: text/plain\n", "caf\xe9\n",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=40), st.booleans())
def test_generated_structures_match_the_stdlib(lines: list[str], crlf: bool) -> None:
    text = "".join(lines)
    if crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    assert_same(text.encode("latin-1"))


#: The header patterns as written before they were made possessive.
_PLAIN_FIELDS = re.compile(r"(?:[\041-\071\073-\176]+:[^\n]*\n(?:[ \t][^\n]*\n)*)*")
_PLAIN_FIELD_LF = re.compile(r"([\041-\071\073-\176]+):[ \t]*(.*(?:\n[ \t].*)*)\n")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=list("Ab:- \t\n\r\x0b\x85\u2028é"), max_size=60))
def test_possessive_header_patterns_match_as_the_plain_ones(text: str) -> None:
    run = mime._FIELDS.match(text)
    plain = _PLAIN_FIELDS.match(text)
    assert run is not None and plain is not None and run.end() == plain.end()
    assert mime._FIELD_LF.findall(text, 0, run.end()) == _PLAIN_FIELD_LF.findall(
        text, 0, run.end()
    )


def test_header_index_follows_edits() -> None:
    msg = mime.parse(b"Subject: one\nContent-Type: text/html\n\nbody\n")
    assert msg["subject"] == "one"
    assert msg.get_content_type() == "text/html"
    msg.replace_header("Subject", "two")
    del msg["Content-Type"]
    msg["X-New"] = "yes"
    assert msg["SUBJECT"] == "two"
    assert msg.get_content_type() == "text/plain"
    assert "x-new" in msg and msg.get_all("X-New") == ["yes"]


# --------------------------------------------------------------------------- newlines

_DSN = (
    b"From: MAILER-DAEMON@example.org\nContent-Type: multipart/report;"
    b" report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n"
    b"Content-Transfer-Encoding: base64\n\n"
    b"VGhlIG1haWwgY291bGQgbm90IGJlIGRlbGl2ZXJlZC4NCg0KPGFAZXhhbXBsZS5uZXQ+DQo=\n"
    b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
    b"Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.0.0\n"
    b"Diagnostic-Code: smtp; 550-Please turn on SMTP Authentication\n"
    b"550 relay not permitted\nLast-Attempt-Date: Thu, 17 Jul 2017 23:34:45 +0000\n\n--b--\n"
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a\nb\n", b"a\nb\n"),
        (b"a\r\nb\r\n", b"a\nb\n"),
        (b"a\rb\r", b"a\nb\n"),
        (b"a\r\r\nb", b"a\n\nb"),  # the stdlib's lines too: CR, then CRLF
        (b"", b""),
    ],
)
def test_unix_newlines(raw: bytes, expected: bytes) -> None:
    assert unix_newlines(raw) == expected


def test_lf_input_is_not_copied() -> None:
    raw = b"Subject: x\n\nbody\n" * 100
    assert unix_newlines(raw) is raw


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
def test_a_message_reads_the_same_with_any_newline(newline: bytes) -> None:
    lf = BounceMessage(_DSN)
    other = BounceMessage(_DSN.replace(b"\n", newline))
    assert other.raw == _DSN
    assert (other.body, other.delivery_status) == (lf.body, lf.delivery_status)


def test_decoded_text_parts_have_lf_newlines() -> None:
    """base64 keeps the sender's CRLF: the decoded report text is LF all the same."""
    assert BounceMessage(_DSN).body == "The mail could not be delivered.\n\n<a@example.net>\n"


def test_an_unfolded_diagnostic_stays_in_its_block() -> None:
    """A reply's next lines under Diagnostic-Code end the fields, not the block."""
    status = BounceMessage(_DSN).delivery_status or ""
    assert "550-Please turn on SMTP Authentication\n550 relay not permitted\n" in status
    assert "\n\n550 relay" not in status


def _stdlib_params(value: str) -> Any:
    msg = Message()
    msg._headers = [("Content-Type", value)]  # type: ignore[attr-defined]
    return Message._get_params_preserve(msg, None, "content-type")  # type: ignore[attr-defined]


def test_corpus_parameters_are_the_stdlib_ones() -> None:
    """Content-Type and Content-Disposition parameters of every part, plain or not."""
    emails = sorted((CORPUS / "emails").rglob("*.eml"))
    if not emails:
        pytest.skip("shared corpus not available")
    plain = 0
    for path in emails:
        for part in mime.parse(path.read_bytes()).walk():
            for header in ("content-type", "content-disposition", "x-absent"):
                value = part.get(header)
                plain += isinstance(value, str) and mime._is_plain(value)
                expected = Message._get_params_preserve(part, None, header)  # type: ignore[attr-defined]
                assert part._get_params_preserve(None, header) == expected  # type: ignore[attr-defined]
                assert part.get_params(header=header) == Message.get_params(part, header=header)
                for param in ("charset", "boundary", "report-type", "name", "filename", "x"):
                    for unquote in (True, False):
                        assert part.get_param(param, "-", header, unquote) == Message.get_param(
                            part, param, "-", header, unquote
                        )
    assert plain > 1000  # the fast path is what the corpus takes


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=list('aZ/-.; \t\r\n=<>"\\*\x1c\x0bé'), max_size=30))
def test_plain_parameters_match_the_stdlib(value: str) -> None:
    if mime._is_plain(value):
        assert mime._plain_params(value) == _stdlib_params(value)


@pytest.mark.parametrize(
    "value",
    [
        'multipart/report; report-type=delivery-status;\n\tboundary="a;b=c"',
        'text/plain; charset="utf-8"; name=<x.txt>; format=flowed;',
        'text/plain; charset=""; x="a"b"; y="; z=1',
        "TEXT/PLAIN ; Charset = US-ASCII ;; ;=v; bare",
        "",
        ";",
    ],
)
def test_plain_parameter_quirks(value: str) -> None:
    assert mime._is_plain(value)
    assert mime._plain_params(value) == _stdlib_params(value)


def test_corpus_items_and_payloads_are_the_stdlib_ones() -> None:
    """`Part`'s shortcuts for plain ASCII give what `Message`'s own methods give."""
    emails = sorted((CORPUS / "emails").rglob("*.eml"))
    if not emails:
        pytest.skip("shared corpus not available")
    for path in emails:
        for part in mime.parse(path.read_bytes()).walk():
            assert part.items() == Message.items(part)
            assert part.values() == Message.values(part)
            assert part.get_payload() == Message.get_payload(part)
            assert part.get_payload(decode=True) == Message.get_payload(part, decode=True)


@pytest.mark.parametrize(
    "raw",
    [
        b"Subject: caf\xc3\xa9\nX: plain\n\nbody caf\xc3\xa9\n",
        b"Subject: x\nContent-Type: text/plain; charset=latin-1\n\nbody \xe9\n",
        b"Subject: x\n\nascii body\n",
    ],
)
def test_eight_bit_headers_and_payloads_still_go_through_the_stdlib(raw: bytes) -> None:
    part = mime.parse(raw)
    assert part.items() == Message.items(part)
    assert part.get_payload() == Message.get_payload(part)


def test_rfc2231_parameters_read_as_the_stdlib_reads_them() -> None:
    raw = (
        b"Content-Type: text/plain; charset*=utf-8''%e2%82%ac; name*0=\"a b\"; name*1=c;\n"
        b" title*=us-ascii'en'This%20is%20%2A%2A%2Afun%2A%2A%2A\n\nbody\n"
    )
    part = mime.parse(raw)
    for param in ("charset", "name", "title", "missing"):
        for unquote in (True, False):
            expected = Message.get_param(part, param, None, "content-type", unquote)
            assert part.get_param(param, None, "content-type", unquote) == expected
    assert part.get_content_charset() == Message.get_content_charset(part)


def test_header_names_are_every_field_name_lowercased() -> None:
    """`BounceMessage.header_names`, from the name index or a stdlib message's names."""
    emails = sorted((CORPUS / "emails").rglob("*.eml"))
    if not emails:
        pytest.skip("shared corpus not available")
    for path in emails[::5]:
        raw = path.read_bytes()
        msg = BounceMessage(raw)
        names = {name.lower() for name in msg.msg}
        assert msg.header_names.startswith("\n")
        assert set(msg.header_names.split("\n")[1:]) == names
        assert msg.header_names.count("\n") == len(names)
        plain = BounceMessage.from_message(email.message_from_bytes(unix_newlines(raw)))
        assert set(plain.header_names.split("\n")[1:]) == names
    assert BounceMessage(b"\n\nbody").header_names == ""
