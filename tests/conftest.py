"""Shared test fixtures: where the shared corpus lives."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Container, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "sisimai"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def labelled_files(modules: Container[str | None]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Corpus files whose labels name one of `modules`, each with its rows in recipient order.

    Empty when the shared corpus is absent, so a parametrised table simply has no rows.
    """
    path = CORPUS / "labels.jsonl"
    if not path.is_file():
        return []
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in read_jsonl(path):
        if row["module"] in modules:
            by_file[row["file"]].append(row)
    return [(n, sorted(rows, key=lambda r: r["index"])) for n, rows in sorted(by_file.items())]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"shared corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(autouse=True, scope="session")
def _bugs_fail_tests() -> None:
    """An exception inside a detector or the classifier fails the test instead of
    becoming a logged note (`bot.core.scan.STRICT`)."""
    import sys

    import bot.core.scan  # noqa: F401  (the package attribute is the function)

    sys.modules["bot.core.scan"].STRICT = True


#: The PostgreSQL this machine kind runs (trust auth, database `test`).
LOCAL_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


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

    The server at 127.0.0.1:5432 when it answers, else one started from the pip package
    `pgserver`, so the README's test command passes on a machine without one; with
    ``CI=true`` and neither, the tests fail: they are never skipped there.

    SMTPBOT_TEST_POSTGRES=pgserver skips the local server (to try the fallback).
    """
    if os.environ.get("SMTPBOT_TEST_POSTGRES") != "pgserver" and _reachable(LOCAL_POSTGRES_URL):
        yield LOCAL_POSTGRES_URL
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
