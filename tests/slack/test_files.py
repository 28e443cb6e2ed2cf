"""Uploaded .eml/.txt bounces: downloaded with the bot token, scanned, answered in the thread."""

from __future__ import annotations

from typing import Any

from fake_slack import payloads as p
from slack_helpers import BOUNCE, RunningApp, multi_bounce_eml, posted_text

from bot.slack.settings import MAX_FILE_BYTES


def _share(app: RunningApp, files: list[dict[str, Any]], text: str = "") -> str:
    ts = p.next_ts()
    app.event(p.message(text, subtype="file_share", files=files, ts=ts))
    return ts


def test_eml_upload_is_downloaded_with_the_bot_token_and_answered_per_recipient(
    slack_app: RunningApp,
) -> None:
    info = slack_app.fake.add_file("F0EML", "bounce.eml", multi_bounce_eml(3))
    ts = _share(slack_app, [info])
    (answer,) = slack_app.fake.wait_calls("chat.postMessage")
    (download,) = slack_app.fake.calls("files.download")
    assert download.headers["authorization"] == f"Bearer {slack_app.fake.bot_token}"
    assert answer.params["thread_ts"] == ts
    shown = posted_text(answer)
    for i in range(3):
        assert f"user{i}@example.org" in shown


def test_many_recipients_are_grouped_and_capped_at_ten_shown(slack_app: RunningApp) -> None:
    info = slack_app.fake.add_file("F0MANY", "many.eml", multi_bounce_eml(25))
    _share(slack_app, [info])
    (answer,) = slack_app.fake.wait_calls("chat.postMessage")
    shown = posted_text(answer)
    listed = sum(f"user{i}@example.org" in shown for i in range(25))
    assert listed == 10
    assert "and 15 more" in shown
    assert len(answer.params["blocks"]) <= 50


def test_txt_upload_is_read_like_a_paste(slack_app: RunningApp) -> None:
    info = slack_app.fake.add_file("F0TXT", "log.txt", BOUNCE.encode(), mimetype="text/plain")
    ts = _share(slack_app, [info])
    (answer,) = slack_app.fake.wait_calls("chat.postMessage")
    assert answer.params["thread_ts"] == ts
    assert "550" in posted_text(answer)


def test_file_announced_by_id_only_is_looked_up_with_files_info(slack_app: RunningApp) -> None:
    slack_app.fake.add_file("F0LOOKUP", "bounce.eml", multi_bounce_eml(1))
    _share(slack_app, [{"id": "F0LOOKUP", "file_access": "check_file_info"}])
    slack_app.fake.wait_calls("chat.postMessage")
    assert [c.params["file"] for c in slack_app.fake.calls("files.info")] == ["F0LOOKUP"]
    assert len(slack_app.fake.calls("files.download")) == 1


def test_oversized_file_gets_a_polite_refusal_without_download(slack_app: RunningApp) -> None:
    info = slack_app.fake.add_file("F0BIG", "huge.eml", b"x", size=MAX_FILE_BYTES + 1)
    ts = _share(slack_app, [info])
    (answer,) = slack_app.fake.wait_calls("chat.postMessage")
    assert answer.params["thread_ts"] == ts
    assert "Sorry" in answer.params["text"]
    assert "10 MB" in answer.params["text"]
    assert slack_app.fake.calls("files.download") == []


def test_file_larger_than_announced_is_refused_while_downloading(slack_app: RunningApp) -> None:
    content = b"550 5.1.1 " + b"y" * MAX_FILE_BYTES
    info = slack_app.fake.add_file("F0LIAR", "liar.txt", content, mimetype="text/plain", size=10)
    _share(slack_app, [info])
    (answer,) = slack_app.fake.wait_calls("chat.postMessage", timeout=20)
    assert "Sorry" in answer.params["text"]


def test_other_file_types_are_ignored(slack_app: RunningApp) -> None:
    info = slack_app.fake.add_file("F0PNG", "screenshot.png", b"\x89PNG", mimetype="image/png")
    info["filetype"] = "png"
    _share(slack_app, [info], text="look at this")
    ts = p.next_ts()
    slack_app.event(p.message(BOUNCE, ts=ts))
    slack_app.fake.wait_calls("chat.postMessage")
    slack_app.fake.settle(0.2)
    assert [c.params["thread_ts"] for c in slack_app.fake.calls("chat.postMessage")] == [ts]
    assert slack_app.fake.calls("files.download") == []


def test_download_failure_is_explained_not_crashed(slack_app: RunningApp) -> None:
    info = slack_app.fake.add_file("F0GONE", "gone.eml", b"")
    info["url_private"] = info["url_private_download"] = slack_app.fake.url + "files/F0MISSING/x"
    _share(slack_app, [info])
    (answer,) = slack_app.fake.wait_calls("chat.postMessage")
    assert "could not read" in answer.params["text"]


def test_bot_token_is_never_sent_to_a_foreign_plain_http_host(slack_app: RunningApp) -> None:
    from bot.slack.files import token_may_go_to

    api = slack_app.fake.api_url
    assert token_may_go_to("https://files.slack.com/files-pri/T1-F1/x.eml", api)
    assert token_may_go_to(slack_app.fake.url + "files/F1/x.eml", api)
    assert not token_may_go_to("http://evil.example/x.eml", api)
    assert not token_may_go_to("file:///etc/passwd", api)
