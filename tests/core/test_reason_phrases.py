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
    # A sending-side quota is a rate limit, not the recipient's full mailbox.
    ("550 5.7.1 Daily email quota exceeded for this account", "ratelimited"),
    ("452 4.7.1 Submission quota exceeded, try again in an hour", "ratelimited"),
    # A policy named after Postfix's "Recipient address rejected:" is the cause.
    ("554 5.7.1 <a@example.org>: Recipient address rejected: Policy rejection for this sender",
     "policyviolation"),
    ("550 5.7.1 <a@example.org>: Recipient address rejected: User unknown", "userunknown"),
    # An ESP's suppression wording is a suppression, whatever the code.
    ("550 5.1.1 This address is suppressed due to earlier hard bounces", "suppressed"),
    ("550 Unsubscribed Address", "suppressed"),
    # Exchange Online's DNS tags say which DNS failure it was.
    ("550 5.4.310 DNS domain example.org does not exist [Message=InfoDomainNonexistent]",
     "hostunknown"),
    ("550 5.4.312 DNS query failed [Message=InfoNoMxRecordsForDomain]", "hostunknown"),
    ("451 4.4.397 Error communicating with target host", "networkerror"),
    ("554 5.2.252 SendAsDeniedException.MapiExceptionSendAsDenied", "rejected"),
    # Too many logins is a throttle on the client, not a failed login.
    ("454 4.7.0 Too many login attempts, try again later", "ratelimited"),
    ("550 5.2.1 Mailbox has been suspended by the provider", "suspend"),
    ("550 User account is expired", "suspend"),
    ("553 Relaying disallowed for example.org", "norelaying"),
    # Mailbox-full and unknown-user wording of non-English reports.
    ("550 5.2.2 Casella piena", "mailboxfull"),
    ("550 Zustellung endgültig fehlgeschlagen: Postfach des Empfängers ist voll", "mailboxfull"),
    ("550 usuario desconocido", "userunknown"),
    ("550 адрес получателя не существует", "userunknown"),
]


@pytest.mark.parametrize(("text", "reason"), CASES)
def test_reason(text: str, reason: str) -> None:
    (verdict,) = explain(text).verdicts
    assert verdict.reason == reason
