"""Raw-socket loopback servers that misbehave on purpose, for the hostile-network tests.

Each server listens on 127.0.0.1 only, hands every connection to a handler on its own thread,
records every request head it reads, and stops by itself: the accept loop ends after `lifetime`
seconds, every socket has a timeout, and every hostile loop in here is bounded in time. `close()`
shuts down the connections still open, so a test never waits for a handler to finish.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

HEAD_LIMIT = 256 * 1024  # a 65 KB instance id still fits in one request line
SOCKET_TIMEOUT = 5.0
JOB_PATH_PREFIX = "/api/v1/jobs/"


@dataclass
class Request:
    """One request head as the server read it."""

    method: str
    target: str
    headers: dict[str, str]  # names lower-cased; a repeated name keeps its last value
    raw: bytes  # the whole head, as received
    connection: int  # which accepted connection (0-based) it came on
    index: int  # its place on that connection (0-based)
    at: float  # time.monotonic() when it was read
    wall: float  # time.time() when it was read

    @property
    def instance_id(self) -> str | None:
        """The instance id of a GetJobInfo path (absolute-form targets included)."""
        path = urlsplit(self.target).path if "://" in self.target else self.target
        path = path.split("?", 1)[0]
        if not (path.startswith(JOB_PATH_PREFIX) and path.endswith("/info")):
            return None
        return unquote(path[len(JOB_PATH_PREFIX) : -len("/info")])


class Conn:
    """One accepted connection: read request heads, send bytes, close or reset."""

    def __init__(self, sock: socket.socket, server: RawServer, number: int) -> None:
        self.sock = sock
        self.server = server
        self.number = number
        self.buffer = b""
        self.count = 0

    def read_request(self) -> Request | None:
        """The next request head (its body, if any, is read and dropped); None on EOF, timeout,
        a reset, or a head over HEAD_LIMIT."""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > HEAD_LIMIT or not self.server.running:
                return None
            try:
                data = self.sock.recv(65536)
            except OSError:
                return None
            if not data:
                return None
            self.buffer += data
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        method, target = (parts[0], parts[1]) if len(parts) >= 2 else (parts[0], "")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or "0")
        while len(self.buffer) < length:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return None
            if not data:
                return None
            self.buffer += data
        self.buffer = self.buffer[length:]
        request = Request(
            method,
            target,
            headers,
            head + b"\r\n\r\n",
            self.number,
            self.count,
            time.monotonic(),
            time.time(),
        )
        self.count += 1
        self.server.record(request)
        return request

    def send(self, data: bytes) -> bool:
        """Send it all; False once the peer has gone."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def drip(self, data: Iterable[bytes], every: float, for_seconds: float) -> None:
        """Send each piece `every` seconds apart, for at most `for_seconds`, then stop."""
        until = time.monotonic() + for_seconds
        for piece in data:
            if time.monotonic() >= until or not self.server.running:
                return
            if not self.send(piece):
                return
            time.sleep(every)

    def reset(self) -> None:
        """Close with a TCP RST instead of a FIN."""
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


Handler = Callable[[Conn], None]


class RawServer:
    """Accepts connections on 127.0.0.1 for at most `lifetime` seconds; `handler(conn)` speaks."""

    def __init__(self, handler: Handler, *, lifetime: float = 30.0) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.connections = 0
        self.running = True
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._until = time.monotonic() + lifetime
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def _serve(self) -> None:
        while self.running and time.monotonic() < self._until:
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            sock.settimeout(SOCKET_TIMEOUT)
            with self._lock:
                number = self.connections
                self.connections += 1
                self._open.append(sock)
            conn = Conn(sock, self, number)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()
        self.running = False
        with contextlib.suppress(OSError):
            self.listener.close()

    def _handle(self, conn: Conn) -> None:
        try:
            self.handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.running = False
        with contextlib.suppress(OSError):
            self.listener.close()
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        self.thread.join(timeout=2)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# What the servers say.


def job_body(instance_id: str, status: str = "success", **extra: object) -> bytes:
    data: dict[str, object] = {"instanceId": instance_id, "status": status, **extra}
    return json.dumps({"requestId": "hostile-1", "httpCode": 200, "data": data}).encode()


def gateway_error(code: str, message: str) -> bytes:
    return json.dumps(
        {"RequestId": "hostile-err", "HostId": "h", "Code": code, "Message": message}
    ).encode()


def response(
    status: int = 200,
    body: bytes = b"",
    headers: Iterable[tuple[str, str] | tuple[bytes, bytes]] = (),
    *,
    reason: str = "OK",
    length: int | None = None,
) -> bytes:
    """A whole HTTP/1.1 response; `length` overrides the content-length (to lie with)."""
    lines = [f"HTTP/1.1 {status} {reason}".encode()]
    for name, value in headers:
        raw_name = name if isinstance(name, bytes) else name.encode("latin-1")
        raw_value = value if isinstance(value, bytes) else value.encode("latin-1")
        lines.append(raw_name + b": " + raw_value)
    lines.append(b"content-length: %d" % (len(body) if length is None else length))
    lines.append(b"content-type: application/json")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


# Handlers.


def serve_jobs(
    answer: Callable[[Request, int], bytes] | None = None,
    *,
    interim: Iterable[bytes] = (),
    max_requests: int = 50,
) -> Handler:
    """Keep-alive: every request gets `interim` pieces (each sent on its own) and then
    `answer(request, n)` (n counts requests over all connections); by default a finished job
    with the instance id that was asked for."""
    pieces = list(interim)
    counter = _Counter()

    def default(request: Request, n: int) -> bytes:
        return response(200, job_body(request.instance_id or "?"))

    reply = answer or default

    def handle(conn: Conn) -> None:
        for _ in range(max_requests):
            request = conn.read_request()
            if request is None:
                return
            for piece in pieces:
                if not conn.send(piece):
                    return
                time.sleep(0.02)
            if not conn.send(reply(request, counter.next())):
                return

    return handle


def hostile_after_request(
    head: bytes, pieces: Callable[[], Iterable[bytes]], every: float, for_seconds: float
) -> Handler:
    """Read one request, send `head`, then drip `pieces()` `every` seconds for `for_seconds`."""

    def handle(conn: Conn) -> None:
        if conn.read_request() is None:
            return
        if head and not conn.send(head):
            return
        conn.drip(pieces(), every, for_seconds)

    return handle


def endless(piece: bytes) -> Callable[[], Iterable[bytes]]:
    def pieces() -> Iterable[bytes]:
        while True:
            yield piece

    return pieces


def one_byte_at_a_time(text: bytes) -> Callable[[], Iterable[bytes]]:
    def pieces() -> Iterable[bytes]:
        while True:
            for byte in text:
                yield bytes([byte])

    return pieces


class _Counter:
    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            n = self._n
            self._n += 1
            return n


@dataclass
class ProxyScript:
    """What a recording proxy answers: plain requests get `plain(request)`, CONNECT gets
    `connect` and the connection closes."""

    plain: Callable[[Request], bytes] = field(
        default=lambda request: response(200, job_body(request.instance_id or "?"))
    )
    connect: bytes = response(403, b"", reason="Forbidden")


def recording_proxy(script: ProxyScript | None = None) -> RawServer:
    """An HTTP proxy that never forwards anything: it records each request head (with its
    Proxy-Authorization and every header the client sent) and answers itself."""
    plan = script or ProxyScript()

    def handle(conn: Conn) -> None:
        for _ in range(50):
            request = conn.read_request()
            if request is None:
                return
            if request.method == "CONNECT":
                conn.send(plan.connect)
                return
            if not conn.send(plan.plain(request)):
                return

    return RawServer(handle)
