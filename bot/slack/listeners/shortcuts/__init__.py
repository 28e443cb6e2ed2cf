"""Message shortcuts."""

from slack_bolt import App

from bot.slack.listeners.shortcuts.explain_bounce import (
    EXPLAIN_BOUNCE_CALLBACK_ID,
    explain_bounce_callback,
)


def register(app: App) -> None:
    app.shortcut(EXPLAIN_BOUNCE_CALLBACK_ID)(explain_bounce_callback)
