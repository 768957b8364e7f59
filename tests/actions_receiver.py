"""A real webhook receiver for the action tests: an HTTP server on a loopback port, in a thread.

It checks every request's signature the way a customer's receiver would (HMAC-SHA256 over
``"<t>." + body`` with its copy of the secret, constant-time compare, fresh timestamp), keeps
what it received, can answer the first N calls with an error, and can hold calls until
released (a hanging target).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def signature_ok(body: bytes, header: str, secret: str, tolerance: int = 300) -> bool:
    """The documented verification recipe, written independently of journeylens."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    ts = int(parts["t"])
    if abs(time.time() - ts) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@dataclass
class Call:
    """One request as received."""

    headers: dict[str, str]
    body: bytes
    signature_valid: bool
    answered: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """The receiver's behaviour and what it saw."""

    secret: str
    port: int = 0
    fail_first: int = 0
    fail_status: int = 503
    hold: threading.Event | None = None
    calls: list[Call] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/journeylens"

    def accepted(self) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.answered == 200]

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = signature_ok(body, self.headers.get("X-JourneyLens-Signature", ""),
                                     receiver.secret)  # fmt: skip
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                with receiver._lock:
                    failing = len(receiver.calls) < receiver.fail_first
                    status = 401 if not valid else (receiver.fail_status if failing else 200)
                    receiver.calls.append(Call(dict(self.headers), body, valid, status))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if status == 200 else b'{"error": "try later"}')

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def wait_for(condition: Any, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll until ``condition()`` is true (a wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")
