"""Property tests: whatever is pasted or scanned, `explain` and `scan` answer within the contract.

The contract is `Report.to_dict()` (see `bot.core.model`): the keys, their types, known
classes and reasons only, JSON-serialisable, ``bounce`` false exactly when there are no
verdicts. Inputs are random unicode and bytes, but mostly SMTP-looking text (reply
codes, enhanced status codes, ``550 5.1.1 <a@b>: …``, multi-line continuations, mail
log lines, DSN fields, Slack escapes) and MIME-shaped emails, because junk that almost
parses reaches the deep code paths that pure noise never does.

Hypothesis runs derandomized with no example database, so every run tries the same
inputs and a failure reproduces by re-running the test.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.core.explain import explain
from bot.core.limits import MAX_PASTE_RECIPIENTS, MAX_RECIPIENTS
from bot.core.model import REASONS, Report
from bot.core.scan import scan
from tests.conftest import CORPUS, read_jsonl

# --------------------------------------------------------------------------- the contract

REPORT_KEYS = frozenset({"bounce", "verdicts"})
VERDICT_KEYS = frozenset(
    {
        "recipient",
        "replycode",
        "status",
        "class",
        "reason",
        "retry",
        "provider",
        "title",
        "explanation",
        "actions",
        "diagnostic",
        "references",
        "remote_mta",
        "action",
        "feedback_type",
        "hardbounce",
    }
)
ORIGINAL_KEYS = frozenset({"message_id", "subject", "from"})
CLASSES = frozenset({"success", "transient", "permanent"})
REPLYCODE = re.compile(r"[2-5][0-9][0-9]")
STATUS = re.compile(r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}")
_OPTIONAL_STR = ("recipient", "provider", "diagnostic", "remote_mta", "action", "feedback_type")


def _optional_str(value: object) -> bool:
    return value is None or isinstance(value, str)


def assert_contract(report: Report, *, max_verdicts: int = MAX_RECIPIENTS) -> dict[str, Any]:
    """Check one report against the JSON contract; return its dict for further checks."""
    assert isinstance(report, Report)
    out = report.to_dict()
    keys = set(out)
    assert REPORT_KEYS <= keys <= REPORT_KEYS | {"original"}, keys
    assert isinstance(out["bounce"], bool)
    verdicts = out["verdicts"]
    assert isinstance(verdicts, list)
    assert out["bounce"] == bool(verdicts), "bounce must be true exactly when there are verdicts"
    assert len(verdicts) <= max_verdicts
    for v in verdicts:
        assert set(v) == VERDICT_KEYS, set(v) ^ VERDICT_KEYS
        for key in _OPTIONAL_STR:
            assert _optional_str(v[key]), (key, v[key])
        assert v["hardbounce"] in (None, True, False)
        assert v["replycode"] is None or REPLYCODE.fullmatch(v["replycode"]), v["replycode"]
        assert v["status"] is None or STATUS.fullmatch(v["status"]), v["status"]
        assert v["class"] is None or v["class"] in CLASSES, v["class"]
        assert v["reason"] is None or v["reason"] in REASONS, v["reason"]
        assert v["retry"] is None or isinstance(v["retry"], bool)
        if v["class"] == "permanent":
            assert v["retry"] is not True, "a permanent failure cannot be retried as is"
        assert isinstance(v["title"], str) and v["title"].strip(), v["title"]
        assert isinstance(v["explanation"], str)
        for key in ("actions", "references"):
            assert isinstance(v[key], list) and all(isinstance(x, str) for x in v[key]), v[key]
    if "original" in out:
        original = out["original"]
        assert isinstance(original, dict) and set(original) == ORIGINAL_KEYS, original
        assert all(_optional_str(x) for x in original.values()), original
    text = json.dumps(out, ensure_ascii=False, allow_nan=False)
    assert json.loads(text) == out
    return out


# --------------------------------------------------------------------------- strategies

PROPS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=300,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _snippets() -> list[str]:
    path = CORPUS / "snippets.jsonl"
    if not path.is_file():
        return []
    return [str(row["snippet"]) for row in read_jsonl(path)]


SNIPPETS = _snippets()

PHRASES = [
    "Recipient address rejected: User unknown in virtual mailbox table",
    "Mailbox full",
    "mailbox unavailable",
    "Requested action not taken",
    "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
    "The email account that you tried to reach does not exist.",
    "Greylisted, please try again later",
    "Message size exceeds fixed maximum message size",
    "relay access denied",
    "5.7.1 Message rejected as spam by Content Filtering.",
    "Our system has detected that this message is likely unsolicited mail.",
    "TLS required",
    "too many connections",
    "Host or domain name not found",
    "Delivery temporarily suspended",
    "Sender address rejected: Domain not found",
    "(#5.1.1 - chkusr)",
    "Unrouteable address",
    "retry timeout exceeded",
    "OFR_416 [RT] check your message",
    "AUP#CXBL",
    "(S3150)",
    "RP-001",
    "BL000000",
]

local_part = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,14}", fullmatch=True),
    st.sampled_from(["postmaster", "MAILER-DAEMON", "ünïcödé", "用户", "a.b+tag", '"q d"']),
)
domain = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}\.(com|net|jp|org|de)", fullmatch=True),
    st.sampled_from(["example.com", "gmail.com", "outlook.com", "例え.jp", "[192.0.2.1]"]),
)
address = st.builds("{}@{}".format, local_part, domain)
host = st.builds("mx{}.{}".format, st.integers(0, 99), domain)
reply_code = st.one_of(
    st.sampled_from(["550", "551", "552", "553", "554", "421", "450", "451", "452", "250", "535"]),
    st.integers(0, 999).map(str),
)
status_code = st.one_of(
    st.sampled_from(["5.1.1", "5.7.1", "4.2.2", "5.2.2", "4.7.0", "5.7.26", "4.4.7", "2.0.0"]),
    st.builds("{}.{}.{}".format, st.integers(0, 9), st.integers(0, 9999), st.integers(0, 9999)),
)
phrase = st.one_of(
    st.sampled_from(PHRASES),
    st.sampled_from(SNIPPETS) if SNIPPETS else st.sampled_from(PHRASES),
    st.text(max_size=40),
)


@st.composite
def smtp_line(draw: st.DrawFn) -> str:
    """One thing a person pastes: a reply, a continuation block, a log line, DSN fields, a code."""
    code, status, addr, words = draw(reply_code), draw(status_code), draw(address), draw(phrase)
    kind = draw(st.integers(0, 10))
    if kind == 0:
        return f"{code} {status} <{addr}>: {words}"
    if kind == 1:
        n = draw(st.integers(1, 4))
        sep = draw(st.sampled_from(["-", " ", "-", "- "]))
        return "\n".join([f"{code}{sep}{status} {words}"] * n + [f"{code} {status} {words}"])
    if kind == 2:
        return (
            f"<{addr}>: host {draw(host)}[192.0.2.7] said: {code} {status} {words} "
            "(in reply to RCPT TO command)"
        )
    if kind == 3:
        return (
            f"Jan  1 00:00:00 mx postfix/smtp[123]: ABCDEF: to=<{addr}>, relay={draw(host)}"
            f"[192.0.2.7]:25, delay=1.2, dsn={status}, status=bounced ({code} {words})"
        )
    if kind == 4:
        return (
            f"** {addr} R=dnslookup T=remote_smtp: SMTP error from remote mail server "
            f"after RCPT TO:<{addr}>: {code} {status} {words}"
        )
    if kind == 5:
        action = draw(st.sampled_from(["failed", "delayed", "delivered", "relayed", "bogus"]))
        return (
            f"Final-Recipient: rfc822; {addr}\nAction: {action}\nStatus: {status}\n"
            f"Remote-MTA: dns; {draw(host)}\nDiagnostic-Code: smtp; {code} {words}"
        )
    if kind == 6:
        return draw(
            st.sampled_from([code, status, f"what does {status} mean?", f"{code} {status}"])
        )
    if kind == 7:
        return f"{code} {words}"
    if kind == 8:
        return f"{status} {words}"
    if kind == 9:
        return draw(st.sampled_from(SNIPPETS or PHRASES))
    return draw(st.text(max_size=80))


def slack_escaped(text: str, style: int) -> str:
    """Text as Slack delivers it: HTML entities, ``<mailto:a@b|a@b>`` links, or both."""
    if style == 1:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if style == 2:
        return re.sub(r"([\w.+-]+@[\w.-]+)", r"<mailto:\1|\1>", text)
    if style == 3:
        return slack_escaped(slack_escaped(text, 2), 1)
    return text


@st.composite
def smtp_text(draw: st.DrawFn) -> str:
    """Several SMTP-looking pieces, noise between them, maybe Slack-escaped, maybe cut."""
    pieces = draw(st.lists(st.one_of(smtp_line(), st.text(max_size=30)), min_size=1, max_size=6))
    sep = draw(st.sampled_from(["\n", "\r\n", " ", "\n\n", "\n    ", "\t", "\n> "]))
    text = sep.join(pieces)
    text = slack_escaped(text, draw(st.integers(0, 5)))
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] if draw(st.booleans()) else text[cut:]
    return text


# --------------------------------------------------------------------------- explain


@PROPS
@given(st.text())
def test_explain_any_text(text: str) -> None:
    assert_contract(explain(text), max_verdicts=MAX_PASTE_RECIPIENTS)


@PROPS
@given(smtp_text())
def test_explain_smtp_looking_text(text: str) -> None:
    out = assert_contract(explain(text), max_verdicts=MAX_PASTE_RECIPIENTS)
    assert explain(text).to_dict() == out, "explain must be deterministic"


@PROPS
@given(smtp_line(), st.sampled_from(["\n", " ", "\n\n"]), st.integers(2, 40))
def test_explain_repeated_lines(line: str, sep: str, times: int) -> None:
    """A log of the same reply many times: still one contract-respecting report."""
    assert_contract(explain(sep.join([line] * times)), max_verdicts=MAX_PASTE_RECIPIENTS)


def test_explain_smtp_pieces_often_recognised() -> None:
    """Guard against a vacuous suite: the SMTP-looking strategy does reach real verdicts."""
    bounces = 0
    for text in _SAMPLES:
        if explain(text).bounce:
            bounces += 1
    assert bounces >= len(_SAMPLES) // 4, (bounces, len(_SAMPLES))


_SAMPLES = [
    "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown",
    "452-4.2.2 The email account that you tried to reach is over quota.\n452 4.2.2 Please retry",
    "<a@b.example>: host mx.b.example[192.0.2.1] said: 550 5.7.1 rejected as spam",
    "Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1",
    "451 4.7.1 Greylisted, please try again later",
    "&lt;bob@example.com&gt;: host x said: 552 5.2.2 Mailbox full",
    "what does 4.7.28 mean?",
    "554",
]


# --------------------------------------------------------------------------- scan


@PROPS
@given(st.binary(max_size=4000))
def test_scan_any_bytes(raw: bytes) -> None:
    assert_contract(scan(raw))


HEADER_NAMES = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Return-Path",
    "Received",
    "X-Failed-Recipients",
    "Auto-Submitted",
    "Precedence",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
    "X-Mailer",
    "In-Reply-To",
    "References",
    "Reply-To",
    "X-Original-To",
    "Delivered-To",
]
SUBJECTS = [
    "Undelivered Mail Returned to Sender",
    "Delivery Status Notification (Failure)",
    "Mail delivery failed: returning message to sender",
    "Returned mail: see transcript",
    "Auto: out of office",
    "Automatic reply: on holiday",
    "failure notice",
    "Undeliverable: hello",
    "Warning: message delayed",
    "=?UTF-8?B?5LiN5Y+v6YWN6YCB?=",
    "=?iso-2022-jp?B?GyRCJVElOSVvITwlSRsoQg==?=",
    "=?x-bogus?Q?=FF=FE?=",
]
SENDERS = [
    "MAILER-DAEMON@mx.example.com",
    "Mail Delivery System <MAILER-DAEMON@example.net>",
    "postmaster@example.org",
    "Microsoft Outlook <postmaster@outlook.com>",
    "bob@example.com",
]
CONTENT_TYPES = [
    'multipart/report; report-type=delivery-status; boundary="{b}"',
    'multipart/report; report-type=feedback-report; boundary="{b}"',
    'multipart/mixed; boundary="{b}"',
    "multipart/alternative; boundary={b}",
    "multipart/report; report-type=delivery-status",
    "text/plain; charset={cs}",
    "text/html; charset={cs}",
    "message/delivery-status",
    "message/rfc822",
    "application/octet-stream",
    'text/plain; charset="',
    'multipart/report; boundary=""',
]
CHARSETS = ["utf-8", "iso-8859-1", "iso-2022-jp", "shift_jis", "x-unknown", "", "utf-7", "gb2312"]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus", ""]


@st.composite
def header_block(draw: st.DrawFn) -> list[str]:
    lines = [
        f"From: {draw(st.sampled_from(SENDERS))}",
        f"Subject: {draw(st.sampled_from(SUBJECTS))}",
    ]
    for _ in range(draw(st.integers(0, 6))):
        name = draw(
            st.one_of(
                st.sampled_from(HEADER_NAMES), st.from_regex(r"X-[A-Za-z-]{1,12}", fullmatch=True)
            )
        )
        value = draw(st.one_of(st.text(max_size=40), address, st.sampled_from(SUBJECTS)))
        value = value.replace("\r", " ").replace("\n", "\n " if draw(st.booleans()) else " ")
        lines.append(f"{name}: {value}")
    if draw(st.booleans()):
        lines.append("X-Failed-Recipients: " + ", ".join(draw(st.lists(address, max_size=3))))
    return draw(st.permutations(lines))


@st.composite
def delivery_status(draw: st.DrawFn) -> str:
    groups = [f"Reporting-MTA: dns; {draw(host)}", f"Arrival-Date: {draw(st.text(max_size=20))}"]
    for _ in range(draw(st.integers(0, 4))):
        addr_type = draw(st.sampled_from(["rfc822", "RFC822", "x400", ""]))
        diag_type = draw(st.sampled_from(["smtp", "SMTP", "X-Postfix", ""]))
        fields = [
            f"Final-Recipient: {addr_type}; {draw(address)}",
            f"Action: {draw(st.sampled_from(['failed', 'delayed', 'delivered', 'expanded', 'x']))}",
            f"Status: {draw(status_code)}",
            f"Remote-MTA: dns; {draw(host)}",
            f"Diagnostic-Code: {diag_type}; {draw(smtp_line())}",
            f"Last-Attempt-Date: {draw(st.text(max_size=20))}",
        ]
        groups.append("\n".join(draw(st.lists(st.sampled_from(fields), min_size=1, max_size=6))))
    return "\n\n".join(groups)


@st.composite
def body_part(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 4 if depth < 2 else 3))
    if kind == 0:
        return "Content-Type: text/plain\n\n" + draw(smtp_text())
    if kind == 1:
        return "Content-Type: message/delivery-status\n\n" + draw(delivery_status())
    if kind == 2:
        inner = "\n".join(draw(header_block())) + "\n\n" + draw(st.text(max_size=60))
        return "Content-Type: message/rfc822\n\n" + inner
    if kind == 3:
        enc = draw(st.sampled_from(ENCODINGS))
        cs = draw(st.sampled_from(CHARSETS))
        payload = draw(
            st.one_of(
                st.text(max_size=80), st.from_regex(r"[A-Za-z0-9+/=\n]{0,80}", fullmatch=True)
            )
        )
        return (
            f"Content-Type: text/plain; charset={cs}\nContent-Transfer-Encoding: {enc}\n\n{payload}"
        )
    boundary = draw(st.sampled_from(["inner", "b1", "=_x", ""]))
    parts = draw(st.lists(body_part(depth + 1), max_size=3))
    body = "".join(f"--{boundary}\n{p}\n" for p in parts) + f"--{boundary}--\n"
    return f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n{body}'


@st.composite
def mime_email(draw: st.DrawFn) -> bytes:
    """A bounce-shaped email: plausible headers, a (possibly broken) multipart body."""
    boundary = draw(st.sampled_from(["b1", "----=_Part_0", "x" * 70, "b1 ", "(weird)"]))
    ctype = draw(st.sampled_from(CONTENT_TYPES)).format(
        b=boundary, cs=draw(st.sampled_from(CHARSETS))
    )
    headers = [*draw(header_block()), f"Content-Type: {ctype}", "MIME-Version: 1.0"]
    if ctype.startswith("multipart"):
        parts = draw(st.lists(body_part(), min_size=0, max_size=4))
        close = draw(st.sampled_from([f"--{boundary}--\n", "", f"--{boundary}\n", "--other--\n"]))
        body = "".join(f"--{boundary}\n{p}\n" for p in parts) + close
    elif ctype.startswith("message/delivery-status"):
        body = draw(delivery_status())
    else:
        body = draw(smtp_text())
    text = "\n".join(headers) + "\n\n" + body
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = text.replace("\n", newline)
    codec = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    raw = text.encode(codec, errors="replace")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(max_size=20)) + raw[at:]
    return raw


@PROPS
@given(mime_email())
def test_scan_mime_shaped(raw: bytes) -> None:
    assert_contract(scan(raw))


@PROPS
@given(mime_email(), st.integers(0, 10_000))
def test_scan_truncated_mime(raw: bytes, cut: int) -> None:
    assert_contract(scan(raw[: cut % (len(raw) + 1)]))


@PROPS
@given(smtp_text())
def test_explain_of_a_whole_email_text(text: str) -> None:
    """A pasted email goes through `scan` inside `explain`: same contract."""
    email = (
        "From: MAILER-DAEMON@example.com\nTo: bob@example.com\n"
        f"Subject: Undelivered Mail Returned to Sender\n\n{text}\n"
    )
    assert_contract(explain(email), max_verdicts=max(MAX_RECIPIENTS, MAX_PASTE_RECIPIENTS))
