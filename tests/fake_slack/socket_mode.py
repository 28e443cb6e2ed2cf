"""A fake Socket Mode server: a tiny RFC 6455 WebSocket server on 127.0.0.1 (stdlib only).

It greets each connection with ``hello``, sends envelopes (events_api, slash_commands,
interactive) to the newest connection, records the client's acks, answers pings, and
can send a ``disconnect`` envelope, after which a well-behaved client calls
apps.connections.open again and opens a new connection.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


def _frame(opcode: int, payload: bytes) -> bytes:
    """A server frame: FIN set, never masked (RFC 6455 section 5.1)."""
    head = bytes([0x80 | opcode])
    size = len(payload)
    if size < 126:
        head += bytes([size])
    elif size < 1 << 16:
        head += bytes([126]) + struct.pack("!H", size)
    else:
        head += bytes([127]) + struct.pack("!Q", size)
    return head + payload


class _Connection:
    def __init__(self, sock: socket.socket, number: int, server: FakeSocketModeServer) -> None:
        self.sock = sock
        self.number = number
        self.server = server
        self.open = True
        self._send_lock = threading.Lock()

    def send(self, opcode: int, payload: bytes) -> None:
        with self._send_lock:
            self.sock.sendall(_frame(opcode, payload))

    def send_json(self, data: dict[str, Any]) -> None:
        self.send(OP_TEXT, json.dumps(data).encode())

    def _read_exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("client closed")
            data += chunk
        return data

    def read_frame(self) -> tuple[int, bytes]:
        b1, b2 = self._read_exact(2)
        opcode = b1 & 0x0F
        size = b2 & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", self._read_exact(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", self._read_exact(8))
        mask = self._read_exact(4) if b2 & 0x80 else b"\0\0\0\0"
        data = self._read_exact(size)
        return opcode, bytes(c ^ mask[i % 4] for i, c in enumerate(data))

    def close(self) -> None:
        self.open = False
        with contextlib.suppress(OSError):
            # shutdown acts at once, even while another thread is blocked in recv.
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()

    def close_gracefully(self, code: int = 1001, reason: str = "going away") -> None:
        """What Slack does to an old connection: a close frame, then the end of the stream."""
        with contextlib.suppress(OSError):
            self.send(OP_CLOSE, struct.pack("!H", code) + reason.encode())
        self.close()


class FakeSocketModeServer:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._cond = threading.Condition()
        self.connections: list[_Connection] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.tickets_issued = 0
        #: Connections told to go away: closed as soon as their replacement connects.
        self._leaving: list[_Connection] = []
        self._running = True
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def port(self) -> int:
        port: int = self._listener.getsockname()[1]
        return port

    def new_url(self) -> str:
        """What apps.connections.open answers: a fresh ws:// URL each time."""
        with self._cond:
            self.tickets_issued += 1
            return f"ws://127.0.0.1:{self.port}/link/?ticket={self.tickets_issued}"

    def start(self) -> FakeSocketModeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        self._listener.close()
        for conn in list(self.connections):
            if conn.open:
                conn.close_gracefully()

    # -- serving ---------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while self._running:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _handshake(self, sock: socket.socket) -> bool:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = sock.recv(1024)
            if not chunk:
                return False
            request += chunk
        headers = {}
        for line in request.decode("latin-1").split("\r\n")[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        key = headers.get("sec-websocket-key")
        if not key or headers.get("upgrade", "").lower() != "websocket":
            sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return False
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        return True

    def _serve(self, sock: socket.socket) -> None:
        if not self._handshake(sock):
            sock.close()
            return
        with self._cond:
            conn = _Connection(sock, len(self.connections) + 1, self)
            self.connections.append(conn)
        conn.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "A0FAKE"},
            }
        )
        with self._cond:
            leaving, self._leaving = self._leaving, []
            self._cond.notify_all()
        for old in leaving:
            old.close_gracefully(reason="refreshed")
        try:
            while conn.open:
                opcode, payload = conn.read_frame()
                if opcode == OP_PING:
                    conn.send(OP_PONG, payload)
                elif opcode == OP_CLOSE:
                    with contextlib.suppress(OSError):
                        conn.send(OP_CLOSE, payload[:2])
                    break
                elif opcode == OP_TEXT:
                    message = json.loads(payload.decode())
                    envelope_id = message.get("envelope_id")
                    if envelope_id:
                        with self._cond:
                            self.acks[envelope_id] = message
                            self._cond.notify_all()
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            conn.close()
            with self._cond:
                self._cond.notify_all()

    # -- driving ---------------------------------------------------------------------------

    def wait(self, predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"fake Socket Mode: timed out waiting for {what}")
                self._cond.wait(left)

    def wait_connections(self, count: int, timeout: float = 10.0) -> _Connection:
        """Wait until `count` connections were opened; return the newest open one."""
        self.wait(
            lambda: len(self.connections) >= count and self.connections[-1].open,
            timeout,
            f"{count} connection(s)",
        )
        return self.connections[-1]

    def current(self) -> _Connection:
        with self._cond:
            live = [c for c in self.connections if c.open]
        if not live:
            raise AssertionError("no open Socket Mode connection")
        return live[-1]

    def send_envelope(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0) -> str:
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "" if retry_attempt == 0 else "timeout"
        self.current().send_json(envelope)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        self.wait(lambda: envelope_id in self.acks, timeout, f"ack of {envelope_id}")
        return self.acks[envelope_id]

    def send_disconnect(self, reason: str = "refresh_requested") -> None:
        conn = self.current()
        with self._cond:
            self._leaving.append(conn)
        conn.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}})
