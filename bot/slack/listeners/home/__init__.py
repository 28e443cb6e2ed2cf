"""The App Home tab."""

from slack_bolt import App

from bot.slack.listeners.home.app_home_opened import app_home_opened_callback


def register(app: App) -> None:
    app.event("app_home_opened")(app_home_opened_callback)
