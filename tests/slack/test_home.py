"""App Home: usage, examples and 7-day counts by reason from SQLite, per workspace."""

from __future__ import annotations

import json
from collections.abc import Callable

from fake_slack import payloads as p
from slack_helpers import BOUNCE, RunningApp


def _open_home(app: RunningApp, count: int) -> dict:
    app.event(p.app_home_opened())
    calls = app.fake.wait_calls("views.publish", count)
    call = calls[-1]
    assert call.params["user_id"] == p.USER
    return call.params["view"]


def test_home_tab_explains_usage_and_counts_survive_a_restart(
    start_app: Callable[..., RunningApp], fake: object
) -> None:
    first = start_app()
    view = _open_home(first, 1)
    assert view["type"] == "home"
    shown = json.dumps(view)
    assert "/smtp" in shown and "Explain bounce" in shown
    assert "none yet" in shown

    for _ in range(2):
        first.command(BOUNCE)
    first.fake.wait_calls("response_url", 2)

    # A new process on the same SQLite file still knows.
    second = start_app()
    shown = json.dumps(_open_home(second, 2))
    assert "last 7 days:* 2" in shown


def test_a_mentioned_bounce_counts_once_and_a_big_report_once_per_reason(
    start_app: Callable[..., RunningApp],
) -> None:
    app = start_app()
    ts = p.next_ts()
    mention = f"<@{app.fake.bot_user_id}> {BOUNCE}"
    # One message, two events (message and app_mention): one answer, one count.
    app.event(p.message(mention, ts=ts))
    app.event({**p.message(mention, ts=ts), "type": "app_mention"})
    app.fake.wait_calls("chat.postMessage", 1)
    app.fake.settle(0.3)
    assert len(app.fake.calls("chat.postMessage")) == 1
    shown = json.dumps(_open_home(app, 1))
    assert "last 7 days:* 1" in shown
