"""Postmark bounce and spam-complaint webhooks (and the Bounces API's records).

Sources: https://postmarkapp.com/developer/webhooks/bounce-webhook and the bounce types
at https://postmarkapp.com/developer/api/bounce-api#bounce-types

A bounce names the recipient in ``Email``; ``Type`` and ``TypeCode`` are Postmark's
category, ``Description`` its meaning, and ``Details`` the remote server's words.
``RecordType`` is ``Bounce`` or ``SpamComplaint`` (a complaint, not a bounce); the
Bounces API lists ``{"Bounces": [...]}`` without it.
"""

from __future__ import annotations

from typing import Any, Final

from bot.core.payloads.events import Event, Kind, clean_diagnostic

REPORTER: Final = "Postmark"

#: Postmark ``Type`` -> (our kind of event, our reason when the server's words name none).
_TYPES: Final[dict[str, tuple[Kind, str | None]]] = {
    "hardbounce": ("bounce", None),
    "transient": ("delay", None),
    "softbounce": ("delay", None),
    "dnserror": ("delay", "hostunknown"),
    "autoresponder": ("bounce", "vacation"),
    "addresschange": ("bounce", "hasmoved"),
    "spamnotification": ("bounce", "spamdetected"),
    "virusnotification": ("bounce", "virusdetected"),
    "blocked": ("bounce", "blocked"),
    "badEmailaddress".lower(): ("bounce", "userunknown"),
    "manuallydeactivated": ("dropped", "suppressed"),
    "dmarcpolicy": ("bounce", "authfailure"),
    "spamcomplaint": ("complaint", None),
    "unknown": ("bounce", None),
    "challengeverification": ("bounce", None),
    "smtpapierror": ("dropped", None),
}


def parse(obj: dict[str, Any]) -> list[Event] | None:
    """The event of one Postmark object; None when `obj` is not one."""
    bounces = obj.get("Bounces")
    if isinstance(bounces, list):
        events: list[Event] = []
        for item in bounces:
            found = parse(item) if isinstance(item, dict) else None
            events.extend(found or [])
        return events
    record = obj.get("RecordType")
    if not isinstance(obj.get("Email"), str) or not (
        record in ("Bounce", "SpamComplaint") or ("TypeCode" in obj and "Type" in obj)
    ):
        return None
    btype = str(obj.get("Type") or record or "")
    kind, hint = _TYPES.get(btype.lower(), ("bounce", None))
    if record == "SpamComplaint":
        kind = "complaint"
    if btype.lower() in ("unsubscribe", "subscribe", "openrelaytest", "inbounderror",
                         "templaterenderingfailed", "unconfirmed"):
        return []
    code = obj.get("TypeCode")
    category = btype + (f" ({code})" if code is not None else "")
    description = obj.get("Description")
    if isinstance(description, str) and description:
        category += f": {description.rstrip('.')}"
    return [
        Event(
            REPORTER,
            kind,
            obj["Email"],
            diagnostic=None if kind == "complaint" else clean_diagnostic(obj.get("Details")),
            category=category,
            reason_hint=hint,
            feedback_type="abuse" if kind == "complaint" else None,
        )
    ]
