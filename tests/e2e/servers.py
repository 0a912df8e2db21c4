"""Small purpose-built loopback servers for the reliability tests: scripted answers, a CONNECT
proxy, TLS. Each records what it received."""

from __future__ import annotations

import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OK_BODY = json.dumps(
    {"requestId": "ok-1", "httpCode": 200, "data": {"instanceId": "j1", "status": "running"}}
).encode()


@dataclass
class Answer:
    """What the scripted server sends for one request."""

    status: int = 200
    body: bytes | Iterator[bytes] = OK_BODY
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False
    hang: float = 0.0
    chunked: bool = False
    close_after: bool = False  # close the connection after answering, without saying so


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float
    client_port: int = 0


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 (keep-alive), nothing logged."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 serving `handler` (TLS with `tls`), until `close`."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], *, tls: ssl.SSLContext | None = None
    ) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class ScriptedServer(LoopbackServer):
    """Answers the n-th request with `script(n)` (0-based); records every request."""

    def __init__(self, script: Callable[[int], Answer], *, tls: ssl.SSLContext | None = None):
        self.script = script
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                with outer.lock:
                    index = len(outer.seen)
                    outer.seen.append(
                        Seen(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            time.monotonic(),
                            self.client_address[1],
                        )
                    )
                answer = outer.script(index)
                if answer.hang:
                    time.sleep(answer.hang)
                    return
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.reset:
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if isinstance(answer.body, bytes) and not answer.chunked:
                    self.send_header("content-length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                    self.close_connection = answer.close_after
                    return
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                chunks = [answer.body] if isinstance(answer.body, bytes) else answer.body
                try:
                    for chunk in chunks:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        super().__init__(Handler, tls=tls)


@dataclass
class Received:
    """One request as it arrived on the socket."""

    method: str
    target: str  # as sent: a path, or an absolute URL when it came as to a proxy
    items: list[tuple[str, str]]  # the header lines, in order, names as sent
    body: bytes

    @property
    def headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.items}


# What a `RecordingServer` answers: status, headers, body.
Reply = tuple[int, dict[str, str], bytes]


class RecordingServer(LoopbackServer):
    """A threaded HTTP server on 127.0.0.1 that records every request, body included, and answers
    it with `reply(request)` (a content-length is added)."""

    def __init__(self, reply: Callable[[Received], Reply]) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(QuietHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                seen = Received(self.command, self.path, list(self.headers.items()), body)
                with outer.lock:
                    outer.received.append(seen)
                status, headers, out = reply(seen)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

        super().__init__(Handler)


class ConnectProxy:
    """An HTTP proxy that tunnels CONNECT and answers any plain request with a canned job,
    recording each request line."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.running = True
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def _serve(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            data = client.recv(4096)
            if not data:
                client.close()
                return
            request += data
        line = request.split(b"\r\n", 1)[0].decode()
        method, target, _ = line.split(" ", 2)
        self.targets.append(f"{method} {target}")
        if method != "CONNECT":
            head = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(OK_BODY)
            client.sendall(head + OK_BODY)
            client.close()
            return
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        sockets = [client, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 10)
                if not readable:
                    break
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        self.running = False
        self.listener.close()
