"""Counts per provider and per recipient domain a day (the digest's), on SQLite and
PostgreSQL and in the in-process fallback; a database made before them is migrated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pg_helpers import fresh_schema_url

from bot.state import State
from bot.state.memory import MemoryBackend
from bot.state.model import DAY, day_of
from bot.state.schema import LATEST, current_version


class Clock:
    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def state(request: pytest.FixtureRequest, clock: Clock, tmp_path: Path) -> Iterator[State]:
    if request.param == "memory":
        yield State(MemoryBackend(), clock)
        return
    if request.param == "sqlite":
        opened = State.open(f"sqlite:///{tmp_path / 'tallies.sqlite3'}", clock)
        yield opened
        opened.close()
        return
    for url in fresh_schema_url(request.getfixturevalue("postgres_url")):
        opened = State.open(url, clock)
        yield opened
        opened.close()


def test_tallies_add_up_per_key_within_the_days_asked(state: State, clock: Clock) -> None:
    first = day_of(clock.now)
    state.tally("T1", "domain", {"gmail.com": 2, "yahoo.com": 1})
    state.tally("T1", "domain", {"gmail.com": 1})
    state.tally("T2", "domain", {"gmail.com": 5})
    state.tally("T1", "provider", {"Yahoo Mail": 1})
    clock.now += 3 * DAY
    state.tally("T1", "domain", {"yahoo.com": 4})
    later = day_of(clock.now)
    assert state.tallies("T1", "domain", first, first) == [("gmail.com", 3), ("yahoo.com", 1)]
    assert state.tallies("T1", "domain", first, later) == [("yahoo.com", 5), ("gmail.com", 3)]
    assert state.tallies("T1", "domain", later, later) == [("yahoo.com", 4)]
    assert state.tallies("T1", "provider", first, later) == [("Yahoo Mail", 1)]
    assert state.tallies("T2", "domain", first, later) == [("gmail.com", 5)]


def test_reasons_are_read_from_the_per_reason_counts(state: State, clock: Clock) -> None:
    state.count("T1", ["blocked", "userunknown"])
    state.count("T1", ["blocked"])
    today = day_of(clock.now)
    assert state.tallies("T1", "reason", today, today) == [("blocked", 2), ("userunknown", 1)]


def test_an_unknown_dimension_is_refused(state: State) -> None:
    with pytest.raises(ValueError):
        state.tally("T1", "reason", {"x": 1})
    with pytest.raises(ValueError):
        state.tallies("T1", "address", "2026-01-01", "2026-01-02")


def test_a_version_1_database_gains_the_tallies_table(tmp_path: Path, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE smtpbot_schema_version (version INTEGER PRIMARY KEY, applied_at FLOAT)"
        )
        connection.exec_driver_sql("INSERT INTO smtpbot_schema_version VALUES (1, 0)")
        connection.exec_driver_sql(
            "CREATE TABLE smtpbot_statistics (day VARCHAR(10), team_id VARCHAR(32), "
            "reason VARCHAR(64), count INTEGER, PRIMARY KEY (day, team_id, reason))"
        )
    state = State.open(url, clock)
    state.tally("T1", "domain", {"gmail.com": 1})
    assert state.tallies("T1", "domain", day_of(clock.now), day_of(clock.now)) == [
        ("gmail.com", 1)
    ]
    state.close()
    with engine.connect() as connection:
        assert current_version(connection) == LATEST == 2
    engine.dispose()
