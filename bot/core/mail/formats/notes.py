"""Lotus Notes / Domino SMTP gateway "Undeliverable message" notices (the older layout).

Between ``------- Failure Reasons --------`` and ``------- Returned Message --------``,
each failure is Notes' reason sentence followed by the recipient's address on its own
line. Notes' own sentences (``mta_messages.toml``, ``[notes]``) settle the reason; a
remote reply quoted there is left to the classifier.
"""

from __future__ import annotations

import re

from bot.core.mail.common import (
    normalize_space,
    original_recipients,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, own_reason, parsed, reply_text
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_REASONS = re.compile(r"^-{3,}[ \t]*Failure Reasons[ \t]*-{3,}[ \t]*$", re.I | re.M)
_RETURNED = re.compile(r"^-{3,}[ \t]*Returned Message[ \t]*-{3,}[ \t]*$", re.I | re.M)
_ADDRESS = re.compile(r"^<?([^\s<>@]{1,320}@[^\s<>@]{1,255}?)>?$")
#: Reports are short; the failure list never runs longer than this.
_MAX = 100_000


class Notes:
    """Notes' "Failure Reasons" notices."""

    name = "notes"
    order = 425
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return msg.subject.startswith("Undeliverable message")

    def parse(self, msg: BounceMessage) -> Parsed | None:
        body = msg.body.replace("\r\n", "\n")
        start = _REASONS.search(body[:_MAX])
        if start is None:
            return None
        end = _RETURNED.search(body, start.end())
        block = body[start.end() : end.start() if end else start.end() + _MAX]
        tail = body[end.end() :] if end else ""
        evidence: list[Evidence] = []
        said: list[str] = []
        for line in block.splitlines():
            text = line.strip()
            if not text or text.startswith("-"):
                continue
            address = _ADDRESS.match(text)
            if address is None:
                said.append(text)
                continue
            evidence.append(self._evidence(strip_address(address.group(1)), said))
            said = []
        if not evidence and said:
            # No address listed: the returned message's To is the recipient.
            for recipient in original_recipients(msg.returned or tail)[:1]:
                evidence.append(self._evidence(recipient, said))
        evidence = [ev for ev in evidence if ev.recipient]
        return parsed(msg, evidence, tail)

    @staticmethod
    def _evidence(recipient: str | None, said: list[str]) -> Evidence:
        diagnostic = normalize_space(" ".join(said))
        ev = finish(Evidence(recipient=recipient, diagnostic=diagnostic, action="failed"))
        if reply_text(diagnostic) is None:
            ev.reason = own_reason("notes", diagnostic)
        return ev


DETECTOR = Notes()
