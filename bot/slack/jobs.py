"""The work behind each outbox kind: compute an answer, then deliver it in order.

Compute kinds (`message`, `command`, `shortcut`, `share`) read what the person gave (files
are downloaded here, off the listener threads) and end with a delivery follow-up. Delivery
kinds (`api`, `respond`) make one Slack call each; a message of several parts is a chain,
each part recorded as the next follow-up only once Slack accepted the one before, so the
parts arrive in order and none twice. Statistics are counted after the answer is owed.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from bot import metrics
from bot.core.model import Report
from bot.slack import answers, delivery, digest, dns_followup
from bot.slack.dispatcher import FollowUp, Handler, Outcome
from bot.slack.oauth import NotInstalled
from bot.slack.render import Rendered, render_no_smtp, render_notice, render_report, render_usage
from bot.slack.sanitize import strip_everywhere, strip_invisible
from bot.slack.services import Services
from bot.state import OutboxItem

log = logging.getLogger("smtpbot.slack")
_USER_ID = re.compile(r"[UW][A-Z0-9]+")


def _chain(
    kind: str, parts: list[dict[str, Any]], then: list[FollowUp] | None = None, **fixed: Any
) -> list[FollowUp]:
    """The first delivery of `parts` (the rest ride along in its payload).

    `then` is recorded once Slack accepted the last part (the DNS follow-up comes after).
    """
    if not parts:
        return []
    cleaned = [strip_everywhere(part) for part in parts]
    payload = {**fixed, "part": cleaned[0], "rest": cleaned[1:]}
    if then:
        payload["then"] = [{"kind": f.kind, "payload": dict(f.payload)} for f in then]
    return [FollowUp(kind, payload)]


def _answer(kind: str, seen: list[Report]) -> dict[str, str]:
    """Labels of the answer's metric: its kind and the first failure's reason."""
    reasons = [v.reason for r in seen if r.bounce for v in r.verdicts if v.reason]
    return {"kind": kind, "reason": reasons[0] if reasons else "none"}


def _counted(services: Services, seen: list[Report], team_id: str | None) -> Any:
    def count() -> None:
        services.count(seen, team_id)

    return count if seen else None


def _thread_parts(channel: str, thread_ts: str, messages: list[Rendered]) -> list[dict[str, Any]]:
    return [
        {
            "channel": channel,
            "thread_ts": thread_ts,
            "text": m.text,
            "blocks": m.blocks,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        for m in messages
    ]


def message_job(services: Services, item: OutboxItem) -> Outcome:
    """A message in a channel or DM: answer in its thread (bounce, or usage when asked)."""
    p = item.payload
    seen: list[Report] = []
    raws: list[str | bytes] = []  # what each report in `seen` was read from (DNS reads it)
    messages: list[Rendered] = []
    if p.get("files"):
        client = services.client_for(p.get("team_id"))
        messages = answers.for_files(
            services, client, p["files"], seen, raws=raws, emails_only=bool(p.get("forwarded"))
        )
    text = str(p.get("text") or "")
    mentioned = bool(p.get("mentioned"))
    if not messages and text:
        if mentioned and answers.is_help(text):
            messages = [render_usage()]
        else:
            pasted = answers.strip_mentions(text)
            found = answers.for_text(services, pasted, seen, strict=not mentioned)
            messages = [found] if found else []
            raws = [pasted] * len(seen)
    if not messages and mentioned:
        messages = [render_no_smtp()]  # a person who asks the bot gets a word back
    channel, thread_ts = str(p["channel"]), str(p.get("thread_ts") or p["ts"])
    if messages:
        log.info("answering in thread (channel %s, %d message(s))", channel, len(messages))
    # DNS hook: live findings follow the answer in its thread (bot/slack/dns_followup.py).
    dns = dns_followup.for_thread(
        services.settings.dns, seen, raws, channel, thread_ts, p.get("team_id")
    )
    return Outcome(
        follow_ups=_chain(
            "api",
            _thread_parts(channel, thread_ts, messages),
            then=dns,
            method="chat.postMessage",
            team_id=p.get("team_id"),
            answer=_answer("message", seen),
        ),
        after=_counted(services, seen, p.get("team_id")),
    )


def _responses(
    messages: list[Rendered], response_type: str, replace_original: bool | None = None
) -> list[dict[str, Any]]:
    parts = []
    for m in messages:
        body: dict[str, Any] = {"text": m.text, "blocks": m.blocks, "response_type": response_type}
        if replace_original is not None:
            body["replace_original"] = replace_original
        parts.append(body)
    return parts


def command_job(services: Services, item: OutboxItem) -> Outcome:
    """`/smtp TEXT`: the answer to the caller alone, with a Share button."""
    p = item.payload
    text = str(p.get("text") or "")
    seen: list[Report] = []
    if answers.is_help(text):
        message = render_usage()
    else:
        message = answers.for_text(services, text, seen, share=True) or render_no_smtp()
    # DNS hook: findings for the pasted bounce, or for `/smtp CODE DOMAIN [IP]`'s domain.
    dns = dns_followup.for_response(
        services.settings.dns, [(r, text) for r in seen], p["response_url"], p.get("lookup")
    )
    return Outcome(
        follow_ups=_chain(
            "respond",
            _responses([message], "ephemeral"),
            then=dns,
            url=p["response_url"],
            answer=_answer("command", seen),
        ),
        after=_counted(services, seen, p.get("team_id")),
    )


def shortcut_job(services: Services, item: OutboxItem) -> Outcome:
    """Message shortcut "Explain bounce": the explanation, shown to the caller only."""
    p = item.payload
    seen: list[Report] = []
    found: list[Rendered] = []
    if p.get("files"):
        client = services.client_for(p.get("team_id"))
        found = answers.for_files(services, client, p["files"], seen)
    text = str(p.get("text") or "")
    if not found and text:
        answer = answers.for_text(services, text, seen)
        found = [answer] if answer else []
    messages = found or [render_no_smtp()]
    after = _counted(services, seen, p.get("team_id"))
    if p.get("response_url"):
        parts = _responses(messages, "ephemeral", replace_original=False)
        return Outcome(_chain("respond", parts, url=p["response_url"],
                              answer=_answer("shortcut", seen)), after=after)
    if p.get("channel") and p.get("user"):
        parts = []
        for m in messages:
            part: dict[str, Any] = {
                "channel": p["channel"], "user": p["user"], "text": m.text, "blocks": m.blocks
            }
            if p.get("thread_ts"):
                part["thread_ts"] = p["thread_ts"]
            parts.append(part)
        return Outcome(
            _chain(
                "api",
                parts,
                method="chat.postEphemeral",
                team_id=p.get("team_id"),
                answer=_answer("shortcut", seen),
            ),
            after=after,
        )
    return Outcome(after=after)


def share_job(services: Services, item: OutboxItem) -> Outcome:
    """"Share in channel": the same answer, visible to the channel (not counted again)."""
    p = item.payload
    text = services.shared_text(str(p.get("value") or ""))
    if text is None:
        expired = render_notice("That answer has expired; please run /smtp again.")
        parts = _responses([expired], "ephemeral", replace_original=False)
        if p.get("response_url"):
            return Outcome(_chain("respond", parts, url=p["response_url"]))
        return Outcome()
    report = services.explain(strip_invisible(text))
    user = str(p.get("user") or "")
    footer = f"Shared by <@{user}>" if _USER_ID.fullmatch(user) else None
    message = render_report(report, footer=footer)
    if p.get("response_url"):
        parts = _responses([message], "in_channel", replace_original=False)
        return Outcome(_chain("respond", parts, url=p["response_url"],
                              answer=_answer("share", [report])))
    if p.get("channel"):
        part = {"channel": p["channel"], "text": message.text, "blocks": message.blocks}
        return Outcome(
            _chain(
                "api",
                [part],
                method="chat.postMessage",
                team_id=p.get("team_id"),
                answer=_answer("share", [report]),
            )
        )
    return Outcome()


def _next_part(item: OutboxItem, sent: delivery.Sent, **fixed: Any) -> Outcome:
    if sent.transient:
        return Outcome.retry(sent.error, sent.retry_after, item.attempts)
    if sent.ok:
        metrics.answer_delivered(item.payload.get("answer"))
    rest = list(item.payload.get("rest") or [])
    then = list(item.payload.get("then") or [])
    if not sent.ok:
        return Outcome()
    if not rest:
        return Outcome([FollowUp(str(t["kind"]), t["payload"]) for t in then])
    carried = {"then": then} if then else {}
    return Outcome([FollowUp(item.kind, {**fixed, "part": rest[0], "rest": rest[1:], **carried})])


def api_job(services: Services, item: OutboxItem) -> Outcome:
    method = str(item.payload["method"])
    team_id = item.payload.get("team_id")
    sent = delivery.call_api(services.client_for(team_id), method, item.payload["part"])
    return _next_part(item, sent, method=method, team_id=team_id)


def respond_job(services: Services, item: OutboxItem) -> Outcome:
    url = str(item.payload["url"])
    sent = delivery.post_response(url, item.payload["part"])
    return _next_part(item, sent, url=url)


def handlers(services: Services) -> Mapping[str, Handler]:
    jobs: dict[str, Callable[[Services, OutboxItem], Outcome]] = {
        "message": message_job,
        "command": command_job,
        "shortcut": shortcut_job,
        "share": share_job,
        "api": api_job,
        "respond": respond_job,
    }
    handlers: dict[str, Handler] = {
        kind: functools.partial(_installed, job, services) for kind, job in jobs.items()
    }
    handlers[dns_followup.KIND] = functools.partial(dns_followup.dns_job, services.settings.dns)
    handlers[digest.JOB_KIND] = digest.job(services)  # the daily digest (bot.slack.digest)
    return handlers


def _installed(
    job: Callable[[Services, OutboxItem], Outcome], services: Services, item: OutboxItem
) -> Outcome:
    """Run `job`; work for a workspace that has since uninstalled the app is dropped."""
    try:
        return job(services, item)
    except NotInstalled as gone:
        log.warning("%s dropped: workspace %s is not installed", item.kind, gone.team_id)
        return Outcome()
