"""Reason phrases that sit close to another reason's words pick the right one."""

from __future__ import annotations

import pytest

from bot.core.explain import explain

CASES = [
    # A client that did not log in (SMTP AUTH) is not a message failing SPF/DKIM/DMARC.
    ("550 5.7.57 Client not authenticated to send mail", "securityerror"),
    ("530 5.7.0 Client was not authenticated", "securityerror"),
    ("550 5.7.1 Email from example.com is not authenticated", "authfailure"),
    ("550 5.7.26 This message is not authenticated by DKIM or SPF", "authfailure"),
    # "temporarily full" is still a full mailbox.
    ("550 Mailbox temporarily full, try again later", "mailboxfull"),
    ("452 4.2.2 Mailbox is temporarily full", "mailboxfull"),
]


@pytest.mark.parametrize(("text", "reason"), CASES)
def test_reason(text: str, reason: str) -> None:
    (verdict,) = explain(text).verdicts
    assert verdict.reason == reason
