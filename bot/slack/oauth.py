"""Distribution: Slack's OAuth install flow, with installations kept in our database.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (and no SLACK_BOT_TOKEN) the app serves
``/slack/install`` and ``/slack/oauth_redirect`` through Bolt's OAuth flow, and answers each
installed workspace with that workspace's own token. Installations and OAuth states live in
slack_sdk's SQLAlchemy stores on the same engine as the rest of our state; with
SMTPBOT_ENCRYPTION_KEY set, tokens are encrypted at rest with Fernet (AES in CBC mode with
an HMAC, from `cryptography`).
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urljoin

from cryptography.fernet import Fernet, InvalidToken
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.web import WebClient
from sqlalchemy import MetaData, Table, Text, and_, delete, desc, select, update
from sqlalchemy.engine import Engine

from bot.slack.settings import OAuthConfig

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
#: The bot scopes manifest.yml declares (tests/slack/test_oauth.py keeps them equal).
BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "chat:write",
    "commands",
    "files:read",
    "groups:history",
    "im:history",
)
#: How long an install link stays valid, in seconds.
STATE_EXPIRY_SECONDS = 600
#: A worker reuses a workspace's token this long before reading it again, so an
#: uninstall reaches every replica within this time.
TOKEN_CACHE_SECONDS = 30.0

_TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
#: Every Fernet token starts with its version byte 0x80, which base64 spells so.
_FERNET_PREFIX = "gAAAAA"

Record = TypeVar("Record", Installation, Bot)


class TokenKeyError(Exception):
    """Stored tokens cannot be read with this SMTPBOT_ENCRYPTION_KEY (or without one)."""


class NotInstalled(Exception):
    """The workspace has no bot token (never installed, uninstalled, or tokens revoked)."""

    def __init__(self, team_id: str | None) -> None:
        super().__init__(f"workspace {team_id or '(none)'} has no installation")
        self.team_id = team_id


def _widen_token_columns(table: Table) -> Table:
    """Token columns as TEXT: an encrypted token outgrows slack_sdk's VARCHAR(200)."""
    for name in _TOKEN_FIELDS:
        if name in table.c:
            table.c[name].type = Text()
    return table


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, with every token encrypted before it is written.

    Reading opens only values that are Fernet tokens, so a record opened once passes
    unchanged through slack_sdk's own re-reads, and tokens saved before a key was set
    stay readable (they are encrypted the next time they are saved).
    """

    def __init__(self, client_id: str, engine: Engine, key: str | None) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self._fernet = Fernet(key.encode()) if key else None

    @classmethod
    def build_installations_table(cls, metadata: MetaData, table_name: str) -> Table:
        return _widen_token_columns(super().build_installations_table(metadata, table_name))

    @classmethod
    def build_bots_table(cls, metadata: MetaData, table_name: str) -> Table:
        return _widen_token_columns(super().build_bots_table(metadata, table_name))

    # -- sealing and opening ---------------------------------------------------------------

    def _seal(self, value: str) -> str:
        if self._fernet is None or value.startswith(_FERNET_PREFIX):
            return value
        return self._fernet.encrypt(value.encode()).decode()

    def _open(self, value: str) -> str:
        if not value.startswith(_FERNET_PREFIX):
            return value
        if self._fernet is None:
            raise TokenKeyError(
                "the Slack tokens in the database are encrypted: set SMTPBOT_ENCRYPTION_KEY "
                "to the key they were saved with"
            )
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(
                "SMTPBOT_ENCRYPTION_KEY cannot decrypt the Slack tokens in the database: it "
                "is not the key they were saved with"
            ) from None

    def _sealed(self, record: Record) -> Record:
        sealed = copy.copy(record)
        for name in _TOKEN_FIELDS:
            if value := getattr(sealed, name, None):
                setattr(sealed, name, self._seal(value))
        return sealed

    def _opened(self, record: Record | None) -> Record | None:
        if record is not None:
            for name in _TOKEN_FIELDS:
                if value := getattr(record, name, None):
                    setattr(record, name, self._open(value))
        return record

    # -- slack_sdk's interface -------------------------------------------------------------

    def save(self, installation: Installation) -> None:
        super().save(self._sealed(installation))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self._sealed(bot))

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return self._opened(
            super().find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
        )

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return self._opened(
            super().find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            )
        )

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the bot token everywhere it is kept, installation rows included.

        slack_sdk deletes only the bot rows, and Bolt reads installation rows first, so a
        revoked token would otherwise still be found there.
        """
        b, i = self.bots.c, self.installations.c
        with self.engine.begin() as connection:  # one transaction: no reader sees half of it
            connection.execute(
                delete(self.bots).where(
                    and_(
                        b.client_id == self.client_id,
                        b.enterprise_id == enterprise_id,
                        b.team_id == team_id,
                    )
                )
            )
            connection.execute(
                update(self.installations)
                .where(
                    and_(
                        i.client_id == self.client_id,
                        i.enterprise_id == enterprise_id,
                        i.team_id == team_id,
                    )
                )
                .values(bot_token=None, bot_refresh_token=None, bot_token_expires_at=None)
            )

    # -- ours ------------------------------------------------------------------------------

    def bot_token_for_team(self, team_id: str) -> str | None:
        """The latest bot token of a workspace, by its team id alone.

        Team ids are unique across Slack, so a workspace of an Enterprise Grid org is found
        without knowing its enterprise id (outbox payloads carry only the team id).
        """
        c = self.bots.c
        query = (
            select(c.bot_token)
            .where(
                and_(
                    c.client_id == self.client_id,
                    c.team_id == team_id,
                    c.bot_token.is_not(None),
                )
            )
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        with self.engine.connect() as connection:
            token = connection.execute(query).scalar()
        return self._open(token) if token else None

    def check_key(self) -> None:
        """Raise `TokenKeyError` when the newest stored token cannot be read (at start)."""
        c = self.bots.c
        query = (
            select(c.bot_token)
            .where(and_(c.client_id == self.client_id, c.bot_token.is_not(None)))
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        with self.engine.connect() as connection:
            token = connection.execute(query).scalar()
        if token:
            self._open(token)


class AtomicOAuthStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's state store, where a state is consumed by one DELETE … RETURNING.

    slack_sdk reads the row and then deletes it, so two replicas given the same redirect at
    once could both accept it; a single delete lets exactly one of them succeed. Expired
    states are swept whenever a new one is issued.
    """

    def issue(self, *args: Any, **kwargs: Any) -> str:
        now = normalize_datetime_for_db(dt.datetime.now(tz=dt.UTC))
        with self.engine.begin() as connection:
            connection.execute(
                delete(self.oauth_states).where(self.oauth_states.c.expire_at <= now)
            )
        state: str = super().issue(*args, **kwargs)
        return state

    def consume(self, state: str) -> bool:
        now = normalize_datetime_for_db(dt.datetime.now(tz=dt.UTC))
        c = self.oauth_states.c
        with self.engine.begin() as connection:
            taken = connection.execute(
                delete(self.oauth_states)
                .where(and_(c.state == state, c.expire_at > now))
                .returning(c.id)
            ).first()
        return taken is not None


class TeamClients:
    """A Web API client per workspace, its token read from the installations (cached briefly)."""

    def __init__(
        self,
        tokens: Callable[[str], str | None],
        make_client: Callable[[str], WebClient],
        ttl_seconds: float = TOKEN_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tokens = tokens
        self._make_client = make_client
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, WebClient]] = {}
        self._lock = threading.Lock()

    def client_for(self, team_id: str | None) -> WebClient:
        """The workspace's client; `NotInstalled` when it has no bot token."""
        if not team_id:
            raise NotInstalled(team_id)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(team_id)
        if cached is not None and now < cached[0]:
            return cached[1]
        token = self._tokens(team_id)
        if token is None:
            with self._lock:
                self._cache.pop(team_id, None)
            raise NotInstalled(team_id)
        client = cached[1] if cached is not None and cached[1].token == token else None
        client = client or self._make_client(token)
        with self._lock:
            self._cache[team_id] = (now + self._ttl, client)
        return client


def authorization_url(api_url: str) -> str:
    """Slack's authorize page on the same host as the Web API (GovSlack has its own)."""
    return urljoin(api_url, "../oauth/v2/authorize")


def open_stores(
    config: OAuthConfig, engine: Engine
) -> tuple[EncryptedInstallationStore, AtomicOAuthStateStore]:
    """The installation and state stores on our engine, their tables created if missing.

    Raises `TokenKeyError` when the stored tokens cannot be read with the configured key.
    """
    installations = EncryptedInstallationStore(config.client_id, engine, config.encryption_key)
    installations.create_tables()  # type: ignore[no-untyped-call]
    states = AtomicOAuthStateStore(expiration_seconds=STATE_EXPIRY_SECONDS, engine=engine)
    states.create_tables()  # type: ignore[no-untyped-call]
    installations.check_key()
    return installations, states


def oauth_settings(
    config: OAuthConfig,
    installations: EncryptedInstallationStore,
    states: AtomicOAuthStateStore,
    api_url: str,
) -> OAuthSettings:
    """Bolt's OAuth settings, every value given so Bolt reads none from the environment."""
    settings = OAuthSettings(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=config.redirect_uri,
        installation_store=installations,
        state_store=states,
        state_expiration_seconds=STATE_EXPIRY_SECONDS,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url(api_url),
    )
    # auth.test once per token rather than once per request: a token that stops being
    # found (uninstalled, revoked) is never looked up in this cache.
    settings.authorize.cache_enabled = True  # type: ignore[attr-defined]
    return settings
