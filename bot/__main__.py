"""`python -m bot` starts the Slack app (the same as `smtpbot run`)."""

import sys

from bot.slack.app import main

sys.exit(main())
