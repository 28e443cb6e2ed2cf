"""Logging for the app: redacted always, one JSON object a line with LOG_FORMAT=json.

Each record carries the Slack team and channel ids of the request it serves (set by
`bind` around a request and copied into listener threads), never a message's text.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

_TEAM: contextvars.ContextVar[str | None] = contextvars.ContextVar("team_id", default=None)
_CHANNEL: contextvars.ContextVar[str | None] = contextvars.ContextVar("channel_id", default=None)

P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def bind(team_id: str | None, channel_id: str | None) -> Iterator[None]:
    """Tag every record logged inside the block (and in work it hands to listener threads)."""
    team, channel = _TEAM.set(team_id), _CHANNEL.set(channel_id)
    try:
        yield
    finally:
        _TEAM.reset(team)
        _CHANNEL.reset(channel)


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in the submitter's context, so `bind` reaches them."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)  # type: ignore[arg-type]


class Redact(logging.Filter):
    """Last line of defence: no token or email address leaves through the log handlers."""

    _SECRET = re.compile(r"\b(?:xox[abposr]|xapp)-[A-Za-z0-9-]+")
    _ADDRESS = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._ADDRESS.sub("<address>", self._SECRET.sub("<token>", message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        record.team_id = _TEAM.get()
        record.channel_id = _CHANNEL.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log pipelines index without a parser of their own."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("team_id", "channel_id"):
            if value := getattr(record, key, None):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__  # the type only: messages may quote text
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s%(ids)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [f"{k}={v}" for k in ("team_id", "channel_id") if (v := getattr(record, k, None))]
        record.ids = f" [{' '.join(ids)}]" if ids else ""
        return super().format(record)


def configure_logging(level: int, json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    handler.addFilter(Redact())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
