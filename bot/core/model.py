"""The classifier's data types: what a parser finds (`Evidence`) and what we tell (`Verdict`).

`Report.to_dict()` is the JSON contract printed by ``smtpbot explain --json`` and
``smtpbot scan --json``; keep it stable. `Report.notices` stays out of it: they are
told to people (stderr, a Slack context line), not part of the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DeliveryClass = Literal["success", "transient", "permanent"]

#: Reason names, in Sisimai's newest vocabulary, so results compare 1:1.
REASONS: frozenset[str] = frozenset(
    {
        "authfailure",
        "badreputation",
        "blocked",
        "contenterror",
        "delivered",
        "emailtoolarge",
        "expired",
        "failedstarttls",
        "feedback",
        "filtered",
        "hasmoved",
        "hostunknown",
        "mailboxfull",
        "mailererror",
        "networkerror",
        "norelaying",
        "notaccept",
        "notcompliantrfc",
        "onhold",
        "policyviolation",
        "ratelimited",
        "rejected",
        "requireptr",
        "securityerror",
        "spamdetected",
        "suppressed",
        "suspend",
        "syntaxerror",
        "systemerror",
        "systemfull",
        "undefined",
        "userunknown",
        "vacation",
        "virusdetected",
    }
)


@dataclass(slots=True)
class Evidence:
    """What a parser read about one recipient, before any judgement.

    Parsers fill in what the input says and nothing more; `bot.core.classify`
    turns evidence into a `Verdict`.
    """

    recipient: str | None = None
    #: The remote server's own words (or the MTA's explanation when there is no reply).
    diagnostic: str | None = None
    replycode: str | None = None
    status: str | None = None
    #: RFC 3464 Action: failed, delayed, delivered, relayed, expanded.
    action: str | None = None
    remote_mta: str | None = None
    #: SMTP command the reply answered (CONN, HELO, EHLO, MAIL, RCPT, DATA, ...).
    command: str | None = None
    #: A reason the format itself settles (vacation, feedback, expired, ...).
    reason: str | None = None
    feedback_type: str | None = None


@dataclass(slots=True, frozen=True)
class Verdict:
    """Our judgement on one recipient (or on one bare code)."""

    title: str
    explanation: str
    recipient: str | None = None
    replycode: str | None = None
    status: str | None = None
    delivery_class: DeliveryClass | None = None
    reason: str | None = None
    retry: bool | None = None
    provider: str | None = None
    actions: list[str] = field(default_factory=list)
    diagnostic: str | None = None
    references: list[str] = field(default_factory=list)
    remote_mta: str | None = None
    action: str | None = None
    feedback_type: str | None = None
    #: Who reported the failure when it is not the remote server itself: the sending
    #: service (``Amazon SES``, ``SendGrid`` …) or log (``PowerMTA``) the input came from.
    reporter: str | None = None
    #: The reporter's own category, beside ours (``Permanent / NoEmail``, SparkPost's
    #: ``10 Invalid Recipient`` …).
    esp_category: str | None = None
    #: Should the address itself be suppressed (Sisimai's meaning)? None: unknown.
    hardbounce: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "recipient": self.recipient,
            "replycode": self.replycode,
            "status": self.status,
            "class": self.delivery_class,
            "reason": self.reason,
            "retry": self.retry,
            "provider": self.provider,
            "title": self.title,
            "explanation": self.explanation,
            "actions": list(self.actions),
            "diagnostic": self.diagnostic,
            "references": list(self.references),
            "remote_mta": self.remote_mta,
            "action": self.action,
            "feedback_type": self.feedback_type,
            "hardbounce": self.hardbounce,
        }
        # Only for sending-service events and logs, so every other answer keeps its keys.
        if self.reporter is not None:
            out["reporter"] = self.reporter
        if self.esp_category is not None:
            out["esp_category"] = self.esp_category
        return out


@dataclass(slots=True)
class OriginalMessage:
    """What a bounce tells of the message that failed (parsers fill it in as they read)."""

    message_id: str | None = None
    subject: str | None = None
    sender: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"message_id": self.message_id, "subject": self.subject, "from": self.sender}


@dataclass(slots=True, frozen=True)
class Report:
    """Everything we concluded from one input."""

    bounce: bool
    verdicts: list[Verdict] = field(default_factory=list)
    original: OriginalMessage | None = None
    #: Which parser read the input (``postfix``, ``rfc3464``, ``reply`` ...), for diagnostics.
    source_format: str | None = None
    #: Sentences telling what a limit left out of this report (see `bot.core.limits`);
    #: empty when nothing was cut.
    notices: list[str] = field(default_factory=list)
    #: Lines or events for mail that was delivered (log excerpts): counted, not explained.
    delivered: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "bounce": self.bounce,
            "verdicts": [v.to_dict() for v in self.verdicts],
        }
        if self.original is not None:
            out["original"] = self.original.to_dict()
        if self.delivered:
            out["delivered"] = self.delivered
        return out
