"""The Slack face of smtpbot: a Bolt app that answers with what `bot.core` concludes.

Entry point: `bot.slack.app.main()` (``python -m bot`` and ``smtpbot run``).
"""
