"""Settings from the environment, checked once at start so a typo fails fast and clearly.

Every problem becomes a `SettingsError` naming the variable; `bot.slack.app.main`
prints it as one line and exits 2.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from cryptography.fernet import Fernet

from bot.core.limits import MAX_UPLOAD_BYTES
from bot.dns import DnsSettings, DnsSettingsError
from bot.state.url import DEFAULT_URL, DatabaseURLError, parse

README_HINT = "see README.md, section 'Slack setup'"
DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
#: On SIGTERM, running work gets this long to finish; the rest waits for the next start.
DEFAULT_DRAIN_SECONDS = 10.0
#: Largest uploaded file we download and read (bytes). Documented in README.
MAX_FILE_BYTES = MAX_UPLOAD_BYTES

_BOT_TOKEN = re.compile(r"xoxb-[A-Za-z0-9-]+")
_APP_TOKEN = re.compile(r"xapp-[A-Za-z0-9-]+")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,30}")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable} {problem} ({README_HINT})")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class OAuthConfig:
    """Distribution: Slack's OAuth install flow, one bot token per installed workspace."""

    client_id: str
    client_secret: str
    #: A Fernet key: bot tokens are encrypted at rest with it (None: stored as Slack gave them).
    encryption_key: str | None = None
    #: Sent with the authorize link; None lets Slack use the app's first redirect URL.
    redirect_uri: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    #: The one workspace's bot token; None in distribution (OAuth) mode.
    bot_token: str | None
    app_token: str | None
    signing_secret: str | None
    port: int
    api_url: str
    channels: frozenset[str] | None
    database_url: str
    log_level: int
    drain_seconds: float = DEFAULT_DRAIN_SECONDS
    log_json: bool = False
    max_file_bytes: int = MAX_FILE_BYTES
    #: Live DNS checks after an answer (`bot.slack.dns_followup`); on, system resolver.
    dns: DnsSettings = field(default_factory=DnsSettings)
    oauth: OAuthConfig | None = None
    #: The daily digest (see `bot.slack.digest`): off unless a channel is named.
    digest_channel: str | None = None
    digest_time: dt.time = dt.time(9, 0)
    digest_tz: str = "UTC"

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    def watches(self, channel: str | None) -> bool:
        """Whether auto-replies are allowed in `channel` (None in `channels` means all)."""
        if channel is None:
            return False
        return self.channels is None or channel in self.channels


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _bot_token(env: Mapping[str, str]) -> str:
    token = _get(env, "SLACK_BOT_TOKEN")
    if token is None:
        raise SettingsError(
            "SLACK_BOT_TOKEN",
            "is not set: copy the Bot User OAuth Token (xoxb-…), or set SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET to install in several workspaces",
        )
    if not _BOT_TOKEN.fullmatch(token):
        raise SettingsError("SLACK_BOT_TOKEN", "is malformed: a bot token starts with 'xoxb-'")
    return token


def _app_token(env: Mapping[str, str]) -> str | None:
    token = _get(env, "SLACK_APP_TOKEN")
    if token is not None and not _APP_TOKEN.fullmatch(token):
        raise SettingsError(
            "SLACK_APP_TOKEN", "is malformed: an app-level token starts with 'xapp-'"
        )
    return token


def _signing_secret(env: Mapping[str, str], socket_mode: bool) -> str | None:
    secret = _get(env, "SLACK_SIGNING_SECRET")
    if secret is None and not socket_mode:
        raise SettingsError(
            "SLACK_SIGNING_SECRET",
            "is not set: HTTP mode needs it (or set SLACK_APP_TOKEN for Socket Mode)",
        )
    if secret is not None and any(c.isspace() for c in secret):
        raise SettingsError("SLACK_SIGNING_SECRET", "is malformed: it must not contain spaces")
    return secret


def _port(env: Mapping[str, str]) -> int:
    raw = _get(env, "PORT")
    if raw is None:
        return DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError("PORT", f"is malformed: expected a number from 1 to 65535, got {raw!r}")
    return int(raw)


def _api_url(env: Mapping[str, str]) -> str:
    raw = _get(env, "SLACK_API_URL")
    if raw is None:
        return DEFAULT_API_URL
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(
            "SLACK_API_URL", "is malformed: expected a URL like https://slack.com/api/"
        )
    # WebClient joins method names onto the base URL: without the slash the last
    # path segment would be replaced.
    return raw if raw.endswith("/") else raw + "/"


def _channels(env: Mapping[str, str]) -> frozenset[str] | None:
    raw = _get(env, "SMTPBOT_CHANNELS")
    if raw is None:
        return None
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    bad = [part for part in ids if not _CHANNEL_ID.fullmatch(part)]
    if bad or not ids:
        raise SettingsError(
            "SMTPBOT_CHANNELS",
            "is malformed: expected channel IDs like C0123ABCD separated by commas "
            "(channel names are not accepted)",
        )
    return frozenset(ids)


def _log_level(env: Mapping[str, str]) -> int:
    raw = _get(env, "LOG_LEVEL")
    if raw is None:
        return logging.INFO
    name = raw.upper()
    if name not in _LOG_LEVELS:
        raise SettingsError("LOG_LEVEL", f"is malformed: expected one of {', '.join(_LOG_LEVELS)}")
    level: int = getattr(logging, name)
    return level


def _database_url(env: Mapping[str, str]) -> str:
    url = _get(env, "SMTPBOT_DATABASE_URL")
    if url is None:
        # The old setting, a path to the SQLite file, still works when the new one is unset.
        old_path = _get(env, "SMTPBOT_DB")
        url = f"sqlite:///{old_path}" if old_path else DEFAULT_URL
    try:
        parse(url)
    except DatabaseURLError as error:
        raise SettingsError("SMTPBOT_DATABASE_URL", str(error).split(" ", 1)[1]) from None
    return url


def _drain_seconds(env: Mapping[str, str]) -> float:
    raw = _get(env, "SMTPBOT_DRAIN_SECONDS")
    if raw is None:
        return DEFAULT_DRAIN_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 600:
        raise SettingsError(
            "SMTPBOT_DRAIN_SECONDS", f"is malformed: expected seconds from 0 to 600, got {raw!r}"
        )
    return value


def _log_json(env: Mapping[str, str]) -> bool:
    raw = (_get(env, "LOG_FORMAT") or "text").lower()
    if raw not in ("text", "json"):
        raise SettingsError("LOG_FORMAT", "is malformed: expected 'text' or 'json'")
    return raw == "json"


def _dns(env: Mapping[str, str]) -> DnsSettings:
    try:
        return DnsSettings.from_env(env)
    except DnsSettingsError as error:  # its message starts with the variable's name
        variable, _, problem = str(error).partition(" ")
        raise SettingsError(variable, f"is malformed: {problem}") from None


def _encryption_key(env: Mapping[str, str]) -> str | None:
    key = _get(env, "SMTPBOT_ENCRYPTION_KEY")
    if key is None:
        return None
    try:
        Fernet(key.encode("utf-8"))
    except ValueError:  # not 32 bytes of URL-safe base64 (binascii.Error is a ValueError)
        raise SettingsError(
            "SMTPBOT_ENCRYPTION_KEY",
            "is malformed: expected a Fernet key (44 characters of URL-safe base64); make one "
            "with python -c \"from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())\"",
        ) from None
    return key


def _redirect_uri(env: Mapping[str, str]) -> str | None:
    raw = _get(env, "SLACK_REDIRECT_URI")
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(
            "SLACK_REDIRECT_URI",
            "is malformed: expected a URL like https://smtpbot.example.com/slack/oauth_redirect",
        )
    return raw


_DIGEST_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def _digest_channel(env: Mapping[str, str]) -> str | None:
    raw = _get(env, "SMTPBOT_DIGEST_CHANNEL")
    if raw is None:
        return None
    if not _CHANNEL_ID.fullmatch(raw):
        raise SettingsError(
            "SMTPBOT_DIGEST_CHANNEL",
            f"is malformed: expected a channel ID like C0123ABCD, got {raw!r}",
        )
    return raw


def _oauth(env: Mapping[str, str]) -> OAuthConfig | None:
    """Distribution mode: client id and secret, and no bot token (which means one workspace)."""
    client_id = _get(env, "SLACK_CLIENT_ID")
    client_secret = _get(env, "SLACK_CLIENT_SECRET")
    if _get(env, "SLACK_BOT_TOKEN") is not None or (client_id is None and client_secret is None):
        return None
    if client_id is None:
        raise SettingsError("SLACK_CLIENT_ID", "is not set: SLACK_CLIENT_SECRET needs it")
    if client_secret is None:
        raise SettingsError("SLACK_CLIENT_SECRET", "is not set: SLACK_CLIENT_ID needs it")
    if _get(env, "SLACK_APP_TOKEN") is not None:
        # The installer's browser comes back to /slack/oauth_redirect over HTTPS anyway, and
        # Slack's Marketplace takes no Socket Mode apps: distribution is served over HTTP.
        raise SettingsError(
            "SLACK_APP_TOKEN",
            "cannot be used with SLACK_CLIENT_ID: installing in several workspaces runs in "
            "HTTP mode (unset SLACK_APP_TOKEN, set SLACK_SIGNING_SECRET)",
        )
    if _get(env, "SLACK_SIGNING_SECRET") is None:
        raise SettingsError(
            "SLACK_SIGNING_SECRET", "is not set: installing in several workspaces needs it"
        )
    return OAuthConfig(
        client_id=client_id,
        client_secret=client_secret,
        encryption_key=_encryption_key(env),
        redirect_uri=_redirect_uri(env),
    )


def _digest_time(env: Mapping[str, str]) -> dt.time:
    raw = _get(env, "SMTPBOT_DIGEST_TIME")
    if raw is None:
        return dt.time(9, 0)
    match = _DIGEST_TIME.fullmatch(raw)
    if match is None:
        raise SettingsError(
            "SMTPBOT_DIGEST_TIME", f"is malformed: expected HH:MM from 00:00 to 23:59, got {raw!r}"
        )
    return dt.time(int(match.group(1)), int(match.group(2)))


def _digest_tz(env: Mapping[str, str]) -> str:
    raw = _get(env, "SMTPBOT_DIGEST_TZ")
    if raw is None:
        return "UTC"
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            "SMTPBOT_DIGEST_TZ",
            f"is not a time zone name this system knows (IANA, e.g. Europe/Berlin): {raw!r}",
        ) from None
    return raw


def load_settings(env: Mapping[str, str]) -> Settings:
    """Read and check every setting; raise `SettingsError` on the first problem."""
    oauth = _oauth(env)
    if oauth is not None and _get(env, "SMTPBOT_DIGEST_CHANNEL") is not None:
        # A channel id names one workspace's channel; installed workspaces ask `/smtp digest`.
        raise SettingsError(
            "SMTPBOT_DIGEST_CHANNEL",
            "cannot be used when installing in several workspaces (use /smtp digest there)",
        )
    bot_token = None if oauth is not None else _bot_token(env)
    app_token = None if oauth is not None else _app_token(env)
    return Settings(
        bot_token=bot_token,
        app_token=app_token,
        signing_secret=_signing_secret(env, socket_mode=app_token is not None),
        port=_port(env),
        api_url=_api_url(env),
        channels=_channels(env),
        database_url=_database_url(env),
        log_level=_log_level(env),
        drain_seconds=_drain_seconds(env),
        log_json=_log_json(env),
        dns=_dns(env),
        oauth=oauth,
        digest_channel=_digest_channel(env),
        digest_time=_digest_time(env),
        digest_tz=_digest_tz(env),
    )
