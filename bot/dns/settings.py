"""DNS settings from the environment: on or off, which resolver, and the per-answer budget.

``SMTPBOT_DNS=off`` turns every live lookup off; ``SMTPBOT_DNS_SERVER`` names the
recursive resolver (``host`` or ``host:port``, ``[v6]:port`` for IPv6), else the
system's (``/etc/resolv.conf``). A malformed value raises `DnsSettingsError`, which
names the variable.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, replace

#: Seconds one DNS query may take before it counts as a timeout.
QUERY_TIMEOUT = 2.0
#: Seconds all the DNS checks of one answer may take together.
ANSWER_BUDGET = 5.0
#: DNS queries sent for one answer at most (cache hits do not count).
MAX_QUERIES = 40

_OFF = frozenset({"off", "0", "no", "false", "disabled"})
_ON = frozenset({"on", "1", "yes", "true", "enabled", ""})


class DnsSettingsError(ValueError):
    """A DNS setting is malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Server:
    host: str
    port: int = 53

    def __str__(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.port == 53 else f"{shown}:{self.port}"


@dataclass(frozen=True, slots=True)
class DnsSettings:
    """How live DNS checks run. ``server=None`` means the system's resolvers."""

    enabled: bool = True
    server: Server | None = None
    query_timeout: float = QUERY_TIMEOUT
    budget: float = ANSWER_BUDGET
    max_queries: int = MAX_QUERIES

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DnsSettings:
        """Settings from `env` (default: the process environment)."""
        env = os.environ if env is None else env
        switch = _get(env, "SMTPBOT_DNS").lower()
        if switch in _OFF:
            enabled = False
        elif switch in _ON:
            enabled = True
        else:
            raise DnsSettingsError(f"SMTPBOT_DNS must be 'on' or 'off', not {switch!r}")
        raw_server = _get(env, "SMTPBOT_DNS_SERVER")
        server = parse_server(raw_server) if raw_server else None
        return cls(enabled=enabled, server=server)

    def widened(self, budget: float, max_queries: int) -> DnsSettings:
        """The same settings with a larger budget (``smtpbot check`` runs every check)."""
        return replace(self, budget=budget, max_queries=max_queries)


def _get(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def parse_server(value: str) -> Server:
    """``host``, ``host:port``, an IPv6 address, or ``[v6]:port``; raises DnsSettingsError."""
    host, port = value, "53"
    if value.startswith("["):
        end = value.find("]")
        if end == -1 or (value[end + 1 :] and not value[end + 1 :].startswith(":")):
            raise DnsSettingsError(f"SMTPBOT_DNS_SERVER {value!r} is not host or host:port")
        host, port = value[1:end], value[end + 2 :] or "53"
    elif value.count(":") == 1:
        host, port = value.split(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise DnsSettingsError(f"SMTPBOT_DNS_SERVER {value!r} has no valid port (1-65535)")
    try:
        return Server(str(ipaddress.ip_address(host)), int(port))
    except ValueError:
        pass
    try:  # a host name: resolved once, here, by the system
        infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError):
        raise DnsSettingsError(
            f"SMTPBOT_DNS_SERVER {value!r}: cannot resolve the host {host!r}"
        ) from None
    return Server(str(infos[0][4][0]), int(port))
