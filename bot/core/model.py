"""The classifier's data types: what a parser finds (`Evidence`) and what we tell (`Verdict`).

`Report.to_dict()` is the JSON contract printed by ``smtpbot explain --json`` and
``smtpbot scan --json``; keep it stable. `Report.notices` stays out of it: they are
told to people (stderr, a Slack context line), not part of the data.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

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


class _Record:
    """Field-wise ``==`` and a readable ``repr`` for the plain classes below.

    These classes are written out by hand rather than as dataclasses: setup.py compiles
    this module with mypyc, which turns a hand-written ``__init__`` into a C constructor
    that compiled callers reach without a keyword dictionary. A dataclass keeps its
    generated ``__init__`` interpreted, and building one Evidence, Verdict and Report per
    pasted line was an eighth of `explain`'s time. (No module a scan or `explain` loads
    uses dataclasses: importing them costs every command-line run ~10 ms of start-up.)
    """

    __slots__ = ()
    _FIELDS: ClassVar[tuple[str, ...]] = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self._FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        return f"{type(self).__name__}({values})"


class Evidence(_Record):
    """What a parser read about one recipient, before any judgement.

    Parsers fill in what the input says and nothing more; `bot.core.classify`
    turns evidence into a `Verdict`.
    """

    _FIELDS = (
        "recipient", "diagnostic", "replycode", "status", "action", "remote_mta", "command",
        "reason", "feedback_type",
    )
    __slots__ = _FIELDS

    def __init__(
        self,
        recipient: str | None = None,
        diagnostic: str | None = None,
        replycode: str | None = None,
        status: str | None = None,
        action: str | None = None,
        remote_mta: str | None = None,
        command: str | None = None,
        reason: str | None = None,
        feedback_type: str | None = None,
    ) -> None:
        self.recipient = recipient
        #: The remote server's own words (or the MTA's explanation when there is no reply).
        self.diagnostic = diagnostic
        self.replycode = replycode
        self.status = status
        #: RFC 3464 Action: failed, delayed, delivered, relayed, expanded.
        self.action = action
        self.remote_mta = remote_mta
        #: SMTP command the reply answered (CONN, HELO, EHLO, MAIL, RCPT, DATA, ...).
        self.command = command
        #: A reason the format itself settles (vacation, feedback, expired, ...).
        self.reason = reason
        self.feedback_type = feedback_type


class Verdict(_Record):
    """Our judgement on one recipient (or on one bare code)."""

    _FIELDS = (
        "title", "explanation", "recipient", "replycode", "status", "delivery_class", "reason",
        "retry", "provider", "actions", "diagnostic", "references", "remote_mta", "action",
        "feedback_type", "hardbounce",
    )
    __slots__ = _FIELDS

    def __init__(
        self,
        title: str,
        explanation: str,
        recipient: str | None = None,
        replycode: str | None = None,
        status: str | None = None,
        delivery_class: DeliveryClass | None = None,
        reason: str | None = None,
        retry: bool | None = None,
        provider: str | None = None,
        actions: list[str] | None = None,
        diagnostic: str | None = None,
        references: list[str] | None = None,
        remote_mta: str | None = None,
        action: str | None = None,
        feedback_type: str | None = None,
        hardbounce: bool | None = None,
    ) -> None:
        self.title = title
        self.explanation = explanation
        self.recipient = recipient
        self.replycode = replycode
        self.status = status
        self.delivery_class = delivery_class
        self.reason = reason
        self.retry = retry
        self.provider = provider
        self.actions: list[str] = [] if actions is None else actions
        self.diagnostic = diagnostic
        self.references: list[str] = [] if references is None else references
        self.remote_mta = remote_mta
        self.action = action
        self.feedback_type = feedback_type
        #: Should the address itself be suppressed (Sisimai's meaning)? None: unknown.
        self.hardbounce = hardbounce

    def to_dict(self) -> dict[str, Any]:
        return {
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


class OriginalMessage(_Record):
    """What a bounce tells of the message that failed."""

    _FIELDS = ("message_id", "subject", "sender")
    __slots__ = _FIELDS

    def __init__(
        self, message_id: str | None = None, subject: str | None = None, sender: str | None = None
    ) -> None:
        self.message_id = message_id
        self.subject = subject
        self.sender = sender

    def to_dict(self) -> dict[str, str | None]:
        return {"message_id": self.message_id, "subject": self.subject, "from": self.sender}


class Report(_Record):
    """Everything we concluded from one input."""

    _FIELDS = ("bounce", "verdicts", "original", "source_format", "notices")
    __slots__ = _FIELDS

    def __init__(
        self,
        bounce: bool,
        verdicts: list[Verdict] | None = None,
        original: OriginalMessage | None = None,
        source_format: str | None = None,
        notices: list[str] | None = None,
    ) -> None:
        self.bounce = bounce
        self.verdicts: list[Verdict] = [] if verdicts is None else verdicts
        self.original = original
        #: Which parser read the input (``postfix``, ``rfc3464``, ``reply`` ...), for diagnostics.
        self.source_format = source_format
        #: Sentences telling what a limit left out of this report (see `bot.core.limits`);
        #: empty when nothing was cut.
        self.notices: list[str] = [] if notices is None else notices

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "bounce": self.bounce,
            "verdicts": [v.to_dict() for v in self.verdicts],
        }
        if self.original is not None:
            out["original"] = self.original.to_dict()
        return out
