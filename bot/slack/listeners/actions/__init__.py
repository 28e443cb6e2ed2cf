"""Block actions (buttons)."""

from slack_bolt import App

from bot.slack.listeners.actions.share_in_channel import share_in_channel_callback
from bot.slack.render import SHARE_ACTION_ID


def register(app: App) -> None:
    app.action(SHARE_ACTION_ID)(share_in_channel_callback)
