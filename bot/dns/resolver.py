"""DNS queries with dnspython, a TTL cache shared by all answers, and a per-answer budget.

`Resolver` sends one query to a recursive resolver (UDP, TCP when truncated) and turns
what comes back into an `Answer`; it never raises for DNS trouble. `Lookup` is one
answer's view of it: at most ``max_queries`` queries sent and ``budget`` seconds spent,
each query given at most ``query_timeout`` seconds; past either limit it answers
``status="limit"`` without asking. `TtlCache` keeps answers for their TTL (negative
answers for the SOA minimum) and is shared by every `Lookup` and thread.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.TXT
import dns.resolver

from bot.dns.settings import DnsSettings, Server

Status = Literal["ok", "nxdomain", "nodata", "timeout", "servfail", "refused", "error", "limit"]

#: What every check asks DNS through: (name, type) -> Answer (a `Lookup`, or a test's stand-in).
Query = Callable[[str, str], "Answer"]

#: Statuses that say nothing about the name: the question was not answered.
FAILED: frozenset[str] = frozenset({"timeout", "servfail", "refused", "error", "limit"})

#: Cache bounds: entries kept at most, and the longest any answer is kept (seconds).
CACHE_ENTRIES = 10_000
MAX_TTL = 3600
#: How long a failure (timeout, SERVFAIL) is remembered, so one dead zone is not asked again
#: and again within a scan; short, so a passing outage is not remembered.
FAILURE_TTL = 30
#: EDNS buffer size asked for (the DNS Flag Day 2020 value); larger answers come over TCP.
EDNS_PAYLOAD = 1232
#: Negative answers without an SOA are kept this long.
NEGATIVE_TTL = 300


@dataclass(frozen=True, slots=True)
class Answer:
    """What the resolver said about one name and type.

    `records` are text: addresses for A/AAAA, ``"10 mx.example.org"`` for MX, the host
    for PTR and CNAME, the joined strings of each TXT record. Names have no trailing dot.
    """

    name: str
    rdtype: str
    status: Status
    records: tuple[str, ...] = ()
    ttl: int = 0
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status in FAILED

    def failure_sentence(self) -> str:
        """`describe_failure` as a sentence of its own."""
        text = self.describe_failure()
        return text[:1].upper() + text[1:] + "."

    def describe_failure(self) -> str:
        """A plain sentence for a failed lookup, e.g. "the DNS query timed out"."""
        what = f"{self.rdtype} lookup of {self.name}"
        return {
            "timeout": f"the {what} timed out",
            "servfail": f"the {what} failed (SERVFAIL from the resolver)",
            "refused": f"the resolver refused the {what}",
            "limit": f"the {what} was not made: {self.detail or 'the DNS budget ran out'}",
        }.get(self.status, f"the {what} failed ({self.detail or self.status})")


class TtlCache:
    """(name, type) -> Answer until its TTL runs out; thread-safe, least recently used first out."""

    def __init__(
        self, max_entries: int = CACHE_ENTRIES, clock: Callable[[], float] = time.monotonic
    ):
        self._entries: OrderedDict[tuple[str, str], tuple[float, Answer]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self._clock = clock

    def get(self, name: str, rdtype: str) -> Answer | None:
        key = (name, rdtype)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, answer: Answer) -> None:
        if answer.status == "limit":
            return
        ttl = min(answer.ttl, FAILURE_TTL if answer.failed else MAX_TTL)
        if ttl <= 0:
            return
        key = (answer.name, answer.rdtype)
        with self._lock:
            self._entries[key] = (self._clock() + ttl, answer)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


#: The cache every answer shares unless given its own.
SHARED_CACHE = TtlCache()


def system_servers() -> list[Server]:
    """The system's recursive resolvers (``/etc/resolv.conf``); empty when none are set."""
    try:
        found = dns.resolver.Resolver(configure=True)
    except dns.exception.DNSException:
        return []
    return [Server(str(address)) for address in found.nameservers]


class Resolver:
    """Sends single queries to recursive resolvers; never raises for DNS trouble."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers

    @classmethod
    def from_settings(cls, settings: DnsSettings) -> Resolver:
        return cls([settings.server] if settings.server else system_servers())

    def query(self, name: str, rdtype: str, timeout: float) -> Answer:
        """Ask each server in turn (the next only after a timeout or network error)."""
        if not self.servers:
            return Answer(name, rdtype, "error", detail="no DNS resolver is configured")
        try:
            question = dns.message.make_query(name, rdtype, use_edns=0, payload=EDNS_PAYLOAD)
        except (dns.exception.DNSException, ValueError) as exc:
            return Answer(name, rdtype, "error", detail=f"not a DNS name ({exc})")
        answer = Answer(name, rdtype, "error")
        end = time.monotonic() + timeout
        for server in self.servers:
            left = end - time.monotonic()
            if left <= 0:
                break
            answer = self._ask(question, server, name, rdtype, left)
            if answer.status not in ("timeout", "error"):
                return answer
        return answer

    def _ask(
        self, question: dns.message.Message, server: Server, name: str, rdtype: str, timeout: float
    ) -> Answer:
        try:
            response = _exchange(question, server, timeout)
        except dns.exception.Timeout:
            return Answer(
                name, rdtype, "timeout", ttl=FAILURE_TTL, detail=f"no answer from {server}"
            )
        except (OSError, dns.exception.DNSException) as exc:
            return Answer(name, rdtype, "error", ttl=FAILURE_TTL, detail=f"{server}: {exc}")
        return _read(response, name, rdtype)


def _exchange(question: dns.message.Message, server: Server, timeout: float) -> dns.message.Message:
    """UDP, then TCP for a truncated answer, both within `timeout` together."""
    end = time.monotonic() + timeout
    try:
        return dns.query.udp(
            question,
            server.host,
            timeout,
            server.port,
            raise_on_truncation=True,
            ignore_unexpected=True,
        )
    except dns.message.Truncated:
        left = end - time.monotonic()
        if left <= 0:
            raise dns.exception.Timeout from None
        return dns.query.tcp(question, server.host, left, server.port)


def _read(response: dns.message.Message, name: str, rdtype: str) -> Answer:
    rcode = response.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return Answer(name, rdtype, "nxdomain", ttl=_negative_ttl(response))
    if rcode == dns.rcode.SERVFAIL:
        return Answer(name, rdtype, "servfail", ttl=FAILURE_TTL)
    if rcode == dns.rcode.REFUSED:
        return Answer(name, rdtype, "refused", ttl=FAILURE_TTL)
    if rcode != dns.rcode.NOERROR:
        return Answer(name, rdtype, "error", ttl=FAILURE_TTL, detail=dns.rcode.to_text(rcode))
    wanted = dns.rdatatype.from_text(rdtype)
    records: list[str] = []
    ttls: list[int] = []
    for rrset in response.answer:
        if rrset.rdtype != wanted:
            continue  # CNAMEs on the way to the records asked for
        ttls.append(rrset.ttl)
        records.extend(_text(rdata, wanted) for rdata in rrset)
    if not records:
        return Answer(name, rdtype, "nodata", ttl=_negative_ttl(response))
    return Answer(name, rdtype, "ok", tuple(records), ttl=min(ttls))


def _text(rdata: dns.rdata.Rdata, rdtype: dns.rdatatype.RdataType) -> str:
    if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT):
        return b"".join(rdata.strings).decode("utf-8", "replace")
    if isinstance(rdata, dns.rdtypes.ANY.MX.MX):
        return f"{rdata.preference} {_host(rdata.exchange)}"
    if isinstance(rdata, dns.rdtypes.ANY.PTR.PTR | dns.rdtypes.ANY.CNAME.CNAME):
        return _host(rdata.target)
    return rdata.to_text()


def _host(name: dns.name.Name) -> str:
    """A name as text without the trailing dot; the root stays ``"."`` (null MX)."""
    text = name.to_text()
    return text if text == "." else text.rstrip(".")


def _negative_ttl(response: dns.message.Message) -> int:
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            return min(rrset.ttl, min(getattr(r, "minimum", rrset.ttl) for r in rrset))
    return NEGATIVE_TTL


class Lookup:
    """One answer's DNS: the shared cache first, then the resolver within the budget."""

    def __init__(
        self,
        settings: DnsSettings,
        resolver: Resolver | None = None,
        cache: TtlCache | None = None,
    ) -> None:
        self.settings = settings
        self.resolver = resolver or Resolver.from_settings(settings)
        self.cache = SHARED_CACHE if cache is None else cache
        self.deadline = time.monotonic() + settings.budget
        #: Queries sent to the network (cache hits are free).
        self.sent = 0
        #: Lookups refused by the budget (time or number of queries).
        self.refused = 0

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def exhausted(self) -> bool:
        return self.remaining() <= 0 or self.sent >= self.settings.max_queries

    def __call__(self, name: str, rdtype: str) -> Answer:
        name = name.rstrip(".").lower()
        cached = self.cache.get(name, rdtype)
        if cached is not None:
            return cached
        if self.sent >= self.settings.max_queries:
            self.refused += 1
            return Answer(
                name,
                rdtype,
                "limit",
                detail=f"the limit of {self.settings.max_queries} DNS queries per answer was "
                "reached",
            )
        left = self.remaining()
        if left <= 0:
            self.refused += 1
            return Answer(
                name,
                rdtype,
                "limit",
                detail=f"the {self.settings.budget:g} s DNS time budget per answer was spent",
            )
        self.sent += 1
        timeout = min(self.settings.query_timeout, left)
        answer = self.resolver.query(name, rdtype, timeout)
        if not (answer.status == "timeout" and timeout < self.settings.query_timeout):
            self.cache.put(answer)  # a timeout cut short by the budget says little of the server
        return answer
