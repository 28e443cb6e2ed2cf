"""The TTL cache shared by all answers, and the per-answer query limit."""

from __future__ import annotations

import threading

from bot.dns import DnsSettings, TtlCache
from bot.dns.resolver import FAILURE_TTL, Answer, Lookup, Resolver
from tests.dns.server import ZoneServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_live_for_their_ttl() -> None:
    clock = Clock()
    cache = TtlCache(clock=clock)
    cache.put(Answer("a.example.org", "A", "ok", ("192.0.2.1",), ttl=60))
    clock.now += 59
    assert cache.get("a.example.org", "A") is not None
    clock.now += 1
    assert cache.get("a.example.org", "A") is None


def test_failures_are_kept_briefly_and_budget_refusals_not_at_all() -> None:
    clock = Clock()
    cache = TtlCache(clock=clock)
    cache.put(Answer("b.example.org", "A", "servfail", ttl=3600))
    cache.put(Answer("c.example.org", "A", "limit", ttl=3600))
    assert cache.get("c.example.org", "A") is None
    clock.now += FAILURE_TTL
    assert cache.get("b.example.org", "A") is None


def test_least_recently_used_goes_first() -> None:
    cache = TtlCache(max_entries=2)
    for name in ("one", "two"):
        cache.put(Answer(f"{name}.example.org", "A", "ok", ("192.0.2.1",), ttl=60))
    assert cache.get("one.example.org", "A") is not None
    cache.put(Answer("three.example.org", "A", "ok", ("192.0.2.1",), ttl=60))
    assert cache.get("two.example.org", "A") is None
    assert len(cache) == 2


def test_answers_in_many_threads_share_one_cache(dns_server: ZoneServer) -> None:
    settings = DnsSettings.from_env({"SMTPBOT_DNS_SERVER": dns_server.address})
    cache = TtlCache()
    names = [f"d{n}.example.org" for n in range(1, 12)]
    before = len(dns_server.resolver.queries)
    lookups: list[Lookup] = []
    errors: list[BaseException] = []

    def work() -> None:
        lookup = Lookup(settings, cache=cache)
        lookups.append(lookup)
        try:
            for _ in range(3):
                for name in names:
                    assert lookup(name, "TXT").status == "ok"
        except BaseException as exc:  # collected for the main thread to report
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    sent = sum(lookup.sent for lookup in lookups)
    assert len(dns_server.resolver.queries) - before == sent
    # Each name is asked at most once per thread that missed it at the same moment, and
    # the second and third rounds are served by the cache.
    assert len(names) <= sent <= len(names) * len(threads)


def test_the_query_limit_refuses_without_asking(dns_server: ZoneServer) -> None:
    settings = DnsSettings.from_env({"SMTPBOT_DNS_SERVER": dns_server.address})
    lookup = Lookup(DnsSettings(server=settings.server, max_queries=2), cache=TtlCache())
    before = len(dns_server.resolver.queries)
    statuses = [lookup(f"d{n}.example.org", "TXT").status for n in range(1, 5)]
    assert statuses == ["ok", "ok", "limit", "limit"]
    assert len(dns_server.resolver.queries) - before == 2
    assert lookup.refused == 2 and lookup.exhausted()


def test_no_resolver_configured() -> None:
    answer = Resolver([]).query("example.org", "A", 1.0)
    assert answer.status == "error" and "no DNS resolver" in answer.detail


def test_a_truncated_answer_is_asked_again_over_tcp(dns_server: ZoneServer) -> None:
    settings = DnsSettings.from_env({"SMTPBOT_DNS_SERVER": dns_server.address})
    before = dns_server.resolver.queries.count(("big.example.org", "TXT"))
    answer = Lookup(settings, cache=TtlCache())("big.example.org", "TXT")
    assert answer.status == "ok" and len(answer.records) == 9
    # Asked twice: over UDP (truncated) and again over TCP.
    assert dns_server.resolver.queries.count(("big.example.org", "TXT")) == before + 2
    assert "v=spf1 ip4:192.0.2.0/24 -all" in answer.records
