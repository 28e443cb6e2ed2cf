"""Emails sent to a channel's address (Slackbot shares them as an email file) in both modes:
bounces are answered in the thread, ordinary mail, other bots and our own answers are not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arrivals_helpers import MODES, Bot, launch
from fake_slack import FakeSlack
from fake_slack import payloads as p
from slack_helpers import BOUNCE, posted_text

from bot.slack.render import ANSWER_MARK

POSTFIX_TEXT = """This is the mail system at host mail.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

                   The mail system

<alice@example.org>: host mx.example.org[198.51.100.7] said: 550 5.1.1
    <alice@example.org>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)
"""
DAEMON = ("Mail Delivery System", "MAILER-DAEMON@mail.example.com")
NEWSLETTER = """Hi there,

This week on the blog: five tips for avoiding 550 errors and keeping bounces low,
and what the new sender requirements mean for your newsletters.

Read more: https://blog.vendor.example/tips

You receive this because you subscribed. Unsubscribe: https://vendor.example/u
"""
INVITE = """Deliverability sync
Tuesday 10:00 - 10:30 (UTC)

Join with Google Meet: https://meet.google.com/abc-defg-hij

Guests
alice@example.org - organizer
bob@example.com

Reply for bob@example.com: Yes / No / Maybe

Invitation from Google Calendar
"""


@pytest.fixture(params=MODES)
def bot(request: pytest.FixtureRequest, fake: FakeSlack, tmp_path: Path) -> Iterator[Bot]:
    running = launch(request.param, fake, tmp_path)
    try:
        yield running
    finally:
        running.stop()


def _emailed(info: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The message event Slack sends when an email arrives at the channel's address."""
    return p.message(
        "", user="USLACKBOT", subtype="file_share", bot_id="B01SLACKBOT", files=[info],
        **extra,
    )


def _answered(bot: Bot, ts: str) -> str:
    bot.fake.wait_for(lambda calls: bool(bot.answers_in(p.CHANNEL, ts)), timeout=20)
    (answer,) = bot.answers_in(p.CHANNEL, ts)
    return posted_text(answer)


def test_a_forwarded_bounce_is_answered_in_its_thread(bot: Bot) -> None:
    info = bot.fake.add_email(
        "FEMAIL1", subject="Undelivered Mail Returned to Sender", sender=DAEMON,
        plain_text=POSTFIX_TEXT,
    )
    event = _emailed(info)
    bot.event(event)
    shown = _answered(bot, event["ts"])
    assert "alice@example.org" in shown
    assert "userunknown" in shown
    # The whole text was in the event: nothing was downloaded.
    assert bot.fake.calls("files.download") == []


def test_raw_header_text_is_read_like_a_header_dict(bot: Bot) -> None:
    headers = (
        "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mail.example.com>\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
    )
    info = bot.fake.add_email(
        "FEMAILRAW", subject="Undelivered Mail Returned to Sender", sender=DAEMON,
        plain_text=POSTFIX_TEXT, headers=headers,
    )
    event = _emailed(info)
    bot.event(event)
    assert "alice@example.org" in _answered(bot, event["ts"])


def test_a_cut_email_is_read_whole_from_its_download(bot: Bot) -> None:
    # Slack showed only the greeting (has_more): the failure is in the rest.
    info = bot.fake.add_email(
        "FEMAIL2", subject="Undelivered Mail Returned to Sender", sender=DAEMON,
        plain_text=POSTFIX_TEXT, shown_chars=60,
    )
    assert info["has_more"] and "alice" not in info["plain_text"]
    event = _emailed(info)
    bot.event(event)
    shown = _answered(bot, event["ts"])
    assert "alice@example.org" in shown
    (download,) = bot.fake.calls("files.download")
    assert download.headers["authorization"] == f"Bearer {bot.fake.bot_token}"
    assert [c.params["file"] for c in bot.fake.calls("files.info")] == ["FEMAIL2"]


@pytest.mark.parametrize(
    ("subject", "sender", "text"),
    [
        ("Five tips for fewer bounces", ("Vendor", "news@vendor.example"), NEWSLETTER),
        ("Invitation: Deliverability sync", ("Alice", "alice@example.org"), INVITE),
    ],
    ids=["newsletter", "meeting-invite"],
)
def test_ordinary_forwarded_mail_gets_no_answer(
    bot: Bot, subject: str, sender: tuple[str, str], text: str
) -> None:
    info = bot.fake.add_email("FORDINARY", subject=subject, sender=sender, plain_text=text)
    event = _emailed(info)
    bot.event(event)
    bot.assert_silent_on(event["ts"])


def test_another_bots_message_and_slackbots_other_messages_get_no_answer(bot: Bot) -> None:
    other_bot = p.message(BOUNCE, user="UOTHERBOT", bot_id="BOTHER")
    bot_message = p.message(BOUNCE, user=None, subtype="bot_message", bot_id="BOTHER")
    reminder = p.message(f"Reminder: {BOUNCE}", user="USLACKBOT", bot_id="B01SLACKBOT")
    # A file another bot shares, even an email-looking one, is not Slack's email integration.
    info = bot.fake.add_email(
        "FBOTEMAIL", subject="Undelivered Mail Returned to Sender", sender=DAEMON,
        plain_text=POSTFIX_TEXT,
    )
    bot_file = p.message("", user="UOTHERBOT", subtype="file_share", bot_id="BOTHER",
                         files=[info])
    for event in (other_bot, bot_message, reminder, bot_file):
        bot.event(event)
    for event in (other_bot, bot_message, reminder, bot_file):
        bot.assert_silent_on(event["ts"])


def test_the_bots_own_message_gets_no_answer(bot: Bot) -> None:
    own = p.message(BOUNCE, user=bot.fake.bot_user_id, bot_id=bot.fake.bot_id)
    bot.event(own)
    bot.assert_silent_on(own["ts"])


def test_our_answer_emailed_back_is_not_answered_again(bot: Bot) -> None:
    # First a real bounce paste, answered; then its answer comes back by email (a mail rule
    # copying the channel out and back, or someone forwarding it): no second answer.
    pasted = p.message(BOUNCE)
    bot.event(pasted)
    bot.fake.wait_for(lambda calls: bool(bot.answers_in(p.CHANNEL, pasted["ts"])), timeout=20)
    (answer,) = bot.answers_in(p.CHANNEL, pasted["ts"])
    text = str(answer.params["text"])
    assert text.endswith(ANSWER_MARK)
    back = bot.fake.add_email(
        "FLOOP", subject="Fwd: #email-ops", sender=("Ops list", "ops-list@example.com"),
        plain_text=f"smtpbot wrote:\n{text}\n\nServer said: {BOUNCE}",
    )
    event = _emailed(back)
    bot.event(event)
    bot.assert_silent_on(event["ts"])


def test_slacks_own_notification_mail_is_not_answered(bot: Bot) -> None:
    info = bot.fake.add_email(
        "FNOTIFY", subject="[Slack] Notifications from the Fake workspace",
        sender=("Slack", "feedback@slack.com"),
        plain_text=f"You have a new message in #email-ops:\n{POSTFIX_TEXT}",
    )
    event = _emailed(info)
    bot.event(event)
    bot.assert_silent_on(event["ts"])


def test_an_email_announced_by_id_only_is_looked_up_and_answered(bot: Bot) -> None:
    bot.fake.add_email(
        "FEMAILID", subject="Undelivered Mail Returned to Sender", sender=DAEMON,
        plain_text=POSTFIX_TEXT,
    )
    event = _emailed({"id": "FEMAILID", "file_access": "check_file_info"})
    bot.event(event)
    assert "alice@example.org" in _answered(bot, event["ts"])
    assert [c.params["file"] for c in bot.fake.calls("files.info")] == ["FEMAILID"]


def test_a_slackbot_share_that_is_not_an_email_is_not_read(bot: Bot) -> None:
    bot.fake.add_file("FSLACKBOTTXT", "bounce.txt", BOUNCE.encode(), mimetype="text/plain")
    event = _emailed({"id": "FSLACKBOTTXT", "file_access": "check_file_info"})
    bot.event(event)
    bot.assert_silent_on(event["ts"])
    assert bot.fake.calls("files.download") == []
