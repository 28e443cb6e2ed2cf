"""SPF, evaluated per RFC 7208 (``check_host()``) for one IP, through this answer's lookups.

All mechanisms (``all include a mx ptr ip4 ip6 exists``), ``redirect=``, qualifiers, CIDR
lengths and macros (section 7) are evaluated. The limits of section 4.6.4 are counted:
more than 10 terms that query DNS (``include a mx ptr exists redirect``), more than 2 void
lookups, more than 10 MX or PTR names, each give ``permerror``. ``exp=`` is parsed but
not fetched (the explanation is the receiver's to give), and the ``%{p}`` macro expands to
``unknown`` (section 7.3 allows it) so that it costs no lookups.

We evaluate ourselves rather than with pyspf: pyspf takes its DNS from a module-global
function, so each answer's budget, cache and resolver would have to be patched into
state shared by every thread, and it tells the result but not which record and
mechanism decided it, which is what the answer quotes.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Literal

from bot.dns.model import Finding, Severity
from bot.dns.resolver import Answer, Query

Result = Literal["pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"]

#: RFC 7208 section 4.6.4 limits.
MAX_DNS_TERMS = 10
MAX_VOID_LOOKUPS = 2
MAX_NAMES = 10

_QUALIFIERS: dict[str, Result] = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
_VERSION = re.compile(r"v=spf1(?:\s|$)", re.I)
_MECHANISM = re.compile(
    r"([+\-~?]?)(all|include|a|mx|ptr|ip4|ip6|exists)(?::([^/]*))?((?:/\d+)?(?://\d+)?)\Z", re.I
)
_MODIFIER = re.compile(r"([a-z][a-z0-9_.\-]*)=(.*)\Z", re.I)
_VALID_MACRO = re.compile(r"%(?:\{[slodiphcrtv]\d*r?[.\-+,/_=]*\}|[%_-])", re.I)
_TOPLABEL = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*|[a-z0-9]+-[a-z0-9-]*[a-z0-9]", re.I)
_MACRO = re.compile(r"%(?:\{([slodiphcrtv])(\d*)(r?)([.\-+,/_=]*)\}|(.))", re.I)


class _PermError(Exception):
    pass


class _TempError(Exception):
    pass


@dataclass
class SpfResult:
    """The result of ``check_host(ip, domain)`` and what decided it."""

    result: Result
    domain: str
    ip: str
    #: The domain's own SPF record (None when it has none).
    record: str | None = None
    #: The term that decided the result (``-all``, ``ip4:192.0.2.0/24``), and in whose record.
    mechanism: str | None = None
    mechanism_domain: str | None = None
    #: Why a none, permerror or temperror.
    reason: str = ""
    #: DNS-querying terms and void lookups counted (section 4.6.4).
    lookups: int = 0
    void_lookups: int = 0
    #: (domain, record) of every SPF record read, in order.
    chain: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Term:
    qualifier: Result
    name: str
    argument: str | None
    cidr4: int | None
    cidr6: int | None
    text: str


def check_host(
    lookup: Query, ip: str, domain: str, sender: str | None = None, helo: str | None = None
) -> SpfResult:
    """Evaluate `domain`'s SPF policy for `ip` (sender defaults to ``postmaster@domain``)."""
    evaluator = _Evaluator(lookup, ip, sender or f"postmaster@{domain}", helo or domain)
    out = SpfResult("none", domain, ip)
    try:
        result, record = evaluator.check(domain, top=True)
        out.result = result
        out.record = record
    except _PermError as exc:
        out.result, out.reason = "permerror", str(exc)
    except _TempError as exc:
        out.result, out.reason = "temperror", str(exc)
    if out.record is None and evaluator.chain and evaluator.chain[0][0] == domain:
        out.record = evaluator.chain[0][1]
    out.mechanism, out.mechanism_domain = evaluator.decided
    if out.result == "none" and not out.reason:
        out.reason = evaluator.none_reason
    out.lookups, out.void_lookups, out.chain = evaluator.terms, evaluator.voids, evaluator.chain
    return out


class _Evaluator:
    def __init__(self, lookup: Query, ip: str, sender: str, helo: str) -> None:
        self.lookup = lookup
        self.address = ipaddress.ip_address(ip)
        if isinstance(self.address, ipaddress.IPv6Address) and self.address.ipv4_mapped:
            self.address = self.address.ipv4_mapped
        self.sender = sender
        self.helo = helo
        self.terms = 0
        self.voids = 0
        self.chain: list[tuple[str, str]] = []
        self.decided: tuple[str | None, str | None] = (None, None)
        self.none_reason = ""

    # ---------------------------------------------------------------- records

    def check(self, domain: str, top: bool = False) -> tuple[Result, str | None]:
        """check_host() for `domain`: (result, its record or None)."""
        domain = domain.rstrip(".").lower()
        if not _valid_domain(domain):
            self.none_reason = f"{domain!r} is not a valid domain name"
            return "none", None
        record = self._record(domain)
        if record is None:
            return "none", None
        self.chain.append((domain, record))
        terms, redirect = _parse(record)
        for term in terms:
            if self._matches(term, domain):
                if term.name != "include":  # an include's own record names what matched
                    self.decided = (term.text, domain)
                return term.qualifier, record
        if redirect is not None:
            self._count(f"redirect={redirect}")
            target = self.expand(redirect, domain)
            result, _ = self.check(target)
            if result == "none":
                raise _PermError(f"redirect={target} leads to a domain without an SPF record")
            return result, record
        self.decided = (None, domain)
        return "neutral", record

    def _record(self, domain: str) -> str | None:
        answer = self.lookup(domain, "TXT")
        if answer.failed:
            raise _TempError(answer.describe_failure())
        if answer.status == "nxdomain":
            self.none_reason = f"{domain} does not exist (NXDOMAIN)"
            return None
        records = [r for r in answer.records if _VERSION.match(r)]
        if not records:
            self.none_reason = f"{domain} publishes no SPF record (no TXT record starting v=spf1)"
            return None
        if len(records) > 1:
            raise _PermError(f"{domain} publishes {len(records)} SPF records; RFC 7208 allows one")
        return records[0]

    # ---------------------------------------------------------------- mechanisms

    def _matches(self, term: _Term, domain: str) -> bool:
        name = term.name
        if name == "all":
            return True
        if name in ("ip4", "ip6"):
            return self._in_network(term)
        self._count(term.text)
        target = self.expand(term.argument, domain) if term.argument else domain
        if name == "include":
            result, _ = self.check(target)
            if result == "pass":
                return True
            if result == "none":
                raise _PermError(f"include:{target} has no SPF record")
            return False
        if name == "a":
            return self._in_addresses(self._addresses(target), term)
        if name == "mx":
            hosts = self._names(target, "MX")
            if len(hosts) > MAX_NAMES:
                raise _PermError(f"{target} has {len(hosts)} MX hosts; RFC 7208 allows 10 here")
            return any(self._in_addresses(self._addresses(h, void=False), term) for h in hosts)
        if name == "ptr":
            return self._ptr_matches(target)
        if name == "exists":
            return bool(self._query(target, "A").records)
        raise _PermError(f"unknown mechanism {term.text!r}")  # _parse lets none through

    def _in_network(self, term: _Term) -> bool:
        try:
            network = ipaddress.ip_network(term.argument or "", strict=False)
        except ValueError:
            raise _PermError(f"{term.text!r} is not a valid network") from None
        if (term.name == "ip4" and network.version != 4) or (
            term.name == "ip6" and network.version != 6
        ):
            raise _PermError(f"{term.text!r} holds the wrong kind of address")
        return self.address in network

    def _in_addresses(self, addresses: list[str], term: _Term) -> bool:
        length = term.cidr4 if self.address.version == 4 else term.cidr6
        for text in addresses:
            network = ipaddress.ip_network(
                f"{text}/{length if length is not None else self.address.max_prefixlen}",
                strict=False,
            )
            if self.address in network:
                return True
        return False

    def _addresses(self, name: str, void: bool = True) -> list[str]:
        rdtype = "A" if self.address.version == 4 else "AAAA"
        return list(self._query(name, rdtype, void).records)

    def _names(self, name: str, rdtype: str) -> list[str]:
        records = self._query(name, rdtype).records
        if rdtype == "MX":
            return [r.split(None, 1)[1] for r in records if r.split(None, 1)[1:] != ["."]]
        return list(records)

    def _ptr_matches(self, target: str) -> bool:
        reverse = reverse_name(str(self.address))
        names = list(self._query(reverse, "PTR", void=False).records)[:MAX_NAMES]
        for host in names:
            if (host == target or host.endswith("." + target)) and str(
                self.address
            ) in self._addresses(host, void=False):
                return True
        return False

    def _query(self, name: str, rdtype: str, void: bool = True) -> Answer:
        answer = self.lookup(name, rdtype)
        if answer.failed:
            raise _TempError(answer.describe_failure())
        if void and answer.status in ("nxdomain", "nodata"):
            self.voids += 1
            if self.voids > MAX_VOID_LOOKUPS:
                raise _PermError(
                    f"more than {MAX_VOID_LOOKUPS} lookups found nothing (the last: {rdtype} of "
                    f"{name}); RFC 7208 section 4.6.4 makes that a permerror"
                )
        return answer

    def _count(self, term: str) -> None:
        self.terms += 1
        if self.terms > MAX_DNS_TERMS:
            raise _PermError(
                f"evaluating it needs more than {MAX_DNS_TERMS} DNS lookups (the 11th: {term}); "
                "RFC 7208 section 4.6.4 makes that a permerror"
            )

    # ---------------------------------------------------------------- macros

    def expand(self, spec: str, domain: str) -> str:
        """A domain-spec with its macros (RFC 7208 section 7) expanded, at most 253 characters."""
        out = expand_macros(spec, self.sender, domain, str(self.address), self.helo)
        while len(out) > 253 and "." in out:
            out = out.split(".", 1)[1]
        return out.rstrip(".")


def expand_macros(spec: str, sender: str, domain: str, ip: str, helo: str = "") -> str:
    """Expand RFC 7208 macros in `spec`; raises _PermError on a malformed macro."""
    local, _, sender_domain = sender.rpartition("@")
    address = ipaddress.ip_address(ip)
    dotted = str(address) if address.version == 4 else ".".join(address.exploded.replace(":", ""))
    values = {
        "s": sender,
        "l": local or "postmaster",
        "o": sender_domain,
        "d": domain,
        "i": dotted,
        "p": "unknown",
        "v": "in-addr" if address.version == 4 else "ip6",
        "h": helo,
        "c": str(address),
        "r": "unknown",
        "t": "0",
    }

    def one(match: re.Match[str]) -> str:
        if match.group(5) is not None:
            escape = {"%": "%", "_": " ", "-": "%20"}.get(match.group(5))
            if escape is None:
                raise _PermError(f"malformed macro in {spec!r}")
            return escape
        letter, digits, reverse, delimiters = match.group(1, 2, 3, 4)
        parts = re.split("[" + re.escape(delimiters or ".") + "]", values[letter.lower()])
        if reverse:
            parts.reverse()
        if digits:
            if int(digits) == 0:
                raise _PermError(f"macro with 0 parts in {spec!r}")
            parts = parts[-int(digits) :]
        text = ".".join(parts)
        return urllib.parse.quote(text, safe="") if letter.isupper() else text

    return _MACRO.sub(one, spec) if "%" in spec else spec


# -------------------------------------------------------------------- parsing


def _parse(record: str) -> tuple[list[_Term], str | None]:
    """The mechanisms and the redirect target of a record; raises _PermError on bad syntax."""
    terms: list[_Term] = []
    redirect: str | None = None
    seen_modifiers: set[str] = set()
    for text in record.split()[1:]:
        mech = _MECHANISM.match(text)
        if mech is not None:
            qualifier, name, argument, cidr = mech.groups()
            name = name.lower()
            if argument is not None and (argument == "" or name == "all"):
                raise _PermError(f"{text!r} is malformed")
            if name in ("include", "exists") and argument is None:
                raise _PermError(f"{text!r} needs a domain")
            if name in ("ip4", "ip6"):
                if argument is None:
                    raise _PermError(f"{text!r} needs an address")
                argument += cidr
                cidr4 = cidr6 = None
            else:
                cidr4, cidr6 = _cidr(cidr, text)
            if argument is not None and name not in ("ip4", "ip6"):
                _check_domain_spec(argument, text)
            terms.append(_Term(_QUALIFIERS[qualifier or "+"], name, argument, cidr4, cidr6, text))
            continue
        modifier = _MODIFIER.match(text)
        if modifier is None:
            raise _PermError(f"unknown term {text!r}")
        key, value = modifier.group(1).lower(), modifier.group(2)
        if key in ("redirect", "exp"):
            if key in seen_modifiers:
                raise _PermError(f"{key}= appears twice")
            seen_modifiers.add(key)
            _check_domain_spec(value, text)
            if key == "redirect":
                redirect = value
    if any(t.name == "all" for t in terms):
        redirect = None  # section 6.1: redirect is ignored when the record has "all"
    return terms, redirect


def _cidr(text: str, term: str) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    match = re.fullmatch(r"(?:/(\d+))?(?://(\d+))?", text)
    if match is None:
        raise _PermError(f"{term!r} has a malformed CIDR length")
    four, six = (int(g) if g is not None else None for g in match.groups())
    if (four is not None and four > 32) or (six is not None and six > 128):
        raise _PermError(f"{term!r} has a CIDR length out of range")
    return four, six


def _check_domain_spec(spec: str, term: str) -> None:
    """Section 7.1: a domain-spec holds only well-formed macros and ends in a domain name."""
    if "%" in _VALID_MACRO.sub("", spec):
        raise _PermError(f"{term!r} holds a malformed macro")
    if _VALID_MACRO.sub("", spec) != spec and spec.rstrip(".").endswith("}"):
        return  # domain-end may be a macro
    head, _, last = spec.rstrip(".").rpartition(".")
    if not head or not _TOPLABEL.fullmatch(last):
        raise _PermError(f"{term!r} does not end in a domain name")


def _valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    return (
        0 < len(domain) <= 253
        and len(labels) >= 2
        and all(0 < len(label) <= 63 for label in labels)
    )


def reverse_name(ip: str) -> str:
    """The PTR name of an IP: ``9.2.0.192.in-addr.arpa`` or the ``ip6.arpa`` nibbles."""
    address = ipaddress.ip_address(ip)
    return address.reverse_pointer


# -------------------------------------------------------------------- findings

_MEANING: dict[str, tuple[Severity, str]] = {
    "pass": (
        "ok",
        "SPF passes for this IP; if the receiver still says SPF failed, it checked "
        "another domain (the Return-Path) or another IP.",
    ),
    "fail": (
        "problem",
        "Receivers that enforce SPF reject this IP for this domain, and DMARC "
        "cannot pass through SPF: add the IP (or your sending service's include:) to the "
        "record.",
    ),
    "softfail": (
        "problem",
        "The record says this IP is probably not allowed (~all): many "
        "receivers score or reject it, and DMARC cannot pass through SPF. Add the IP "
        "(or your sending service's include:) to the record.",
    ),
    "neutral": (
        "info",
        "The record makes no statement about this IP: SPF neither passes nor "
        "fails, so DMARC cannot pass through SPF.",
    ),
    "none": (
        "problem",
        "Without an SPF record, SPF cannot pass: receivers that require "
        "authentication (Gmail, Yahoo, Microsoft for bulk senders) reject or junk such mail.",
    ),
    "permerror": (
        "problem",
        "A broken record counts as no record at all for most receivers, "
        "and DMARC cannot pass through SPF: fix the record.",
    ),
}


def finding(result: SpfResult) -> Finding:
    """What `result` means for a bounce, with the record quoted."""
    subject = f"{result.domain} for {result.ip}"
    if result.result == "temperror":
        return Finding(
            "spf",
            subject,
            "unavailable",
            f"SPF of {result.domain} could not be evaluated: {result.reason}.",
            "Nothing is known about SPF; the verdict stands on the reply.",
            result.record,
        )
    severity, meaning = _MEANING[result.result]
    fact = f"SPF of {result.domain} gives {result.result} for {result.ip}"
    if result.result == "none":
        fact = f"SPF of {result.domain}: none ({result.reason})"
    elif result.result == "permerror":
        fact += f": {result.reason}"
    elif result.mechanism is not None:
        where = (
            ""
            if result.mechanism_domain == result.domain
            else (f" in the record of {result.mechanism_domain}")
        )
        fact += f" (matched `{result.mechanism}`{where})"
    elif result.result == "neutral":
        fact += " (no mechanism matched and the record has no all)"
    fact += f"; {result.lookups} of {MAX_DNS_TERMS} DNS lookups used."
    return Finding("spf", subject, severity, fact, meaning, result.record)


def record_finding(lookup: Query, domain: str) -> Finding:
    """The domain's SPF record, quoted and syntax-checked, when no sending IP is known."""
    probe = _Evaluator(lookup, "0.0.0.0", f"postmaster@{domain}", domain)
    try:
        record = probe._record(domain)
        if record is not None:
            _parse(record)
    except _TempError as exc:
        return Finding(
            "spf",
            domain,
            "unavailable",
            f"SPF of {domain}: {exc}.",
            "Nothing is known about SPF; the verdict stands on the reply.",
        )
    except _PermError as exc:
        return Finding(
            "spf",
            domain,
            "problem",
            f"SPF of {domain} is broken: {exc}.",
            _MEANING["permerror"][1],
            probe.chain[0][1] if probe.chain else None,
        )
    if record is None:
        return Finding(
            "spf",
            domain,
            "problem",
            f"SPF of {domain}: none ({probe.none_reason}).",
            _MEANING["none"][1],
        )
    return Finding(
        "spf",
        domain,
        "info",
        f"SPF of {domain} is published; the bounce names no sending IP to evaluate it for.",
        "Check that it covers every server and service that sends as "
        f"{domain} (smtpbot check {domain} --ip IP).",
        record,
    )
