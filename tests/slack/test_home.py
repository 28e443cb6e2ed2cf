"""App Home: usage, examples and 7-day counts by reason from SQLite, per workspace."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fake_slack import payloads as p
from slack_helpers import BOUNCE, RunningApp

from bot.slack.stats import DAY, Stats


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


def test_stats_count_seven_days_per_workspace(tmp_path: Path) -> None:
    stats = Stats(tmp_path / "s.sqlite3")
    now = 1_800_000_000.0
    stats.record("T1", ["userunknown", "userunknown", None], now=now)
    stats.record("T1", ["mailboxfull"], now=now - 8 * DAY)  # too old
    stats.record("T2", ["blocked"], now=now)  # another workspace
    assert stats.counts("T1", now=now) == [("userunknown", 2), ("undetermined", 1)]
    assert stats.counts("T2", now=now) == [("blocked", 1)]
    assert ("mailboxfull", 1) in stats.counts("T1", days=30, now=now)
    stats.close()
