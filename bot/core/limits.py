"""Every input limit in one place, so the CLI, the scanner, the Slack app and the docs agree.

A bot in a busy channel is handed megabytes of logs, whole mailboxes and binary junk.
Each limit below keeps time and memory bounded, and each is *stated*: whoever hits one
is told which limit it was (``human_size`` gives the wording), nothing is cut silently.

This module only states numbers; the code that reads input enforces them:

* `MAX_PASTE_BYTES` — ``smtpbot explain -`` refuses a larger standard input (exit 2).
* `MAX_EXPLAIN_CHARS` / `MAX_EXPLAIN_LINES` — how much of an accepted paste `explain`
  reads for replies (a paste that is a whole email goes to `scan` in full).
* `MAX_MESSAGE_BYTES` — ``smtpbot scan`` reports a larger file or mbox message as an
  error record naming the limit, and goes on with the next one.
* `MAX_RECIPIENTS` / `MAX_PASTE_RECIPIENTS` — verdicts reported for one message / paste.
* `MAX_REPORT_CHARS` — how much of a bounce's human-readable report a parser reads for
  recipients (the rest is a returned message or junk).
* `MAX_UPLOAD_BYTES` — the Slack app refuses a larger uploaded file, naming this limit.

A cut that leaves something out of a report (recipients, or the part of a paste not
read) is told in `Report.notices <bot.core.model.Report>`, one sentence per limit, made
here (`left_out`) so the CLI and Slack say the same thing.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_EXPLAIN_CHARS",
    "MAX_EXPLAIN_LINES",
    "MAX_MESSAGE_BYTES",
    "MAX_PASTE_BYTES",
    "MAX_PASTE_RECIPIENTS",
    "MAX_RECIPIENTS",
    "MAX_REPORT_CHARS",
    "MAX_UPLOAD_BYTES",
    "human_size",
    "left_out",
]

MIB: Final = 1024 * 1024

#: Largest paste ``smtpbot explain -`` accepts on standard input, in bytes. Larger input
#: is refused with a message naming this limit (exit status 2), never truncated: logs
#: that big belong to ``smtpbot scan``.
MAX_PASTE_BYTES: Final = 20 * MIB

#: Characters of an accepted paste that `explain` reads for SMTP replies. Replies sit
#: near the top of whatever is pasted; reading further only costs time on junk.
MAX_EXPLAIN_CHARS: Final = 200_000

#: Lines of an accepted paste that `explain` reads for replies (same reason).
MAX_EXPLAIN_LINES: Final = 5_000

#: Largest single message ``smtpbot scan`` parses: a whole .eml file or one message of
#: an mbox, in bytes. A larger one becomes an error record naming this limit; the scan
#: goes on. Real bounces are kilobytes; 50 MB leaves room for returned attachments.
MAX_MESSAGE_BYTES: Final = 50 * MIB

#: Most recipients (verdicts) reported for one scanned message. A DSN listing more is a
#: mailing-list explosion; beyond this the report must say how many were left out.
MAX_RECIPIENTS: Final = 10_000

#: Most recipients (verdicts) `explain` reports for one paste (a pasted mail log).
MAX_PASTE_RECIPIENTS: Final = 1_000

#: Characters of a bounce's human-readable report (its text part before the returned
#: message) that a format parser reads for recipients. Reports are a few kilobytes.
MAX_REPORT_CHARS: Final = 200_000

#: Largest file the Slack app downloads and reads, in bytes; a larger upload gets a
#: refusal naming this limit.
MAX_UPLOAD_BYTES: Final = 10 * MIB


def human_size(nbytes: int) -> str:
    """``20 MB`` for 20 MiB, ``1000 bytes`` below one MiB: how limits are named to people."""
    if nbytes >= MIB and nbytes % MIB == 0:
        return f"{nbytes // MIB} MB"
    if nbytes >= MIB:
        return f"{nbytes / MIB:.1f} MB"
    return f"{nbytes} bytes"


def left_out(kept: int, unit: str, more: int, limit: str, done: str = "are reported") -> str:
    """The sentence telling that only the first `kept` `unit` `done` and `more` were not.

    ``left_out(10_000, "recipients", 5, "MAX_RECIPIENTS")`` → "Only the first 10,000
    recipients are reported; 5 more were left out (limit MAX_RECIPIENTS)."
    """
    were = "was" if more == 1 else "were"
    return f"Only the first {kept:,} {unit} {done}; {more:,} more {were} left out (limit {limit})."
