"""RFC 3834 automatic replies: out-of-office and vacation notices (reason ``vacation``).

Not a delivery failure: the message arrived and a robot answered. Recognised by the
``Auto-Submitted: auto-replied`` header, the older ``X-Autoreply``/``X-Autorespond``/
``Precedence: auto_reply`` headers, or a Subject that starts like an automatic reply
in one of the common languages. Delivery reports (from MAILER-DAEMON and the like)
are left to the report formats. The recipient is the author of the auto-reply.
"""

from __future__ import annotations

import re

from bot.core.mail.common import (
    bounce_sender,
    bounce_subject,
    find_addresses,
    original_from_headers,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence
from bot.core.speak import find

_VACATION_SUBJECT = re.compile(
    r"^[ \t]*(?:\[[^\]]{0,40}\][ \t]*)?(?:"
    r"auto(?:matic|matische|matique|matica|mático|matico)?[ \-]?(?:reply|response|antwort|"
    r"réponse|reponse|risposta|respuesta|resposta)"
    r"|auto[ \-]?(?:reply|response|respond)"
    r"|out of (?:the )?office|away from (?:the |my )?(?:office|desk)|away until|"
    r"on vacation|vacation|on holiday|on leave|"
    r"abwesenheit|automatische antwort|außer haus|ausser haus|"
    r"réponse automatique|absence|absent du bureau|"
    r"respuesta automática|fuera de la oficina|fuori sede|risposta automatica|"
    r"afwezig|automatisch antwoord|frånvaro|poza biurem|"
    r"自動応答|自動返信|不在"
    r")",
    re.IGNORECASE,
)
#: Characters of an automatic message read for a failure report: reports put it first.
_REPORT_HEAD = 4_000
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Vacation")


def is_auto_reply(msg: BounceMessage) -> bool:
    """Whether the headers or the Subject say this is an automatic reply."""
    auto = (msg.header("Auto-Submitted") or "").strip().lower()
    if auto.startswith("auto-replied"):
        return True
    if any(msg.header(name) for name in _AUTO_HEADERS):
        return True
    if (msg.header("Precedence") or "").strip().lower() == "auto_reply":
        return True
    return _VACATION_SUBJECT.match(msg.subject) is not None


def reports_failure(msg: BounceMessage) -> bool:
    """Whether an automatic message is a delivery report, whatever its Auto-Submitted says.

    Some gateways mark their non-delivery reports ``auto-replied``: a Subject that reads
    like a report (and not like an absence notice), or a failure report in mail syntax
    in the text (`bot.core.speak`), makes it one.
    """
    if bounce_subject(msg.subject) and _VACATION_SUBJECT.match(msg.subject) is None:
        return True
    found = find(msg.body[:_REPORT_HEAD])
    return found is not None and found.kind == "report"


class RFC3834:
    """Automatic replies."""

    name = "rfc3834"
    order = 800
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        return is_auto_reply(msg) and not bounce_sender(msg.sender) and not reports_failure(msg)

    def parse(self, msg: BounceMessage) -> Parsed | None:
        if msg.content_type == "multipart/report":  # a DSN or ARF report, not an auto-reply
            return None
        authors = find_addresses(msg.sender)
        evidence = Evidence(
            recipient=authors[0] if authors else None,
            reason="vacation",
            diagnostic=_first_line(msg.body),
        )
        return Parsed(evidence=[evidence], original=original_from_headers(msg.returned))


def _first_line(body: str) -> str | None:
    """The first non-empty line of the reply, as its own words (kept short)."""
    for line in body[:4000].splitlines():
        text = line.strip()
        if text:
            return text[:300]
    return None


DETECTOR = RFC3834()
