"""Live DNS findings after a Slack answer: a second message, in its thread or by response_url.

How it runs, and why:

- **Its own outbox kind (``dns``), queued behind the answer.** The answer job composes
  its answer and hands the DNS work to the answer's delivery chain; only once Slack has
  accepted the answer's last part is the ``dns`` item recorded. So DNS never delays the
  answer or the ack, the findings can never arrive before the answer, and like every
  other owed message the item survives a restart and is retried after a crash. A pool of
  our own would lose the work with the process and need its own ordering.
- **A second message, not ``chat.update``.** Updating needs the answer's ``ts`` (known only
  after the post, so carried through the chain) and its blocks (to merge with ours),
  cannot touch an ephemeral ``/smtp`` answer at all, and an edit notifies nobody. A
  threaded reply (or a second ephemeral response) is an independent, retryable delivery.
- **The outbox holds what to look up, not the email.** The answer job, which already has
  the pasted text or the uploaded file's bytes in hand (never downloaded twice), reads
  the DNS targets from them (`bot.dns.targets.find_targets`, pure) and records only those:
  domains, IPs, DKIM selectors, list names, reasons, status codes and the reply. The
  ``dns`` job then runs the same plan as `bot.dns.diagnose` on them.
- **Bounded.** ``diagnose`` may block for its budget (5 s) when DNS is down; at most
  `MAX_RUNNING` DNS jobs run at once in a process, so the answers' workers stay free. A DNS
  job finding no slot goes back to the outbox for a moment instead of waiting on a thread.

A follow-up is sent only when there is something to show: DNS on and at least one
finding (a lookup that failed is a finding, said plainly; it never changes the verdict).
For `/smtp CODE DOMAIN [IP]`, where the person asked, notes are shown too, and a code
that calls for no particular check gets every check of `bot.dns.check_domain`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any

from bot.core.model import Report
from bot.dns import Diagnosis, DnsSettings, check_domain, render
from bot.dns.diagnose import checked, plan, run, unanswerable
from bot.dns.model import DNS_OFF
from bot.dns.targets import Targets, find_targets
from bot.slack.dispatcher import FollowUp, Outcome
from bot.slack.sanitize import strip_everywhere
from bot.state import OutboxItem

log = logging.getLogger("smtpbot.slack")

KIND = "dns"
#: Bounce reports of one message looked up at most (each has its own DNS budget).
MAX_REPORTS = 3
#: DNS jobs running at once in one process; the answers' pool keeps the other workers.
MAX_RUNNING = 2
#: Seconds a DNS job waits in the outbox when every DNS slot is taken.
BUSY_RETRY_SECONDS = 0.5

NO_ANSWER = (
    "DNS did not answer (a timeout or an error), so nothing could be checked; "
    "the verdict stands on the reply."
)

_slots = threading.BoundedSemaphore(MAX_RUNNING)


# -- queued by the answer jobs -------------------------------------------------------------


def for_thread(
    settings: DnsSettings,
    reports: Sequence[Report],
    raws: Sequence[str | bytes],
    channel: str,
    thread_ts: str,
    team_id: str | None = None,
) -> list[FollowUp]:
    """DNS jobs for the bounce reports of a channel message; `raws[i]` is what `reports[i]`
    was read from (without it, only what the report itself names is looked up)."""
    found: list[tuple[Report, str | bytes | None]] = (
        list(zip(reports, raws, strict=True)) if len(raws) == len(reports)
        else [(report, None) for report in reports]
    )
    deliver = {"kind": "api", "channel": channel, "thread_ts": thread_ts, "team_id": team_id}
    return _jobs(settings, found, deliver)


def for_response(
    settings: DnsSettings,
    found: Sequence[tuple[Report, str | bytes | None]],
    response_url: str,
    asked: Mapping[str, Any] | None = None,
) -> list[FollowUp]:
    """DNS jobs for a ``/smtp`` answer; `asked` is ``{"domain", "ip"}`` from the command."""
    deliver = {"kind": "respond", "url": response_url}
    if asked is None:
        return _jobs(settings, found, deliver)
    if not settings.enabled or not found or not asked.get("domain"):
        return []
    report = found[0][0]
    targets = asked_targets(report, str(asked["domain"]), asked.get("ip"))
    payload = {"targets": targets_to_dict(targets), "asked": True, "deliver": deliver}
    return [FollowUp(KIND, payload)]


def _jobs(
    settings: DnsSettings,
    found: Sequence[tuple[Report, str | bytes | None]],
    deliver: Mapping[str, Any],
) -> list[FollowUp]:
    if not settings.enabled:
        return []  # SMTPBOT_DNS=off: no job, no query
    bounces = [(report, raw) for report, raw in found if report.bounce][:MAX_REPORTS]
    jobs = []
    for number, (report, raw) in enumerate(bounces, start=1):
        targets = find_targets(report, raw)
        if not plan(targets):
            continue  # no check applies, or the bounce names nothing to look up
        payload: dict[str, Any] = {"targets": targets_to_dict(targets), "deliver": dict(deliver)}
        if len(bounces) > 1:
            payload["label"] = f"Bounce {number} of {len(bounces)}"
        jobs.append(FollowUp(KIND, payload))
    return jobs


def asked_targets(report: Report, domain: str, ip: str | None) -> Targets:
    """What `/smtp CODE DOMAIN [IP]` asks about, read as the sending and the recipient side."""
    return Targets(
        sending_ips=(ip,) if ip else (),
        from_domain=domain,
        return_path_domain=domain,
        recipient_domains=(domain,),
        reasons=frozenset(v.reason for v in report.verdicts if v.reason),
        statuses=frozenset(v.status for v in report.verdicts if v.status),
        replies="\n".join(v.diagnostic for v in report.verdicts if v.diagnostic).lower(),
    )


# -- the outbox job --------------------------------------------------------------------------


def dns_job(settings: DnsSettings, item: OutboxItem) -> Outcome:
    """Look up, then deliver the findings after the answer (nothing when none are worth it)."""
    if not _slots.acquire(blocking=False):
        return Outcome.retry("DNS slots busy", BUSY_RETRY_SECONDS, item.attempts)
    try:
        p = item.payload
        targets = targets_from_dict(p["targets"])
        asked = bool(p.get("asked"))
        diagnosis = diagnose_asked(targets, settings) if asked else diagnose_targets(
            targets, settings
        )
    finally:
        _slots.release()
    log.info(
        "DNS checks: %d finding(s), %d quer(ies), complete=%s",
        len(diagnosis.findings), diagnosis.queries, diagnosis.complete,
    )
    if not worth_showing(diagnosis, asked):
        return Outcome()
    return Outcome([delivery(diagnosis, p["deliver"], p.get("label"))])


def diagnose_targets(targets: Targets, settings: DnsSettings) -> Diagnosis:
    """What `bot.dns.diagnose` does once it has read the targets from the bounce."""
    if not settings.enabled:  # turned off since the job was queued
        return DNS_OFF
    diagnosis = run(_unique(plan(targets)), settings, checked(targets))
    missing = unanswerable(targets)
    if missing:
        diagnosis = replace(diagnosis, notes=(*diagnosis.notes, *missing))
    return diagnosis


def diagnose_asked(targets: Targets, settings: DnsSettings) -> Diagnosis:
    """The checks the code calls for on the domain and IP given, else every check."""
    if not settings.enabled:
        return DNS_OFF
    domain = targets.from_domain or ""
    checks = _unique(plan(targets))
    if not checks:
        return check_domain(domain, targets.sending_ip, (), settings)
    diagnosis = run(checks, settings, checked(targets))
    if targets.sending_ip is None and unanswerable(targets):
        hint = f"Add the sending IP (`/smtp CODE {domain} IP`) for the checks that need one."
        diagnosis = replace(diagnosis, notes=(*diagnosis.notes, hint))
    return diagnosis


def _unique(checks: list[Any]) -> list[Any]:
    """One check per label: a domain asked about as both sides is looked up once."""
    seen: set[str] = set()
    out = []
    for check in checks:
        if check.label not in seen:
            seen.add(check.label)
            out.append(check)
    return out


def worth_showing(diagnosis: Diagnosis, asked: bool) -> bool:
    if not diagnosis.enabled:
        return False
    return bool(diagnosis.findings) or (asked and bool(diagnosis.notes))


def delivery(diagnosis: Diagnosis, deliver: Mapping[str, Any], label: str | None) -> FollowUp:
    """The findings as one message, posted the way the answer was."""
    blocks = render.blocks(diagnosis)
    if blocks and blocks[0].get("type") == "divider":
        blocks = blocks[1:]  # a message of its own needs no line above it
    text = render.fallback_text(diagnosis)
    if diagnosis.findings and all(f.severity == "unavailable" for f in diagnosis.findings):
        said = NO_ANSWER
        text = f"DNS checks: {said}"
        blocks.insert(min(1, len(blocks)), _context(said))  # under the title, before the facts
    if label:
        blocks.insert(0, _context(label))
    if deliver["kind"] == "respond":
        body = {
            "text": text, "blocks": blocks, "response_type": "ephemeral",
            "replace_original": False,
        }
        return FollowUp("respond", {"url": deliver["url"], "part": strip_everywhere(body),
                                    "rest": []})
    part = {
        "channel": deliver["channel"], "thread_ts": deliver["thread_ts"], "text": text,
        "blocks": blocks, "unfurl_links": False, "unfurl_media": False,
    }
    return FollowUp(
        "api",
        {
            "method": "chat.postMessage",
            "part": strip_everywhere(part),
            "rest": [],
            "team_id": deliver.get("team_id"),  # which workspace's token posts it
        },
    )


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


# -- the payload ------------------------------------------------------------------------------


def targets_to_dict(targets: Targets) -> dict[str, Any]:
    out = asdict(targets)
    out["reasons"] = sorted(targets.reasons)
    out["statuses"] = sorted(targets.statuses)
    return out


def targets_from_dict(data: Mapping[str, Any]) -> Targets:
    return Targets(
        sending_ips=tuple(data.get("sending_ips") or ()),
        from_domain=data.get("from_domain"),
        return_path_domain=data.get("return_path_domain"),
        dkim=tuple((str(d), str(s)) for d, s in data.get("dkim") or ()),
        recipient_domains=tuple(data.get("recipient_domains") or ()),
        blocklists=tuple(data.get("blocklists") or ()),
        reasons=frozenset(data.get("reasons") or ()),
        statuses=frozenset(data.get("statuses") or ()),
        replies=str(data.get("replies") or ""),
        sources=dict(data.get("sources") or {}),
    )
