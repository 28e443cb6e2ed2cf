"""The detector protocol: one detector per report format (RFC 3464, Postfix, Exim ...).

Every module in `bot.core.mail.formats` that defines ``DETECTOR`` adds one; they are
discovered, sorted by ``order`` and asked by `bot.core.scan` in two passes:

1. Each detector below `LAST_RESORT` whose ``sniff`` says yes parses, in order.
2. Each detector not tried yet parses, in order, if its format shows in the text
   itself (``body_markers``); a last resort parses if its ``sniff`` says yes.

The first parse that returns evidence wins. So ``parse`` is only ever called after
``sniff`` said yes, unless ``body_markers`` is true: then ``parse`` recognises its
format in the text itself and returns None for a message that is not of it.

``order`` (lower is asked first; no two detectors share one):

- 100-599: one provider's, vendor's or MTA's own layout, the narrower before the
  broader where both could claim a message;
- 600: ARF feedback reports; 700: RFC 3464 delivery status notifications;
  800: RFC 3834 auto-replies;
- `LAST_RESORT` (900) and beyond: readers of any plain-text bounce, asked only after
  every other detector declined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence, OriginalMessage

#: Detectors with this order or higher run only after all others declined.
LAST_RESORT = 900


@dataclass(slots=True)
class Parsed:
    """What a detector read from a message: per-recipient evidence and the original message."""

    evidence: list[Evidence] = field(default_factory=list)
    original: OriginalMessage | None = None


class Detector(Protocol):
    """One report format.

    `name` appears in `Report.source_format`. `sniff` must be cheap (headers,
    Subject, From; no search through the body): it says whether the message claims
    to be of this format. `parse` reads the body and returns None when it finds no
    report of this format in it.
    """

    name: str
    order: int
    #: True when `parse` recognises the format in the body by itself, so it is also
    #: asked (in the second pass) for a message whose headers say nothing.
    body_markers: bool

    def sniff(self, msg: BounceMessage) -> bool: ...

    def parse(self, msg: BounceMessage) -> Parsed | None: ...
