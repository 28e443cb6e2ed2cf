"""The state layer against SQLite and PostgreSQL: the same behaviour from both."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.state import State, StateUnavailable
from bot.state import store as store_module
from bot.state.model import DAY


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(database_url: str, clock: Clock) -> Iterator[State]:
    opened = State.open(database_url, clock=clock)
    yield opened
    opened.close()


def test_an_event_is_accepted_once_even_when_threads_race(state: State) -> None:
    results: list[int | None] = []
    lock = threading.Lock()

    def accept() -> None:
        got = state.enqueue("message", {"n": 1}, deadline_seconds=600, event_id="Ev1")
        with lock:
            results.append(got)

    threads = [threading.Thread(target=accept) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([r for r in results if r is not None]) == 1
    assert state.pending() == 1


def test_reopening_keeps_de_duplication_and_pending_work(database_url: str, clock: Clock) -> None:
    first = State.open(database_url, clock=clock)
    assert first.enqueue("message", {"n": 1}, deadline_seconds=600, event_id="Ev2") is not None
    first.close()
    second = State.open(database_url, clock=clock)
    assert second.enqueue("message", {"n": 1}, deadline_seconds=600, event_id="Ev2") is None
    (item,) = second.claim_due("w", 10, 30)
    assert item.payload == {"n": 1}
    second.close()


def test_a_leased_item_goes_to_one_owner_and_back_after_the_lease(
    state: State, clock: Clock
) -> None:
    state.enqueue("post", {"x": 1}, deadline_seconds=600)
    assert len(state.claim_due("a", 10, 30)) == 1
    assert state.claim_due("b", 10, 30) == []
    clock.now += 31
    (again,) = state.claim_due("b", 10, 30)
    state.complete(again, [("post", {"y": 2}, clock.now + 60)])
    (follow_up,) = state.claim_due("b", 10, 30)
    assert follow_up.payload == {"y": 2}
    state.complete(follow_up)
    assert state.pending() == 0


def test_retries_wait_and_stop_at_the_deadline(state: State, clock: Clock) -> None:
    state.enqueue("post", {}, deadline_seconds=100)
    (item,) = state.claim_due("w", 1, 30)
    assert state.retry_later(item, 50, "HTTP 500")
    assert state.claim_due("w", 1, 30) == []
    clock.now += 50
    (item,) = state.claim_due("w", 1, 30)
    assert item.attempts == 1
    assert not state.retry_later(item, 60, "HTTP 500")  # past the deadline: given up
    clock.now += 1000
    assert state.claim_due("w", 1, 30) == []
    assert state.pending() == 0


def test_release_hands_leased_items_back_at_once(state: State) -> None:
    state.enqueue("post", {}, deadline_seconds=600)
    state.claim_due("leaving", 1, 300)
    assert state.release("leaving") == 1
    assert len(state.claim_due("next", 1, 30)) == 1


def test_a_message_is_answered_once(state: State) -> None:
    assert state.mark_answered("C1", "1.1")
    assert not state.mark_answered("C1", "1.1")
    assert state.mark_answered("C1", "1.2")


def test_share_texts_survive_and_expire_after_30_days(state: State, clock: Clock) -> None:
    key = state.put_share("x" * 5000)
    assert state.get_share(key) == "x" * 5000
    clock.now += 31 * DAY
    assert state.get_share(key) is None


def test_one_message_counts_once_per_reason_however_many_recipients(state: State) -> None:
    state.count("T1", ["userunknown"] * 20_000 + ["mailboxfull"] * 3)
    state.count("T1", ["userunknown", None])
    state.count("T2", ["blocked"])
    assert state.counts("T1") == [("userunknown", 2), ("mailboxfull", 1), ("undetermined", 1)]
    assert state.counts("T2") == [("blocked", 1)]


def test_counts_cover_the_last_days_only(state: State, clock: Clock) -> None:
    state.count("T1", ["blocked"])
    clock.now += 8 * DAY
    state.count("T1", ["userunknown"])
    assert state.counts("T1", days=7) == [("userunknown", 1)]
    assert state.counts("T1", days=30) == [("blocked", 1), ("userunknown", 1)]


def test_a_digest_is_claimed_once_per_period(state: State, clock: Clock) -> None:
    assert state.last_digest("C1") is None
    assert state.claim_digest("C1", not_since=clock.now - DAY)
    assert not state.claim_digest("C1", not_since=clock.now - DAY)
    assert state.last_digest("C1") == clock.now
    clock.now += DAY + 1
    assert state.claim_digest("C1", not_since=clock.now - DAY)


def test_old_rows_expire_without_a_cron(state: State, clock: Clock) -> None:
    state.enqueue("post", {}, deadline_seconds=600, event_id="Old")
    (item,) = state.claim_due("w", 1, 30)
    state.complete(item)
    clock.now += 2 * DAY + store_module.EXPIRE_EVERY_SECONDS
    state.mark_answered("C", "2")  # any call expires what is past its keep time
    assert state.enqueue("post", {}, deadline_seconds=600, event_id="Old") is not None


def test_a_malformed_or_unreachable_url_is_one_clean_error() -> None:
    with pytest.raises(StateUnavailable) as refused:
        State.open("postgresql://smtpbot:s3cret-pw@127.0.0.1:1/db")
    message = str(refused.value)
    assert "SMTPBOT_DATABASE_URL" in message and "s3cret-pw" not in message
    with pytest.raises(StateUnavailable, match="SMTPBOT_DATABASE_URL"):
        State.open("mysql://x@y/z")
    with pytest.raises(StateUnavailable, match="SMTPBOT_DATABASE_URL"):
        State.open("not a url")


def test_a_locked_database_falls_back_to_the_process_and_recovers(
    tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "locked.sqlite3"
    state = State.open(f"sqlite:///{path}", clock=clock)
    assert state.enqueue("post", {"before": 1}, deadline_seconds=600, event_id="E0") is not None
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    caplog.set_level(logging.WARNING, "smtpbot.state")
    try:
        assert state.enqueue("post", {"during": 1}, deadline_seconds=600, event_id="E1")
        assert state.enqueue("post", {"during": 2}, deadline_seconds=600, event_id="E1") is None
        assert state.mark_answered("C", "1") and not state.mark_answered("C", "1")
        assert state.degraded
        kinds = [item.payload for item in state.claim_due("w", 10, 30)]
        assert kinds == [{"during": 1}]
    finally:
        other.execute("ROLLBACK")
        other.close()
    warnings = [r for r in caplog.records if r.name == "smtpbot.state"]
    assert len(warnings) == 1  # once per outage, not once per call
    clock.now += store_module.RETRY_SECONDS + 1
    assert [item.payload for item in state.claim_due("w", 10, 30)] == [{"before": 1}]
    assert not state.degraded
    state.close()




def test_a_message_arriving_as_two_events_is_taken_once(state: State) -> None:
    first = state.enqueue("message", {}, deadline_seconds=60, event_id="Ea", message=("C", "9"))
    second = state.enqueue("message", {}, deadline_seconds=60, event_id="Eb", message=("C", "9"))
    assert first is not None and second is None
    assert state.pending() == 1


def test_postgresql_going_away_while_running_falls_back_and_recovers(
    postgres_url: str, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    from pg_helpers import fresh_schema_url
    from sqlalchemy.engine import make_url
    from tcp_proxy import Proxy

    real = make_url(postgres_url)
    socket_dir = real.query.get("host")
    target: tuple[str, int] | str = (
        f"{socket_dir}/.s.PGSQL.{real.port or 5432}"
        if isinstance(socket_dir, str)
        else (real.host or "127.0.0.1", real.port or 5432)
    )
    proxy = Proxy(target)
    schema_urls = fresh_schema_url(postgres_url)
    url = make_url(next(schema_urls))
    url = url.set(host="127.0.0.1", port=proxy.port, query={
        k: v for k, v in url.query.items() if k != "host"
    })
    state = State.open(url.render_as_string(hide_password=False), clock=clock)
    caplog.set_level(logging.WARNING, "smtpbot.state")
    try:
        assert state.enqueue("post", {"n": 1}, deadline_seconds=600, event_id="P1")
        proxy.down()
        # Down: answers are still taken, retries still de-duplicated, in this process.
        assert state.enqueue("post", {"n": 2}, deadline_seconds=600, event_id="P2")
        assert state.enqueue("post", {"n": 2}, deadline_seconds=600, event_id="P2") is None
        assert state.degraded
        assert [i.payload for i in state.claim_due("w", 10, 30)] == [{"n": 2}]
        assert len([r for r in caplog.records if r.name == "smtpbot.state"]) == 1
        proxy.up()
        clock.now += store_module.RETRY_SECONDS + 1
        assert [i.payload for i in state.claim_due("w", 10, 30)] == [{"n": 1}]
        assert not state.degraded
        assert state.enqueue("post", {"n": 1}, deadline_seconds=600, event_id="P1") is None
    finally:
        state.close()
        proxy.close()
        next(schema_urls, None)


def test_a_retry_the_database_cannot_record_is_kept_and_not_run_twice(
    tmp_path: Path, clock: Clock
) -> None:
    path = tmp_path / "orphans.sqlite3"
    state = State.open(f"sqlite:///{path}", clock=clock)
    state.enqueue("post", {"n": 1}, deadline_seconds=600)
    (item,) = state.claim_due("w", 10, 30)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        assert state.retry_later(item, 0, "HTTP 500")
        (kept,) = state.claim_due("w", 10, 30)
        assert kept.payload == {"n": 1} and kept.attempts == 1
        state.complete(kept)
    finally:
        other.execute("ROLLBACK")
        other.close()
    clock.now += store_module.RETRY_SECONDS + 60  # past the database row's lease too
    assert state.claim_due("w", 10, 30) == []
    assert state.pending() == 0
    state.close()
