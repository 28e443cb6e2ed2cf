"""The dispatcher alone, on a real SQLite state: pools, retries, drain (no Slack involved)."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.slack.dispatcher import Dispatcher, Outcome
from bot.state import OutboxItem, State


def test_large_jobs_run_two_at_a_time_and_the_rest_are_counted_as_waiting(
    tmp_path: Path,
) -> None:
    state = State.open(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    gate = threading.Event()
    running: list[int] = []
    quick: list[int] = []

    def large(item: OutboxItem) -> Outcome:
        running.append(item.id)
        gate.wait(10)
        return Outcome()

    def small(item: OutboxItem) -> Outcome:
        quick.append(item.id)
        return Outcome()

    dispatcher = Dispatcher(state, {"large": large, "small": small}, large_workers=2).start()
    try:
        for _ in range(5):
            dispatcher.submit("large", {"large": True})
        assert dispatcher.large_jobs_ahead() == 5
        dispatcher.submit("small", {})
        assert dispatcher.wait_idle(0.1) is False
        # Quick work is not stuck behind the large jobs.
        deadline = threading.Event()
        for _ in range(100):
            if quick and len(running) == 2:
                break
            deadline.wait(0.05)
        assert quick and len(running) == 2
        gate.set()
        assert dispatcher.wait_idle(10)
        assert dispatcher.large_jobs_ahead() == 0 and len(running) == 5
    finally:
        gate.set()
        dispatcher.stop(1)
        state.close()


def test_a_failed_job_is_retried_and_a_stop_hands_back_what_did_not_run(tmp_path: Path) -> None:
    state = State.open(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    attempts: list[int] = []

    def flaky(item: OutboxItem) -> Outcome:
        attempts.append(item.attempts)
        if item.attempts == 0:
            return Outcome.retry("HTTP 500", 0.5, item.attempts)
        return Outcome()

    dispatcher = Dispatcher(state, {"flaky": flaky}).start()
    dispatcher.submit("flaky", {})
    assert dispatcher.wait_idle(10)
    assert attempts == [0, 1]
    dispatcher.submit("flaky", {})
    left = dispatcher.stop(0)
    assert left in (0, 1)
    state.close()
