"""A deliberately tiny classifier used only while bot.core is the skeleton.

It recognises "<3-digit code> [<enhanced code>]" and angle-bracketed addresses, one
verdict per address. The Slack tests check Slack behaviour (threads, limits, escaping),
never this wording.
"""

from __future__ import annotations

import re

from bot.core.model import Report, Verdict

_REPLY = re.compile(r"\b([245]\d\d)[ -]([245]\.\d{1,3}\.\d{1,3})?")
_ADDRESS = re.compile(r"<([^<>\s@]+@[^<>\s]+)>|&lt;([^&\s@]+@[^&\s]+)&gt;")
_CLASS = {"2": "success", "4": "transient", "5": "permanent"}


def _verdict(line: str, code: str, status: str | None, recipient: str | None) -> Verdict:
    status_reason = {"5.1.1": "userunknown", "5.2.2": "mailboxfull", "4.7.1": "blocked"}
    return Verdict(
        title=f"Reply {code}",
        explanation=f"The server answered {code}.",
        recipient=recipient,
        replycode=code,
        status=status,
        delivery_class=_CLASS[code[0]],  # type: ignore[arg-type]
        reason=status_reason.get(status or ""),
        retry=code[0] == "4",
        actions=["Check the address."],
        diagnostic=line.strip(),
        references=["https://www.rfc-editor.org/rfc/rfc5321"],
    )


def explain(text: str) -> Report:
    verdicts: list[Verdict] = []
    for line in text.splitlines():
        match = _REPLY.search(line)
        if not match:
            continue
        addresses = [a or b for a, b in _ADDRESS.findall(line)] or [None]
        verdicts.extend(_verdict(line, match[1], match[2], a) for a in addresses)
    if re.search(r"\b(units|release|ticket|call)\b", text):
        verdicts = []
    return Report(bounce=bool(verdicts), verdicts=verdicts)


def scan(raw: bytes) -> Report:
    return explain(raw.decode("utf-8", errors="replace"))
