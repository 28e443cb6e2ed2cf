"""From what a user gave us (text or files) to messages, shared by every listener."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from slack_sdk.web import WebClient

from bot.core.model import Report
from bot.slack import files, forwarded, replies
from bot.slack.render import Rendered, render_file_too_large, render_notice, render_report
from bot.slack.sanitize import strip_invisible
from bot.slack.services import Services

log = logging.getLogger("smtpbot.slack")

#: Files read from one message; more are named in a notice, not silently skipped.
MAX_FILES_PER_MESSAGE = 5
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
#: `Report.source_format` of a code looked up without a failure report around it.
LOOKUP = "lookup"
#: `Report.source_format` prefix of ESP event payloads (``esp:amazon ses`` ...).
ESP_SOURCE = "esp:"
_HELP = frozenset({"", "help", "-h", "--help", "?", "usage"})


def strip_mentions(text: str) -> str:
    return _MENTION.sub(" ", text).strip()


def is_help(text: str) -> bool:
    return strip_mentions(text).lower() in _HELP


def for_text(
    services: Services,
    text: str,
    seen: list[Report],
    share: bool = False,
    strict: bool = False,
) -> Rendered | None:
    """The answer for pasted text, or None when it holds no SMTP failure (reports to `seen`).

    `strict` for text nobody addressed to the bot (see `bot.core.explain.explain`).
    """
    text = strip_invisible(text)
    report = Report(bounce=False)
    if strict and _looks_like_json(text):
        report = _esp_payload(services, text)
    if not report.bounce:
        report = services.explain(text, strict=strict)
    if not report.bounce:
        return None
    seen.append(report)
    share_value = services.share_value(text) if share else None
    return render_report(report, share_value=share_value)


def _looks_like_json(text: str) -> bool:
    head = text.lstrip()[:1]
    return head in ("{", "[")


def _esp_payload(services: Services, text: str) -> Report:
    """A pasted JSON document read as an ESP event payload, or an empty report.

    The strict rule (`bot.core.speak`) looks for failure reports in mail syntax; an event
    a sending service posted (SES, SendGrid, Mailgun, Postmark ...) is one in machine
    form, so it is answered unasked when the core reads it as such, and only then:
    other JSON stays unanswered.
    """
    report = services.explain(text)
    if report.bounce and (report.source_format or "").startswith(ESP_SOURCE):
        return report
    return Report(bounce=False)


def _file_info(client: WebClient, info: Mapping[str, Any]) -> Mapping[str, Any]:
    """Slack sometimes sends only the id (file_access: check_file_info)."""
    if info.get("url_private") or info.get("url_private_download") or not info.get("id"):
        return info
    response = replies.call("files.info", client.files_info, file=str(info["id"]))
    full = response.get("file") if response is not None else None
    return full if isinstance(full, Mapping) else info


def _whole_email(
    services: Services, client: WebClient, info: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """(the whole email as text, or None; why it could not be read, or None).

    `has_more`: Slack cut `plain_text`. `files.info` is asked first (cheap, and gives the
    download address when the event did not), then the file is downloaded with the bot
    token under the upload size limit.
    """
    full: Mapping[str, Any] = info
    if info.get("id"):
        response = replies.call("files.info", client.files_info, file=str(info["id"]))
        found = response.get("file") if response is not None else None
        if isinstance(found, Mapping):
            full = {**info, **found}
            if found.get("plain_text") and not found.get("has_more"):
                return forwarded.as_rfc822(full), None
    settings = services.settings
    try:
        content = files.download(
            full, client.token or "", settings.max_file_bytes, settings.api_url, html_ok=True
        )
    except files.FileProblem as error:
        return None, str(error)
    return forwarded.downloaded_text(full, content), None


def for_forwarded_email(
    services: Services, client: WebClient, info: Mapping[str, Any], seen: list[Report]
) -> Rendered | None:
    """An email sent to the channel's address: answered only when it is a bounce.

    Read with the rule for messages nobody addressed to the bot (`strict`), so ordinary
    mail gets nothing; our own answers coming back by email get nothing either.
    """
    if forwarded.is_our_answer(info):
        log.info("forwarded email carries one of our answers: not answered")
        return None
    text = forwarded.as_rfc822(info)
    problem = None
    if info.get("has_more"):
        whole, problem = _whole_email(services, client, info)
        if whole is not None:
            if forwarded.is_our_answer(info, whole):
                log.info("forwarded email carries one of our answers: not answered")
                return None
            text = whole
    report = services.explain(text, strict=True)
    # A code merely named in the text ("tips for avoiding 550 errors") is a lookup, not a
    # failure report: only an email the parsers read as one is answered.
    if not report.bounce or report.source_format == LOOKUP:
        return None
    seen.append(report)
    if problem is not None:
        # The cut text was still a bounce: answer it, and say what could not be read.
        report.notices.append(f"I read only the part of the email Slack showed ({problem}).")
    return render_report(report)


def for_files(
    services: Services,
    client: WebClient,
    shared: Iterable[Mapping[str, Any]],
    seen: list[Report],
    raws: list[str | bytes] | None = None,
    *,
    emails_only: bool = False,
) -> list[Rendered]:
    """One message per supported file: its report, a refusal, or why it could not be read.

    `raws`, when given, gets each bounce's file content beside its report in `seen`.
    `emails_only` for Slackbot's shares: only forwarded emails are read, nothing else.
    """
    settings = services.settings
    candidates = [_file_info(client, f) for f in shared]
    out: list[Rendered] = []
    for info in [f for f in candidates if forwarded.is_forwarded_email(f)]:
        answer = for_forwarded_email(services, client, info, seen)
        if answer is not None:
            out.append(answer)
    supported = [
        f for f in candidates
        if not emails_only and files.is_supported(f) and not forwarded.is_forwarded_email(f)
    ]
    for info in supported[:MAX_FILES_PER_MESSAGE]:
        name = files.name_of(info)
        try:
            content = files.download(
                info, client.token or "", settings.max_file_bytes, settings.api_url
            )
        except files.FileTooLarge as error:
            log.info("file refused: %d bytes over the %d byte limit", error.size, error.limit)
            out.append(render_file_too_large(name, error.size, error.limit))
            continue
        except files.FileProblem as error:
            log.warning("file download failed: %s", error)
            out.append(render_notice(f"Sorry, I could not read {name}: {error}."))
            continue
        report = files.read_report(info, content)
        if report.bounce:
            seen.append(report)
            if raws is not None:
                raws.append(content)
            out.append(render_report(report))
        elif report.notices:  # read in part: say so, and what was left out
            found = f"I found no delivery failure in what I read of {name}."
            out.append(render_notice(" ".join([found, *report.notices])))
        elif files.is_email(info):
            out.append(render_notice(f"I read {name}: it holds no delivery failure."))
    skipped = len(supported) - MAX_FILES_PER_MESSAGE
    if skipped > 0:
        out.append(
            render_notice(
                f"I read only the first {MAX_FILES_PER_MESSAGE} files of that message; "
                f"{skipped} more were not read. Please upload them separately."
            )
        )
    return out
