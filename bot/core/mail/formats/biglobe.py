"""BIGLOBE's (Japanese ISP) returned-mail notices.

Sendmail-like section rules: "----- The following addresses had delivery problems
-----" lists the recipients, "----- Non-delivered information -----" gives BIGLOBE's
own explanation, whose wording settles the reason.
"""

from __future__ import annotations

import re

from bot.core.mail.common import find_addresses, normalize_space, original_from_headers
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, own_reason, reply_text, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_PROBLEMS = re.compile(
    r"^[ \t]*-{3,}[ \t]*The following addresses had delivery problems", re.I | re.M
)
_INFO = re.compile(r"^[ \t]*-{3,}[ \t]*Non-delivered information", re.IGNORECASE | re.MULTILINE)
_RULE = re.compile(r"^[ \t]*-{3,}", re.MULTILINE)


class Biglobe:
    """BIGLOBE's notices."""

    name = "biglobe"
    order = 460
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return "biglobe" in msg.sender.lower()

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        problems = _PROBLEMS.search(report)
        if problems is None:
            return None
        start = report.find("\n", problems.end()) + 1
        end = _RULE.search(report, start)
        recipients = find_addresses(report[start : end.start() if end else len(report)])
        if not recipients:
            return None
        info = _INFO.search(report)
        said = None
        if info is not None:
            begin = report.find("\n", info.end()) + 1
            stop = _RULE.search(report, begin)
            said = normalize_space(report[begin : stop.start() if stop else len(report)])
        reason = own_reason("biglobe", said) if reply_text(said) is None else None
        evidence = [
            finish(Evidence(recipient=r, diagnostic=said, action="failed", reason=reason))
            for r in recipients
        ]
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


DETECTOR = Biglobe()
