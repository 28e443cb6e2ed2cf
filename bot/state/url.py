"""Reading SMTPBOT_DATABASE_URL: which database, through which driver, and how to name it safely."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

VARIABLE = "SMTPBOT_DATABASE_URL"
DEFAULT_URL = "sqlite:///smtpbot.sqlite3"
_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


class DatabaseURLError(ValueError):
    """The URL is malformed or names a database we do not support; safe to print."""


def parse(raw: str) -> URL:
    """The SQLAlchemy URL, with plain ``postgresql://`` mapped to the psycopg 3 driver."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseURLError(
            f"{VARIABLE} is malformed: expected sqlite:///PATH or postgresql://USER@HOST/DB"
        ) from None
    driver = _DRIVERS.get(url.drivername, url.drivername)
    if driver not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise DatabaseURLError(
            f"{VARIABLE} names an unsupported database ({url.get_backend_name()}): "
            "use sqlite:///PATH or postgresql://…"
        )
    return url.set(drivername=driver)


def safe_name(url: URL) -> str:
    """The URL without its password, for messages and logs."""
    return url.render_as_string(hide_password=True)
