"""Should the bot speak, unasked, about a message in a channel? Only for a failure report.

Words alone never make a bounce: "my mailbox is full lol", "did anyone update the DKIM
key?" and "connection timed out to the db" use the vocabulary of failures without
reporting one. What does make a report is *evidence in the syntax of mail systems*:

- an SMTP reply: a 2/4/5yz code at a line start (after quoting such as ``>`` or ``<<<``)
  followed by an enhanced code or by a server's words, or a code after ``said:``,
  ``host … said``, ``Remote host said``, ``<<<``, ``smtp;`` or ``Diagnostic-Code:``;
- an enhanced status code in a status position: right after a reply code, after
  ``Status:``, ``dsn=``, or as ``#5.1.1`` / ``(#4.4.1)``;
- a DSN field (``Final-Recipient:``, ``Diagnostic-Code:``, ``Action: failed``) or the
  banner of a non-delivery report written by an MTA;
- an MTA log line (``to=<…>`` with ``status=``, ``stat=`` or ``dsn=``; Exim's ``** a@b R=…``).

A question naming an SMTP code unmistakably ("anyone seen 4.7.650 from outlook?", "we
get 421 4.7.0 from Yahoo", "what does 550 5.7.1 mean") is answered as that code, as a
teammate would. Numbers in prose (versions, sections, rooms, prices, HTTP errors) are not
codes. Where in doubt this module says no: an @mention or ``/smtp`` still answers, because
those callers do not ask it (`bot.core.explain.explain` with ``strict=False``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Found", "banner", "code_question", "delay_warning", "find"]

_ADDR: Final = r"[\w.!#$%&'*+/=?^`{|}~\-]{1,128}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){0,12}"
_ENHANCED: Final = r"[245]\.\d{1,3}\.\d{1,3}(?![\w.]|\.\d)"


def _words(text: str) -> list[str]:
    """The words of a blank-separated list (long word lists read best as prose)."""
    return text.split()


@dataclass(frozen=True, slots=True)
class Found:
    """What made the text worth an answer.

    `kind` is ``"report"`` for a delivery report or reply in mail syntax (the caller reads
    it as usual), ``"question"`` for a code named in prose (answered as a code lookup of
    `replycode` and `status`).
    """

    kind: str
    replycode: str | None = None
    status: str | None = None


# --- reports ----------------------------------------------------------------------------

#: A reply code opening a line (after quoting), the separator, and the rest of the line.
_LINE_REPLY: Final = re.compile(
    r"(?:^[ \t>|#]{0,8}|(?<=:)[ \t]{1,4})(?:<<<[ \t]{0,4})?"
    r"([245]\d\d|[245]\.\d{1,3}\.\d{1,3})([ \-])[ \t]{0,4}(.*)$",
    re.MULTILINE,
)
_STARTS_ENHANCED: Final = re.compile(r"#?\(?" + _ENHANCED)
#: Words that follow a number in prose but never open a server's reply text.
_COUNTING: Final = frozenset(
    _words(
        """messages emails mails users people persons recipients bounces
    errors complaints addresses mailboxes domains accounts tickets items rows lines units
    of out more less new old total in per times days hours minutes mins
    seconds secs ms ps k kb mb gb tb percent dollars euros bucks and or to was were are is
    so yes okay lol haha thanks thank the a an this that these those we you they i
    it he she my our your their by at on from for with into as if but not left still
    already only just about around over under than"""
    )
)
#: Phrases of standard server replies (RFC 5321's texts and the common MTAs' own).
_SERVER_WORDS: Final = re.compile(
    r"\b(?:requested (?:action|mail action)|mailbox (?:unavailable|full|not found|is full"
    r"|does not exist|disabled|quota)|no such (?:user|recipient|mailbox|domain)"
    r"|user (?:unknown|not found)|unknown (?:user|recipient)|recipient (?:address )?rejected"
    r"|relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed)|service (?:not )?available"
    r"|closing (?:transmission )?(?:channel|connection)|try again later|temporar(?:y|ily)"
    r"|too many|authentication (?:required|failed)|access denied|not accepted|syntax error"
    r"|transaction failed|message (?:rejected|refused|blocked)|greylist(?:ed|ing)"
    r"|insufficient (?:system )?storage|over quota|quota exceeded|exceeded storage"
    r"|sender (?:address )?rejected|(?:spf|dkim|dmarc) (?:check )?fail|policy"
    r"|blocked|rejected|denied|refused|not permitted|unavailable|spam|rbl|blacklist"
    r"|blocklist|rate limit|deferred|esmtp|smtp|ok|queued as|accepted|ready|bye"
    r"|administrative prohibition|unroutable|unrouteable|local error|not taken"
    r"|command not (?:recognized|implemented)|bad sequence|parameter|mailbox|sorry"
    r"|unfortunately|delivery (?:error|failed|failure)|(?:weren't|were not|was not|wasn't) sent"
    r"|problem occurred|postmaster|ip=|exceeds?|does(?:n't| not) (?:exist|have)"
    r"|not (?:found|allowed|authorized)|aborted|resolver\.\w+|invalid|unknown|recipient"
    r"|address|domain|user|sender|host|dns|mx|ptr|spf|dkim|dmarc|tls|helo|ehlo|rcpt"
    r"|timed out|expired|connection (?:refused|reset|closed|dropped|lost))\b"
)
_SAID: Final = re.compile(
    r"(?:(?:host|server|mta|mx)\b[^\n]{0,200}?\bsaid|remote host said|<<<|smtp;|"
    r"smtp error from remote (?:mail )?server[^\n]{0,120}?:|"
    r"\bhost [\w.\-]{1,255} ?\[[0-9a-f.:]{3,45}\](?::\d{1,5})?:|"
    r"diagnostic-code:[ \t]*(?:smtp;)?)[ \t:]{0,4}\(?([245][0-5]\d)(?![\w.])"
)
#: An enhanced code in a status position: after a reply code, Status:, dsn=, #5.1.1.
_STATUS_POSITION: Final = re.compile(
    r"(?:(?<![\w.\-+/$])[245][0-5]\d[ \-]#?|\bdsn=|[(<][ \t]?#)("
    + _ENHANCED
    + r")|(?:(?<![\w#])#|^[ \t]*status:[ \t]*)("
    + _ENHANCED
    + r")(?=[ \t]*(?:\(|\)|smtp;|##|$))",
    re.MULTILINE,
)
_DSN_FIELD: Final = re.compile(
    r"^[ \t>]{0,8}(?:final-recipient:[ \t]*[\w\-]{1,20};|original-recipient:[ \t]*[\w\-]{1,20};"
    r"|diagnostic-code:[ \t]*[\w\-]{1,20};|reporting-mta:[ \t]*[\w\-]{1,20};"
    r"|remote-mta:[ \t]*[\w\-]{1,20};|action:[ \t]*(?:failed|delayed|expanded|relayed)\b"
    r"|x-postfix-queue-id:|arrival-date:)",
    re.MULTILINE,
)
#: Text that only mail systems write in a non-delivery report (not its Subject, which
#: people quote in chat: "got an Undelivered Mail Returned to Sender, anyone else?").
_BANNERS: Final = (
    "this is the mail system at host",
    "delivery has failed to these recipients or groups",
    "delivery to the following recipient failed permanently",
    "delivery to the following recipients failed permanently",
    "delivery to the following recipient has been delayed",
    "the following address(es) failed",
    "this message was created automatically by mail delivery software",
    "i'm afraid i wasn't able to deliver your message",
    "this is the qmail-send program at",
    "i wasn't able to deliver your message to the following addresses",
    "a message that you sent could not be delivered to one or more of its",
    "----- transcript of session follows -----",
    "----- the following addresses had permanent fatal errors -----",
    "diagnostic information for administrators:",
    "this is a warning message only",
    "this is an automatically generated delivery status notification",
    "did not reach the following recipient(s)",
    "did not reach some or all of the intended recipients",
    "this is the postfix program at host",
    "this is the mailer-daemon, please do not reply",
    "an error has occurred while attempting to deliver a message for",
    "a message is delayed for more than",
    "** address not found **",
    "** message not delivered **",
    "this report relates to a message you sent with the following header fields",
    "unable to deliver message to the following address(es)",
    "a transcript of the attempts to send the message follows",
    "failed addresses follow:",
    "\nwas not delivered to:\n",
    "we're writing to let you know that the group you tried to contact",
    "was considered unsolicited bulk e-mail",
    "this is a warning only.  you do not need to resend",
)
_LOG_LINE: Final = re.compile(
    r"\bto=<?" + _ADDR + r">?.{0,400}?\b(?:status=\w|stat=\w|dsn=[245]\.)"
)
_EXIM_LINE: Final = re.compile(
    r"(?:^|\s)(?:\*\*|==)[ \t]{1,4}<?" + _ADDR + r">?[^\n]{0,300}?(?:\bR=|\bT=|smtp error|"
    r"retry time not reached|unrouteable address|:[ \t]*[245][0-5]\d\b)"
)
_IP: Final = re.compile(r"\[?(?:\d{1,3}\.){3}\d{1,3}\]?|\[?[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\]?")
#: MTA wording in its own syntax: Postfix's "connect to mx.example[192.0.2.1]:25: …",
#: Gmail's "DNS type 'mx' lookup of …" and its "[mx.example 192.0.2.1: timed out]".
_MTA_SYNTAX: Final = re.compile(
    r"\bconnect to [\w.\-]{1,255}\[[0-9a-f.:]{3,45}\](?::(?:25|465|587))?: \w"
    r"|\bdns type '(?:mx|a|aaaa)' lookup of "
    r"|\[[\w.\-]{1,255} [0-9a-f.:]{7,45}: [^\]\n]{3,80}\]"
)
_RCPT_REPLY: Final = re.compile(r"^[ \t>]{0,8}<" + _ADDR + r">:?[ \t]{1,4}[245][0-5]\d[ \-]", re.M)


def banner(low: str) -> bool:
    """Does the (lowercased) text carry a banner only mail systems write in their reports?"""
    return any(b in low for b in _BANNERS)


#: A delay warning: the message is still queued and will be tried again.
_DELAYED: Final = re.compile(
    r"warning message only|this is a warning only|will be retried|will keep trying"
    r"|still being retried|has been delayed|(?:has|have) not (?:yet )?been delivered"
    r"|not yet been delivered",
    re.IGNORECASE,
)
#: Words that say delivery was given up, which no warning says.
_GAVE_UP: Final = re.compile(
    r"permanent|fatal|will not be retried|gave up|giving up|not be delivered"
    r"|failed permanently|not going to try again|stopped trying",
    re.IGNORECASE,
)


def delay_warning(text: str) -> bool:
    """Is `text` a delay warning (still queued, to be retried) rather than a failure?"""
    return _DELAYED.search(text) is not None and _GAVE_UP.search(text) is None


def _line_reply(low: str) -> bool:
    """A reply code opening a line, followed by an enhanced code or a server's words."""
    for n, m in enumerate(_LINE_REPLY.finditer(low)):
        if n >= 50:
            break
        rest = m.group(3)
        if _STARTS_ENHANCED.match(rest):
            return True
        tokens = [t.strip(",.;:!?") for t in rest.split(None, 3)[:3]]
        # "554 30 Sorry, …", "550-192.0.2.9 blocked …": a server's sub-code or the client IP.
        while tokens and (
            (tokens[0].isdigit() and len(tokens[0]) <= 2) or _IP.fullmatch(tokens[0])
        ):
            tokens = tokens[1:]
        first = tokens[0] if tokens else ""
        if not first or first in _COUNTING or first[:1].isdigit() or first[:1] in "$€£%":
            continue
        if _WEB_CONTEXT.intersection(w.strip(".'-") for w in _WORD.findall(rest[:200])):
            continue  # "500 error on the API dashboard": a web server's status
        if _SERVER_WORDS.search(rest[:200]):
            return True
    return False


def _report(low: str) -> bool:
    if _line_reply(low):
        return True
    if _SAID.search(low) or _DSN_FIELD.search(low):
        return True
    if ("to=" in low and _LOG_LINE.search(low)) or (
        ("**" in low or "==" in low) and _EXIM_LINE.search(low)
    ):
        return True
    if "@" in low and _RCPT_REPLY.search(low):
        return True
    if _MTA_SYNTAX.search(low):
        return True
    return banner(low)


# --- codes named in prose ---------------------------------------------------------------------

_PAIR: Final = re.compile(
    r"(?<![\w.\-+/$#@])([245])([0-5]\d)[ \-]{1,2}\(?#?(\1\.\d{1,3}\.\d{1,3})(?![\w.]|\.\d)"
)
_LONE_ENHANCED: Final = re.compile(r"(?<![\w.\-+/$#@])([45]\.[0-7]\.\d{1,3})(?![\w.]|\.\d|%)")
_LONE_REPLY: Final = re.compile(r"(?<![\w.\-+/$#@:,])([45][0-5]\d)(?![\w.,:/%$]|\.\d|-\d)")
_WORD: Final = re.compile(r"[a-z0-9][a-z0-9.+'\-]*")
#: Words that make a number a version, a section, a room: never a status code.
_NOT_A_CODE_BEFORE: Final = frozenset(
    _words(
        """v ver version versions release released releases upgrade upgraded upgrading update
    updated updating bump bumped bumping patch patched build tag tagged rev revision rc
    pin pinned install installed installing downgrade downgraded migrate migrated moving
    section sec chapter ch step page pages p table figure fig item clause paragraph para
    appendix part rule rfc room floor suite building desk gate platform seat row ticket
    pr issue bug case no number num order invoice price cost costs costing $ usd eur
    flight bus train route line lines ext extension phone tel call dial apt highway
    python node java ruby perl php go rust kernel linux debian ubuntu rhel centos ios
    android windows macos chrome firefox postfix dovecot exim sendmail rspamd spamassassin
    amavis opendkim opendmarc postgres postgresql mysql redis nginx apache django rails
    since after before until from to and or"""
    )
)
_NOT_A_CODE_AFTER: Final = frozenset(
    _words(
        """release released is are was were has have version versions update upgrade beta rc
    hours hour minutes minute seconds days weeks months years am pm percent kg km mi miles
    ms gb mb kb tb dollars euros points pts stars x of"""
    )
)
#: Words that say a number is an SMTP code, or a mail system it came from.
_CODE_WORDS: Final = frozenset(
    _words(
        """smtp esmtp error errors code codes status reply replies response responses bounce
    bounces bounced bouncing ndr ndrs dsn dsns reject rejects rejected rejecting rejection
    rejections deferral deferrals deferred defer deferring tempfail tempfails mean means
    meaning seen seeing getting got get gets see saw hitting hit receiving received explain
    throwing returned returning returns"""
    )
)
_MAIL_SYSTEMS: Final = frozenset(
    _words(
        """outlook office365 o365 microsoft exchange hotmail msn live.com gmail google googlemail
    workspace yahoo aol verizon icloud apple me.com comcast xfinity att at&t charter
    spectrum cox gmx web.de t-online orange free.fr laposte yandex mail.ru qq 163 zoho
    proofpoint pphosted mimecast barracuda ironport cisco spamhaus spamcop sorbs ses
    sendgrid mailgun postmark sparkpost mailchimp mandrill postfix exim sendmail qmail
    smtp mx mta mailserver mail email e-mail inbox mailbox bounce bounces ndr"""
    )
)
_HTTP_WORDS: Final = frozenset(
    _words(
        """http https api apis nginx apache gateway haproxy envoy endpoint endpoints rest
    graphql curl url urls browser webhook webhooks lb cdn cloudflare website site web
    page pages k8s kubernetes ingress proxy dashboard frontend backend server-side"""
    )
)
#: Words after a line-opening code that place it on a web server (URLs are not among
#: them: mail servers quote links too).
_WEB_CONTEXT: Final = frozenset(
    _words(
        """api apis nginx haproxy endpoint endpoints dashboard frontend backend browser
        webhook webhooks cdn website ingress graphql k8s kubernetes"""
    )
)
_MAX_PROSE: Final = 600


def _tokens_before(low: str, start: int, count: int) -> list[str]:
    return _WORD.findall(low[max(0, start - 60) : start])[-count:]


def _token_after(low: str, end: int) -> str:
    words = _WORD.findall(low[end : end + 30])
    return words[0] if words else ""


def _prose_context_ok(low: str, start: int, end: int) -> bool:
    before = _tokens_before(low, start, 3)
    if any(w.strip(".") in _NOT_A_CODE_BEFORE for w in before[-2:]):
        return False
    if before and before[-1] in ("v", "version", "release", "room", "section", "to"):
        return False
    after = _token_after(low, end)
    return after not in _NOT_A_CODE_AFTER


#: The whole message asks what a code means: "what is 5.7.708", "explain 4.2.2?".
_ASKED: Final = re.compile(
    r"\s*(?:(?:what|wat|whats|what's)(?:\s+(?:does|do|is|are|means?))?|explain|define"
    r"|meaning of)\s+(?:(?:an?|the)\s+)?(?:(?:smtp|error|reply|status|code|bounce)\s+){0,2}"
    r"(?:([45][0-5]\d)[ \-])?([45]\.[0-7]\.\d{1,3}|[45][0-5]\d)"
    r"(?:\s+(?:mean|means|error|code|status|reply|bounce|in smtp))?\s*[?!.]*\s*"
)


def code_question(text: str) -> Found | None:
    """The SMTP code a chat message asks about, when it names one unmistakably.

    A reply code with its enhanced code ("421 4.7.0") is unmistakable anywhere in a short
    message; an enhanced code alone needs a word that makes it a code ("error",
    "bounce", "seen", a mail provider); a bare reply code needs both a code word beside
    it and a mail system, and no web words (``503`` is far more often HTTP).
    """
    low = text.lower()
    if len(low) > _MAX_PROSE:
        return None
    asked = _ASKED.fullmatch(low)
    if asked is not None:
        reply, code = asked.group(1), asked.group(2)
        if "." not in code:
            return Found("question", reply or code, None)
        return Found("question", reply, code)
    for m in _PAIR.finditer(low):
        if _prose_context_ok(low, m.start(), m.end()):
            return Found("question", m.group(1) + m.group(2), m.group(3))
    words = {w.strip(".'-") for w in _WORD.findall(low)}
    if words & _HTTP_WORDS:
        return None
    code_words = bool(words & _CODE_WORDS)
    mail = bool(words & _MAIL_SYSTEMS)
    if code_words or mail:
        for m in _LONE_ENHANCED.finditer(low):
            if _prose_context_ok(low, m.start(), m.end()):
                return Found("question", None, m.group(1))
    if code_words and mail:
        for m in _LONE_REPLY.finditer(low):
            after = _token_after(low, m.end())
            near = {*_tokens_before(low, m.start(), 2), after}
            counted = after in _COUNTING and after != "errors"  # "550 errors": the code's
            if counted or after in ("bounces", "deferrals", "rejections"):
                continue  # "got 550 emails from gmail": a count
            if near & _CODE_WORDS and _prose_context_ok(low, m.start(), m.end()):
                return Found("question", m.group(1), None)
    return None


def find(text: str) -> Found | None:
    """Evidence that `text` reports a delivery failure or asks about a code, else None."""
    if not text or text.isspace():
        return None
    low = text.lower()
    if "\r" in low:  # Windows (CRLF) and old Mac (CR) pastes read like LF ones
        low = low.replace("\r\n", "\n").replace("\r", "\n")
    m = _STATUS_POSITION.search(low)
    status = (m.group(1) or m.group(2)) if m is not None else None
    if _report(low):
        return Found("report", status=status)
    question = code_question(text)
    if question is not None:
        return question
    return Found("report", status=status) if status is not None else None
