"""One recipient's event from a sending service or an MTA log, and its verdict.

Every payload module (`ses`, `sendgrid` …) and log reader (`mtalogs`) turns its input into
`Event` values; `judge` classifies each one with the same classifier as a pasted reply:
the remote server's words (SES ``diagnosticCode``, SendGrid ``reason``, PowerMTA
``dsnDiag`` …) are what gets classified and shown as "Server said". The service's own
category is kept beside ours (`Verdict.esp_category`), the service is named as the
reporter (`Verdict.reporter`), and its category only names the reason when the server's
words (or their absence) settle none.

Kinds of event:

- ``bounce``: delivery failed and the service gave up on this message;
- ``delay``: the message is still queued and will be retried (always temporary);
- ``complaint``: a feedback-loop report (Sisimai's reason ``feedback``): the message was
  delivered and the recipient called it unwanted; not a bounce;
- ``dropped``: the service did not even try (suppression list, policy, virus);
- ``delivered``: counted on the report, never explained.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, Literal

from bot.core import replytext as rt
from bot.core.classify import classify
from bot.core.limits import left_out
from bot.core.model import Evidence, Report, Verdict

Kind = Literal["bounce", "delay", "complaint", "dropped", "delivered"]

_ACTION: Final[dict[str, str]] = {
    "bounce": "failed",
    "dropped": "failed",
    "delay": "delayed",
}


@dataclass
class Event:
    """What one service event (or log record) says about one recipient."""

    reporter: str
    kind: Kind
    recipient: str | None
    #: The remote server's words, as the service passed them on (``smtp; 550 …``).
    diagnostic: str | None = None
    status: str | None = None
    replycode: str | None = None
    remote_mta: str | None = None
    #: The service's own category, as it names it, with its documented meaning.
    category: str | None = None
    #: Our reason for the service's category, used only when the server's words name none.
    reason_hint: str | None = None
    feedback_type: str | None = None
    #: False for a service's "soft" bounce: it does not say delivery was given up, so the
    #: class comes from the server's code rather than from a failed action.
    final: bool = True


def clean_diagnostic(value: object) -> str | None:
    """The server's words without the ``smtp;`` type prefix of a DSN field; None if empty."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if text[:5].lower() == "smtp;" or text[:7].lower() == "x-unix;":
        text = text.split(";", 1)[1].strip()
    return text or None


def clean_status(value: object) -> str | None:
    """An enhanced status code (``5.1.1``) found in `value`, else None."""
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        return None
    from bot.core.classify import STATUS_RE

    m = STATUS_RE.search(value)
    return m.group(0) if m else None


def clean_replycode(value: object) -> str | None:
    """A three-digit reply code (``550``) when `value` is one, else None."""
    text = str(value).strip() if isinstance(value, (int, str)) else ""
    return text if len(text) == 3 and text[0] in "245" and text.isdigit() else None


def judge(event: Event) -> Verdict:
    """Classify one event: the server's words first, the service's category as a fallback."""
    diagnostic = event.diagnostic
    low = diagnostic.lower() if diagnostic else ""
    evidence = Evidence(
        recipient=event.recipient,
        diagnostic=diagnostic,
        replycode=event.replycode,
        status=event.status,
        # A delay with the server's words is read from them (its class comes from their
        # code); "delayed" alone would make the classifier call it an expiring message.
        action=None
        if (event.kind == "delay" and diagnostic) or not event.final
        else _ACTION.get(event.kind),
        remote_mta=event.remote_mta or (rt.find_remote_mta(low) if low else None),
        command=rt.find_command(low) if low else None,
        reason="feedback" if event.kind == "complaint" else None,
        feedback_type=event.feedback_type,
    )
    verdict = classify(evidence)
    if verdict.reason is None and event.reason_hint is not None:
        evidence.reason = event.reason_hint
        verdict = classify(evidence)
    if event.kind == "delay" and verdict.delivery_class != "transient":
        # A delay event means the message is still queued: temporary whatever a quoted
        # code's class (some services put a 5.x.x of an earlier attempt beside it).
        evidence.action = "delayed"
        evidence.status = None
        evidence.replycode = None
        evidence.diagnostic = None
        evidence.reason = verdict.reason
        verdict = replace(classify(evidence), diagnostic=verdict.diagnostic)
    return replace(
        verdict,
        reporter=event.reporter,
        esp_category=event.category,
        explanation=f"{_reported(event)} {verdict.explanation}".strip(),
    )


def _reported(event: Event) -> str:
    """The sentence naming the service and its own category."""
    category = f" ({event.category})" if event.category else ""
    if event.kind == "complaint":
        return (
            f"{event.reporter} reported a complaint{category}: this is feedback from the "
            "recipient's side, not a bounce; the message was delivered."
        )
    if event.kind == "delay":
        return (
            f"{event.reporter} reported a delay{category}: the message is still queued and "
            "will be retried until it expires."
        )
    if event.kind == "dropped":
        return f"{event.reporter} did not send the message to this recipient{category}."
    return f"{event.reporter} reported this bounce{category}."


def report(events: list[Event], source: str, limit: int, limit_name: str) -> Report:
    """One verdict per failed, delayed or complained event; delivered ones counted.

    At most `limit` verdicts; the rest are told in a notice naming `limit_name`.
    """
    delivered = sum(1 for e in events if e.kind == "delivered")
    failed = [e for e in events if e.kind != "delivered"]
    notices = []
    if len(failed) > limit:
        notices.append(left_out(limit, "recipients", len(failed) - limit, limit_name))
        failed = failed[:limit]
    verdicts = [judge(e) for e in failed]
    return Report(
        bounce=bool(verdicts),
        verdicts=verdicts,
        source_format=source,
        notices=notices,
        delivered=delivered,
    )
