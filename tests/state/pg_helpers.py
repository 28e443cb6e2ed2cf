"""A fresh PostgreSQL schema per test, so parallel runs never see each other's rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import sqlalchemy


def fresh_schema_url(server_url: str) -> Iterator[str]:
    """A new schema on the server, the URL that uses it, and the schema dropped after."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(server_url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
