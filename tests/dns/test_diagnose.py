"""diagnose(): the checks a bounce calls for, run against the test server within the budget."""

from __future__ import annotations

import time
from pathlib import Path

from bot.core.explain import explain
from bot.core.scan import scan
from bot.dns import DnsSettings, TtlCache, check_domain, diagnose
from bot.dns.settings import parse_server
from tests.dns.server import SilentServer, ZoneServer

BOUNCES = Path(__file__).with_name("bounces")


def _by_check(diagnosis: object) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for finding in diagnosis.findings:  # type: ignore[attr-defined]
        out.setdefault(finding.check, []).append(finding)
    return out


def test_authentication_bounce_gets_spf_dkim_and_dmarc(settings: DnsSettings) -> None:
    raw = (BOUNCES / "gmail-5.7.26.eml").read_bytes()
    report = scan(raw)
    diagnosis = diagnose(report, raw, settings, cache=TtlCache())
    checks = [f.check for f in diagnosis.findings]
    assert checks == ["spf", "dkim", "dmarc"]
    spf, dkim, dmarc = diagnosis.findings
    # SPF is evaluated for the Return-Path domain and the IP the reply names.
    assert spf.subject == "fail.example.org for 192.0.2.9" and spf.severity == "problem"
    assert "gives fail for 192.0.2.9" in spf.fact
    assert dkim.subject == "d=mailer.example.net s=nokey" and dkim.severity == "problem"
    assert dmarc.severity == "problem"
    # The Return-Path is aligned (relaxed) but its SPF fails; the signature is not aligned.
    assert "aligned with the Return-Path domain fail.example.org (SPF fail)" in dmarc.fact
    assert "not aligned with the DKIM d=mailer.example.net" in dmarc.fact
    assert diagnosis.complete and diagnosis.queries > 0
    assert diagnosis.checked["ip"] == ["192.0.2.9"]
    # The verdict is untouched.
    assert report.verdicts[0].reason == "authfailure"


def test_dnsbl_named_in_the_reply_is_queried(settings: DnsSettings) -> None:
    line = (
        "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using "
        "zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.10"
    )
    diagnosis = diagnose(explain(line), line, settings, cache=TtlCache())
    lists = [f for f in diagnosis.findings if f.check == "dnsbl"]
    assert [f.subject for f in lists] == ["192.0.2.10 on zen.spamhaus.org"]
    assert lists[0].severity == "problem" and lists[0].record == "127.0.0.2"


def test_blocked_without_a_named_list_checks_reverse_dns(settings: DnsSettings) -> None:
    line = "550 5.7.25 [192.0.2.11] The IP address sending this message does not have a PTR record"
    diagnosis = diagnose(explain(line), line, settings, cache=TtlCache())
    assert [f.check for f in diagnosis.findings] == ["ptr"]
    assert diagnosis.findings[0].severity == "problem"


def test_null_mx_recipient(settings: DnsSettings) -> None:
    line = "556 5.1.10 <bob@nullmx.example.org>: Recipient address rejected: Domain has null MX"
    diagnosis = diagnose(explain(line), line, settings, cache=TtlCache())
    mx = [f for f in diagnosis.findings if f.check == "mx"]
    assert mx and mx[0].subject == "nullmx.example.org" and mx[0].record == "0 ."


def test_unknown_host_recipient(settings: DnsSettings) -> None:
    line = "<bob@no-such-domain.example.org>: Host or domain name not found. Name service error"
    report = explain(line)
    diagnosis = diagnose(report, line, settings, cache=TtlCache())
    assert [f.fact for f in diagnosis.findings if f.check == "mx"] == [
        "no-such-domain.example.org does not exist (NXDOMAIN)."
    ]


def test_tls_failure_reads_mta_sts(settings: DnsSettings) -> None:
    line = "<bob@mx.example.org>: TLS is required, but was not offered by host mx1.example.org"
    diagnosis = diagnose(explain(line), line, settings, cache=TtlCache())
    assert {f.check for f in diagnosis.findings} >= {"mta-sts", "tls-rpt"}


def test_off_makes_no_query(dns_server: ZoneServer) -> None:
    settings = DnsSettings.from_env(
        {"SMTPBOT_DNS": "off", "SMTPBOT_DNS_SERVER": dns_server.address}
    )
    before = len(dns_server.resolver.queries)
    line = "554 5.7.1 Client host [192.0.2.10] blocked using zen.spamhaus.org"
    diagnosis = diagnose(explain(line), line, settings)
    assert not diagnosis.enabled and not diagnosis.findings
    assert diagnosis.notes == ("DNS checks are off (SMTPBOT_DNS=off).",)
    assert len(dns_server.resolver.queries) == before


def test_only_names_from_the_bounce_are_queried(dns_server: ZoneServer) -> None:
    settings = DnsSettings(server=parse_server(dns_server.address))
    raw = (BOUNCES / "gmail-5.7.26.eml").read_bytes()
    start = len(dns_server.resolver.queries)
    diagnose(scan(raw), raw, settings, cache=TtlCache())
    asked = {name for name, _ in dns_server.resolver.queries[start:]}
    assert asked == {
        "fail.example.org",  # SPF of the Return-Path domain
        "nokey._domainkey.mailer.example.net",  # the signature's key
        "_dmarc.pass.example.org",  # the From domain's policy
    }


def test_cache_is_shared_between_answers(dns_server: ZoneServer) -> None:
    settings = DnsSettings(server=parse_server(dns_server.address))
    cache = TtlCache()
    line = "554 5.7.1 Client host [192.0.2.10] blocked using zen.spamhaus.org"
    first = diagnose(explain(line), line, settings, cache=cache)
    second = diagnose(explain(line), line, settings, cache=cache)
    assert first.queries == 2  # the A record and, since it is listed, the TXT reason
    assert second.queries == 0
    assert second.findings == first.findings


def test_servfail_is_said_plainly_and_changes_nothing(settings: DnsSettings) -> None:
    line = "556 5.1.10 <bob@x.servfail.example.org>: Recipient address rejected: null MX"
    report = explain(line)
    before = report.to_dict()
    diagnosis = diagnose(report, line, settings, cache=TtlCache())
    assert [f.severity for f in diagnosis.findings] == ["unavailable"]
    assert "SERVFAIL" in diagnosis.findings[0].fact
    assert not diagnosis.complete
    assert report.to_dict() == before


def test_a_server_that_never_answers_stays_within_the_budget(silent_server: SilentServer) -> None:
    settings = DnsSettings(
        server=parse_server(silent_server.address), query_timeout=0.2, budget=0.3
    )
    raw = (BOUNCES / "gmail-5.7.26.eml").read_bytes()
    started = time.monotonic()
    diagnosis = diagnose(scan(raw), raw, settings, cache=TtlCache())
    elapsed = time.monotonic() - started
    # 0.3 s at 0.2 s a query: SPF's query times out, DKIM's gets what is left, and DMARC
    # is not tried.
    assert diagnosis.queries == 2
    assert silent_server.received == 2
    assert [f.check for f in diagnosis.findings] == ["spf", "dkim"]
    assert not diagnosis.complete
    assert all(f.severity == "unavailable" for f in diagnosis.findings)
    assert "timed out" in diagnosis.findings[0].fact
    assert "DMARC of pass.example.org" in diagnosis.notes[0]
    assert "DNS budget" in diagnosis.notes[0]
    assert elapsed < 10 * settings.budget  # bounded: a hang would never get here


def test_query_limit_per_answer(dns_server: ZoneServer) -> None:
    settings = DnsSettings(server=parse_server(dns_server.address), max_queries=3)
    diagnosis = check_domain("deep.example.org", "192.0.2.9", (), settings, cache=TtlCache())
    assert diagnosis.queries == 3
    spf = diagnosis.findings[0]
    assert spf.severity == "unavailable" and "limit of 3 DNS queries" in spf.fact
    assert not diagnosis.complete and "Not checked" in diagnosis.notes[0]


def test_check_domain_runs_every_check(settings: DnsSettings) -> None:
    diagnosis = check_domain(
        "pass.example.org", "192.0.2.10", ("s1",), settings.widened(15, 100), cache=TtlCache()
    )
    checks = [f.check for f in diagnosis.findings]
    assert checks[:6] == ["spf", "dkim", "dmarc", "mx", "mta-sts", "tls-rpt"]
    assert checks[6] == "ptr"
    assert checks.count("dnsbl") == 5
    listed = {
        f.subject for f in diagnosis.findings if f.severity == "problem" and f.check == "dnsbl"
    }
    assert listed == {"192.0.2.10 on zen.spamhaus.org", "192.0.2.10 on bl.spamcop.net"}


def test_what_could_not_be_checked_is_said(settings: DnsSettings) -> None:
    line = "550 5.7.26 This mail has been blocked because the sender is unauthenticated."
    diagnosis = diagnose(explain(line), line, settings, cache=TtlCache())
    assert diagnosis.findings == ()
    assert "names no sending domain" in " ".join(diagnosis.notes)
    listed = "554 5.7.1 Service unavailable; blocked using zen.spamhaus.org"
    diagnosis = diagnose(explain(listed), listed, settings, cache=TtlCache())
    assert "names zen.spamhaus.org but no sending IP" in " ".join(diagnosis.notes)
    code = diagnose(explain("5.7.26"), "5.7.26", settings, cache=TtlCache())
    assert code.notes[0] == "The input names no domain or IP to look up."
