"""manifest.yml and the registered listeners agree, both ways; scopes are what the code uses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.listeners import KINDS
from bot.slack.render import SHARE_ACTION_ID, render_report

ROOT = Path(__file__).resolve().parents[2]


class RecordingApp:
    """Stands in for Bolt's App to see exactly what each kind's register(app) registers."""

    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = {
            "command": set(),
            "event": set(),
            "shortcut": set(),
            "action": set(),
            "other": set(),
        }

    def _record(self, kind: str, name: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        assert isinstance(name, str), f"{kind} registered with a non-string matcher: {name!r}"
        self.seen[kind].add(name)
        return lambda function: function

    def command(self, name: str) -> Any:
        return self._record("command", name)

    def event(self, name: str) -> Any:
        return self._record("event", name)

    def shortcut(self, name: str) -> Any:
        return self._record("shortcut", name)

    def action(self, name: str) -> Any:
        return self._record("action", name)

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: self._record("other", name)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def registered() -> dict[str, set[str]]:
    app = RecordingApp()
    for kind in KINDS:
        kind.register(app)  # type: ignore[arg-type]
    return app.seen


def test_commands_match(manifest: dict[str, Any], registered: dict[str, set[str]]) -> None:
    commands = manifest["features"]["slash_commands"]
    assert {c["command"] for c in commands} == registered["command"]
    assert all(c.get("usage_hint") and c.get("description") for c in commands)


def test_shortcuts_match(manifest: dict[str, Any], registered: dict[str, set[str]]) -> None:
    shortcuts = manifest["features"]["shortcuts"]
    assert {s["callback_id"] for s in shortcuts} == registered["shortcut"]
    assert {s["type"] for s in shortcuts} == {"message"}
    assert "Explain bounce" in {s["name"] for s in shortcuts}


def test_events_match(manifest: dict[str, Any], registered: dict[str, set[str]]) -> None:
    declared = manifest["settings"]["event_subscriptions"]["bot_events"]
    # message.channels / .groups / .im all arrive as the `message` event type.
    assert {e.split(".")[0] for e in declared} == registered["event"]
    assert {"message.channels", "message.groups", "message.im"} <= set(declared)


def test_actions_have_interactivity_and_are_rendered(
    manifest: dict[str, Any], registered: dict[str, set[str]]
) -> None:
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    from bot.core.model import Report, Verdict

    report = Report(bounce=True, verdicts=[Verdict(title="t", explanation="e")])
    rendered = str(render_report(report, share_value="t:x").blocks)
    assert registered["action"] == {SHARE_ACTION_ID}
    assert all(action in rendered for action in registered["action"])
    assert registered["other"] == set()


def test_settings_and_scopes(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert manifest["display_information"]["name"]
    assert manifest["display_information"]["description"]
    assert manifest["features"]["bot_user"]["display_name"]
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is True and home["messages_tab_enabled"] is True
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read",  # app_mention
        "channels:history",  # message.channels
        "groups:history",  # message.groups
        "im:history",  # message.im
        "chat:write",  # thread replies, chat.postEphemeral
        "commands",  # /smtp and the shortcut
        "files:read",  # url_private downloads, files.info
    }
