"""Request signing (v0): anything not signed by Slack just now is refused with 401."""

from __future__ import annotations

import json
import time

import pytest
from fake_slack import payloads as p
from slack_helpers import BOUNCE, RunningApp


def _calls_after_start(app: RunningApp) -> list[str]:
    return [c.method for c in app.fake.calls() if c.method != "auth.test"]


@pytest.mark.parametrize(
    "tamper",
    [
        "wrong secret",
        "stale timestamp",
        "future timestamp",
        "body changed",
        "no signature",
        "garbage signature",
    ],
)
def test_badly_signed_requests_get_401_and_no_web_api_call(
    slack_app: RunningApp, tamper: str
) -> None:
    body, kind = p.json_body(p.event_callback(p.message(BOUNCE)))
    sender = slack_app.sender
    now = int(time.time())
    if tamper == "wrong secret":
        from slack_sdk.signature import SignatureVerifier

        sig = SignatureVerifier("not-the-secret").generate_signature(
            timestamp=str(now), body=body.decode()
        )
        reply = sender.post(body, kind, signature=sig)
    elif tamper == "stale timestamp":
        reply = sender.post(body, kind, timestamp=now - 6 * 60)  # validly signed, but old
    elif tamper == "future timestamp":
        reply = sender.post(body, kind, timestamp=now + 6 * 60)
    elif tamper == "body changed":
        headers = sender.headers(body, kind)
        changed = body.replace(b"alice", b"mallory")
        reply = sender.post(
            changed,
            kind,
            signature=headers["X-Slack-Signature"],
            timestamp=int(headers["X-Slack-Request-Timestamp"]),
        )
    elif tamper == "no signature":
        reply = sender.post(body, kind, signature="")
    else:
        reply = sender.post(body, kind, signature="v0=" + "0" * 64)
    assert reply.status == 401
    slack_app.fake.settle(0.2)
    assert _calls_after_start(slack_app) == []


def test_slash_command_with_bad_signature_is_refused(slack_app: RunningApp) -> None:
    body, kind = p.form(p.slash_command(BOUNCE, slack_app.fake.response_url()))
    assert slack_app.sender.post(body, kind, signature="v0=" + "f" * 64).status == 401
    slack_app.fake.settle(0.2)
    assert _calls_after_start(slack_app) == []


def test_url_verification_challenge_is_answered_when_signed(slack_app: RunningApp) -> None:
    body, kind = p.json_body({"type": "url_verification", "token": "t", "challenge": "abc123"})
    reply = slack_app.sender.post(body, kind)
    assert reply.status == 200
    assert json.loads(reply.body)["challenge"] == "abc123"


def test_other_paths_are_not_found(slack_app: RunningApp) -> None:
    body, kind = p.json_body(p.event_callback(p.message(BOUNCE)))
    assert slack_app.sender.post(body, kind, path="/elsewhere").status == 404
