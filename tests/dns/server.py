"""A real DNS server on 127.0.0.1 for the tests, serving zone files made for them.

dnslib (pure Python, pip-installable) parses the zone file and runs the UDP and TCP
servers in threads of the test process: no root, no system package, no port below 1024,
and a zone is a text file beside the tests. Debian's nsd or knot would need installing
on every CI machine and a start-up wait; dnslib's server starts in milliseconds.

The server answers like a recursive resolver would: NOERROR with the records, NOERROR
without any (NODATA) for a name that exists with other types or has names below it,
NXDOMAIN with the zone's SOA otherwise; any name under ``servfail.example.org`` gets
SERVFAIL. `SilentServer` never answers at all (the timeout path).
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

from dnslib import QTYPE, RCODE, RR, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer

ZONES = Path(__file__).with_name("zones")


class ZoneResolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, zone_text: str) -> None:
        self.records = RR.fromZone(zone_text)
        self.names = {str(rr.rname).lower() for rr in self.records}
        self.soa = [rr for rr in self.records if rr.rtype == QTYPE.SOA]
        self.queries: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        reply = request.reply()
        qname = str(request.q.qname).lower()
        qtype = QTYPE[request.q.qtype]
        with self.lock:
            self.queries.append((qname.rstrip("."), qtype))
        if qname.endswith("servfail.example.org."):
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        found = [r for r in self.records if str(r.rname).lower() == qname]
        for rr in found:
            if QTYPE[rr.rtype] == qtype:
                reply.add_answer(rr)
        if not reply.rr:
            exists = found or any(n.endswith("." + qname) for n in self.names)
            if not exists:
                reply.header.rcode = RCODE.NXDOMAIN
            for soa in self.soa:
                reply.add_auth(soa)
        return reply


class _Handler(DNSHandler):  # type: ignore[misc]
    #: UDP answers larger than the EDNS size the bot asks for are truncated (TC), as a real
    #: server does, so the bot must ask again over TCP.
    udplen = 1232


class ZoneServer:
    """UDP and TCP on one free high port of 127.0.0.1, serving `zone_text`."""

    def __init__(self, zone_text: str) -> None:
        self.resolver = ZoneResolver(zone_text)
        logger = DNSLogger("-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
        for _ in range(20):  # the UDP port is free; the same TCP port nearly always is too
            self.udp = DNSServer(self.resolver, "127.0.0.1", 0, logger=logger, handler=_Handler)
            self.port = self.udp.server.server_address[1]
            try:
                self.tcp = DNSServer(
                    self.resolver,
                    "127.0.0.1",
                    self.port,
                    tcp=True,
                    logger=logger,
                    handler=_Handler,
                )
                break
            except OSError:
                self.udp.server.server_close()
        else:
            raise RuntimeError("no free port for the test DNS server")
        self.udp.start_thread()
        self.tcp.start_thread()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        for server in (self.udp, self.tcp):
            server.stop()
            server.server.server_close()


class SilentServer:
    """A UDP port that reads queries and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received = 0
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                self.sock.recv(4096)
            except OSError:
                return
            self.received += 1

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.sock.close()


def zone_text(name: str = "bounces.zone") -> str:
    return (ZONES / name).read_text(encoding="utf-8")
