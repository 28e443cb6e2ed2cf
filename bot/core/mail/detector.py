"""The detector protocol: one detector per report format (RFC 3464, Postfix, Exim ...).

`bot.core.mail.formats` discovers every detector and orders them; `bot.core.scan`
asks the ones whose cheap `sniff` accepts the message first, then every other one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence, OriginalMessage


@dataclass(slots=True)
class Parsed:
    """What a detector read from a message: per-recipient evidence and the original message."""

    evidence: list[Evidence] = field(default_factory=list)
    original: OriginalMessage | None = None


class Detector(Protocol):
    """One report format.

    `name` appears in `Report.source_format`. `order` sorts detectors: specific formats
    (a vendor's layout) come before generic ones (RFC 3464, then the plain-text
    fallback). `sniff` must be cheap (headers, Subject, From only); `parse` may read
    the body and returns None when the message is not of this format.
    """

    name: str
    order: int

    def sniff(self, msg: BounceMessage) -> bool: ...

    def parse(self, msg: BounceMessage) -> Parsed | None: ...
