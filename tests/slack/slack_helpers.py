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
BOUNCE = (
    "550 5.1.1 <alice@example.com>: Recipient address rejected: "
    "User unknown in virtual mailbox table"
)
CHAT = "we shipped 550 units to the warehouse today"


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
