"""Distribution mode end to end: Slack's install flow, two workspaces, each answered with its
own token, tokens encrypted at rest, uninstall, and install states that cannot be replayed.

The real app runs under waitress against the fake Slack, which knows several workspaces and
exchanges pre-registered codes for their bot tokens in ``oauth.v2.access``.
"""

from __future__ import annotations

import html
import http.client
import logging
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import sqlalchemy as sa
import yaml
from cryptography.fernet import Fernet
from fake_slack import FakeSlack
from fake_slack import payloads as p
from slack_helpers import BOUNCE, MULTI_BOUNCE_EML, RunningApp
from slack_sdk.web import WebClient

from bot.slack.app import create_app, services_for
from bot.slack.oauth import (
    BOT_SCOPES,
    EncryptedInstallationStore,
    NotInstalled,
    TeamClients,
    TokenKeyError,
)
from bot.slack.settings import SettingsError, load_settings
from tests.state.pg_helpers import fresh_schema_url

ROOT = Path(__file__).resolve().parents[2]
KEY = Fernet.generate_key().decode()
TEAMS = ("T0ALPHA", "T0BRAVO")


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str


def _get(app: RunningApp, path: str, cookie: str | None = None) -> Reply:
    url = urlparse(app.url)
    with closing(http.client.HTTPConnection(url.hostname, url.port, timeout=10)) as conn:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read().decode())


@dataclass
class InstallLink:
    url: str
    state: str
    cookie: str


def _install_link(app: RunningApp) -> InstallLink:
    reply = _get(app, "/slack/install")
    assert reply.status == 200
    hrefs = re.findall(r'<a href="([^"]+)"', reply.body)
    assert hrefs, reply.body
    link = html.unescape(hrefs[0])
    state = parse_qs(urlparse(link).query)["state"][0]
    cookie = reply.headers["Set-Cookie"].split(";")[0]
    return InstallLink(link, state, cookie)


def _redirect(app: RunningApp, code: str, state: str, cookie: str | None) -> Reply:
    return _get(app, "/slack/oauth_redirect?" + urlencode({"code": code, "state": state}), cookie)


def _install(app: RunningApp, team_id: str) -> None:
    """A person of `team_id` opens the install link, approves, and comes back with a code."""
    link = _install_link(app)
    code = f"code-{team_id}"
    app.fake.grant(code, team_id)
    reply = _redirect(app, code, link.state, link.cookie)
    assert reply.status == 200, reply.body


def _event(app: RunningApp, team_id: str, event: dict[str, Any]) -> None:
    body, kind = p.json_body(p.event_callback(event, team=team_id))
    assert app.sender.post(body, kind).status == 200


def _posted_by(fake: FakeSlack, token: str) -> list[Any]:
    return [c for c in fake.calls("chat.postMessage") if c.ok and c.token == token]


def _eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Revocation listeners run after the ack, like every listener: wait for their effect."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _rows(app: RunningApp, table: str) -> list[dict[str, Any]]:
    engine = services_for(app.app).state.engine
    assert engine is not None
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(sa.text(f"SELECT * FROM {table}")).mappings()]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite, and the session's PostgreSQL (a schema of its own per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'oauth.sqlite3'}"
        return
    yield from fresh_schema_url(request.getfixturevalue("postgres_url"))


@pytest.fixture
def oauth_env(fake: FakeSlack, database_url: str) -> dict[str, str]:
    for team in TEAMS:
        fake.add_workspace(team)
    return {
        "SMTPBOT_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "",
        "SLACK_CLIENT_ID": fake.client_id,
        "SLACK_CLIENT_SECRET": fake.client_secret,
        "SMTPBOT_ENCRYPTION_KEY": KEY,
    }


@pytest.fixture
def oauth_app(oauth_env: dict[str, str], start_app: Callable[..., RunningApp]) -> RunningApp:
    # oauth_env first: its database outlives the app, which releases its leases at teardown.
    return start_app(**oauth_env)


def test_install_link_is_slacks_authorize_page_with_a_state(oauth_app: RunningApp) -> None:
    link = _install_link(oauth_app)
    parsed = urlparse(link.url)
    # SLACK_API_URL's host: slack.com in production, the fake here.
    assert f"{parsed.scheme}://{parsed.netloc}/" == oauth_app.fake.url
    assert parsed.path == "/oauth/v2/authorize"
    query = parse_qs(parsed.query)
    assert query["client_id"] == [oauth_app.fake.client_id]
    assert set(query["scope"][0].split(",")) == set(BOT_SCOPES)
    assert link.cookie == f"slack-app-oauth-state={link.state}"
    assert [row["state"] for row in _rows(oauth_app, "slack_oauth_states")] == [link.state]


def test_two_workspaces_are_installed_and_each_answered_with_its_own_token(
    oauth_app: RunningApp, caplog_info: pytest.LogCaptureFixture
) -> None:
    fake = oauth_app.fake
    for team in TEAMS:
        _install(oauth_app, team)
    exchanges = fake.calls("oauth.v2.access")
    assert [c.params["code"] for c in exchanges] == [f"code-{t}" for t in TEAMS]
    assert all(c.ok for c in exchanges)

    for team in TEAMS:
        _event(oauth_app, team, p.message(BOUNCE, channel=f"C{team}"))
    for team in TEAMS:
        token = fake.workspace(team).bot_token
        fake.wait_for(lambda calls, token=token: bool(_posted_by(fake, token)))
        (answer,) = _posted_by(fake, token)
        assert answer.params["channel"] == f"C{team}"  # its own workspace's channel

    # /smtp from each: answered through each command's response_url.
    for team in TEAMS:
        fields = p.slash_command(BOUNCE, fake.response_url(f"cmd-{team}"), team=team)
        assert oauth_app.sender.post(*p.form(fields)).status == 200
    fake.wait_for(lambda calls: {c.path for c in calls if c.method == "response_url"}
                  >= {f"/response/cmd-{t}" for t in TEAMS})

    # An upload in the second workspace is downloaded with that workspace's token.
    bravo = fake.workspace(TEAMS[1])
    info = fake.add_file("F0BRAVO", "bounce.eml", MULTI_BOUNCE_EML, team_id=bravo.team_id)
    _event(oauth_app, bravo.team_id, p.message("", subtype="file_share", files=[info]))
    (download,) = fake.wait_calls("files.download")
    assert download.token == bravo.bot_token
    fake.wait_for(lambda calls: len(_posted_by(fake, bravo.bot_token)) == 2)
    assert not [c for c in fake.calls("chat.postMessage") if not c.ok]
    logged = "\n".join(r.getMessage() for r in caplog_info.records)
    for team in TEAMS:  # no token, no code, no secret in the log at INFO
        assert fake.workspace(team).bot_token not in logged
        assert f"code-{team}" not in logged
    assert fake.client_secret not in logged and KEY not in logged


def test_home_tab_and_shortcut_answer_with_the_workspaces_token(oauth_app: RunningApp) -> None:
    fake = oauth_app.fake
    bravo = fake.workspace(TEAMS[1])
    _install(oauth_app, bravo.team_id)
    _event(oauth_app, bravo.team_id, p.app_home_opened())
    (published,) = fake.wait_calls("views.publish")
    assert published.token == bravo.bot_token
    shortcut = p.message_shortcut(
        "explain_bounce", p.message(BOUNCE), None, team=bravo.team_id
    )
    assert oauth_app.sender.post(*p.interactive(shortcut)).status == 200
    (ephemeral,) = fake.wait_calls("chat.postEphemeral")
    assert ephemeral.token == bravo.bot_token


def test_tokens_at_rest_are_encrypted_and_read_back(oauth_app: RunningApp) -> None:
    for team in TEAMS:
        _install(oauth_app, team)
    for table in ("slack_bots", "slack_installations"):
        rows = _rows(oauth_app, table)
        assert len(rows) == len(TEAMS)
        assert "xoxb-" not in repr(rows)
    engine = services_for(oauth_app.app).state.engine
    assert engine is not None
    store = EncryptedInstallationStore(oauth_app.fake.client_id, engine, KEY)
    for team in TEAMS:
        expected = oauth_app.fake.workspace(team).bot_token
        assert store.bot_token_for_team(team) == expected
        found = store.find_installation(enterprise_id=None, team_id=team)
        assert found is not None and found.bot_token == expected
        # slack_sdk re-reads the bot row for another user's lookup: opened once, not twice.
        other_user = store.find_installation(
            enterprise_id=None, team_id=team, user_id="U0INSTALLER"
        )
        assert other_user is not None and other_user.bot_token == expected


def test_without_a_key_tokens_are_stored_as_given(
    oauth_env: dict[str, str], start_app: Callable[..., RunningApp]
) -> None:
    app = start_app(**{**oauth_env, "SMTPBOT_ENCRYPTION_KEY": ""})
    _install(app, TEAMS[0])
    assert app.fake.workspace(TEAMS[0]).bot_token in repr(_rows(app, "slack_bots"))


def test_a_wrong_or_missing_key_is_a_clear_error(
    oauth_app: RunningApp, oauth_env: dict[str, str], base_env: dict[str, str]
) -> None:
    _install(oauth_app, TEAMS[0])
    env = {**base_env, **oauth_env}
    wrong = load_settings({**env, "SMTPBOT_ENCRYPTION_KEY": Fernet.generate_key().decode()})
    with pytest.raises(TokenKeyError, match="SMTPBOT_ENCRYPTION_KEY cannot decrypt"):
        create_app(wrong)
    missing = load_settings({**env, "SMTPBOT_ENCRYPTION_KEY": ""})
    with pytest.raises(TokenKeyError, match="encrypted: set SMTPBOT_ENCRYPTION_KEY"):
        create_app(missing)


def test_python_m_bot_with_a_wrong_key_exits_2_with_one_line(
    oauth_app: RunningApp, oauth_env: dict[str, str], base_env: dict[str, str], tmp_path: Path
) -> None:
    _install(oauth_app, TEAMS[0])
    env = {
        **{k: v for k, v in base_env.items() if k != "SLACK_BOT_TOKEN"},
        **{k: v for k, v in oauth_env.items() if k != "SLACK_BOT_TOKEN"},
        "SMTPBOT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, text=True,
        capture_output=True, timeout=30,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("smtpbot: SMTPBOT_ENCRYPTION_KEY cannot decrypt"), result.stderr
    assert "Traceback" not in result.stderr


def test_uninstall_removes_one_workspace_and_the_other_still_works(
    oauth_app: RunningApp, caplog_info: pytest.LogCaptureFixture
) -> None:
    fake = oauth_app.fake
    alpha, bravo = (fake.workspace(t) for t in TEAMS)
    for team in TEAMS:
        _install(oauth_app, team)

    _event(oauth_app, alpha.team_id, {"type": "app_uninstalled", "event_ts": p.next_ts()})
    fake.revoke(alpha.team_id)
    for table in ("slack_bots", "slack_installations"):
        _eventually(
            lambda table=table: {r["team_id"] for r in _rows(oauth_app, table)} == {bravo.team_id}
        )

    _event(oauth_app, alpha.team_id, p.message(BOUNCE, channel="C0ALPHA"))
    _event(oauth_app, bravo.team_id, p.message(BOUNCE, channel="C0BRAVO"))
    fake.wait_for(lambda calls: bool(_posted_by(fake, bravo.bot_token)))
    fake.settle()
    assert [c.params["channel"] for c in fake.calls("chat.postMessage")] == ["C0BRAVO"]

    # Work still owed to the uninstalled workspace is dropped, not retried for 15 minutes.
    services = services_for(oauth_app.app)
    part = {"channel": "C0ALPHA", "text": "late"}
    services.submit(
        "api", {"method": "chat.postMessage", "part": part, "rest": [], "team_id": alpha.team_id}
    )
    assert services.dispatcher is not None and services.dispatcher.wait_idle(10)
    assert [c.params["channel"] for c in fake.calls("chat.postMessage")] == ["C0BRAVO"]
    assert any(
        r.levelno == logging.WARNING and f"workspace {alpha.team_id} is not installed"
        in r.getMessage() for r in caplog_info.records
    )


def test_tokens_revoked_deletes_the_bot_token(oauth_app: RunningApp) -> None:
    fake = oauth_app.fake
    alpha = fake.workspace(TEAMS[0])
    _install(oauth_app, alpha.team_id)
    revoked = {"type": "tokens_revoked", "tokens": {"bot": [alpha.bot_user_id]}}
    _event(oauth_app, alpha.team_id, revoked)
    _eventually(lambda: _rows(oauth_app, "slack_bots") == [])
    assert [row["bot_token"] for row in _rows(oauth_app, "slack_installations")] == [None]


def test_install_state_cannot_be_replayed_and_a_bad_state_is_refused(
    oauth_app: RunningApp,
) -> None:
    fake = oauth_app.fake
    link = _install_link(oauth_app)
    fake.grant("code-1", TEAMS[0])
    assert _redirect(oauth_app, "code-1", link.state, link.cookie).status == 200
    assert len(fake.calls("oauth.v2.access")) == 1

    # The same redirect again (a replay): the state was consumed.
    fake.grant("code-2", TEAMS[1])
    assert _redirect(oauth_app, "code-2", link.state, link.cookie).status == 401
    # A state the app never issued, with a cookie to match it.
    forged = "00000000-0000-0000-0000-000000000000"
    assert _redirect(oauth_app, "code-2", forged, f"slack-app-oauth-state={forged}").status == 401
    # A real state from another browser (no cookie).
    other = _install_link(oauth_app)
    assert _redirect(oauth_app, "code-2", other.state, None).status == 400
    assert len(fake.calls("oauth.v2.access")) == 1  # Slack was never asked for code-2
    assert {row["team_id"] for row in _rows(oauth_app, "slack_bots")} == {TEAMS[0]}


def test_single_workspace_mode_ignores_client_credentials_in_the_environment(
    start_app: Callable[..., RunningApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "fake-client-secret")
    app = start_app()  # SLACK_BOT_TOKEN is set: one workspace
    assert _get(app, "/slack/install").status == 404
    assert app.event(p.message(BOUNCE)).status == 200
    (answer,) = app.fake.wait_calls("chat.postMessage")
    assert answer.token == app.fake.bot_token


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SLACK_CLIENT_ID": "1.2"}, "SLACK_CLIENT_SECRET"),
        ({"SLACK_CLIENT_SECRET": "s"}, "SLACK_CLIENT_ID"),
        ({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"}, "SLACK_SIGNING_SECRET"),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_SIGNING_SECRET": "x",
             "SLACK_APP_TOKEN": "xapp-1-A1-2-x"},
            "SLACK_APP_TOKEN",
        ),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_SIGNING_SECRET": "x",
             "SMTPBOT_ENCRYPTION_KEY": "not-a-fernet-key"},
            "SMTPBOT_ENCRYPTION_KEY",
        ),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_SIGNING_SECRET": "x",
             "SLACK_REDIRECT_URI": "smtpbot.example.com/slack/oauth_redirect"},
            "SLACK_REDIRECT_URI",
        ),
    ],
)
def test_bad_distribution_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert caught.value.variable == variable
    assert "\n" not in str(caught.value)


def test_distribution_settings() -> None:
    settings = load_settings(
        {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_SIGNING_SECRET": "x",
         "SMTPBOT_ENCRYPTION_KEY": KEY}
    )
    assert settings.oauth is not None and settings.oauth.encryption_key == KEY
    assert settings.bot_token is None and not settings.socket_mode
    # A bot token means one workspace, whatever else is set.
    single = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s",
         "SLACK_APP_TOKEN": "xapp-1-A1-2-x"}
    )
    assert single.oauth is None and single.socket_mode


def test_the_install_link_asks_for_the_manifests_scopes() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert set(BOT_SCOPES) == set(manifest["oauth_config"]["scopes"]["bot"])
    assert "/slack/oauth_redirect" in (ROOT / "manifest.yml").read_text(encoding="utf-8")


def test_a_workspace_token_is_read_once_per_cache_period() -> None:
    now = [0.0]
    tokens = {"T0ALPHA": "xoxb-alpha"}
    lookups: list[str] = []

    def token_of(team_id: str) -> str | None:
        lookups.append(team_id)
        return tokens.get(team_id)

    teams = TeamClients(token_of, lambda token: WebClient(token=token), 30.0, lambda: now[0])
    first = teams.client_for("T0ALPHA")
    assert first.token == "xoxb-alpha"
    now[0] = 29.0
    assert teams.client_for("T0ALPHA") is first and lookups == ["T0ALPHA"]
    now[0] = 31.0  # read again after the period: an uninstall is seen here
    del tokens["T0ALPHA"]
    with pytest.raises(NotInstalled):
        teams.client_for("T0ALPHA")
    with pytest.raises(NotInstalled):
        teams.client_for(None)
    assert lookups == ["T0ALPHA", "T0ALPHA"]
