"""Database fixtures: every state test runs against SQLite and a real PostgreSQL.

PostgreSQL is the server at 127.0.0.1:5432 (database `test`, user postgres) when it
answers; otherwise one started from the pip package `pgserver`. With ``CI=true`` and
neither, the tests fail: they are never skipped there. Each test gets its own schema,
so parallel runs never see each other's rows.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy.exc import OperationalError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pg_helpers import fresh_schema_url

LOCAL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _reachable(url: str) -> bool:
    engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server for the session (its URL), or a loud failure under CI.

    SMTPBOT_TEST_POSTGRES=pgserver skips the local server (to try the fallback).
    """
    if os.environ.get("SMTPBOT_TEST_POSTGRES") != "pgserver" and _reachable(LOCAL_URL):
        yield LOCAL_URL
        return
    try:
        import pgserver  # type: ignore[import-not-found]
    except ImportError:
        message = "no PostgreSQL at 127.0.0.1:5432 and pgserver is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    server = pgserver.get_server(str(tmp_path_factory.mktemp("pgdata")), cleanup_mode="stop")
    yield server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.sqlite3'}"
        return
    yield from fresh_schema_url(request.getfixturevalue("postgres_url"))
