"""Every listener of the app, grouped by kind (Bolt's starter-template layout).

Each kind's package has `register(app)`; `register_listeners` also installs the
middleware that hands the shared `Services` to every listener through the context.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App, BoltContext

from bot.slack.listeners import actions, commands, events, home, shortcuts
from bot.slack.services import CONTEXT_KEY, Services

KINDS = (commands, events, shortcuts, actions, home)


def register_listeners(app: App, services: Services) -> None:
    def inject_services(context: BoltContext, next: Callable[[], None]) -> None:
        context[CONTEXT_KEY] = services
        next()

    app.use(inject_services)
    for kind in KINDS:
        kind.register(app)
