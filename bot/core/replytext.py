"""Reading pasted text: Slack escaping, log lines, DSN fields, recipients and the reply itself.

Everything here is a cheap, linear scan: regexes are compiled once, start only at
boundaries (no nested quantifiers over overlapping classes) and only the first
`MAX_TEXT` characters and `MAX_LINES` lines of a paste are read for replies.

**When is text an SMTP reply?** (`is_reply`) — a small, ordered decision:

1. *lookup*: the whole message is one or two codes, optionally wrapped in a question
   (``451``, ``550 5.1.1``, ``what does 4.7.28 mean?``, ``smtp error 421``);
2. *reply position*: a three-digit code at the start of a line (after quoting such as
   ``>`` or ``<<<``) or right after ``:``, ``;``, ``]``, ``>`` or ``(`` (``said: 550``,
   ``smtp; 550``, ``<a@b>: 550``) **and** followed by an enhanced code or by words a
   server uses (``550 Requested action not taken: mailbox unavailable``);
3. an enhanced code (``5.7.26``) together with mail words (mailbox, recipient, smtp …);
4. a phrase of `bot.core.reasons` strong enough to name a failure (``User unknown``)
   in a short text or beside mail words;
5. the banner of a human non-delivery report (``Delivery has failed to these recipients``).

Numbers in chat (``we shipped 550 units``, ``call 421-555-0100``, ``release 5.7.1 is
out``, dates, times, prices, IP addresses) meet none of these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import reasons, speak
from bot.core.classify import REPLY_RE, STATUS_RE
from bot.core.data import load
from bot.core.limits import MAX_EXPLAIN_CHARS, MAX_EXPLAIN_LINES
from bot.core.model import Evidence

__all__ = [
    "MAX_LINES",
    "MAX_TEXT",
    "Record",
    "banner",
    "find_command",
    "find_remote_mta",
    "focus",
    "is_reply",
    "looks_like_email",
    "lookup",
    "parse_dsn",
    "parse_records",
    "unescape_slack",
]

_WORDS = load("reasons")["words"]

#: Characters of a paste read for replies (a whole email goes to `scan` unabridged).
MAX_TEXT = MAX_EXPLAIN_CHARS
#: Lines of a paste read for per-recipient records.
MAX_LINES = MAX_EXPLAIN_LINES
#: Characters of the server's words kept as one verdict's diagnostic.
MAX_DIAGNOSTIC = 4_000

_ADDR = (
    r"(?:\"[^\"\n]{1,128}\"|[\w.!#$%&'*+/=?^`{|}~\-]{1,128})"
    r"@[\w\-]{1,63}(?:\.[\w\-]{1,63}){0,12}"
)

# --- Slack -----------------------------------------------------------------------------

_SLACK_LINK = re.compile(
    r"<(mailto:|https?://|tel:|@|#|!)([^<>|\n]{0,2000})(?:\|([^<>\n]{0,2000}))?>"
)


def _slack_link(m: re.Match[str]) -> str:
    kind, target, label = m.group(1), m.group(2), m.group(3)
    if kind == "mailto:":
        return label or target
    if kind in ("http://", "https://"):
        return kind + target
    if kind == "tel:":
        return label or target
    if kind == "#":
        return "#" + (label or target)
    return ""  # user mentions and @here/@channel carry nothing for us


def unescape_slack(text: str) -> str:
    """Undo Slack's message encoding: links, mentions and the ``&lt; &gt; &amp;`` entities."""
    if "<" in text:
        text = _SLACK_LINK.sub(_slack_link, text)
    if "&" in text:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text


# --- whole messages ----------------------------------------------------------------------

_HEADER_LINE = re.compile(r"([!-9;-~]{1,76}):")
_MESSAGE_HEADERS = frozenset(_WORDS["message_headers"])


def looks_like_email(text: str) -> bool:
    """Does `text` start like a whole message (an mbox ``From`` line or message headers)?"""
    head = text.lstrip()[:4000]
    if head.startswith("From ") and "\n" in head:
        return True
    seen: set[str] = set()
    for n, line in enumerate(head.split("\n", 40)[:40]):
        if not line.strip():
            break
        if line[:1] in (" ", "\t") and n:
            continue
        m = _HEADER_LINE.match(line)
        if m is None:
            return False
        seen.add(m.group(1).lower())
    return len(seen) >= 2 and bool(seen & _MESSAGE_HEADERS)


# --- DSN fields (RFC 3464) ---------------------------------------------------------------

_DSN_FIELD = re.compile(
    r"(final-recipient|original-recipient|action|status|remote-mta|diagnostic-code)"
    r"[ \t]*:[ \t]*(.*)",
    re.IGNORECASE,
)
_TYPED = re.compile(r"[\w\-]{1,20};\s*")


def _untype(value: str) -> str:
    """``rfc822; a@b`` -> ``a@b``; ``smtp; 550 …`` -> ``550 …``."""
    m = _TYPED.match(value)
    return value[m.end() :] if m else value


def parse_dsn(lines: list[str]) -> list[Evidence]:
    """Per-recipient evidence from RFC 3464 fields pasted without the message around them."""
    out: list[Evidence] = []
    current: Evidence | None = None
    field: str | None = None
    for line in lines:
        if field == "diagnostic-code" and current is not None and line[:1] in (" ", "\t"):
            current.diagnostic = f"{current.diagnostic or ''} {line.strip()}".strip()
            continue
        m = _DSN_FIELD.match(line.strip())
        field = m.group(1).lower() if m else None
        if m is None or field is None:
            continue
        value = m.group(2).strip()
        if field in ("final-recipient", "original-recipient"):
            address = _untype(value).strip("<> ")
            if current is None or (current.recipient and field == "final-recipient"):
                current = Evidence()
                out.append(current)
            if field == "final-recipient" or not current.recipient:
                current.recipient = address or None
            continue
        if current is None:
            current = Evidence()
            out.append(current)
        if field == "action":
            current.action = value.split()[0].lower() if value else None
        elif field == "status":
            sm = STATUS_RE.search(value)
            current.status = sm.group(0) if sm else current.status
        elif field == "remote-mta":
            current.remote_mta = _untype(value).strip() or None
        else:
            current.diagnostic = _untype(value).strip() or None
    return out


# --- log lines and recipient blocks --------------------------------------------------------


@dataclass(slots=True)
class Record:
    """One recipient found in a paste, with the words that concern it."""

    recipient: str | None
    text: str
    status: str | None = None
    action: str | None = None
    remote_mta: str | None = None
    #: The text is a log line or DSN field: it is a delivery report even without a code.
    structured: bool = False


_LOG_TO = re.compile(r"\bto=<?(" + _ADDR + r")>?")
#: RFC 3463: an enhanced status class is 2, 4 or 5; ``dsn=0.0.0`` or ``dsn=9.1.1`` is no status.
_LOG_DSN = re.compile(r"\bdsn=([245]\.\d{1,3}\.\d{1,3})(?!\d)")
_LOG_RELAY = re.compile(r"\brelay=([\w.\-]{1,255})")
_POSTFIX_STATUS = re.compile(r"\bstatus=(\w{1,20})(?:[ ,]\s{0,3}\((.*)\))?")
_POSTFIX_ACTION = {
    "bounced": "failed",
    "deferred": "delayed",
    "sent": "delivered",
    "expired": "failed",
    "undeliverable": "failed",
    "deliverable": "delivered",
}
_SENDMAIL_STAT = re.compile(r"\bstat=(.*)")
_EXIM = re.compile(r"(?:^|\s)(\*\*|==|=>|->)\s{1,4}<?(" + _ADDR + r")>?(.*)")
_EXIM_ACTION = {"**": "failed", "==": "delayed", "=>": "delivered", "->": "delivered"}
_EXIM_ERROR = re.compile(r"(?:SMTP error from remote mail server|\bT=[\w\-]{1,64}:)\s*(.*)")
_RCPT_LINE = re.compile(
    r"[ \t>]{0,40}<?(" + _ADDR + r")>?[ \t]{0,8}"
    r"(?:\([^()\n]{0,300}\)[ \t]{0,8})?(?::|\.\.\.)\s{0,8}(\S.*)"
)
_LONE_ADDR = re.compile(
    r"([ \t]{0,40})<?(" + _ADDR + r")>?[ \t]{0,8}(?:\([^()\n]{0,300}\))?[ \t]*:?[ \t]*"
)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def parse_records(lines: list[str]) -> tuple[list[Record], list[str]]:
    """Recipients named line by line: MTA log lines, ``<a@b>: reply`` blocks, address lists.

    Returns the records and the addresses that stood alone on a line (Gmail's and
    Microsoft's reports list them above a shared explanation).
    """
    records: list[Record] = []
    lone: list[str] = []
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        i += 1
        if "=" in line and "to=" in line:
            rec = _log_line(line)
            if rec is not None:
                records.append(rec)
                records.extend(_listed_with(line, rec))
                continue
        if "@" not in line:
            continue
        if ("**" in line or "==" in line or "=>" in line or "->" in line) and (
            m := _EXIM.search(line)
        ):
            tail = m.group(3)
            em = _EXIM_ERROR.search(tail)
            records.append(
                Record(
                    m.group(2),
                    (em.group(1) if em else tail).strip(),
                    action=_EXIM_ACTION[m.group(1)],
                    structured=True,
                )
            )
            continue
        lm = _LONE_ADDR.fullmatch(line)
        if lm is not None:
            base = len(lm.group(1).expandtabs())
            block: list[str] = []
            while i < n and lines[i].strip() and _indent(lines[i].expandtabs()) > base:
                block.append(lines[i].strip())
                i += 1
            if block:
                records.append(Record(lm.group(2), " ".join(block)))
            else:
                lone.append(lm.group(2))
            continue
        rm = _RCPT_LINE.match(line)
        if rm is not None:
            parts = [rm.group(2).strip()]
            while i < n and lines[i].strip() and lines[i][:1] in (" ", "\t"):
                parts.append(lines[i].strip())
                i += 1
            records.append(Record(rm.group(1), " ".join(parts)))
    return records, lone


def _listed_with(line: str, rec: Record) -> list[Record]:
    """Records for the other recipients of a Sendmail ``to=<a@b>,<c@d>, delay=…`` line,
    which share one status (Postfix logs one recipient per line)."""
    to = _LOG_TO.search(line)
    if to is None:
        return []
    field = line[to.start() + 3 :].split(", ", 1)[0]
    if "," not in field:
        return []
    out = []
    for part in field.split(",")[1:]:
        address = part.strip().strip("<>")
        if "@" in address and address != rec.recipient:
            out.append(
                Record(address, rec.text, rec.status, rec.action, rec.remote_mta, rec.structured)
            )
    return out


def _log_line(line: str) -> Record | None:
    to = _LOG_TO.search(line)
    if to is None:
        return None
    dsn = _LOG_DSN.search(line)
    relay = _LOG_RELAY.search(line)
    status = dsn.group(1) if dsn else None
    remote = relay.group(1) if relay and relay.group(1) != "none" else None
    pm = _POSTFIX_STATUS.search(line)
    if pm is not None:
        words = pm.group(2) or ""
        return Record(
            to.group(1),
            words.strip(),
            status=status,
            action=_POSTFIX_ACTION.get(pm.group(1).lower()),
            remote_mta=remote,
            structured=True,
        )
    sm = _SENDMAIL_STAT.search(line)
    if sm is not None:
        words = sm.group(1).strip()
        action = "delivered" if words.lower().startswith("sent") else None
        if action is None and words.lower().startswith("deferred"):
            action = "delayed"
        return Record(
            to.group(1), words, status=status, action=action, remote_mta=remote, structured=True
        )
    return None


# --- the reply inside free text --------------------------------------------------------------

_CONTINUATION = re.compile(
    r"[ \t>]{0,8}([245]\d\d)([- ])(?:([245]\.\d{1,3}\.\d{1,3})(?: |$))?"
)
#: Where the server's own words start in a longer paste, most telling first.
_FOCUS_KEYS = (
    "diagnostic-code:",
    "remote server returned '",
    "error that the other server returned was:",
    "remote host said:",
    "said:",
    "(reason:",
    "responded as follows:",
    "smtp;",
)


def join_continuations(lines: list[str]) -> list[str]:
    """Fold multi-line replies (``550-5.1.1 …`` lines then ``550 5.1.1 …``) into one line."""
    out: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        # A continuation's "-" follows the code within the first 12 characters: most
        # lines are told apart by one find, without the regex.
        m = _CONTINUATION.match(line) if line.find("-", 0, 12) >= 0 else None
        if m is None or m.group(2) != "-":
            out.append(line)
            i += 1
            continue
        code, status = m.group(1), m.group(3)
        words = [line[m.end() :].strip()]
        i += 1
        while i < n:
            nm = _CONTINUATION.match(lines[i])
            if nm is None or nm.group(1) != code:
                break
            words.append(lines[i][nm.end() :].strip())
            i += 1
            if nm.group(2) == " ":
                break
        head = f"{code} {status} " if status else f"{code} "
        out.append(head + " ".join(w for w in words if w))
    return out


def focus(text: str, low: str | None = None) -> str:
    """The server's own words in a longer paste: after ``said:``, ``Diagnostic-Code:`` …,
    else from the first line that starts with a reply code, else the whole text."""
    low = low if low is not None and len(low) == len(text) else text.lower()
    start = -1
    # Every key holds ":", ";" or "'": a paste with none of them skips the eight finds.
    if len(low) == len(text) and (":" in low or ";" in low or "'" in low):
        for key in _FOCUS_KEYS:
            at = low.find(key)
            if at >= 0:
                start = at + len(key)
                if key == "diagnostic-code:":
                    rest = low[start : start + 12].lstrip()
                    if rest.startswith("smtp;"):
                        start = low.index("smtp;", start) + 5
                break
    if start < 0:
        lm = _line_code(text)
        if lm is not None:
            start = lm.start(1)
    if start <= 0:
        return _squash(text)
    end = text.find("\n\n", start)
    chunk = text[start : end if end >= 0 else len(text)]
    return _squash(chunk).strip(" '") or _squash(text)


def _squash(text: str) -> str:
    """`text` with each run of whitespace made one space, trimmed, cut to MAX_DIAGNOSTIC.

    Most pasted lines are already so: `str.isprintable` is False for every whitespace
    character `str.split` splits on except the space itself, so a printable text
    without a double, leading or trailing space comes back as it is, unsplit.
    """
    if (
        len(text) <= MAX_DIAGNOSTIC
        and text.isprintable()
        and "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
    ):
        return text
    return " ".join(text[: MAX_DIAGNOSTIC * 2].split())[:MAX_DIAGNOSTIC]


_COMMAND = re.compile(
    r"(?:in reply to (?:the )?(?:end of )?|\bafter (?:pipelined )?(?:end of )?|>>> ?"
    r"|error following |progress was )(rcpt|mail|data|ehlo|helo|starttls|auth|initial connection)",
)
_COMMAND_KEYS = ("reply to", "after ", ">>>", "following ", "progress was")
_REMOTE = re.compile(r"\bhost ([\w\-]{1,63}(?:\.[\w\-]{1,63}){1,12})\s?\[")


def find_command(low: str) -> str | None:
    """The SMTP command a reply answered, when the (lowercased) paste says so."""
    for key in _COMMAND_KEYS:  # a plain loop: a generator in any() costs more than the finds
        if key in low:
            break
    else:
        return None
    m = _COMMAND.search(low)
    if m is None:
        return None
    word = m.group(1).upper()
    return "CONN" if word.startswith("INITIAL") else word


def find_remote_mta(low: str) -> str | None:
    """The remote host named as ``host mx.example.net[192.0.2.1]`` in the lowercased paste."""
    if "host " not in low:
        return None
    m = _REMOTE.search(low)
    return m.group(1) if m else None


# --- the decision: is this an SMTP reply? -----------------------------------------------------

_CODE = r"(?:[245][0-5]\d|[245]\.\d{1,3}\.\d{1,3})"
_LOOKUP = re.compile(
    r"\s*(?:(?:what|wat|whats|what's)\s+(?:does|do|is|are|means?)?\s*|explain\s+|meaning of\s+"
    r"|define\s+)?(?:(?:an?|the)\s+)?"
    r"(?:(?:smtp|esmtp|error|reply|status|code|enhanced|bounce)\s+){0,3}"
    r"(" + _CODE + r")(?:[\s,/]+(" + _CODE + r"))?"
    r"(?:\s+(?:smtp|error|reply|code|status|bounce|response|mean|means|stand for|in smtp))*"
    r"\s*[?!.]*\s*",
    re.IGNORECASE,
)
#: Characters no lookup holds (nor can case-fold to one it holds): an address, a
#: bracket or a colon rules a lookup out at once.
_NOT_LOOKUP = re.compile(r"[@<>:;()\[\]=#\"_\-]")
_LINE_CODE_BODY = r"[ \t>]{0,8}(?:<<<[ \t]{0,4})?([245][0-5]\d)(?=[ \-])"
#: A reply code opening the text, and one opening a later line. Two patterns, not one
#: ``(?:^|\n)…``: a pattern that starts with a literal newline is searched for with a
#: fast scan for that character.
_LINE_CODE_FIRST = re.compile(_LINE_CODE_BODY)
_LINE_CODE_LATER = re.compile("\n" + _LINE_CODE_BODY)


def _line_code(text: str) -> re.Match[str] | None:
    """The first reply code at the start of a line (after quoting such as ``>``)."""
    m = _LINE_CODE_FIRST.match(text)
    return m if m is not None else _LINE_CODE_LATER.search(text)


#: Words servers put in replies; one after a positioned 3-digit code makes it a reply.
_REPLY_WORDS = frozenset(_WORDS["reply"])
#: Words specific to email; an enhanced code or a reason phrase needs one of them nearby.
_MAIL_WORDS = frozenset(_WORDS["mail"])
#: Banners of human non-delivery reports (Gmail, Microsoft, Postfix, Exim …).
_BANNERS = tuple(_WORDS["banners"])
_WORD = re.compile(r"[a-z]+")
#: The common case, decided at once: a reply code then an enhanced code at the start.
_QUICK = re.compile(
    r"[ \t>]{0,8}(?:<<<[ \t]?)?[245][0-5]\d[ \-][245]\.\d{1,3}\.\d{1,3}(?![\w.])"
)


def lookup(text: str) -> tuple[str | None, str | None] | None:
    """(reply code, status) when the whole message is a code lookup, else None."""
    if len(text) > 160 or _NOT_LOOKUP.search(text) is not None:
        return None
    m = _LOOKUP.fullmatch(text)
    if m is None:
        return None
    reply: str | None = None
    status: str | None = None
    for code in (m.group(1), m.group(2)):
        if code is None:
            continue
        if "." in code:
            status = status or code
        else:
            reply = reply or code
    return reply, status


def banner(low: str) -> bool:
    """Does the text carry a human non-delivery report's (or delay warning's) banner?"""
    return any(b in low for b in _BANNERS) or speak.banner(low)


def is_reply(text: str, low: str | None = None, found: reasons.MatchResult | None = None) -> bool:
    """Does `text` hold an SMTP reply or failure? (rules 2–5 of the module docstring).

    `found` is the caller's phrase match of the same text, when it already has one.
    """
    low = low if low is not None else text.lower()
    if _QUICK.match(low) is not None:
        return True
    # Each test below can only say yes, so their order changes no answer: the caller's
    # phrase match (the short-reply test further down), when at hand, costs nothing and
    # spares the scan of every reply code.
    if found is not None and found.strong is not None and len(text) <= 300:
        return True
    for n, m in enumerate(REPLY_RE.finditer(low)):
        if n >= 20:
            break
        start, end = m.span(1)
        if not _at_reply_position(low, start):
            continue
        after = low[end : end + 160]
        if STATUS_RE.match(after.lstrip(" -")):
            return True
        line = after.split("\n", 1)[0]
        if _REPLY_WORDS.intersection(_WORD.findall(line)):
            return True
    if found is None:
        found = reasons.match(reasons.prepare(low[:MAX_DIAGNOSTIC]))
    if found.strong is not None and len(text) <= 300:
        return True
    words: set[str] | None = None
    if found.strong is not None or STATUS_RE.search(low) is not None:
        words = set(_WORD.findall(low[:MAX_TEXT]))
        if words & _MAIL_WORDS:
            return True
    return banner(low)


def _at_reply_position(low: str, start: int) -> bool:
    """Is the code at a line start (after quoting) or right after ``:`` ``;`` ``]`` ``>`` ``(``?"""
    j = start - 1
    while j >= 0 and low[j] in " \t":
        j -= 1
    if j < 0 or low[j] == "\n":
        return True
    if low[j] in ":;]>(['\"=":
        return True
    # quoting at a line start: "> 550", "<<< 550", "554 554 5.7.1"
    k = j
    while k >= 0 and low[k] in "<> \t":
        k -= 1
    if k < 0 or low[k] == "\n":
        return True
    return low[max(0, j - 2) : j + 1].isdigit() and (j - 3 < 0 or not low[j - 3].isalnum())
