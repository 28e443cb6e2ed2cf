"""RFC 5965 abuse feedback reports (ARF) and the older complaint layouts near it.

Reason is always ``feedback`` (a complaint, not a delivery failure); the feedback
type (abuse, fraud, opt-out, auth-failure, ...) comes from the Feedback-Type field.
Recipients: every Original-Rcpt-To, else the returned message's To, else one
record without an address (the complaint is still worth counting).

Also read: Microsoft's JMRP complaints (a returned message carrying an
``X-HmXmrOriginalRecipient`` header) and one-click unsubscribe requests sent by
mail clients (``X-Apple-Unsubscribe``), which are opt-out feedback.
"""

from __future__ import annotations

import re

from bot.core.mail.common import (
    find_addresses,
    original_from_headers,
    original_recipients,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_FIELD = re.compile(r"^[ \t]*([A-Za-z][A-Za-z0-9\-]{0,40})[ \t]*:[ \t]*(.*)$", re.MULTILINE)
_JMRP = re.compile(r"^X-HmXmrOriginalRecipient:[ \t]*(.+)$", re.IGNORECASE | re.MULTILINE)
_COMPLAINT_SUBJECT = re.compile(r"\bcomplaint\b|\babuse report\b", re.IGNORECASE)
_FEEDBACK_TYPE_HINT = re.compile(r"^Feedback-Type:", re.IGNORECASE | re.MULTILINE)


def report_fields(text: str) -> dict[str, list[str]]:
    """All values of each field of a feedback-report part (names lower-cased)."""
    fields: dict[str, list[str]] = {}
    for match in _FIELD.finditer(text):
        fields.setdefault(match.group(1).lower(), []).append(match.group(2).strip())
    return fields


class ARF:
    """Abuse/complaint feedback reports."""

    name = "arf"
    order = 600
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        if msg.content_type == "multipart/report":
            return "feedback-report" in str(msg.msg.get_param("report-type") or "").lower()
        return msg.header("X-Apple-Unsubscribe") is not None or bool(
            _COMPLAINT_SUBJECT.search(msg.subject)
        )

    def parse(self, msg: BounceMessage) -> Parsed | None:
        parts = msg.find_parts("message/feedback-report")
        text: str | None = None
        if parts:
            from bot.core.mail.message import part_text

            text = part_text(parts[0])
        elif msg.content_type == "multipart/report" and _FEEDBACK_TYPE_HINT.search(msg.body):
            text = msg.body
        returned = msg.returned
        original = original_from_headers(returned) if returned else None
        if text is not None:
            fields = report_fields(text)
            feedback_type = (fields.get("feedback-type") or ["abuse"])[0].lower() or "abuse"
            recipients = [a for v in fields.get("original-rcpt-to", []) if (a := strip_address(v))]
            if not recipients:
                recipients = original_recipients(returned)
            return Parsed(evidence=_evidence(recipients, feedback_type), original=original)
        if returned:
            jmrp = _JMRP.search(returned)
            if jmrp is not None:
                return Parsed(
                    evidence=_evidence(find_addresses(jmrp.group(1)), "abuse"), original=original
                )
        if (msg.header("X-Apple-Unsubscribe") or "").strip().lower() == "true":
            to = find_addresses(msg.header("To") or "")
            return Parsed(evidence=_evidence(to[:1], "opt-out"), original=original)
        return None


def _evidence(recipients: list[str], feedback_type: str) -> list[Evidence]:
    targets: list[str | None] = list(recipients) or [None]
    return [
        Evidence(recipient=r, reason="feedback", feedback_type=feedback_type) for r in targets
    ]


DETECTOR = ARF()
