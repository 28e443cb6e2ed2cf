"""Mailgun events: ``failed`` (``severity`` permanent or temporary), ``rejected``,
``complained`` and ``delivered``.

Sources: https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/webhooks and
https://documentation.mailgun.com/docs/mailgun/user-manual/tracking-messages/tracking-failures

A webhook posts ``{"signature": …, "event-data": {…}}``; the Events API answers
``{"items": [{…}, …]}``; both hold the same event objects. A ``failed`` event names the
``recipient``, Mailgun's ``severity`` and ``reason``, and in ``delivery-status`` the
remote server's reply: ``code``, ``enhanced-code``, ``message`` (the server's words) and
``description`` (Mailgun's, or the server's when ``message`` is empty), ``mx-host``.
"""

from __future__ import annotations

from typing import Any, Final

from bot.core.payloads.events import Event, clean_diagnostic, clean_replycode, clean_status

REPORTER: Final = "Mailgun"


def parse(obj: dict[str, Any]) -> list[Event] | None:
    """The event of one Mailgun object (webhook body or event); None when not one."""
    data = obj.get("event-data")
    if isinstance(data, dict):
        obj = data
    event = obj.get("event")
    if not isinstance(event, str) or not isinstance(obj.get("recipient"), str):
        return None
    if "delivery-status" not in obj and "severity" not in obj and event not in (
        "complained", "rejected", "delivered"
    ):
        return None
    event = event.lower()
    recipient = obj["recipient"]
    if event == "failed":
        severity = str(obj.get("severity") or "")
        reason = obj.get("reason")
        status = obj.get("delivery-status")
        status = status if isinstance(status, dict) else {}
        code = clean_replycode(status.get("code"))
        words = clean_diagnostic(status.get("message")) or clean_diagnostic(
            status.get("description")
        )
        if words and code and not words.startswith(code):
            words = f"{code} {words}"
        mx = status.get("mx-host")
        category = severity or "failed"
        if isinstance(reason, str) and reason:
            category += f" ({reason})"
        temporary = severity.lower() == "temporary"
        suppressed = isinstance(reason, str) and reason.startswith("suppress")
        return [
            Event(
                REPORTER,
                "delay" if temporary else ("dropped" if suppressed else "bounce"),
                recipient,
                diagnostic=words,
                status=clean_status(status.get("enhanced-code")),
                replycode=code,
                remote_mta=mx if isinstance(mx, str) and mx else None,
                category=category,
                reason_hint="suppressed" if suppressed else None,
            )
        ]
    if event == "rejected":
        reject = obj.get("reject")
        why = reject.get("reason") if isinstance(reject, dict) else None
        return [Event(REPORTER, "dropped", recipient,
                      category="rejected" + (f": {why}" if isinstance(why, str) else ""))]
    if event == "complained":
        return [Event(REPORTER, "complaint", recipient, category="complained",
                      feedback_type="abuse")]
    if event == "delivered":
        return [Event(REPORTER, "delivered", recipient)]
    return []
