"""smtpbot: explains SMTP replies and bounce emails, in Slack and on the command line."""

__version__ = "0.1.0"
