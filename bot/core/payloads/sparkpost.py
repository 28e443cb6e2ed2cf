"""SparkPost webhooks: ``msys.message_event`` of type bounce, out_of_band, delay,
spam_complaint, policy_rejection and delivery.

Sources: https://developers.sparkpost.com/api/webhooks/ (event fields) and
https://support.sparkpost.com/docs/deliverability/bounce-classification-codes (the bounce
classes and their categories).

A batch is an array of ``{"msys": {"message_event": {…}}}``; the Events API gives the
event objects bare (``{"results": [...]}``). An event names ``rcpt_to``, the remote
server's words in ``raw_reason`` (``reason`` is the same, possibly redacted), its
``error_code`` and SparkPost's ``bounce_class``.
"""

from __future__ import annotations

from typing import Any, Final

from bot.core.payloads.events import Event, Kind, clean_diagnostic, clean_replycode

REPORTER: Final = "SparkPost"

#: bounce_class -> (name, SparkPost's category, our reason when the words name none).
BOUNCE_CLASSES: Final[dict[str, tuple[str, str, str | None]]] = {
    "1": ("Undetermined", "Undetermined", None),
    "10": ("Invalid Recipient", "Hard", "userunknown"),
    "20": ("Soft Bounce", "Soft", None),
    "21": ("DNS Failure", "Soft", "hostunknown"),
    "22": ("Mailbox Full", "Soft", "mailboxfull"),
    "23": ("Too Large", "Soft", "emailtoolarge"),
    "24": ("Timeout", "Soft", "expired"),
    "25": ("Admin Failure", "Admin", None),
    "26": ("Smart Send Suppression", "Admin", "suppressed"),
    "30": ("Generic Bounce: No RCPT", "Hard", None),
    "40": ("Generic Bounce", "Soft", None),
    "50": ("Mail Block", "Block", "blocked"),
    "51": ("Spam Block", "Block", "blocked"),
    "52": ("Spam Content", "Block", "spamdetected"),
    "53": ("Prohibited Attachment", "Block", "securityerror"),
    "54": ("Relaying Denied", "Block", "norelaying"),
    "60": ("Auto-Reply", "Soft", "vacation"),
    "70": ("Transient Failure", "Soft", None),
    "80": ("Subscribe", "Admin", None),
    "90": ("Unsubscribe", "Hard", None),
    "100": ("Challenge-Response", "Soft", None),
}
_KINDS: Final[dict[str, Kind]] = {
    "bounce": "bounce",
    "out_of_band": "bounce",
    "delay": "delay",
    "spam_complaint": "complaint",
    "policy_rejection": "dropped",
    "generation_rejection": "dropped",
    "delivery": "delivered",
}


def parse(obj: dict[str, Any]) -> list[Event] | None:
    """The event of one SparkPost object; None when `obj` is not one."""
    msys = obj.get("msys")
    if isinstance(msys, dict):
        event = msys.get("message_event")
        if not isinstance(event, dict):
            return [] if msys else None  # track, unsubscribe … events: nothing to explain
        obj = event
    results = obj.get("results")
    if isinstance(results, list):
        events: list[Event] = []
        for item in results:
            events.extend((parse(item) if isinstance(item, dict) else None) or [])
        return events
    etype = obj.get("type")
    if not isinstance(etype, str) or "rcpt_to" not in obj:
        return None
    kind = _KINDS.get(etype)
    if kind is None:
        return []
    recipient = obj.get("rcpt_to") if isinstance(obj.get("rcpt_to"), str) else None
    if kind == "delivered":
        return [Event(REPORTER, "delivered", recipient)]
    if kind == "complaint":
        fbtype = obj.get("fbtype")
        return [Event(REPORTER, "complaint", recipient, category="spam_complaint"
                      + (f" / {fbtype}" if isinstance(fbtype, str) else ""),
                      feedback_type=fbtype if isinstance(fbtype, str) else "abuse")]
    bounce_class = str(obj.get("bounce_class") or "")
    name, group, hint = BOUNCE_CLASSES.get(bounce_class, ("", "", None))
    category = etype
    if bounce_class:
        category += f" / {bounce_class}" + (f" {name} ({group})" if name else "")
    words = clean_diagnostic(obj.get("raw_reason")) or clean_diagnostic(obj.get("reason"))
    if kind == "dropped" and hint is None and words and "suppress" in words.lower():
        hint = "suppressed"
    return [
        Event(
            REPORTER,
            kind,
            recipient,
            diagnostic=None if kind == "dropped" else words,
            replycode=clean_replycode(obj.get("error_code")),
            category=category if kind != "dropped" or not words else f"{category}: {words}",
            reason_hint=hint,
        )
    ]
