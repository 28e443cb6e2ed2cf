"""Fixtures: the test DNS server (see tests/dns/server.py), and settings that point at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.dns import SHARED_CACHE, DnsSettings, TtlCache
from bot.dns.resolver import Lookup
from bot.dns.settings import parse_server
from tests.dns.server import SilentServer, ZoneServer, zone_text


@pytest.fixture(scope="session")
def dns_server() -> Iterator[ZoneServer]:
    server = ZoneServer(zone_text())
    yield server
    server.stop()


@pytest.fixture()
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.stop()


@pytest.fixture()
def settings(dns_server: ZoneServer) -> DnsSettings:
    return DnsSettings(server=parse_server(dns_server.address))


@pytest.fixture()
def lookup(settings: DnsSettings) -> Lookup:
    """A fresh lookup with its own cache, so each test asks the server itself."""
    return Lookup(settings, cache=TtlCache())


@pytest.fixture(autouse=True)
def _fresh_shared_cache() -> Iterator[None]:
    """Answers cached by one test (from another server) never serve the next."""
    SHARED_CACHE.clear()
    yield
    SHARED_CACHE.clear()
