"""Database fixtures: every state test runs against SQLite and a real PostgreSQL.

PostgreSQL is the session's server (`postgres_url` in tests/conftest.py). Each test gets
its own schema, so parallel runs never see each other's rows.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pg_helpers import fresh_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.sqlite3'}"
        return
    yield from fresh_schema_url(request.getfixturevalue("postgres_url"))
