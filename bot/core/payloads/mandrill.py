"""Mandrill (Mailchimp Transactional) message events: hard_bounce, soft_bounce, reject,
deferral, spam and send.

Source: https://mailchimp.com/developer/transactional/docs/webhooks/ (the message event
format: ``event`` and ``msg`` with ``email``, ``state``, ``bounce_description``,
``diag`` and the ``smtp_events`` of each attempt).

The webhook posts a form field ``mandrill_events`` holding a JSON array of events; a paste
of that field (``mandrill_events=%5B…``) is decoded first (`bot.core.payloads.jsonpaste`).
"""

from __future__ import annotations

from typing import Any, Final

from bot.core.payloads.events import Event, Kind, clean_diagnostic

REPORTER: Final = "Mandrill"

_KINDS: Final[dict[str, Kind]] = {
    "hard_bounce": "bounce",
    "soft_bounce": "bounce",
    "reject": "dropped",
    "deferral": "delay",
    "spam": "complaint",
    "send": "delivered",
}
#: ``bounce_description`` -> our reason when the server's words name none.
_DESCRIPTIONS: Final[dict[str, str | None]] = {
    "bad_mailbox": "userunknown",
    "invalid_domain": "hostunknown",
    "mailbox_full": "mailboxfull",
    "spam_related": "spamdetected",
    "invalid_content": "contenterror",
    "too_large": "emailtoolarge",
    "general": None,
}


def parse(obj: dict[str, Any]) -> list[Event] | None:
    """The event of one Mandrill object; None when `obj` is not one."""
    msg = obj.get("msg")
    event = obj.get("event")
    if not isinstance(msg, dict) or not isinstance(event, str) or "email" not in msg:
        return None
    kind = _KINDS.get(event)
    if kind is None:
        return []
    recipient = msg.get("email") if isinstance(msg.get("email"), str) else None
    if kind == "delivered":
        return [Event(REPORTER, "delivered", recipient)]
    state = msg.get("state")
    description = msg.get("bounce_description")
    parts = [p for p in (event, state, description) if isinstance(p, str) and p]
    diag = clean_diagnostic(msg.get("diag"))
    if diag is None and isinstance(msg.get("smtp_events"), list) and msg["smtp_events"]:
        last = msg["smtp_events"][-1]
        diag = clean_diagnostic(last.get("diag")) if isinstance(last, dict) else None
    hint = _DESCRIPTIONS.get(description) if isinstance(description, str) else None
    if kind == "dropped":
        hint = "suppressed"  # Mandrill's reject: the address is on its rejection denylist
    return [
        Event(
            REPORTER,
            kind,
            recipient,
            diagnostic=None if kind in ("dropped", "complaint") else diag,
            category=" / ".join(parts),
            reason_hint=hint,
            feedback_type="abuse" if kind == "complaint" else None,
            final=event != "soft_bounce",
        )
    ]
