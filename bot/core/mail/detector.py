"""The detector protocol: one detector per report format (RFC 3464, Postfix, Exim ...).

`bot.core.mail.formats` discovers every detector and orders them; `bot.core.scan`
asks the ones whose cheap `sniff` accepts the message first, then every other one.
"""

from __future__ import annotations

from typing import Protocol

from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence, OriginalMessage


class Parsed:
    """What a detector read from a message: per-recipient evidence and the original message.

    A plain class: a dataclass costs half a millisecond of every run's start-up.
    """

    __slots__ = ("evidence", "original")

    def __init__(
        self, evidence: list[Evidence] | None = None, original: OriginalMessage | None = None
    ) -> None:
        self.evidence: list[Evidence] = [] if evidence is None else evidence
        self.original = original


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
