"""A local fake Slack for end-to-end tests: Web API over HTTP, Socket Mode over WebSocket.

with FakeSlack() as slack:            # Web API at slack.api_url
    slack.enable_socket_mode()        # apps.connections.open → ws://127.0.0.1:…
"""

from __future__ import annotations

from types import TracebackType

from fake_slack.socket_mode import FakeSocketModeServer
from fake_slack.web_api import Call, FakeWebAPI, StoredFile, Workspace

__all__ = ["Call", "FakeSlack", "FakeSocketModeServer", "StoredFile", "Workspace"]


class FakeSlack(FakeWebAPI):
    socket_mode: FakeSocketModeServer | None = None

    def enable_socket_mode(self) -> FakeSocketModeServer:
        if self.socket_mode is None:
            self.socket_mode = FakeSocketModeServer().start()
            self.ws_url_factory = self.socket_mode.new_url
        return self.socket_mode

    def __enter__(self) -> FakeSlack:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.socket_mode is not None:
            self.socket_mode.stop()
        self.stop()
