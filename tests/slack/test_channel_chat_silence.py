"""The real app, against the fake Slack, keeps quiet on ordinary channel chat.

Lines come from tests/data/chat/ (see its README): a sample of the chat sets must get no
thread reply, a sample of the failure set must each get one.
"""

from __future__ import annotations

from pathlib import Path

from fake_slack import payloads as p
from slack_helpers import BOUNCE, RunningApp

DATA = Path(__file__).resolve().parents[1] / "data" / "chat"
#: Every n-th line of each set: enough variety, few enough events for a quick test.
STRIDE = {"fortunes.txt": 60, "manpages.txt": 80, "emailops.txt": 4, "failures.txt": 4}


def _sample(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines[:: STRIDE[name]] if line.strip()]


def _slack_encoded(text: str) -> str:
    """What Slack delivers for typed text: & < > arrive as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _threads(app: RunningApp) -> list[str]:
    return [c.params["thread_ts"] for c in app.fake.calls("chat.postMessage")]


def test_a_sample_of_ordinary_chat_gets_no_reply(slack_app: RunningApp) -> None:
    sent = 0
    for name in ("fortunes.txt", "manpages.txt", "emailops.txt"):
        for line in _sample(name):
            assert slack_app.event(p.message(_slack_encoded(line), ts=p.next_ts())).status == 200
            sent += 1
    assert sent >= 150
    sentinel = p.next_ts()
    slack_app.event(p.message(BOUNCE, ts=sentinel))
    slack_app.fake.wait_for(lambda calls: any(c.params.get("thread_ts") == sentinel for c in calls))
    slack_app.fake.settle(0.3)
    assert _threads(slack_app) == [sentinel]


def test_a_sample_of_failures_gets_a_reply_each(slack_app: RunningApp) -> None:
    sent = []
    for line in _sample("failures.txt"):
        ts = p.next_ts()
        slack_app.event(p.message(_slack_encoded(line), ts=ts))
        sent.append(ts)
    slack_app.fake.wait_for(
        lambda calls: sum(c.method == "chat.postMessage" for c in calls) >= len(sent)
    )
    slack_app.fake.settle(0.3)
    assert sorted(_threads(slack_app)) == sorted(sent)
