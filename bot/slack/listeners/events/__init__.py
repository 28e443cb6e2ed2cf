"""Events API / Socket Mode events: channel and DM messages, and mentions."""

from slack_bolt import App

from bot.slack.listeners.events.app_mention import app_mention_callback
from bot.slack.listeners.events.message import message_callback


def register(app: App) -> None:
    app.event("message")(message_callback)
    app.event("app_mention")(app_mention_callback)
