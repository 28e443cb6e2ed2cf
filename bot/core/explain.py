"""explain(text): anything typed or pasted -> Report.

What is read, in order: a code lookup (``451``, ``what does 4.7.28 mean?``); a whole
email (handed to `bot.core.scan`); RFC 3464 fields (``Final-Recipient:`` …
``Diagnostic-Code:``); per-recipient lines (Postfix/Sendmail ``to=<…> … status=``, Exim
``** a@b …``, ``<a@b>: host … said: …`` blocks, addresses listed alone above a shared
explanation); else the text as one reply. `bot.core.replytext` documents when text counts
as an SMTP reply at all; chat with numbers in it does not.

Limits (`bot.core.limits`): only the first `MAX_TEXT` characters (``MAX_EXPLAIN_CHARS``)
and `MAX_LINES` lines (``MAX_EXPLAIN_LINES``) of a paste are read for replies, so time
stays linear and bounded whatever is pasted; a paste that starts like a whole email is
handed to `scan` in full. At most `MAX_RECIPIENTS` (``MAX_PASTE_RECIPIENTS``) verdicts
are returned. Every cut is told in the report's `notices`, never silent.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.core import reasons, speak
from bot.core import replytext as rt
from bot.core.classify import classify
from bot.core.limits import MAX_EXPLAIN_CHARS, MAX_EXPLAIN_LINES, MAX_PASTE_RECIPIENTS, left_out
from bot.core.model import Evidence, Report, Verdict
from bot.core.payloads import read_json_paste, read_log_paste
from bot.core.payloads.loglines import latest_per_recipient

__all__ = ["MAX_LINES", "MAX_RECIPIENTS", "MAX_TEXT", "explain"]

#: Characters of a paste read for replies.
MAX_TEXT = MAX_EXPLAIN_CHARS
#: Lines of a paste read for replies.
MAX_LINES = MAX_EXPLAIN_LINES
#: Verdicts returned for one paste; a log with more recipients is cut here, saying so.
MAX_RECIPIENTS = MAX_PASTE_RECIPIENTS

_MESSAGE_TO = re.compile(
    r"message to <?(" + rt._ADDR + r")>? (?:couldn't|could not|cannot|can't|wasn't|was not)"
    r"(?: be)? deliver",
    re.IGNORECASE,
)


def explain(text: str, *, strict: bool = False) -> Report:
    """Explain a pasted reply, log excerpt, bounce or code lookup (see the module docstring).

    `strict` is for text nobody addressed to the bot (a channel message): it is answered
    only when `bot.core.speak` finds a failure report in mail syntax or a code named
    unmistakably, so chat that merely uses the words of failures stays unanswered.
    Explicit requests (a command, an @mention, a DM, the command line) leave it False.
    """
    if not text or text.isspace():
        return Report(bounce=False)
    found = None
    if strict:
        head = rt.unescape_slack(text[:MAX_TEXT])
        # A whole email is judged by its parser (`scan`), not by the evidence rules.
        found = speak.Found("report") if rt.looks_like_email(head) else speak.find(head)
    if strict and found is None:
        return Report(bounce=False)
    report = Report(bounce=False)
    if found is None or found.kind == "report":
        report = _explain(text, strict)
        if report.bounce or report.delivered:  # a log of delivered mail is an answer too
            return report
    if found is not None and found.kind == "report" and found.status is not None:
        # A status code in a status position ("(#4.4.2)") with words no rule knows.
        words = " ".join(text[:MAX_TEXT].split())
        verdict = classify(Evidence(diagnostic=words[: rt.MAX_DIAGNOSTIC], status=found.status))
        return Report(bounce=True, verdicts=[verdict], source_format="reply")
    # A code named in a question ("anyone seen 4.7.650 from outlook?") is answered as
    # that code, not from the words around it.
    question = found if found is not None and found.kind == "question" else None
    question = question or speak.code_question(rt.unescape_slack(text[:MAX_TEXT]).strip())
    if question is None:
        return report
    verdict = classify(Evidence(replycode=question.replycode, status=question.status))
    return Report(bounce=True, verdicts=[verdict], source_format="lookup")


def _explain(text: str, strict: bool) -> Report:
    if "\r" in text:  # Windows (CRLF) and old Mac (CR) pastes read like LF ones
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    head = rt.unescape_slack(text[:MAX_TEXT] if len(text) > MAX_TEXT else text)
    stripped = head.strip()

    code = rt.lookup(stripped)
    if code is not None:
        verdict = classify(Evidence(replycode=code[0], status=code[1]))
        return Report(bounce=True, verdicts=[verdict], source_format="lookup")

    payload = _payload(stripped)
    if payload is not None:
        payload.notices[:0] = _unread(text, [stripped])
        return payload

    if "\n" in stripped and rt.looks_like_email(head):
        from bot.core.scan import scan  # imported late: scan imports the parsers

        report = scan(text.encode("utf-8", "replace"))
        if report.bounce or strict:  # unasked, a whole email speaks through its parser only
            return report

    parts = stripped.split("\n", MAX_LINES)
    report = _read(stripped, rt.join_continuations(parts[:MAX_LINES]))
    report.notices[:0] = _unread(text, parts)
    return report


def _payload(stripped: str) -> Report | None:
    """A sending service's JSON events, or PowerMTA/Exchange log rows (`bot.core.payloads`)."""
    if stripped.startswith("```"):  # a Slack or Markdown code block: ```json\n{…}\n```
        inner = stripped[3:-3] if stripped.endswith("```") and len(stripped) > 6 else stripped[3:]
        first, _, rest = inner.partition("\n")
        inner = rest if first.strip().isalpha() else inner
        if inner.strip()[:1] in ("{", "["):
            stripped = inner.strip()
    if stripped[:1] in ("{", "[") or stripped.startswith("mandrill_events="):
        return read_json_paste(stripped, MAX_RECIPIENTS, "MAX_PASTE_RECIPIENTS")
    if "dsnDiag" in stripped or "recipient-status" in stripped or "RecipientStatus" in stripped:
        return read_log_paste(stripped, MAX_RECIPIENTS, "MAX_PASTE_RECIPIENTS")
    return None


def _unread(text: str, parts: list[str]) -> list[str]:
    """Notices for the characters and lines of `text` that were not read (cut at `parts`)."""
    notices = []
    tail = len(text) - MAX_TEXT
    if tail > 0:
        notices.append(
            left_out(MAX_TEXT, "characters", tail, "MAX_EXPLAIN_CHARS", "were read for replies")
        )
    if len(parts) > MAX_LINES:
        # The unread lines: those past the cut in what was read, plus any in the unread tail.
        more = parts[MAX_LINES].count("\n") + 1
        if tail > 0:
            more += text.count("\n", MAX_TEXT, len(text.rstrip()))
        notices.append(
            left_out(MAX_LINES, "lines", more, "MAX_EXPLAIN_LINES", "were read for replies")
        )
    return notices


def _read(stripped: str, lines: list[str]) -> Report:
    """The replies in the (stripped, bounded) paste and its first `MAX_LINES` `lines`."""
    low = stripped.lower()

    if (
        "final-recipient:" in low
        or "diagnostic-code:" in low
        or ("status:" in low and "action:" in low)
    ):
        fields = [e for e in rt.parse_dsn(lines) if e.diagnostic or e.status or e.action]
        if fields:
            return _report(fields, "rfc3464")

    records, lone = rt.parse_records(lines)
    records, delivered = latest_per_recipient(records)
    evidence: list[Evidence] = []
    for rec in records:
        if rec.structured or rt.is_reply(rec.text):
            evidence.append(
                Evidence(
                    recipient=rec.recipient,
                    diagnostic=rec.text or None,
                    status=rec.status,
                    action=rec.action,
                    remote_mta=rec.remote_mta or rt.find_remote_mta(rec.text.lower()),
                    command=rt.find_command(rec.text.lower()),
                )
            )
    if evidence:
        return replace(_report(evidence, "log"), delivered=delivered)
    if delivered:  # a log of delivered mail only: nothing failed, nothing to explain
        return Report(bounce=False, source_format="log", delivered=delivered)

    joined = "\n".join(lines) if "\n" in stripped else stripped
    if joined is not stripped:
        low = joined.lower()
    diagnostic = rt.focus(joined, low)
    # The phrase match of the server's words serves both the reply rule and classify.
    found = reasons.match(reasons.prepare(diagnostic))
    if not rt.is_reply(joined, low, found):
        return Report(bounce=False)
    command = rt.find_command(low)
    remote = rt.find_remote_mta(low)
    recipients: list[str | None] = list(dict.fromkeys(lone))
    if not recipients and "message to" in low:
        m = _MESSAGE_TO.search(joined)
        if m is not None:
            recipients.append(m.group(1))
    whole = rt._squash(joined) if len(joined) != len(diagnostic) else diagnostic
    # A delay warning ("THIS IS A WARNING MESSAGE ONLY … will be retried") is a report
    # of a message still queued, whatever words it quotes.
    action = "delayed" if speak.delay_warning(joined) else None
    verdicts = []
    for recipient in (recipients or [None])[:MAX_RECIPIENTS]:
        one = Evidence(
            recipient=recipient,
            diagnostic=diagnostic,
            command=command,
            remote_mta=remote,
            action=action,
        )
        verdicts.append(_judge(one, whole, found))
    return Report(
        bounce=True, verdicts=verdicts, source_format="reply", notices=_cut(len(recipients))
    )


def _report(evidence: list[Evidence], source: str) -> Report:
    verdicts = [_judge(e, None) for e in evidence[:MAX_RECIPIENTS]]
    return Report(bounce=True, verdicts=verdicts, source_format=source, notices=_cut(len(evidence)))


def _cut(recipients: int) -> list[str]:
    """The notice for recipients past `MAX_RECIPIENTS`, if any."""
    more = recipients - MAX_RECIPIENTS
    if more <= 0:
        return []
    return [left_out(MAX_RECIPIENTS, "recipients", more, "MAX_PASTE_RECIPIENTS")]


def _judge(
    evidence: Evidence, whole: str | None, found: reasons.MatchResult | None = None
) -> Verdict:
    """Classify; when the focused reply names no reason, read the whole paste for one."""
    verdict = classify(evidence, phrases=found)
    if verdict.reason is None and whole and whole != evidence.diagnostic:
        wider = Evidence(
            recipient=evidence.recipient,
            diagnostic=whole,
            replycode=verdict.replycode,
            status=verdict.status,
            action=evidence.action,
            remote_mta=evidence.remote_mta,
            command=evidence.command,
        )
        second = classify(wider)
        if second.reason is not None:
            return replace(second, diagnostic=evidence.diagnostic)
    return verdict
