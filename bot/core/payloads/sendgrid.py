"""SendGrid Event Webhook: ``bounce``, ``dropped``, ``deferred``, ``spamreport``, ``delivered``.

Sources: https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event (fields)
and https://docs.sendgrid.com/ui/analytics-and-reporting/bounce-and-block-classifications
(the seven ``bounce_classification`` buckets).

The webhook posts an array of events; each has ``email`` and ``event``. A ``bounce``
carries the remote server's words in ``reason``, the enhanced ``status``, ``type``
(``bounce``: permanent refusal; ``blocked``: SendGrid's name for a refusal it may retry)
and ``bounce_classification``. A ``deferred`` carries the server's ``response``. A
``dropped`` never reached a server: its ``reason`` (``Bounced Address``, ``Unsubscribed
Address`` …) is SendGrid's own.
"""

from __future__ import annotations

from typing import Any, Final

from bot.core.payloads.events import Event, clean_diagnostic, clean_status

REPORTER: Final = "SendGrid"
#: Keys only SendGrid events carry (``smtp-id`` and the ``sg_`` ids).
_MARKERS: Final = ("sg_event_id", "sg_message_id", "smtp-id")
_EVENTS: Final = frozenset(
    {"bounce", "dropped", "deferred", "delivered", "processed", "spamreport", "open", "click",
     "unsubscribe", "group_unsubscribe", "group_resubscribe"}
)
#: Classification -> our reason when the server's words name none.
_CLASSIFICATION: Final[dict[str, str | None]] = {
    "invalid address": "userunknown",
    "mailbox unavailable": "suspend",
    "reputation": "blocked",
    "content": "spamdetected",
    "frequency/volume": "ratelimited",
    "frequency or volume": "ratelimited",
    "technical": None,
    "unclassified": None,
}


def parse(obj: dict[str, Any]) -> list[Event] | None:
    """The event of one SendGrid webhook object; None when `obj` is not one."""
    event = obj.get("event")
    if not isinstance(event, str) or "email" not in obj or "msg" in obj:
        return None
    event = event.lower()
    if event not in _EVENTS or (
        not any(k in obj for k in _MARKERS) and event not in ("bounce", "dropped")
    ):
        return None
    recipient = obj.get("email") if isinstance(obj.get("email"), str) else None
    if event == "bounce":
        kind = str(obj["type"]) if isinstance(obj.get("type"), str) else "bounce"
        classification = obj.get("bounce_classification")
        category = kind + (f" / {classification}" if isinstance(classification, str) else "")
        hint = (
            _CLASSIFICATION.get(classification.lower())
            if isinstance(classification, str)
            else None
        )
        return [
            Event(
                REPORTER,
                "bounce",
                recipient,
                diagnostic=clean_diagnostic(obj.get("reason")),
                status=clean_status(obj.get("status")),
                category=category,
                reason_hint=hint,
            )
        ]
    if event == "deferred":
        attempt = obj.get("attempt")
        return [
            Event(
                REPORTER,
                "delay",
                recipient,
                diagnostic=clean_diagnostic(obj.get("response") or obj.get("reason")),
                category="deferred" + (f", attempt {attempt}" if attempt else ""),
            )
        ]
    if event == "dropped":
        why = obj.get("reason") if isinstance(obj.get("reason"), str) else None
        low = (why or "").lower()
        hint = "suppressed" if ("address" in low or "unsubscribed" in low) else None
        return [
            Event(
                REPORTER,
                "dropped",
                recipient,
                category="dropped" + (f": {why}" if why else ""),
                reason_hint=hint,
            )
        ]
    if event == "spamreport":
        return [Event(REPORTER, "complaint", recipient, category="spamreport",
                      feedback_type="abuse")]
    if event == "delivered":
        return [Event(REPORTER, "delivered", recipient)]
    return []
