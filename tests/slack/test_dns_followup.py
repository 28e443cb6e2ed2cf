"""DNS findings after a Slack answer, end to end: fake Slack, the real app, the test DNS server.

The DNS server is the one tests/dns use (dnslib on 127.0.0.1 serving tests/dns/zones);
the app is pointed at it with SMTPBOT_DNS_SERVER, as an operator would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fake_slack import payloads as p
from slack_helpers import BOUNCE, RunningApp, posted_text

from bot.core.explain import explain
from bot.core.scan import scan
from bot.dns import SHARED_CACHE, DnsSettings, TtlCache, diagnose
from bot.dns.settings import QUERY_TIMEOUT, parse_server
from bot.dns.targets import Targets, find_targets
from bot.slack import dns_followup
from bot.slack.app import services_for
from bot.slack.listeners.commands.arguments import LookupArgs, parse_lookup
from bot.slack.settings import SettingsError, load_settings
from bot.state import OutboxItem
from tests.dns.server import SilentServer, ZoneServer, zone_text

ROOT = Path(__file__).resolve().parents[2]
GMAIL_EML = ROOT / "tests" / "dns" / "bounces" / "gmail-5.7.26.eml"
#: Generous: the DNS budget is 5 s; the follow-up must come once it is spent.
WAIT = 20.0


@pytest.fixture(scope="module")
def dns_server() -> Iterator[ZoneServer]:
    server = ZoneServer(zone_text())
    yield server
    server.stop()


@pytest.fixture()
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_shared_cache() -> Iterator[None]:
    """Answers cached by one test (from another server) never serve the next."""
    SHARED_CACHE.clear()
    yield
    SHARED_CACHE.clear()


def _bounce_from_fail_domain() -> str:
    """A Postfix bounce (RFC 3464 with the returned headers) whose From domain's SPF fails.

    fail.example.org publishes ``v=spf1 ip4:198.51.100.0/24 -all`` in the test zone; the
    reply names 192.0.2.9 as the sending IP.
    """
    text = GMAIL_EML.read_text()
    return text.replace("<alice@pass.example.org>", "<alice@fail.example.org>")


def _as_slack_sends(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _idle(app: RunningApp) -> None:
    """Every owed item done (so a DNS follow-up, had one been queued, would have been sent)."""
    dispatcher = services_for(app.app).dispatcher
    assert dispatcher is not None and dispatcher.wait_idle(WAIT)
    app.fake.settle()


def _queried(server: ZoneServer, since: int) -> list[tuple[str, str]]:
    with server.resolver.lock:
        return list(server.resolver.queries[since:])


def _query_count(server: ZoneServer) -> int:
    with server.resolver.lock:
        return len(server.resolver.queries)


# -- a bounce pasted in a channel -------------------------------------------------------------


def test_pasted_bounce_gets_its_answer_then_the_spf_finding_in_its_thread(
    start_app: Callable[..., RunningApp], dns_server: ZoneServer
) -> None:
    app = start_app(SMTPBOT_DNS="on", SMTPBOT_DNS_SERVER=dns_server.address)
    before = _query_count(dns_server)
    ts = p.next_ts()
    app.event(p.message(_as_slack_sends(_bounce_from_fail_domain()), ts=ts))
    answer, findings = app.fake.wait_calls("chat.postMessage", 2, timeout=WAIT)
    # The answer first, then the findings, both in the message's thread.
    assert answer.at <= findings.at
    assert answer.params["thread_ts"] == ts and findings.params["thread_ts"] == ts
    assert "5.7.26" in posted_text(answer)
    assert "DNS checks" not in posted_text(answer)
    shown = posted_text(findings)
    assert "SPF of fail.example.org gives fail for 192.0.2.9" in shown
    assert "v=spf1 ip4:198.51.100.0/24 -all" in shown
    assert "DMARC" in shown
    # Within the budget: nothing was left unchecked for lack of time or queries.
    assert "budget" not in shown
    assert findings.params["text"].startswith("DNS checks:")
    app.fake.settle()
    assert len(app.fake.calls("chat.postMessage")) == 2
    # Only the bounce's domains and IP, and names derived from them, were asked about.
    names = {name for name, _ in _queried(dns_server, before)}
    assert names
    allowed = ("fail.example.org", "mailer.example.net", "9.2.0.192.in-addr.arpa")
    assert all(name.endswith(allowed) for name in names), names


def test_uploaded_eml_is_read_once_and_its_findings_follow(
    start_app: Callable[..., RunningApp], dns_server: ZoneServer
) -> None:
    app = start_app(SMTPBOT_DNS="on", SMTPBOT_DNS_SERVER=dns_server.address)
    info = app.fake.add_file("F0DNS", "bounce.eml", GMAIL_EML.read_bytes())
    ts = p.next_ts()
    app.event(p.message("", subtype="file_share", files=[info], ts=ts))
    _, findings = app.fake.wait_calls("chat.postMessage", 2, timeout=WAIT)
    assert findings.params["thread_ts"] == ts
    shown = posted_text(findings)
    # The Return-Path (SPF identity) and the DKIM selector come from the returned headers.
    assert "SPF of fail.example.org gives fail for 192.0.2.9" in shown
    assert "nokey._domainkey.mailer.example.net" in shown
    # The job passed the bytes it had downloaded to the DNS step: one download only.
    app.fake.settle()
    assert len(app.fake.calls("files.download")) == 1


def test_two_uploads_get_both_answers_first_then_labelled_findings(
    start_app: Callable[..., RunningApp], dns_server: ZoneServer
) -> None:
    app = start_app(SMTPBOT_DNS="on", SMTPBOT_DNS_SERVER=dns_server.address)
    files = [
        app.fake.add_file(f"F0TWO{i}", f"bounce{i}.eml", GMAIL_EML.read_bytes()) for i in (1, 2)
    ]
    app.event(p.message("", subtype="file_share", files=files))
    calls = app.fake.wait_calls("chat.postMessage", 4, timeout=WAIT)
    # The DNS jobs are queued behind the answer's last part, so both answers come first.
    assert ["DNS checks" in posted_text(c) for c in calls] == [False, False, True, True]
    labels = {c.params["blocks"][0]["elements"][0]["text"] for c in calls[2:]}
    assert labels == {"Bounce 1 of 2", "Bounce 2 of 2"}


def test_a_bounce_no_dns_check_applies_to_gets_no_follow_up(
    start_app: Callable[..., RunningApp], dns_server: ZoneServer
) -> None:
    app = start_app(SMTPBOT_DNS="on", SMTPBOT_DNS_SERVER=dns_server.address)
    before = _query_count(dns_server)
    app.event(p.message(BOUNCE))  # 5.1.1 user unknown: DNS cannot tell more
    app.fake.wait_calls("chat.postMessage")
    _idle(app)
    assert len(app.fake.calls("chat.postMessage")) == 1
    assert _query_count(dns_server) == before


# -- /smtp --------------------------------------------------------------------------------------


def test_smtp_code_and_domain_gets_the_findings_by_response_url(
    start_app: Callable[..., RunningApp], dns_server: ZoneServer
) -> None:
    app = start_app(SMTPBOT_DNS="on", SMTPBOT_DNS_SERVER=dns_server.address)
    reply = app.command("5.7.26 example.org")
    assert reply.status == 200
    answer, findings = app.fake.wait_calls("response_url", 2, timeout=WAIT)
    assert answer.at <= findings.at
    assert "5.7.26" in posted_text(answer)
    assert findings.params["response_type"] == "ephemeral"
    assert findings.params["replace_original"] is False
    checks = [b["text"]["text"] for b in findings.params["blocks"] if b["type"] == "section"]
    shown = posted_text(findings)
    assert "SPF of example.org: none" in shown
    assert "DMARC" in shown
    # Scoped to what 5.7.26 calls for: no MX, MTA-STS or blocklist lookups.
    assert not any(word in c for c in checks for word in ("MX", "MTA-STS", "Blocklist"))
    assert "Add the sending IP" not in shown  # SPF and DMARC need no IP to be read


def test_smtp_code_domain_and_ip_evaluates_spf_for_that_ip(
    start_app: Callable[..., RunningApp], dns_server: ZoneServer
) -> None:
    app = start_app(SMTPBOT_DNS="on", SMTPBOT_DNS_SERVER=dns_server.address)
    app.command("550 5.7.26 fail.example.org 192.0.2.9")
    _, findings = app.fake.wait_calls("response_url", 2, timeout=WAIT)
    assert "SPF of fail.example.org gives fail for 192.0.2.9" in posted_text(findings)


def test_smtp_with_a_pasted_reply_checks_what_the_reply_names(
    start_app: Callable[..., RunningApp], dns_server: ZoneServer
) -> None:
    app = start_app(SMTPBOT_DNS="on", SMTPBOT_DNS_SERVER=dns_server.address)
    app.command(
        "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org"
    )
    _, findings = app.fake.wait_calls("response_url", 2, timeout=WAIT)
    shown = posted_text(findings)
    assert "zen.spamhaus.org" in shown and "192.0.2.10" in shown
    assert "127.0.0.2" in shown  # the list's answer, quoted


# -- DNS that never answers -------------------------------------------------------------------


def test_silent_dns_delays_neither_the_answer_nor_the_ack(
    start_app: Callable[..., RunningApp], silent_server: SilentServer
) -> None:
    app = start_app(SMTPBOT_DNS="on", SMTPBOT_DNS_SERVER=silent_server.address)
    ts = p.next_ts()
    app.event(p.message(_as_slack_sends(_bounce_from_fail_domain()), ts=ts))
    reply = app.command("5.7.26 fail.example.org 192.0.2.9")
    assert reply.status == 200
    assert reply.seconds < 3.0  # Slack's limit for the ack, DNS or not

    answer, findings = app.fake.wait_calls("chat.postMessage", 2, timeout=WAIT)
    # DNS starts only after the answer was accepted, and a silent server costs at least one
    # query timeout: the answer cannot have waited for it.
    assert findings.at - answer.at >= QUERY_TIMEOUT * 0.9
    assert "5.7.26" in posted_text(answer)
    assert "did not answer" in findings.params["text"]
    # Said where people read it too (Slack shows the blocks, not the text), above each fact.
    assert "DNS did not answer" in json.dumps(findings.params["blocks"][:2])
    assert "timed out" in posted_text(findings)
    assert silent_server.received > 0

    command_answer, command_findings = app.fake.wait_calls("response_url", 2, timeout=WAIT)
    assert command_findings.at - command_answer.at >= QUERY_TIMEOUT * 0.9
    assert "did not answer" in command_findings.params["text"]


# -- off, and bad settings ----------------------------------------------------------------------


def test_dns_off_sends_no_follow_up_and_no_query(
    start_app: Callable[..., RunningApp], silent_server: SilentServer
) -> None:
    app = start_app(SMTPBOT_DNS="off", SMTPBOT_DNS_SERVER=silent_server.address)
    app.event(p.message(_as_slack_sends(_bounce_from_fail_domain())))
    app.command("5.7.26 fail.example.org 192.0.2.9")
    app.fake.wait_calls("chat.postMessage")
    app.fake.wait_calls("response_url")
    _idle(app)
    assert len(app.fake.calls("chat.postMessage")) == 1
    assert len(app.fake.calls("response_url")) == 1
    assert silent_server.received == 0


def test_a_bad_dns_server_setting_names_the_variable() -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_SIGNING_SECRET": "s3cr3t",
        "SMTPBOT_DNS_SERVER": "127.0.0.1:99999",
    }
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert raised.value.variable == "SMTPBOT_DNS_SERVER"
    with pytest.raises(SettingsError) as raised:
        load_settings({**env, "SMTPBOT_DNS_SERVER": "", "SMTPBOT_DNS": "sometimes"})
    assert raised.value.variable == "SMTPBOT_DNS"


def test_python_m_bot_with_a_bad_dns_server_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMTPBOT_"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-1-2-abc",
        SLACK_SIGNING_SECRET="s3cr3t",
        SMTPBOT_DNS_SERVER="127.0.0.1:port",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, text=True,
        capture_output=True, timeout=30,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SMTPBOT_DNS_SERVER" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


# -- the parts, without Slack ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5.7.26 example.org", LookupArgs("5.7.26", "example.org")),
        ("550 5.7.26 Example.ORG. 192.0.2.9", LookupArgs("550 5.7.26", "example.org", "192.0.2.9")),
        ("5.7.25 <http://example.org|example.org> [2001:db8::1]",
         LookupArgs("5.7.25", "example.org", "2001:db8::1")),
        ("5.7.26", None),
        ("example.org", None),
        ("5.7.26 not-a-domain", None),
        ("550 5.1.1 <bob@example.org>: Recipient address rejected", None),
        ("hello there example.org", None),
    ],
)
def test_smtp_arguments(text: str, expected: LookupArgs | None) -> None:
    assert parse_lookup(text) == expected


def test_the_outbox_payload_holds_targets_and_gives_diagnose_s_findings(
    dns_server: ZoneServer,
) -> None:
    raw = GMAIL_EML.read_bytes()
    report = scan(raw)
    settings = DnsSettings(server=parse_server(dns_server.address))
    (job,) = dns_followup.for_thread(settings, [report], [raw], "C1", "1.2")
    payload = json.loads(json.dumps(job.payload))  # as the outbox stores it
    # Domains, IPs and selectors only: the returned message's subject never gets stored.
    assert "Quarterly" not in json.dumps(payload)
    targets = dns_followup.targets_from_dict(payload["targets"])
    assert targets == find_targets(report, raw)
    ours = dns_followup.diagnose_targets(targets, settings)
    SHARED_CACHE.clear()
    theirs = diagnose(report, raw, settings, cache=TtlCache())
    assert ours.findings == theirs.findings
    assert ours.notes == theirs.notes


def test_no_dns_job_is_queued_when_dns_is_off() -> None:
    raw = GMAIL_EML.read_bytes()
    off = DnsSettings(enabled=False)
    assert dns_followup.for_thread(off, [scan(raw)], [raw], "C1", "1.2") == []
    asked = {"domain": "example.org", "ip": None}
    assert dns_followup.for_response(off, [(scan(raw), None)], "https://x", asked) == []


#: What a README example line must name for each check that runs.
_README_NAMES = {"spf": "SPF", "dmarc": "DMARC", "ptr": "reverse DNS", "mx": "MX"}


def test_readme_smtp_examples_say_what_runs(dns_server: ZoneServer) -> None:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## DNS checks")[1]
    examples = [line for line in section.splitlines() if line.startswith("/smtp ")]
    assert len(examples) >= 4
    settings = DnsSettings(server=parse_server(dns_server.address))
    for line in examples:
        command, said = line[len("/smtp "):].split("  ", 1)
        asked = parse_lookup(command)
        assert asked is not None, line
        report = explain(asked.code)
        targets = dns_followup.asked_targets(report, asked.domain, asked.ip)
        diagnosis = dns_followup.diagnose_asked(targets, settings)
        ran = {f.check for f in diagnosis.findings}
        assert ran, line
        assert {_README_NAMES[c] for c in ran if c in _README_NAMES} == {
            name for name in _README_NAMES.values() if name in said
        }, line


def test_dns_jobs_beyond_the_slots_wait_in_the_outbox_not_on_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(dns_followup, "_slots", slots)
    targets = dns_followup.targets_to_dict(Targets(from_domain="fail.example.org"))
    item = OutboxItem(
        id=1, kind="dns", payload={"targets": targets, "deliver": {}}, attempts=0, deadline=0.0
    )
    assert slots.acquire(blocking=False)  # another DNS job is running
    outcome = dns_followup.dns_job(DnsSettings(enabled=False), item)
    assert outcome.retry_after is not None and not outcome.follow_ups
    slots.release()
    outcome = dns_followup.dns_job(DnsSettings(enabled=False), item)
    # It ran: DNS was turned off after it was queued, so nothing was asked or shown.
    assert outcome.retry_after is None and not outcome.follow_ups
