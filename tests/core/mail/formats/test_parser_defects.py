"""Classes of parser defect (issue 10 §4), each pinned by a bounce written for this project.

The samples in samples/ are our own, modelled on the layouts those MTAs and gateways
write; none is copied from another project's corpus. Each row says which recipients
the report must name (in order, each once) and their class, reply code and reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from bot.core.scan import scan

SAMPLES = Path(__file__).resolve().parent / "samples"


class Expected(NamedTuple):
    recipient: str
    klass: str
    replycode: str | None
    reason: str | None


CASES: dict[str, tuple[str, list[Expected]]] = {
    # Who the failed recipient is: the NDR's own To: is the original sender.
    "ndr-to-is-sender.eml": (
        "the original sender named in the report is not the recipient",
        [Expected("tomas@example.net", "permanent", "550", "userunknown")],
    ),
    # Address clean-up: a gateway's address type and quotes are not part of the address.
    "quoted-smtp-prefix.eml": (
        "SMTP= and quotes are stripped",
        [
            Expected("tomas@example.net", "permanent", "550", "userunknown"),
            Expected("maria@example.net", "permanent", "550", None),
        ],
    ),
    # One record per recipient, however often a DSN repeats its block.
    "repeated-dsn-block.eml": (
        "a repeated Final-Recipient block is one recipient",
        [
            Expected("tomas@example.net", "permanent", "550", "userunknown"),
            Expected("maria@example.net", "permanent", "552", "mailboxfull"),
        ],
    ),
    # Prose vs report: addresses in the report's help text are no recipients.
    "help-text-address.eml": (
        "helpdesk and abuse addresses are not recipients",
        [Expected("tomas@example.net", "permanent", "550", "userunknown")],
    ),
    # Transcripts: the 220 greeting and 250s are not the verdict; the 550 after RCPT is.
    "mdaemon-no-such-user.eml": (
        "MDaemon's transcript: the failure reply is the verdict",
        [Expected("tomas@example.org", "permanent", "550", "userunknown")],
    ),
    # Auto-Submitted on an NDR does not make it an out-of-office reply.
    "autosubmitted-ndr.eml": (
        "an auto-replied NDR is a report, not a vacation notice",
        [Expected("tomas@example.net", "permanent", "550", "userunknown")],
    ),
    # Formats that must be found at all.
    "smtp32-mailbox-size.eml": (
        "SMTP32's one-line reason: address",
        [Expected("tomas@example.net", "permanent", None, "mailboxfull")],
    ),
    "french-dsn.eml": (
        "a French DSN without Final-Recipient: the recipient from its text",
        [Expected("jeanne@example.fr", "permanent", "550", "userunknown")],
    ),
    # Delay warnings are transient reports, not "no bounce".
    "sendmail-warning.eml": (
        "Sendmail's THIS IS A WARNING MESSAGE ONLY",
        [Expected("tomas@example.net", "transient", None, None)],
    ),
    "postfix-delay.eml": (
        "Postfix's delayed-mail notice (Action: delayed)",
        [Expected("tomas@example.net", "transient", "452", "mailboxfull")],
    ),
    "exim-delay.eml": (
        "Exim's 'has not yet been delivered' warning",
        [Expected("tomas@example.net", "transient", "451", None)],
    ),
    "gateway-warning.eml": (
        "a gateway's warning without a bounce-like sender or subject",
        [Expected("tomas@example.org", "transient", "421", None)],
    ),
    # Who the failed recipient is: Gmail names it in "Your message to X has been blocked".
    "gmail-message-blocked.eml": (
        "Gmail's 'Message blocked' sentence names the recipient",
        [Expected("maria@example.net", "permanent", "554", "spamdetected")],
    ),
    # Non-English phrasing: a Spanish report without any code still says cause and finality.
    "es-buzon-lleno.eml": (
        "localised 'mailbox full' and 'permanent error' are read",
        [Expected("maria@example.es", "permanent", None, "mailboxfull")],
    ),
}


def test_every_sample_has_a_row() -> None:
    assert sorted(p.name for p in SAMPLES.glob("*.eml")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample(name: str) -> None:
    why, expected = CASES[name]
    report = scan((SAMPLES / name).read_bytes())
    assert report.bounce, why
    got = [v.recipient for v in report.verdicts]
    assert got == [e.recipient for e in expected], why
    for verdict, want in zip(report.verdicts, expected, strict=True):
        assert verdict.delivery_class == want.klass, why
        assert verdict.replycode == want.replycode, why
        if want.reason is not None:
            assert verdict.reason == want.reason, why
        assert verdict.reason != "vacation", why
