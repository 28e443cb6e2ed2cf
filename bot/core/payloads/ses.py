"""Amazon SES notifications: Bounce, Complaint, DeliveryDelay, Reject and Delivery.

Sources (field names and the meaning of each bounce type and subtype):
https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html and
https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html

A notification comes bare (``notificationType`` for feedback notifications,
``eventType`` for event publishing) or inside an SNS envelope whose ``Message`` is the
notification as a JSON string (`unwrap_sns`). Each ``bouncedRecipients`` entry is one
recipient: ``emailAddress``, and from the DSN ``action``, ``status`` and
``diagnosticCode`` (the remote server's words). ``bounceType``/``bounceSubType`` are
SES's category; ``remoteMtaIp`` and ``reportingMTA`` name the servers.
"""

from __future__ import annotations

import json
from typing import Any, Final

from bot.core.payloads.events import Event, clean_diagnostic, clean_status

REPORTER: Final = "Amazon SES"

#: (bounceType, bounceSubType) -> (SES's documented meaning, our reason when the server's
#: words name none).
_BOUNCE_TYPES: Final[dict[tuple[str, str], tuple[str, str | None]]] = {
    ("undetermined", "undetermined"): ("SES could not tell why", None),
    ("permanent", "general"): ("hard bounce, reason not given", None),
    ("permanent", "noemail"): ("the address does not exist", "userunknown"),
    ("permanent", "suppressed"): ("on the SES global suppression list", "suppressed"),
    ("permanent", "onaccountsuppressionlist"): (
        "on your account-level suppression list; SES did not send",
        "suppressed",
    ),
    ("permanent", "unsubscribedrecipient"): ("the recipient unsubscribed", "suppressed"),
    ("transient", "general"): ("soft bounce, reason not given", None),
    ("transient", "mailboxfull"): ("the mailbox is full", "mailboxfull"),
    ("transient", "messagetoolarge"): ("the message is too large", "emailtoolarge"),
    ("transient", "contentrejected"): ("the content was refused", "contenterror"),
    ("transient", "attachmentrejected"): ("an attachment was refused", "securityerror"),
}
#: DeliveryDelay ``delayType`` -> our reason when the server's words name none.
_DELAY_TYPES: Final[dict[str, str | None]] = {
    "mailboxfull": "mailboxfull",
    "spamdetected": "spamdetected",
    "ipfailure": "blocked",
    "transientcommunicationfailure": "networkerror",
    "recipientservererror": None,
    "internalfailure": "systemerror",
    "general": None,
    "undetermined": None,
}


def unwrap_sns(obj: dict[str, Any]) -> Any:
    """The notification inside an SNS envelope (``Type`` + ``Message`` string), else `obj`."""
    message = obj.get("Message")
    if isinstance(message, str) and ("TopicArn" in obj or obj.get("Type") == "Notification"):
        try:
            return json.loads(message)
        except ValueError:
            return obj
    return obj


def parse(obj: dict[str, Any]) -> list[Event] | None:
    """The events of one SES notification; None when `obj` is not one."""
    kind = obj.get("notificationType") or obj.get("eventType")
    if not isinstance(kind, str) or not isinstance(obj.get("mail", {}), dict):
        return None
    kind = kind.lower()
    if kind == "bounce":
        return _bounce(obj.get("bounce"))
    if kind == "complaint":
        return _complaint(obj.get("complaint"))
    if kind == "deliverydelay":
        return _delay(obj.get("deliveryDelay"))
    if kind == "reject":
        return _reject(obj)
    if kind == "delivery":
        delivery = obj.get("delivery")
        rcpts = delivery.get("recipients") if isinstance(delivery, dict) else None
        count = len(rcpts) if isinstance(rcpts, list) else 1
        return [Event(REPORTER, "delivered", None) for _ in range(count)]
    if "bounce" in obj or "complaint" in obj or "deliveryDelay" in obj:
        return []
    return None


def _recipients(value: object) -> list[dict[str, Any]]:
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def _bounce(bounce: object) -> list[Event] | None:
    if not isinstance(bounce, dict):
        return None
    btype = str(bounce.get("bounceType") or "")
    sub = str(bounce.get("bounceSubType") or "")
    meaning, hint = _BOUNCE_TYPES.get((btype.lower(), sub.lower()), (None, None))
    category = " / ".join(p for p in (btype, sub) if p) or None
    if category and meaning:
        category = f"{category}: {meaning}"
    remote = bounce.get("remoteMtaIp")
    events = []
    for rcpt in _recipients(bounce.get("bouncedRecipients")):
        action = str(rcpt.get("action") or "").lower()
        events.append(
            Event(
                REPORTER,
                "delay" if action == "delayed" else "bounce",
                _address(rcpt.get("emailAddress")),
                diagnostic=clean_diagnostic(rcpt.get("diagnosticCode")),
                status=clean_status(rcpt.get("status")),
                remote_mta=remote if isinstance(remote, str) else None,
                category=category,
                reason_hint=hint,
            )
        )
    return events


def _complaint(complaint: object) -> list[Event] | None:
    if not isinstance(complaint, dict):
        return None
    feedback = complaint.get("complaintFeedbackType")
    sub = complaint.get("complaintSubType")
    parts = [p for p in (feedback, sub) if isinstance(p, str) and p]
    return [
        Event(
            REPORTER,
            "complaint",
            _address(rcpt.get("emailAddress")),
            category="Complaint" + (f" / {' / '.join(parts)}" if parts else ""),
            feedback_type=feedback if isinstance(feedback, str) else None,
        )
        for rcpt in _recipients(complaint.get("complainedRecipients"))
    ]


def _delay(delay: object) -> list[Event] | None:
    if not isinstance(delay, dict):
        return None
    dtype = str(delay.get("delayType") or "")
    remote = delay.get("reportingMTA")
    return [
        Event(
            REPORTER,
            "delay",
            _address(rcpt.get("emailAddress")),
            diagnostic=clean_diagnostic(rcpt.get("diagnosticCode")),
            status=clean_status(rcpt.get("status")),
            remote_mta=remote if isinstance(remote, str) else None,
            category=f"DeliveryDelay / {dtype}" if dtype else "DeliveryDelay",
            reason_hint=_DELAY_TYPES.get(dtype.lower()),
        )
        for rcpt in _recipients(delay.get("delayedRecipients"))
    ]


def _reject(obj: dict[str, Any]) -> list[Event]:
    reject = obj.get("reject")
    why = reject.get("reason") if isinstance(reject, dict) else None
    mail = obj.get("mail")
    destination = mail.get("destination") if isinstance(mail, dict) else None
    listed = destination if isinstance(destination, list) else []
    recipients: list[str | None] = [d for d in listed if isinstance(d, str)]
    return [
        Event(
            REPORTER,
            "dropped",
            _address(address),
            category=f"Reject / {why}" if isinstance(why, str) else "Reject",
            # SES documents one reject reason, "Bad content": it found a virus.
            reason_hint="virusdetected",
        )
        for address in recipients or [None]
    ]


def _address(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and "@" in value else None
