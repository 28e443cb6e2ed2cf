"""A `Diagnosis` as terminal lines and as Slack Block Kit blocks: pure functions, no Slack import.

Findings come after the verdict, apart from its explanation: one entry per finding with
what DNS says, the record quoted, and what it means for this bounce. The blocks keep to
Slack's limits (section text of at most 3,000 characters, at most `MAX_BLOCKS` blocks
here, so they fit beside the verdict's own within Slack's 50); text from DNS is escaped
so a record can never mention anyone.
"""

from __future__ import annotations

import textwrap
from typing import Any

from bot.dns.model import Diagnosis, Finding

#: Blocks `blocks` returns at most (a divider, a title, findings, a context line).
MAX_BLOCKS = 14
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 3000
#: Characters of a record quoted; longer ones are cut, saying so.
MAX_RECORD = 500

LABELS = {"problem": "PROBLEM", "ok": "ok", "info": "info", "unavailable": "DNS failed"}
EMOJI = {
    "problem": ":warning:",
    "ok": ":white_check_mark:",
    "info": ":information_source:",
    "unavailable": ":grey_question:",
}
CHECK_NAMES = {
    "spf": "SPF",
    "dkim": "DKIM",
    "dmarc": "DMARC",
    "ptr": "Reverse DNS",
    "dnsbl": "Blocklist",
    "mx": "MX",
    "mta-sts": "MTA-STS",
    "tls-rpt": "TLS-RPT",
}


def text_lines(diagnosis: Diagnosis, width: int = 100) -> list[str]:
    """The findings for a terminal: a title, then each finding, record and meaning indented."""
    lines = ["DNS checks", "----------"]
    for finding in diagnosis.findings:
        head = f"[{LABELS[finding.severity]}] {CHECK_NAMES.get(finding.check, finding.check)}: "
        lines += textwrap.wrap(
            head + finding.fact, width, subsequent_indent="    ", break_on_hyphens=False
        )
        if finding.record:
            lines += textwrap.wrap(
                "Record: " + _quote(finding.record),
                width,
                initial_indent="    ",
                subsequent_indent="            ",
                break_on_hyphens=False,
            )
        lines += textwrap.wrap(
            "Means:  " + finding.meaning,
            width,
            initial_indent="    ",
            subsequent_indent="            ",
            break_on_hyphens=False,
        )
    for note in diagnosis.notes:
        lines += textwrap.wrap("Note: " + note, width, subsequent_indent="      ")
    if len(lines) == 2:
        lines.append("Nothing to check.")
    return lines


def text(diagnosis: Diagnosis) -> str:
    return "\n".join(text_lines(diagnosis))


def fallback_text(diagnosis: Diagnosis) -> str:
    """One line for notifications: how many findings, how many problems."""
    problems = len(diagnosis.problems)
    if not diagnosis.findings:
        return "DNS checks: " + (diagnosis.notes[0] if diagnosis.notes else "nothing to check.")
    return f"DNS checks: {len(diagnosis.findings)} findings, {problems} problem(s)."


def blocks(diagnosis: Diagnosis) -> list[dict[str, Any]]:
    """Block Kit blocks (plain dicts) for a thread reply or to append to an answer."""
    out: list[dict[str, Any]] = [
        {"type": "divider"},
        {
            "type": "section",
            "text": _mrkdwn("*DNS checks* (live lookups, separate from the verdict)"),
        },
    ]
    room = MAX_BLOCKS - len(out) - 1  # one context block stays free for the notes
    shown = list(diagnosis.findings)
    notes = list(diagnosis.notes)
    if len(shown) > room:
        notes.insert(0, f"{len(shown) - room + 1} more findings are not shown here.")
        shown = shown[: room - 1]
    out += [{"type": "section", "text": _mrkdwn(_finding_text(f))} for f in shown]
    if not shown and not notes:
        notes.append("Nothing to check.")
    if notes:
        joined = "\n".join(escape(n) for n in notes)
        out.append({"type": "context", "elements": [_mrkdwn(_cut(joined, MAX_CONTEXT_TEXT))]})
    return out


def _finding_text(finding: Finding) -> str:
    name = CHECK_NAMES.get(finding.check, finding.check)
    parts = [f"{EMOJI[finding.severity]} *{name}*: {escape(finding.fact)}"]
    if finding.record:
        parts.append("`" + escape(_quote(finding.record)).replace("`", "'") + "`")
    parts.append("_" + escape(finding.meaning).replace("_", " ") + "_")
    return _cut("\n".join(parts), MAX_SECTION_TEXT)


def _quote(record: str) -> str:
    if len(record) <= MAX_RECORD:
        return record
    return record[:MAX_RECORD] + f" … ({len(record) - MAX_RECORD} more characters)"


def escape(text: str) -> str:
    """Slack's three control characters, so DNS text cannot ping or link anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    tail = f" … ({len(text) - limit} characters cut)"
    return text[: limit - len(tail)] + tail


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}
