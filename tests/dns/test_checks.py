"""Each DNS check against the test server: the finding's severity, quoted record and facts."""

from __future__ import annotations

import pytest

from bot.dns import dkim, dmarc, dnsbl, mtasts, mx, ptr
from bot.dns.orgdomain import org_domain
from bot.dns.resolver import Lookup

# ------------------------------------------------------------------ DKIM


def test_dkim_key_present(lookup: Lookup) -> None:
    found = dkim.check(lookup, "pass.example.org", "s1")
    assert found.severity == "ok"
    assert found.record is not None and found.record.startswith("v=DKIM1; k=rsa; p=MIGf")
    assert "s1._domainkey.pass.example.org" in found.fact


def test_dkim_key_missing(lookup: Lookup) -> None:
    found = dkim.check(lookup, "pass.example.org", "nokey")
    assert found.severity == "problem"
    assert "No DKIM key is published at nokey._domainkey.pass.example.org" in found.fact
    assert found.record is None


def test_dkim_key_revoked(lookup: Lookup) -> None:
    found = dkim.check(lookup, "pass.example.org", "old")
    assert (found.severity, found.record) == ("problem", "v=DKIM1; p=")
    assert "revoked" in found.fact


# ------------------------------------------------------------------ DMARC


def test_dmarc_reject_not_aligned(lookup: Lookup) -> None:
    found = dmarc.check(
        lookup, "pass.example.org", ("mailer.example.net",), "bounces.example.net", "pass"
    )
    assert found.severity == "problem"
    assert found.record == "v=DMARC1; p=reject; rua=mailto:dmarc@pass.example.org"
    assert "not aligned with the DKIM d=mailer.example.net" in found.fact
    assert "p=reject" in found.fact and "reject" in found.meaning


def test_dmarc_relaxed_alignment_with_a_subdomain(lookup: Lookup) -> None:
    found = dmarc.check(lookup, "pass.example.org", ("mail.pass.example.org",))
    assert found.severity == "info"
    assert "(adkim=r, aspf=r)" in found.fact
    assert "is aligned with the DKIM d=mail.pass.example.org." in found.fact
    assert "verifies" in found.meaning  # DNS cannot tell whether the signature does


def test_dmarc_strict_alignment_refuses_a_subdomain(lookup: Lookup) -> None:
    found = dmarc.check(
        lookup, "strict.example.org", ("mail.strict.example.org",), "strict.example.org", "pass"
    )
    # DKIM is not aligned under adkim=s, but the Return-Path is identical and SPF passes.
    assert found.severity == "ok"
    assert "aligned with the Return-Path domain strict.example.org (SPF pass)" in found.fact
    assert "not aligned with the DKIM d=mail.strict.example.org" in found.fact
    alone = dmarc.check(lookup, "strict.example.org", ("mail.strict.example.org",))
    assert alone.severity == "problem" and "adkim=s" in alone.fact


def test_dmarc_aligned_return_path_whose_spf_fails_is_still_a_dmarc_failure(
    lookup: Lookup,
) -> None:
    found = dmarc.check(
        lookup, "pass.example.org", ("mailer.example.net",), "fail.example.org", "fail"
    )
    assert found.severity == "problem"
    assert "aligned with the Return-Path domain fail.example.org (SPF fail)" in found.fact
    assert "not aligned with the DKIM d=mailer.example.net" in found.fact
    assert found.meaning.startswith("DMARC fails")


def test_dmarc_none_policy(lookup: Lookup) -> None:
    found = dmarc.check(lookup, "fail.example.org", ("other.example.net",))
    assert found.severity == "info"  # p=none: the receiver's own rules rejected, not DMARC
    assert found.record == "v=DMARC1; p=none"
    assert "p=none" in found.meaning


def test_dmarc_missing(lookup: Lookup) -> None:
    found = dmarc.check(lookup, "mx.example.org")
    assert found.severity == "problem"
    assert "publishes no DMARC record" in found.fact and "_dmarc.example.org" in found.fact


def test_dmarc_inherited_from_the_organisational_domain_uses_sp(lookup: Lookup) -> None:
    found = dmarc.check(lookup, "news.example.com", ("example.com",))
    assert "inherited from example.com" in found.fact
    assert "p=quarantine" in found.fact  # sp= applies to the subdomain
    assert "aligned with the DKIM d=example.com" in found.fact


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("mail.example.com", "example.com"),
        ("example.com", "example.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("x.example.com.au", "example.com.au"),
        ("mail.example.de", "example.de"),
        ("com", "com"),
    ],
)
def test_org_domain(domain: str, org: str) -> None:
    assert org_domain(domain) == org


# ------------------------------------------------------------------ reverse DNS


def test_ptr_forward_confirmed(lookup: Lookup) -> None:
    found = ptr.check(lookup, "192.0.2.9")
    assert found.severity == "ok"
    assert found.record == "mail.pass.example.org"
    assert "forward-confirmed" in found.fact


def test_ptr_not_confirmed(lookup: Lookup) -> None:
    found = ptr.check(lookup, "192.0.2.10")
    assert found.severity == "problem"
    assert "does not resolve back" in found.fact and "198.51.100.1" in found.fact


def test_ptr_missing(lookup: Lookup) -> None:
    found = ptr.check(lookup, "192.0.2.11")
    assert found.severity == "problem"
    assert "no reverse DNS (no PTR record at 11.2.0.192.in-addr.arpa)" in found.fact


def test_ptr_generic_name(lookup: Lookup) -> None:
    found = ptr.check(lookup, "192.0.2.20")
    assert found.severity == "info" and "generic" in found.meaning


# ------------------------------------------------------------------ DNSBL


def _list(lookup: Lookup, ip: str, zone: str) -> dnsbl.Finding:
    return dnsbl.check(lookup, ip, zone)


def test_dnsbl_listed_with_its_code_explained(lookup: Lookup) -> None:
    found = _list(lookup, "192.0.2.10", "zen.spamhaus.org")
    assert found.severity == "problem"
    assert found.record == "127.0.0.2"
    assert "listed on Spamhaus ZEN" in found.fact and "SBL" in found.fact
    assert "Listed by SBL, see https://check.spamhaus.org/sbl/query/SBL0001" in found.fact


def test_dnsbl_refusal_code_is_not_a_listing(lookup: Lookup) -> None:
    found = _list(lookup, "192.0.2.12", "zen.spamhaus.org")
    assert found.severity == "unavailable"
    assert "refused" in found.fact and "public or open resolver" in found.fact
    assert "not a listing" in found.meaning


def test_dnsbl_not_listed(lookup: Lookup) -> None:
    found = _list(lookup, "192.0.2.9", "bl.spamcop.net")
    assert found.severity == "ok" and "not listed on SpamCop" in found.fact


def test_dnsbl_ipv6(lookup: Lookup) -> None:
    found = _list(lookup, "2001:db8::10", "zen.spamhaus.org")
    assert (found.severity, found.record) == ("problem", "127.0.0.3")
    assert "SBL CSS" in found.fact
    spamcop = _list(lookup, "2001:db8::10", "bl.spamcop.net")
    assert spamcop.severity == "info" and "IPv4 addresses only" in spamcop.fact


def test_dnsbl_query_names() -> None:
    assert dnsbl.query_name("192.0.2.10", "zen.spamhaus.org") == "10.2.0.192.zen.spamhaus.org"
    assert dnsbl.query_name("2001:db8::1", "zen.spamhaus.org") == (
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org"
    )


@pytest.mark.parametrize(
    ("reply", "zones"),
    [
        (
            "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using "
            "zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.10",
            ["zen.spamhaus.org"],
        ),
        ("550 5.7.1 Rejected: 192.0.2.10 listed at sbl.spamhaus.org", ["sbl.spamhaus.org"]),
        (
            "554 Service unavailable; Client host [192.0.2.10] blocked using Barracuda "
            "Reputation, http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.10",
            ["b.barracudacentral.org"],
        ),
        ("550 5.7.1 Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.10", ["bl.spamcop.net"]),
        ("550 Your IP is listed in dnsbl-2.uceprotect.net", ["dnsbl-2.uceprotect.net"]),
        ("554 rejected because 192.0.2.10 is listed by rbl.example.net", ["rbl.example.net"]),
        ("550 5.1.1 user unknown", []),
    ],
)
def test_lists_named_in_replies(reply: str, zones: list[str]) -> None:
    assert dnsbl.lists_named(reply) == zones


# ------------------------------------------------------------------ MX


def test_mx_present(lookup: Lookup) -> None:
    found = mx.check(lookup, "mx.example.org")
    assert found.severity == "ok"
    assert found.record == "10 mx1.example.org; 20 mx2.example.org"


def test_null_mx(lookup: Lookup) -> None:
    found = mx.check(lookup, "nullmx.example.org")
    assert (found.severity, found.record) == ("problem", "0 .")
    assert "RFC 7505" in found.fact and "accepts no mail" in found.meaning
    sender = mx.check(lookup, "nullmx.example.org", sender=True)
    assert "5.7.27" in sender.meaning


def test_nxdomain(lookup: Lookup) -> None:
    found = mx.check(lookup, "no-such-domain.example.org")
    assert found.severity == "problem" and "does not exist (NXDOMAIN)" in found.fact


def test_a_fallback_and_no_host(lookup: Lookup) -> None:
    fallback = mx.check(lookup, "fallback.example.org")
    assert fallback.severity == "info" and "192.0.2.60" in fallback.fact
    assert "A/AAAA fallback" in fallback.fact
    nohost = mx.check(lookup, "nohost.example.org")
    assert nohost.severity == "problem" and "no MX and no A/AAAA" in nohost.fact


def test_mx_host_without_address(lookup: Lookup) -> None:
    found = mx.check(lookup, "deadmx.example.org")
    assert found.severity == "problem"
    assert "gone.deadmx.example.org has no address" in found.fact


# ------------------------------------------------------------------ MTA-STS, TLS-RPT


def test_mta_sts_and_tls_rpt_present(lookup: Lookup) -> None:
    sts, rpt = mtasts.check(lookup, "mx.example.org")
    assert sts.record == "v=STSv1; id=20261201T000000" and "id=20261201T000000" in sts.fact
    assert "TLS" in sts.meaning
    assert rpt.record == "v=TLSRPTv1; rua=mailto:tls-reports@example.org"
    assert "rua=mailto:tls-reports@example.org" in rpt.fact


def test_mta_sts_absent(lookup: Lookup) -> None:
    sts, rpt = mtasts.check(lookup, "nullmx.example.org")
    assert sts.record is None and "no MTA-STS policy" in sts.fact
    assert rpt.record is None and "no TLS-RPT record" in rpt.fact
