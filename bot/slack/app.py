"""Building and starting the Slack app: Socket Mode with SLACK_APP_TOKEN, else HTTP.

HTTP mode is served by waitress (a production WSGI server) through Bolt's WSGI
adapter; events, commands and interactivity all POST to ``/slack/events``. In
distribution mode (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, no SLACK_BOT_TOKEN) the same
server also runs Bolt's install flow (``/slack/install``, ``/slack/oauth_redirect``) and
every workspace is answered with its own token (`bot.slack.oauth`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from dotenv import find_dotenv, load_dotenv
from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.web import WebClient

from bot.slack import digest, jobs, replies
from bot.slack.delivery import CALL_TIMEOUT_SECONDS
from bot.slack.dispatcher import Dispatcher
from bot.slack.http_front import EVENTS_PATH, MAX_REQUEST_BYTES, HttpFront
from bot.slack.listeners import register_listeners
from bot.slack.logs import ContextExecutor, bind, configure_logging
from bot.slack.oauth import INSTALL_PATH, TeamClients, TokenKeyError, oauth_settings, open_stores
from bot.slack.services import Services
from bot.slack.settings import README_HINT, Settings, SettingsError, load_settings
from bot.state import State, StateUnavailable

HTTP_HOST = "0.0.0.0"
HTTP_THREADS = 8
#: Seconds an idle HTTP connection is kept; Slack opens a fresh one per request.
IDLE_TIMEOUT_SECONDS = 5
#: Open connections at once; waitress's default of 100 is easy to fill with idle sockets.
CONNECTION_LIMIT = 1000
#: Bolt's own calls (auth.test, Socket Mode's apps.connections.open) retry 429s this often;
#: answers are retried by the outbox instead, never by a sleeping listener thread.
RATE_LIMIT_RETRIES = 10
#: Listener threads: they only acknowledge and record work, so a few more than Bolt's
#: five keep acks flowing while the database is slow.
LISTENER_THREADS = 16

log = logging.getLogger("smtpbot.slack")


def build_client(settings: Settings) -> WebClient:
    """Bolt's and Socket Mode's client, with retries on 429 and resets (never used by answers)."""
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_worker_client(settings: Settings, token: str | None = None) -> WebClient:
    """The answers' client: a short timeout and no 429 sleeps; the outbox retries instead.

    With `token`, a workspace's client in distribution mode; else the one bot token's.
    """
    return WebClient(
        token=token or settings.bot_token,
        base_url=settings.api_url,
        timeout=CALL_TIMEOUT_SECONDS,
        retry_handlers=[],
    )


class QuietRequestVerification(RequestVerification):
    """Bolt's signature check, minus the request body it logs at INFO on a bad signature."""

    def _debug_log_error(self, signature: str, timestamp: str, body: str) -> None:
        self.logger.info("Refused a request with an invalid signature (timestamp %s)", timestamp)


def _quiet_request_verification(app: App, signing_secret: str) -> None:
    """Swap Bolt's verifier for the quiet one, in the same place of the middleware chain."""
    chain = app._middleware_list
    for index, middleware in enumerate(chain):
        if type(middleware) is RequestVerification:
            chain[index] = QuietRequestVerification(signing_secret, base_logger=app.logger)


def _bind_log_context(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Tag the request's log records with its team and channel ids (never its text)."""
    with bind(context.team_id, context.channel_id):
        return next()


def _log_listener_error(error: Exception) -> None:
    """Listener failures by type only: an exception message may quote what it read."""
    if isinstance(error, TokenKeyError):  # our own sentence, naming the setting to fix
        log.error("listener failed: %s", error)
        return
    log.error("listener failed: %s", type(error).__name__)
    log.debug("listener failure details", exc_info=error)


class _DropTokenSkippedWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client wins: it is the same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_BOLT_LOG = logging.getLogger("smtpbot.bolt")
_BOLT_LOG.addFilter(_DropTokenSkippedWarning())


_SERVICES: weakref.WeakKeyDictionary[App, Services] = weakref.WeakKeyDictionary()


#: Variables Bolt reads by itself; in single-workspace mode it must not see them.
_BOLT_OAUTH_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
_ENVIRONMENT_LOCK = threading.Lock()


@contextlib.contextmanager
def _hidden_from_bolt(names: tuple[str, ...]) -> Iterator[None]:
    """Hide `names` from the environment while Bolt builds an app.

    With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET in the environment, Bolt turns a
    single-token app into an OAuth app with a file installation store and drops the token.
    """
    with _ENVIRONMENT_LOCK:
        saved = {name: os.environ.pop(name) for name in names if name in os.environ}
        try:
            yield
        finally:
            os.environ.update(saved)


def create_app(settings: Settings, state: State | None = None) -> App:
    """The Bolt app with every listener registered and its workers started.

    Single workspace: calls auth.test once (token check). Distribution: opens the
    installation and OAuth state tables in the same database (raises `TokenKeyError` when
    the stored tokens cannot be read with SMTPBOT_ENCRYPTION_KEY). Opens the database unless
    `state` is given (raises `StateUnavailable`). Stop the workers with `stop_app`.
    """
    state = state or State.open(settings.database_url)
    common: dict[str, Any] = {
        "client": build_client(settings),
        "signing_secret": settings.signing_secret or "",
        "request_verification_enabled": not settings.socket_mode,
        # Slack hears the ack only once the owed work is committed (listeners only record
        # it): an ack sent first is an answer lost if the process dies before the commit.
        "process_before_response": True,
        "logger": _BOLT_LOG,
        "listener_executor": ContextExecutor(LISTENER_THREADS, "smtpbot-listener"),
    }
    teams: TeamClients | None = None
    if settings.oauth is not None:
        if state.engine is None:
            raise RuntimeError("distribution mode needs the SQL state backend")
        installations, states = open_stores(settings.oauth, state.engine)
        app = App(
            **common,
            oauth_settings=oauth_settings(
                settings.oauth, installations, states, settings.api_url
            ),
        )
        # app_uninstalled and tokens_revoked delete that workspace's tokens.
        app.enable_token_revocation_listeners()
        teams = TeamClients(
            installations.bot_token_for_team,
            lambda token: build_worker_client(settings, token),
        )
    else:
        with _hidden_from_bolt(_BOLT_OAUTH_VARIABLES):
            app = App(**common)
    app.use(_bind_log_context)
    if settings.signing_secret and not settings.socket_mode:
        _quiet_request_verification(app, settings.signing_secret)
    app.error(_log_listener_error)
    services = Services(
        settings=settings, state=state, client=build_worker_client(settings), teams=teams
    )
    services.dispatcher = Dispatcher(state, jobs.handlers(services)).start()
    scheduler = digest.scheduler_for(services)
    services.digest = scheduler.start() if scheduler is not None else None
    register_listeners(app, services)
    _SERVICES[app] = services
    return app


def services_for(app: App) -> Services:
    return _SERVICES[app]


def stop_app(app: App, grace_seconds: float | None = None) -> int:
    """Stop taking work, drain for the grace period, hand back the rest; close the database.

    Returns how many owed items are left for the next start.
    """
    services = _SERVICES.pop(app, None)
    if services is None:  # already stopped
        return 0
    if services.digest is not None:
        services.digest.stop()
    grace = services.settings.drain_seconds if grace_seconds is None else grace_seconds
    left = services.dispatcher.stop(grace) if services.dispatcher is not None else 0
    services.state.close()
    return left


def wsgi_app(app: App) -> SlackRequestHandler:
    return SlackRequestHandler(app, path=EVENTS_PATH)


def socket_mode_handler(app: App, settings: Settings) -> SocketModeHandler:
    """Socket Mode over slack_sdk's built-in client, sharing the app's WebClient."""
    return SocketModeHandler(app, app_token=settings.app_token, web_client=app.client)


def http_front(app: App, settings: Settings) -> HttpFront:
    """The WSGI app HTTP mode serves: Bolt behind the size and signature checks."""
    state = services_for(app).state
    readiness: dict[str, Callable[[], str | None]] = {
        "database": lambda: "unreachable (answering from memory)" if state.degraded else None,
    }
    if settings.oauth is None:
        # In distribution mode there is no one token to check, and one workspace's
        # uninstall must not take the replica out of service.
        readiness = {"slack": TokenCheck(app.client), **readiness}
    return HttpFront(wsgi_app(app), settings.signing_secret or "", readiness=readiness)


class TokenCheck:
    """Readiness: Slack still accepts the bot token (auth.test, asked at most once a minute)."""

    def __init__(self, client: WebClient, ttl_seconds: float = 60.0) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._checked_at = -ttl_seconds
        self._problem: str | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        with self._lock:
            if time.monotonic() - self._checked_at >= self._ttl:
                self._problem = self._ask()
                self._checked_at = time.monotonic()
            return self._problem

    def _ask(self) -> str | None:
        try:
            self._client.auth_test()
        except SlackApiError as error:
            return f"token refused ({replies.error_code(error)})"
        except OSError as error:
            return f"Slack unreachable ({type(error).__name__})"
        return None


def create_server(front: HttpFront, host: str, port: int) -> Any:
    """waitress, set up for Slack's traffic rather than for file uploads.

    Idle connections are closed after a few seconds, so a crowd of them cannot hold every
    slot, and there are slots for bursts; bodies over the front's limit are refused by
    waitress before they are buffered.
    """
    import waitress

    return waitress.create_server(
        front,
        host=host,
        port=port,
        threads=HTTP_THREADS,
        ident="smtpbot",
        max_request_body_size=MAX_REQUEST_BYTES,
        channel_timeout=IDLE_TIMEOUT_SECONDS,
        cleanup_interval=1,
        connection_limit=CONNECTION_LIMIT,
        expose_tracebacks=False,
    )


def serve_http(app: App, settings: Settings) -> None:
    log.info("HTTP mode (waitress): listening on port %d at %s", settings.port, EVENTS_PATH)
    if settings.oauth is not None:
        log.info("installing in several workspaces: the install link is %s", INSTALL_PATH)
    create_server(http_front(app, settings), HTTP_HOST, settings.port).run()


def _fail(message: str) -> int:
    print(f"smtpbot: {message}", file=sys.stderr)
    return 2


class _Terminated(SystemExit):
    """SIGTERM arrived: leave the serving loop and drain.

    A SystemExit, because waitress's event loop swallows ordinary exceptions raised while it
    reads a socket and re-raises only these.
    """


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def main() -> int:
    """Start the app (``python -m bot``, ``smtpbot run``). Returns the exit status."""
    load_dotenv(find_dotenv(usecwd=True), override=False)
    try:
        settings = load_settings(os.environ)
    except SettingsError as error:
        return _fail(str(error))
    configure_logging(settings.log_level, json_lines=settings.log_json)
    try:
        state = State.open(settings.database_url)
    except StateUnavailable as error:
        return _fail(f"{error} ({README_HINT})")
    try:
        app = create_app(settings, state)
    except TokenKeyError as error:
        state.close()
        return _fail(f"{error} ({README_HINT})")
    except BoltError:
        state.close()
        return _fail(f"SLACK_BOT_TOKEN was refused by Slack at {settings.api_url} ({README_HINT})")
    except OSError as error:
        state.close()
        print(
            f"smtpbot: cannot reach Slack at {settings.api_url} (SLACK_API_URL): "
            f"{type(error).__name__}",
            file=sys.stderr,
        )
        return 1
    signal.signal(signal.SIGTERM, _on_sigterm)
    handler: SocketModeHandler | None = None
    refused: str | None = None
    try:
        if settings.socket_mode:
            log.info("Socket Mode: connecting")
            handler = socket_mode_handler(app, settings)
            handler.start()  # type: ignore[no-untyped-call]
        else:
            serve_http(app, settings)
    except (KeyboardInterrupt, _Terminated):
        log.info("stopping: no new work is taken; draining for up to %.0f s",
                 settings.drain_seconds)
    except SlackApiError as error:  # apps.connections.open refused the app-level token
        refused = (
            f"SLACK_APP_TOKEN was refused by Slack ({replies.error_code(error)}): it "
            f"needs the connections:write scope ({README_HINT})"
        )
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if handler is not None:
            handler.close()  # type: ignore[no-untyped-call]
        stop_app(app)
    # Printed last, so the one line is the last thing an operator reads.
    return _fail(refused) if refused else 0
