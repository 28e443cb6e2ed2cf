"""SPF evaluated against the test DNS server, and RFC 7208's own examples for macros and syntax."""

from __future__ import annotations

import pytest

from bot.dns import spf
from bot.dns.resolver import Answer, Lookup


@pytest.mark.parametrize(
    ("domain", "ip", "result", "mechanism"),
    [
        ("pass.example.org", "192.0.2.9", "pass", "ip4:192.0.2.0/24"),
        ("fail.example.org", "192.0.2.9", "fail", "-all"),
        ("soft.example.org", "192.0.2.9", "softfail", "~all"),
        ("soft.example.org", "198.51.100.7", "pass", "ip4:198.51.100.7"),
        ("neutral.example.org", "192.0.2.9", "neutral", None),
        ("inc.example.org", "192.0.2.77", "pass", "a:out.provider.example.net"),
        ("inc.example.org", "198.51.100.3", "pass", "ip4:198.51.100.0/25"),
        ("inc.example.org", "198.51.100.200", "fail", "-all"),
        ("redir.example.org", "192.0.2.9", "pass", "ip4:192.0.2.0/24"),
        ("redir.example.org", "198.51.100.9", "fail", "-all"),
        ("mxmech.example.org", "192.0.2.66", "pass", "mx/30"),
        ("mxmech.example.org", "192.0.2.70", "fail", "-all"),
        ("exists.example.org", "192.0.2.9", "pass", "exists:%{ir}.%{v}._spf.exists.example.org"),
        ("exists.example.org", "192.0.2.8", "fail", "-all"),
        ("ten.example.org", "192.0.2.9", "pass", "ip4:192.0.2.0/24"),
    ],
)
def test_results(lookup: Lookup, domain: str, ip: str, result: str, mechanism: str | None) -> None:
    outcome = spf.check_host(lookup, ip, domain)
    assert (outcome.result, outcome.mechanism) == (result, mechanism), outcome


def test_include_names_the_record_that_matched(lookup: Lookup) -> None:
    outcome = spf.check_host(lookup, "192.0.2.77", "inc.example.org")
    assert outcome.mechanism_domain == "_spf.provider.example.net"
    assert outcome.record == "v=spf1 include:_spf.provider.example.net -all"
    assert [d for d, _ in outcome.chain] == ["inc.example.org", "_spf.provider.example.net"]
    assert outcome.lookups == 2  # the include and the a: mechanism


def test_eleven_lookups_is_a_permerror_ten_is_not(lookup: Lookup) -> None:
    deep = spf.check_host(lookup, "192.0.2.9", "deep.example.org")
    assert deep.result == "permerror"
    assert "more than 10 DNS lookups" in deep.reason
    assert deep.lookups == 11
    assert spf.check_host(lookup, "192.0.2.9", "ten.example.org").lookups == 10


@pytest.mark.parametrize(
    ("domain", "why"),
    [
        ("perm.example.org", "unknown term 'foo:bar'"),
        ("two.example.org", "2 SPF records"),
        ("badinc.example.org", "include:nothing.example.org has no SPF record"),
        ("redir-none.example.org", "redirect=nothing.example.org leads to a domain without"),
        ("void.example.org", "more than 2 lookups found nothing"),
    ],
)
def test_permerrors(lookup: Lookup, domain: str, why: str) -> None:
    outcome = spf.check_host(lookup, "192.0.2.9", domain)
    assert outcome.result == "permerror"
    assert why in outcome.reason


def test_none_for_a_domain_without_record_or_existence(lookup: Lookup) -> None:
    nothing = spf.check_host(lookup, "192.0.2.9", "nothing.example.org")
    assert (nothing.result, nothing.record) == ("none", None)
    assert "no SPF record" in nothing.reason
    missing = spf.check_host(lookup, "192.0.2.9", "no-such-name.example.org")
    assert missing.result == "none" and "NXDOMAIN" in missing.reason


def test_servfail_is_a_temperror(lookup: Lookup) -> None:
    outcome = spf.check_host(lookup, "192.0.2.9", "x.servfail.example.org")
    assert outcome.result == "temperror"
    assert "SERVFAIL" in outcome.reason
    finding = spf.finding(outcome)
    assert finding.severity == "unavailable"


def test_finding_quotes_the_record_and_says_what_it_means(lookup: Lookup) -> None:
    finding = spf.finding(spf.check_host(lookup, "192.0.2.9", "fail.example.org"))
    assert finding.severity == "problem"
    assert finding.record == "v=spf1 ip4:198.51.100.0/24 -all"
    assert "gives fail for 192.0.2.9" in finding.fact and "`-all`" in finding.fact
    assert "add the IP" in finding.meaning


# ------------------------------------------------------------------ RFC 7208 section 7.4

RFC_SENDER = "strong-bad@email.example.com"
RFC_DOMAIN = "email.example.com"


@pytest.mark.parametrize(
    ("macro", "expanded"),
    [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
        ("%%-%_-%-", "%- -%20"),
    ],
)
def test_rfc7208_macro_examples(macro: str, expanded: str) -> None:
    assert spf.expand_macros(macro, RFC_SENDER, RFC_DOMAIN, "192.0.2.3") == expanded


def test_rfc7208_ipv6_macro_example() -> None:
    assert spf.expand_macros("%{ir}.%{v}._spf.%{d2}", RFC_SENDER, RFC_DOMAIN, "2001:db8::cb01") == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    )


def _only(record: str) -> spf.Query:
    """A stand-in resolver publishing one record at example.net and nothing else."""

    def ask(name: str, rdtype: str) -> Answer:
        if (name, rdtype) == ("example.net", "TXT"):
            return Answer(name, rdtype, "ok", (record,), 300)
        return Answer(name, rdtype, "nxdomain")

    return ask


@pytest.mark.parametrize(
    ("record", "ip", "result"),
    [
        # Cases after the RFC 7208 test suite's syntax and semantics sections.
        ("v=spf1 -all", "192.0.2.1", "fail"),
        ("v=spf1", "192.0.2.1", "neutral"),
        ("v=spf1 ?all", "192.0.2.1", "neutral"),
        ("V=SPF1 +all", "192.0.2.1", "pass"),  # the version is case-insensitive
        ("v=spf10 -all", "192.0.2.1", "none"),  # not an SPF record at all
        ("v=spf1 ip4:192.0.2.0/33 -all", "192.0.2.1", "permerror"),
        ("v=spf1 ip4:192.0.2.1/32 -all", "192.0.2.1", "pass"),
        ("v=spf1 ip6:2001:db8::/32 -all", "2001:db8::1", "pass"),
        ("v=spf1 ip6:2001:db8::/32 -all", "192.0.2.1", "fail"),
        ("v=spf1 ip4:192.0.2.1 -all", "::ffff:192.0.2.1", "pass"),  # IPv4-mapped
        ("v=spf1 include -all", "192.0.2.1", "permerror"),
        ("v=spf1 include:1.2.3.4 -all", "192.0.2.1", "permerror"),  # no top label
        ("v=spf1 exists:%{q}.example.org -all", "192.0.2.1", "permerror"),  # bad macro
        ("v=spf1 redirect=a.example.org redirect=b.example.org", "192.0.2.1", "permerror"),
        ("v=spf1 -all redirect=nowhere.example.org", "192.0.2.1", "fail"),  # all wins
        ("v=spf1 foo=bar -all", "192.0.2.1", "fail"),  # unknown modifiers are ignored
        ("v=spf1 a:nx.example.net -all", "192.0.2.1", "fail"),  # one void lookup is fine
    ],
)
def test_record_syntax(record: str, ip: str, result: str) -> None:
    assert spf.check_host(_only(record), ip, "example.net").result == result


def _zone(records: dict[tuple[str, str], tuple[str, ...]]) -> spf.Query:
    """A stand-in resolver serving `records`; every other name is NXDOMAIN."""

    def ask(name: str, rdtype: str) -> Answer:
        found = records.get((name, rdtype))
        if found is not None:
            return Answer(name, rdtype, "ok", found, 300)
        if any(n == name for n, _ in records):
            return Answer(name, rdtype, "nodata")
        if name.endswith("servfail.example.net"):
            return Answer(name, rdtype, "servfail")
        return Answer(name, rdtype, "nxdomain")

    return ask


def test_more_than_ten_mx_names_is_a_permerror() -> None:
    mx = tuple(f"{n} mx{n}.example.net" for n in range(11))
    zone = _zone({("example.net", "TXT"): ("v=spf1 mx -all",), ("example.net", "MX"): mx})
    outcome = spf.check_host(zone, "192.0.2.1", "example.net")
    assert outcome.result == "permerror" and "11 MX hosts" in outcome.reason


def test_ptr_mechanism_needs_a_validated_name() -> None:
    zone = _zone(
        {
            ("example.net", "TXT"): ("v=spf1 ptr -all",),
            ("1.2.0.192.in-addr.arpa", "PTR"): ("mail.example.net",),
            ("mail.example.net", "A"): ("192.0.2.1",),
            ("2.2.0.192.in-addr.arpa", "PTR"): ("mail.example.net",),  # claims a name it lacks
        }
    )
    assert spf.check_host(zone, "192.0.2.1", "example.net").result == "pass"
    assert spf.check_host(zone, "192.0.2.2", "example.net").result == "fail"


def test_a_mechanism_with_dual_cidr() -> None:
    zone = _zone(
        {
            ("example.net", "TXT"): ("v=spf1 a/24//64 -all",),
            ("example.net", "A"): ("192.0.2.1",),
            ("example.net", "AAAA"): ("2001:db8::1",),
        }
    )
    assert spf.check_host(zone, "192.0.2.200", "example.net").result == "pass"
    assert spf.check_host(zone, "198.51.100.1", "example.net").result == "fail"
    assert spf.check_host(zone, "2001:db8::ffff", "example.net").result == "pass"
    assert spf.check_host(zone, "2001:db8:1::1", "example.net").result == "fail"


def test_an_include_that_cannot_be_read_is_a_temperror() -> None:
    zone = _zone({("example.net", "TXT"): ("v=spf1 include:x.servfail.example.net -all",)})
    outcome = spf.check_host(zone, "192.0.2.1", "example.net")
    assert outcome.result == "temperror" and "SERVFAIL" in outcome.reason
