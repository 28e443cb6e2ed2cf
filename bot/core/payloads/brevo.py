"""Brevo (formerly Sendinblue) transactional webhooks: hard_bounce, soft_bounce, blocked,
deferred, invalid_email, spam and delivered.

Source: https://developers.brevo.com/docs/transactional-webhooks

Brevo posts one event per request: ``event``, the recipient in ``email``, the remote
server's words in ``reason`` (for bounces and deferrals), and ``message-id``,
``ts_event`` and ``sending_ip`` (what tells it apart from other services' events).
"""

from __future__ import annotations

from typing import Any, Final

from bot.core.payloads.events import Event, Kind, clean_diagnostic

REPORTER: Final = "Brevo"
_KINDS: Final[dict[str, Kind]] = {
    "hard_bounce": "bounce",
    "soft_bounce": "bounce",
    "blocked": "dropped",
    "invalid_email": "dropped",
    "deferred": "delay",
    "spam": "complaint",
    "delivered": "delivered",
}
_MARKERS: Final = ("message-id", "ts_event", "ts_epoch", "sending_ip", "X-Mailin-custom")


def parse(obj: dict[str, Any]) -> list[Event] | None:
    """The event of one Brevo object; None when `obj` is not one."""
    event = obj.get("event")
    if not isinstance(event, str) or not isinstance(obj.get("email"), str) or "msg" in obj:
        return None
    if not any(k in obj for k in _MARKERS):
        return None
    kind = _KINDS.get(event)
    if kind is None:
        return []
    recipient = obj["email"]
    if kind == "delivered":
        return [Event(REPORTER, "delivered", recipient)]
    words = clean_diagnostic(obj.get("reason"))
    said = words or ""
    if said.lower().startswith(event):  # "blocked : due to blacklist user"
        said = said[len(event) :].lstrip(" :")
    hint = {"blocked": "suppressed", "invalid_email": "userunknown"}.get(event)
    return [
        Event(
            REPORTER,
            kind,
            recipient,
            diagnostic=None if kind in ("dropped", "complaint") else words,
            category=event + (f": {said}" if kind == "dropped" and said else ""),
            reason_hint=hint,
            feedback_type="abuse" if kind == "complaint" else None,
            final=event != "soft_bounce",
        )
    ]
