"""Shared state of the Slack app (SQLite embedded, PostgreSQL for production): see `State`."""

from bot.state.model import OutboxItem
from bot.state.store import State, StateUnavailable
from bot.state.url import DEFAULT_URL, VARIABLE

__all__ = ["DEFAULT_URL", "VARIABLE", "OutboxItem", "State", "StateUnavailable"]
