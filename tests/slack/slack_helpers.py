"""Constants and helpers shared by the Slack end-to-end tests (fixtures live in conftest)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from fake_slack import FakeSlack  # noqa: E402
from fake_slack import payloads as p  # noqa: E402
from fake_slack.sender import Reply, SignedSender  # noqa: E402
from slack_bolt import App  # noqa: E402

from bot.slack.settings import Settings  # noqa: E402

SIGNING_SECRET = "e3b0c44298fc1c149afbf4c8996fb924"
#: A bounce line as Slack delivers what a person typed: & < > arrive as entities.
BOUNCE = (
    "550 5.1.1 &lt;alice@example.com&gt;: Recipient address rejected: "
    "User unknown in virtual mailbox table"
)
CHAT = "we shipped 550 units to the warehouse today"


def multi_bounce_eml(count: int, domain: str = "example.org") -> bytes:
    """An RFC 3464 report with `count` failed recipients (Postfix style)."""
    per_recipient = "".join(
        f"\nFinal-Recipient: rfc822; user{i}@{domain}\n"
        f"Original-Recipient: rfc822;user{i}@{domain}\n"
        "Action: failed\n"
        "Status: 5.1.1\n"
        f"Remote-MTA: dns; mx.{domain}\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <user{i}@{domain}>: Recipient address rejected: "
        "User unknown in virtual mailbox table\n"
        for i in range(count)
    )
    text = (
        "Return-Path: <>\n"
        "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\n"
        "To: sender@example.com\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Date: Mon, 2 Jun 2025 10:00:00 +0000\n"
        "Message-Id: <20250602100000.ABC@mail.example.com>\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"\n'
        "\n"
        "--BOUNDARY\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "\n"
        "This is the mail system at host mail.example.com.\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n"
        "\n"
        "--BOUNDARY\n"
        "Content-Type: message/delivery-status\n"
        "\n"
        "Reporting-MTA: dns; mail.example.com\n"
        "Arrival-Date: Mon, 2 Jun 2025 09:59:58 +0000\n"
        f"{per_recipient}"
        "\n"
        "--BOUNDARY--\n"
    )
    return text.encode()


MULTI_BOUNCE_EML = multi_bounce_eml(3)


@dataclass
class RunningApp:
    fake: FakeSlack
    app: App
    settings: Settings
    url: str
    sender: SignedSender

    def event(
        self,
        event: dict[str, Any],
        *,
        eid: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        body, kind = p.json_body(p.event_callback(event, eid=eid))
        return self.sender.post(body, kind, extra=headers)

    def command(self, text: str, response_url: str | None = None) -> Reply:
        fields = p.slash_command(text, response_url or self.fake.response_url("cmd"))
        return self.sender.post(*p.form(fields))

    def interactive(self, payload: dict[str, Any]) -> Reply:
        return self.sender.post(*p.interactive(payload))


def posted_text(call: Any) -> str:
    """Everything a posted message shows: fallback text and every block, as JSON."""
    return json.dumps({"text": call.params.get("text"), "blocks": call.params.get("blocks")})
