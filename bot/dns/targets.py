"""What to look up for one answer, read from the report and the raw bounce; pure, no DNS.

- sending IP: an address the server's reply names (not the remote host's own, as in
  ``host mx.example[192.0.2.25] said:``), else the returned message's first external
  ``Received:`` hop read from the top (the hop nearest the receiver), else its
  ``X-Originating-IP``;
- sending domain: the returned message's ``From:`` (else the report's original sender),
  its ``Return-Path:`` (the SPF identity), and each ``DKIM-Signature:``'s ``d=``/``s=``;
- recipient domains: of the failed recipients;
- blocklists: the DNSBL zones the reply names (`bot.dns.dnsbl.lists_named`);
- reasons, status codes and the lower-cased replies, which decide the checks.

The returned message's headers come from the bounce's attached ``message/rfc822`` (or
``text/rfc822-headers``) part, else from the text after the "returned message" marker,
both found by the core's read-only mail helpers.
"""

from __future__ import annotations

import email.parser
import email.policy
import ipaddress
import re
from dataclasses import dataclass, field

from bot.core.mail.common import domain_of, find_addresses, split_returned, strip_address
from bot.core.mail.message import BounceMessage
from bot.core.model import Report
from bot.core.replytext import unescape_slack
from bot.dns.dnsbl import lists_named

#: Networks that are never the sending IP the receiver saw (RFC 1918, loopback, CGNAT, ...).
#: Documentation ranges (192.0.2.0/24 ...) are kept: examples and tests use them.
INTERNAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "0.0.0.0/8",
        "::1/128",
        "::/128",
        "fc00::/7",
        "fe80::/10",
    )
)

_IPV4 = r"(?<![\d.])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![\d]|\.\d)"
_IPV6 = r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![\w:])"
_IP = re.compile(f"(?:IPv6:)?({_IPV4}|{_IPV6})")
#: ``host NAME[IP]``, ``relay=NAME[IP]``: the remote server's own address, as the sender logged it.
#: ``connect to NAME[IP]``, ``conversation with NAME[IP]``, and Gmail's ``[NAME IP: timed out]``.
_REMOTE_HOST = re.compile(
    r"(?:(?:\bhost|\bto|\bwith)\s+|relay=)[\w.\-]+\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]"
    r"|\[[\w\-]+(?:\.[\w\-]+)+\.? ([0-9A-Fa-f:.]+)[:\]]",
    re.I,
)
#: The ``from`` clause of a Received field: ``from HELO (NAME [IP])``; RFC 5321 puts the
#: address the connection came from in the parentheses (TCP-info), the HELO before them.
_RECEIVED_FROM = re.compile(r"^\s*from\s+(.*?)(?:\bby\b|;|$)", re.I | re.S)
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$"
)
_TAG = re.compile(r"(?:^|;)\s*([a-z]+)\s*=\s*([^;]*)", re.I)
#: Header lines of a returned message start here: a field name and a colon.
_FIELD_START = re.compile(r"^[>\s]*([A-Za-z][A-Za-z0-9-]*):[ \t]", re.M)

#: Characters of a returned message read for its header block.
MAX_HEADER_CHARS = 64_000
#: Recipient domains checked for one answer at most.
MAX_RECIPIENT_DOMAINS = 3


@dataclass(frozen=True, slots=True)
class Targets:
    """The domains, IPs and lists one answer may look up, and what decides which checks run."""

    sending_ips: tuple[str, ...] = ()
    from_domain: str | None = None
    return_path_domain: str | None = None
    #: (d=, s=) of each DKIM-Signature of the returned message.
    dkim: tuple[tuple[str, str], ...] = ()
    recipient_domains: tuple[str, ...] = ()
    blocklists: tuple[str, ...] = ()
    reasons: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    #: The replies (diagnostics), lower-cased, joined: keywords there pick checks too.
    replies: str = ""
    #: Where each value came from, for the answer ("ip": "Received", ...).
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def sending_ip(self) -> str | None:
        return self.sending_ips[0] if self.sending_ips else None

    @property
    def sending_domain(self) -> str | None:
        return self.from_domain or self.return_path_domain or next((d for d, _ in self.dkim), None)


def find_targets(report: Report, raw: str | bytes | None) -> Targets:
    """Everything `report` and the raw bounce name that DNS can check (see the module doc)."""
    if isinstance(raw, str) and ("&lt;" in raw or "&gt;" in raw):
        raw = unescape_slack(raw)  # a paste from Slack: its links and entities undone
    headers = returned_headers(raw) if raw else None
    replies = [v.diagnostic for v in report.verdicts if v.diagnostic]
    remote = " ".join(v.remote_mta for v in report.verdicts if v.remote_mta)
    sources: dict[str, str] = {}

    ips: list[str] = []
    for reply in replies:
        for ip in reply_ips(reply, remote):
            _add(ips, ip, sources, "ip", "the server's reply")
    if headers is not None:
        hop = first_external_hop(headers.get_all("Received") or [])
        if hop:
            _add(ips, hop, sources, "ip", "the returned message's Received: header")
        for value in headers.get_all("X-Originating-IP") or []:
            for ip in _ips_in(str(value)):
                _add(ips, ip, sources, "ip", "the returned message's X-Originating-IP:")

    from_domain = return_path = None
    dkim: list[tuple[str, str]] = []
    if headers is not None:
        from_domain = _domain(strip_address(str(headers.get("From", "")) or None))
        return_path = _domain(strip_address(str(headers.get("Return-Path", "")) or None))
        for value in headers.get_all("DKIM-Signature") or []:
            pair = dkim_pair(str(value))
            if pair and pair not in dkim:
                dkim.append(pair)
    if from_domain is None and report.original is not None:
        from_domain = _domain(report.original.sender)
        if from_domain:
            sources["from"] = "the bounce's copy of the original From:"
    elif from_domain:
        sources["from"] = "the returned message's From:"

    recipients: list[str] = []
    senders = {from_domain, return_path}
    for verdict in report.verdicts:
        # A pasted reply without a recipient field often names the address in its text.
        named = (
            [verdict.recipient] if verdict.recipient else find_addresses(verdict.diagnostic or "")
        )
        for domain in map(_domain, named):
            if domain and domain not in recipients and domain not in senders:
                recipients.append(domain)
    recipients = recipients[:MAX_RECIPIENT_DOMAINS]

    joined = "\n".join(replies)
    return Targets(
        sending_ips=tuple(ips),
        from_domain=from_domain,
        return_path_domain=return_path,
        dkim=tuple(dkim),
        recipient_domains=tuple(recipients),
        blocklists=tuple(lists_named(joined)),
        reasons=frozenset(v.reason for v in report.verdicts if v.reason),
        statuses=frozenset(v.status for v in report.verdicts if v.status),
        replies=joined.lower(),
        sources=sources,
    )


def _add(found: list[str], ip: str, sources: dict[str, str], key: str, source: str) -> None:
    if ip not in found:
        if not found:
            sources[key] = source
        found.append(ip)


def returned_headers(raw: str | bytes) -> email.message.Message | None:
    """The header fields of the message a bounce returned, or None when it has none."""
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    try:
        bounce = BounceMessage(data)
        text = bounce.returned
        if not text:
            _, text = split_returned(bounce.body)
    except (ValueError, LookupError, AttributeError, TypeError):
        return None  # the core's parser is forgiving; a malformed bounce simply has no headers
    if not text:
        return None
    start = _FIELD_START.search(text[:MAX_HEADER_CHARS])
    if start is None:
        return None
    block = text[start.start() : MAX_HEADER_CHARS].lstrip()
    end = re.search(r"\n[ \t>]*\n", block)
    if end is not None:
        block = block[: end.start()]
    block = re.sub(r"^> ?", "", block, flags=re.M)  # quoted copies
    parsed = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(block + "\n\n")
    return parsed if len(parsed) else None


def first_external_hop(received: list[str]) -> str | None:
    """The first external IP in the ``from`` clauses, reading from the top (newest) field.

    In each clause the addresses in parentheses (what the receiver saw) come before the
    HELO name, which the sender chose.
    """
    for value in received:
        match = _RECEIVED_FROM.match(" ".join(str(value).split()))
        if match is None:
            continue
        clause = match.group(1)
        seen = "".join(re.findall(r"\(([^()]*)\)", clause))
        for ip in [*_ips_in(seen), *_ips_in(clause)]:
            if not is_internal(ip):
                return ip
    return None


def reply_ips(reply: str, remote: str = "") -> list[str]:
    """External IPs a reply names, without the remote server's own (``host x[IP] said``)."""
    theirs = {(m.group(1) or m.group(2)).lower() for m in _REMOTE_HOST.finditer(reply)}
    theirs.update(_ips_in(remote))
    return [ip for ip in _ips_in(reply) if ip not in theirs and not is_internal(ip)]


def _ips_in(text: str) -> list[str]:
    found: list[str] = []
    for match in _IP.finditer(text):
        try:
            ip = str(ipaddress.ip_address(match.group(1)))
        except ValueError:
            continue
        if ip not in found:
            found.append(ip)
    return found


def is_internal(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return any(address in network for network in INTERNAL if network.version == address.version)


def dkim_pair(signature: str) -> tuple[str, str] | None:
    """(d=, s=) of a DKIM-Signature field value, lower-cased; None when either is missing."""
    tags = {m.group(1).lower(): "".join(m.group(2).split()) for m in _TAG.finditer(signature)}
    domain, selector = tags.get("d", "").lower().rstrip("."), tags.get("s", "").lower()
    if not is_domain(domain) or not re.fullmatch(r"[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?", selector):
        return None
    return domain, selector


def is_domain(name: str | None) -> bool:
    """Whether `name` is a plausible DNS domain (ASCII labels, a letter TLD, at least 2 labels)."""
    return bool(name) and _DOMAIN.match(name or "") is not None


def _domain(address: str | None) -> str | None:
    domain = domain_of(address)
    if domain is None:
        return None
    domain = domain.lower().rstrip(".")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return domain if is_domain(domain) else None
