"""The daily digest against the fake Slack, in HTTP mode and Socket Mode, with a clock the
test moves: once a day at the configured local time, never twice (not after a restart
either), counts only (reasons, providers, recipient domains; no address, no text)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arrivals_helpers import MODES, Bot, launch
from fake_slack import FakeSlack
from fake_slack import payloads as p
from slack_helpers import posted_text

from bot.core.explain import explain
from bot.slack.digest import due_at
from bot.slack.settings import SettingsError, load_settings

CHANNEL = "C0DIGEST"
TZ = zoneinfo.ZoneInfo("Europe/Berlin")
ENV = {
    "SMTPBOT_DIGEST_CHANNEL": CHANNEL,
    "SMTPBOT_DIGEST_TIME": "09:00",
    "SMTPBOT_DIGEST_TZ": "Europe/Berlin",
}
GMAIL = (
    "550-5.1.1 The email account that you tried to reach does not exist. Please try "
    "double-checking the recipient's email address for typos or unnecessary spaces. "
    "https://support.google.com/mail/?p=NoSuchUser 41be03b00d2f7-b5d1 - gsmtp"
)
YAHOO = (
    "421 4.7.0 [TSS04] Messages from 192.0.2.9 temporarily deferred due to unexpected volume "
    "or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"
)


def _log_line(recipient: str, relay: str, said: str, dsn: str, status: str) -> str:
    return (
        f"Nov 28 09:02:06 mx1 postfix/smtp[2210]: 4Q03A21Z: to=<{recipient}>, "
        f"relay={relay}[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.6/0.5, dsn={dsn}, "
        f"status={status} (host {relay}[192.0.2.1] said: {said} (in reply to RCPT TO command))"
    )


GMAIL_LINE = _log_line("ann@gmail.com", "gmail-smtp-in.l.google.com", GMAIL, "5.1.1", "bounced")
YAHOO_LINE = _log_line("bo@yahoo.com", "mta5.am0.yahoodns.net", YAHOO, "4.7.0", "deferred")


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, at: dt.datetime) -> None:
        self.now = at.timestamp()


def _berlin(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=TZ)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> Clock:
    return Clock(_berlin(1, 12))


@pytest.fixture
def started(fake: FakeSlack, tmp_path: Path, mode: str, clock: Clock) -> Iterator[list[Bot]]:
    bots: list[Bot] = []
    yield bots
    for bot in bots:
        bot.stop()


def _start(fake: FakeSlack, tmp_path: Path, mode: str, clock: Clock, bots: list[Bot]) -> Bot:
    bot = launch(mode, fake, tmp_path, ENV, clock=clock, database="digest.sqlite3")
    bots.append(bot)
    return bot


def _count(bot: Bot, text: str) -> None:
    """What answering a message counts (team T0FAKE, the fake's workspace)."""
    bot.services.count([explain(text)], bot.fake.team_id)


def _digests(fake: FakeSlack) -> list[Any]:
    return [c for c in fake.calls("chat.postMessage") if c.ok and c.params["channel"] == CHANNEL]


def test_the_digest_posts_once_a_day_and_not_again_after_a_restart(
    fake: FakeSlack, tmp_path: Path, mode: str, clock: Clock, started: list[Bot]
) -> None:
    bot = _start(fake, tmp_path, mode, clock, started)
    # The week before last: Google only. Last week: Google, and Yahoo for the first time.
    clock.set(dt.datetime(2026, 2, 26, 12, tzinfo=TZ))
    _count(bot, GMAIL_LINE)
    clock.set(_berlin(3, 12))
    _count(bot, GMAIL_LINE)
    clock.set(_berlin(8, 15))
    _count(bot, YAHOO_LINE)
    # Yesterday's answer goes through Slack like any other (a log paste in a channel).
    clock.set(_berlin(9, 15))
    pasted = p.message(GMAIL_LINE.replace("<", "&lt;").replace(">", "&gt;"))
    bot.event(pasted)
    fake.wait_for(lambda calls: bool(bot.answers_in(p.CHANNEL, pasted["ts"])), timeout=20)
    bot.idle()

    clock.set(_berlin(10, 8, 59))
    assert bot.services.digest is not None
    assert not bot.services.digest.tick()
    clock.set(_berlin(10, 9, 0))
    assert bot.services.digest.tick()
    fake.wait_for(lambda calls: len(_digests(fake)) == 1, timeout=20)
    assert not bot.services.digest.tick()

    (digest,) = _digests(fake)
    shown = posted_text(digest)
    assert "2026-03-09" in shown  # yesterday, in UTC days
    assert "*Yesterday:* 1 explained" in shown
    assert "*Last 7 days:* 3 explained" in shown
    assert "`userunknown` 2" in shown and "`badreputation` 1" in shown
    assert "Google (Gmail / Google Workspace) 2" in shown
    assert "gmail.com 2" in shown and "yahoo.com 1" in shown
    new = next(b for b in digest.params["blocks"] if "New compared" in json.dumps(b))
    assert "Yahoo Mail" in json.dumps(new) and "badreputation" in json.dumps(new)
    assert "Google" not in json.dumps(new)
    # Counts only: no address, no server text.
    assert "ann@gmail.com" not in shown and "bo@yahoo.com" not in shown
    assert "does not exist" not in shown

    # A restart the same morning: the database remembers, nothing is posted twice.
    bot.stop()
    started.remove(bot)
    clock.set(_berlin(10, 9, 30))
    again = _start(fake, tmp_path, mode, clock, started)
    assert again.services.digest is not None
    assert not again.services.digest.tick()
    again.idle()
    fake.settle(0.3)
    assert len(_digests(fake)) == 1

    # The next day at the same local time: the next digest.
    clock.set(_berlin(11, 9, 1))
    assert again.services.digest.tick()
    fake.wait_for(lambda calls: len(_digests(fake)) == 2, timeout=20)
    assert "2026-03-10" in posted_text(_digests(fake)[1])


def test_a_digest_missed_while_down_is_skipped_not_posted_late(
    fake: FakeSlack, tmp_path: Path, mode: str, clock: Clock, started: list[Bot]
) -> None:
    clock.set(_berlin(10, 16))  # seven hours after 09:00
    bot = _start(fake, tmp_path, mode, clock, started)
    assert bot.services.digest is not None
    assert not bot.services.digest.tick()
    clock.set(_berlin(11, 9, 0))
    assert bot.services.digest.tick()
    fake.wait_for(lambda calls: len(_digests(fake)) == 1, timeout=20)
    assert "no bounces" in posted_text(_digests(fake)[0])


def test_smtp_digest_answers_the_caller_alone(
    fake: FakeSlack, tmp_path: Path, mode: str, clock: Clock, started: list[Bot]
) -> None:
    bot = _start(fake, tmp_path, mode, clock, started)
    clock.set(_berlin(9, 12))
    _count(bot, YAHOO_LINE)
    clock.set(_berlin(10, 12))
    bot.command("digest", fake.response_url("digest"))
    (response,) = fake.wait_calls("response_url")
    assert response.params["response_type"] == "ephemeral"
    assert "*Yesterday:* 1 explained" in posted_text(response)
    assert _digests(fake) == []
    # On demand does not count as the day's digest.
    assert bot.services.state.last_digest(CHANNEL) is None


def test_due_time_follows_the_local_clock_across_daylight_saving() -> None:
    # Berlin moves to summer time on 29 March 2026: 09:00 local is 08:00 UTC before, 07:00 after.
    before = due_at(_berlin(28, 10).timestamp(), dt.time(9), TZ)
    after = due_at(_berlin(30, 10).timestamp(), dt.time(9), TZ)
    assert before.astimezone(dt.UTC).hour == 8
    assert after.astimezone(dt.UTC).hour == 7
    assert due_at(_berlin(30, 8).timestamp(), dt.time(9), TZ).day == 29


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SMTPBOT_DIGEST_CHANNEL", "#email-ops"),
        ("SMTPBOT_DIGEST_TIME", "9am"),
        ("SMTPBOT_DIGEST_TIME", "24:00"),
        ("SMTPBOT_DIGEST_TZ", "Mars/Olympus"),
    ],
)
def test_bad_digest_settings_name_the_variable(variable: str, value: str) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", variable: value}
    with pytest.raises(SettingsError) as error:
        load_settings(env)
    assert error.value.variable == variable
