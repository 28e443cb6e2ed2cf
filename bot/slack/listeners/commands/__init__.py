"""Slash commands."""

from slack_bolt import App

from bot.slack.listeners.commands.smtp import SMTP_COMMAND, smtp_command_callback


def register(app: App) -> None:
    app.command(SMTP_COMMAND)(smtp_command_callback)
