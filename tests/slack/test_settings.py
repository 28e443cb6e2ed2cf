"""Settings: checked at start; a bad one is one clear line naming it, exit 2, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_slack import FakeSlack
from fake_slack import payloads as p
from fake_slack.sender import SignedSender
from slack_helpers import SIGNING_SECRET

from bot.slack.settings import DEFAULT_API_URL, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cr3t"}


def test_defaults() -> None:
    settings = load_settings(GOOD)
    assert settings.port == 3000
    assert settings.api_url == DEFAULT_API_URL
    assert settings.channels is None
    assert settings.database_url == "sqlite:///smtpbot.sqlite3"
    assert not settings.socket_mode
    assert settings.watches("C0ANY")


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1-A1-2-x"})
    assert settings.socket_mode


def test_values_are_read_and_normalised() -> None:
    settings = load_settings(
        {
            **GOOD,
            "PORT": "8080",
            "SLACK_API_URL": "https://slack-gov.com/api",
            "SMTPBOT_CHANNELS": " C0AAA ,G0BBB,",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.port == 8080
    assert settings.api_url == "https://slack-gov.com/api/"
    assert settings.channels == frozenset({"C0AAA", "G0BBB"})
    assert settings.watches("G0BBB") and not settings.watches("C0OTHER")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "  "}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
        ({**GOOD, "PORT": "http"}, "PORT"),
        ({**GOOD, "PORT": "70000"}, "PORT"),
        ({**GOOD, "SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({**GOOD, "SMTPBOT_CHANNELS": "#email-ops"}, "SMTPBOT_CHANNELS"),
        ({**GOOD, "LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({**GOOD, "LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable)
    assert "README" in str(caught.value)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SMTPBOT_")) and k not in ("PORT", "LOG_LEVEL", "LOG_FORMAT")
    }
    env.update(extra)
    return env


def _run_bot(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot"], cwd=cwd, env=env, text=True, capture_output=True, timeout=30
    )


def test_python_m_bot_without_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = _run_bot(tmp_path, _clean_env())
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SLACK_BOT_TOKEN" in lines[0] and "README" in lines[0]
    assert "Traceback" not in result.stderr


def test_dotenv_is_loaded_but_never_overrides_the_environment(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-dotenv\nSLACK_SIGNING_SECRET=s\nPORT=1111111\n"
    )
    result = _run_bot(tmp_path, _clean_env(PORT="2222222"))
    assert result.returncode == 2
    # The token came from .env (else the complaint would be about it); PORT from the env.
    assert "PORT" in result.stderr and "2222222" in result.stderr
    assert "1111111" not in result.stderr


def test_refused_token_is_one_clear_line(tmp_path: Path, fake: FakeSlack) -> None:
    env = _clean_env(
        SLACK_BOT_TOKEN="xoxb-not-the-right-one",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=fake.api_url,
        SMTPBOT_DB=str(tmp_path / "db"),
    )
    result = _run_bot(tmp_path, env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("smtpbot: SLACK_BOT_TOKEN")
    assert "Traceback" not in result.stderr
    assert "xoxb-not-the-right-one" not in result.stderr


def test_refused_app_token_is_one_clear_line(tmp_path: Path, fake: FakeSlack) -> None:
    fake.enable_socket_mode()
    env = _clean_env(
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_APP_TOKEN="xapp-1-wrong",
        SLACK_API_URL=fake.api_url,
        SMTPBOT_DB=str(tmp_path / "db"),
    )
    result = _run_bot(tmp_path, env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("smtpbot: SLACK_APP_TOKEN")
    assert "Traceback" not in result.stderr
    assert "xapp-1-wrong" not in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_port(port: int, proc: subprocess.Popen[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"app did not listen on {port}")


def test_python_m_bot_serves_http_mode_with_waitress(tmp_path: Path, fake: FakeSlack) -> None:
    port = _free_port()
    env = _clean_env(
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        PORT=str(port),
        SMTPBOT_DB=str(tmp_path / "db.sqlite3"),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_port(port, proc)
        sender = SignedSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
        reply = sender.post(*p.form(p.slash_command("help", fake.response_url("proc"))))
        assert reply.status == 200
        (answer,) = fake.wait_calls("response_url")
        assert answer.params["response_type"] == "ephemeral"
        assert sender.post(b"{}", "application/json", signature="v0=00").status == 401
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert "waitress" in stderr.lower() or "Serving on" in stderr
    assert fake.bot_token not in stderr


def test_python_m_bot_connects_in_socket_mode(tmp_path: Path, fake: FakeSlack) -> None:
    server = fake.enable_socket_mode()
    env = _clean_env(
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_APP_TOKEN=fake.app_token,
        SLACK_API_URL=fake.api_url,
        SMTPBOT_DB=str(tmp_path / "db.sqlite3"),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        server.wait_connections(1, timeout=20)
        envelope = server.send_envelope("events_api", p.event_callback(p.app_home_opened()))
        server.wait_ack(envelope)
        (published,) = fake.wait_calls("views.publish")
        assert published.params["view"]["type"] == "home"
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert fake.app_token not in stderr and fake.bot_token not in stderr


def test_database_url_default_alias_and_malformed() -> None:
    assert load_settings(GOOD).database_url == "sqlite:///smtpbot.sqlite3"
    pg = "postgresql://bot@db.internal/smtpbot"
    assert load_settings({**GOOD, "SMTPBOT_DATABASE_URL": pg}).database_url == pg
    assert load_settings({**GOOD, "SMTPBOT_DB": "/var/x.db"}).database_url == "sqlite:////var/x.db"
    with pytest.raises(SettingsError, match="SMTPBOT_DATABASE_URL"):
        load_settings({**GOOD, "SMTPBOT_DATABASE_URL": "mysql://u@h/d"})
    with pytest.raises(SettingsError, match="SMTPBOT_DRAIN_SECONDS"):
        load_settings({**GOOD, "SMTPBOT_DRAIN_SECONDS": "soon"})
