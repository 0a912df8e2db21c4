"""The network: the pool requests go through, its requests, answers and errors, one TLS
context, and a deadline for a whole exchange.

Without a proxy, requests go to `DirectPool`: HTTP/1.1 connections of maxjob's own, h11 reading
and writing the protocol (its framing, interim answers, header limits) and this module moving the
bytes. Through a proxy, or over a test's httpx transport, they go to httpx's stack instead
(`maxjob.api.proxied`, imported only then). The client sees the same types either way: a
`Request`, a `Response`, and the errors below, named as httpcore names them.

A socket timeout bounds each operation, so a server that trickles its headers a byte at a time,
or sends `100 Continue` forever, could keep a call going long after `--request-timeout`: every
connect, read and write is cut to what is left of the deadline the calling thread set with
`deadline(...)`, so the status line, the headers, interim answers, the body and the trailers all
fall under it. h11 caps a header block (and trailers) at 100 KiB.

Neither httpx nor httpcore is imported on this path (about 30 ms a process, with what they
import), nor `ssl` for a plain-http endpoint.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import h11

from maxjob.errors import UsageError

if TYPE_CHECKING:
    import ssl

_local = threading.local()


@contextlib.contextmanager
def deadline(when: float) -> Iterator[None]:
    """Every socket operation of this thread, inside the block, ends by monotonic time `when`."""
    saved = getattr(_local, "deadline", None)
    _local.deadline = when
    try:
        yield
    finally:
        _local.deadline = saved


def bounded(timeout: float | None, exc: type[Exception]) -> float | None:
    """`timeout` cut to what is left of this thread's deadline; `exc` when nothing is."""
    when: float | None = getattr(_local, "deadline", None)
    if when is None:
        return timeout
    left = when - time.monotonic()
    if left <= 0:
        raise exc("the call ran out of time")
    return left if timeout is None else min(timeout, left)


# -- the errors of an exchange (httpcore's names and tree) --------------------------------------


class TransportError(Exception):
    """An exchange that failed below HTTP: no answer to read."""


class TimeoutException(TransportError):  # noqa: N818 - httpcore's name: errors map by name
    pass


class ConnectTimeout(TimeoutException):
    pass


class ReadTimeout(TimeoutException):
    pass


class WriteTimeout(TimeoutException):
    pass


class PoolTimeout(TimeoutException):
    pass


class NetworkError(TransportError):
    pass


class ConnectError(NetworkError):
    pass


class ReadError(NetworkError):
    pass


class WriteError(NetworkError):
    pass


class ProtocolError(TransportError):
    pass


class RemoteProtocolError(ProtocolError):
    pass


class LocalProtocolError(ProtocolError):
    pass


class ProxyError(TransportError):
    pass


class UnsupportedProtocol(TransportError):  # noqa: N818 - httpcore's name
    pass


def first_line(exc: BaseException) -> str:
    """What an exception of the network stack says, on one line of at most 200 characters (its
    type's name when it says nothing)."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


# -- requests and answers ------------------------------------------------------------------------


class Request(NamedTuple):
    """One request, as sent. `host` is the name to connect to (no brackets; through a proxy, as
    written in a URL); `target` the path and query; `timeouts` in seconds by `connect`, `read`,
    `write` and `pool`; `extensions` ride along for a test's transport."""

    method: bytes
    scheme: bytes
    host: bytes
    port: int | None
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    timeouts: Mapping[str, float]
    extensions: Mapping[str, Any]

    def url(self) -> str:
        """The request's URL, as a proxy reads it."""
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme.decode()}://{self.host.decode()}{port}{self.target.decode()}"


class Response:
    """An answer: its status, its headers as sent (raw name, value), and its body, read by
    iterating `stream`; `close` once done with it (the connection is then kept or closed)."""

    __slots__ = ("_close", "headers", "status", "stream")

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        stream: Iterable[bytes],
        close: Callable[[], None],
    ) -> None:
        self.status = status
        self.headers = headers
        self.stream = stream
        self._close = close

    def close(self) -> None:
        close, self._close = self._close, _nothing
        close()


def _nothing() -> None:
    pass


class Pool(Protocol):
    def handle_request(self, request: Request) -> Response: ...

    def close(self) -> None: ...


# -- without a proxy -----------------------------------------------------------------------------

# What httpx.Limits() keeps an idle connection for, in seconds.
KEEPALIVE_EXPIRY = 5.0
# A read asks for up to this much (as httpcore's did; see `maxjob.memory`).
READ_SIZE = 64 * 1024
# The most h11 holds of a header block (or trailers) not yet finished (httpcore's limit).
MAX_INCOMPLETE = 100 * 1024
# The schemes requests may use, and the port each goes to when the endpoint names none.
DEFAULT_PORTS = {b"http": 80, b"https": 443}


def direct_pool(ssl_context: ssl.SSLContext | None, size: int) -> Pool:
    """The pool requests go through without a proxy (see `DirectPool`)."""
    return DirectPool(ssl_context, size)


class DirectPool:
    """Up to `size` HTTP/1.1 connections to the endpoint, each kept alive for 5 s once idle and
    reused newest first. Only the connection about to be reused is asked whether it is still
    good (kept alive less than 5 s, and not closed by the server while idle: its socket has
    nothing to read); httpcore's pool, which serves many origins and HTTP/2, asks every one of
    its connections on every request and every answer closed, a `poll()` each.

    Safe to share between threads. `close` closes every connection, and any later request is
    refused. `ssl_context` is needed for an https endpoint only.
    """

    def __init__(self, ssl_context: ssl.SSLContext | None, size: int) -> None:
        self._ssl_context = ssl_context
        self._lock = threading.Lock()
        # Connections not in use, the most recently used last; and every open one.
        self._idle: list[_Connection] = []
        self._open: set[_Connection] = set()
        self._slots = threading.BoundedSemaphore(max(1, size))
        self._closed = False

    def handle_request(self, request: Request) -> Response:
        if request.scheme not in DEFAULT_PORTS:
            raise UnsupportedProtocol(f"the scheme {request.scheme.decode()!r} is not http(s)")
        wait = bounded(request.timeouts.get("pool"), PoolTimeout)
        if not self._slots.acquire(timeout=wait):  # (None: as long as it takes)
            raise PoolTimeout("no connection came free in time")
        try:
            connection = self._reused() or self._opened(request)
            try:
                status, headers, body = connection.exchange(request)
            except BaseException:
                self._discard(connection)
                raise
        except BaseException:
            self._slots.release()
            raise
        return Response(status, headers, body, lambda: self._give_back(connection))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections = list(self._open)
            self._open.clear()
            self._idle.clear()
        for connection in connections:
            connection.close()

    def _reused(self) -> _Connection | None:
        """The newest idle connection still good (the others found on the way are closed)."""
        stale: list[_Connection] = []
        found = None
        with self._lock:
            if self._closed:
                raise ConnectError("the connection pool is closed")
            while self._idle:
                candidate = self._idle.pop()
                if candidate.reusable():
                    found = candidate
                    break
                stale.append(candidate)
                self._open.discard(candidate)
        for connection in stale:
            connection.close()
        return found

    def _opened(self, request: Request) -> _Connection:
        port = request.port or DEFAULT_PORTS[request.scheme]
        context = self._ssl_context if request.scheme == b"https" else None
        if request.scheme == b"https" and context is None:
            raise ConnectError("no TLS context for an https request")
        connection = _Connection.open(request.host, port, context, request.timeouts.get("connect"))
        with self._lock:
            if not self._closed:
                self._open.add(connection)
                return connection
        connection.close()
        raise ConnectError("the connection pool is closed")

    def _give_back(self, connection: _Connection) -> None:
        """After an answer is closed: its connection idle again (the answer read to its end, and
        kept alive), or closed."""
        try:
            connection.finish()
            with self._lock:
                keep = not self._closed and connection.idle() and connection in self._open
                if keep:
                    self._idle.append(connection)
                else:
                    self._open.discard(connection)
            if not keep:
                connection.close()
        finally:
            self._slots.release()

    def _discard(self, connection: _Connection) -> None:
        with self._lock:
            self._open.discard(connection)
        connection.close()


class _Connection:
    """One HTTP/1.1 connection: h11 for the protocol over a socket (TLS-wrapped for https).
    Used by one thread at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._protocol = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_INCOMPLETE)
        self._idle_since = time.monotonic()
        self._closed = False

    @classmethod
    def open(
        cls, host: bytes, port: int, context: ssl.SSLContext | None, timeout: float | None
    ) -> _Connection:
        """Connect (and shake hands, for TLS) within `timeout` and the deadline."""
        name = host.decode("ascii")
        try:
            # (The name as bytes: as text, the socket module loads the IDNA codec, 3 ms.)
            address = (host, port)
            sock = socket.create_connection(address, bounded(timeout, ConnectTimeout))  # type: ignore[arg-type]
        except TimeoutError as exc:
            raise ConnectTimeout(str(exc) or "timed out") from exc
        except OSError as exc:
            raise ConnectError(str(exc)) from exc
        if context is None:
            return cls(sock)
        try:
            sock.settimeout(bounded(timeout, ConnectTimeout))
            # A zone id is no part of a name to check the certificate against.
            return cls(context.wrap_socket(sock, server_hostname=name.split("%", 1)[0]))
        except BaseException as exc:
            sock.close()
            if isinstance(exc, TimeoutError):
                raise ConnectTimeout(str(exc) or "timed out") from exc
            if isinstance(exc, OSError | ValueError):
                raise ConnectError(str(exc)) from exc
            raise

    def exchange(self, request: Request) -> tuple[int, list[tuple[bytes, bytes]], Iterator[bytes]]:
        """Send `request` and read the head of its answer (interim answers skipped): the
        status, the headers, and the body still to be read."""
        protocol = self._protocol
        try:
            data = protocol.send(
                h11.Request(method=request.method, target=request.target, headers=request.headers)
            )
            if request.body:
                data += protocol.send(h11.Data(data=request.body)) or b""
            data += protocol.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            raise LocalProtocolError(str(exc)) from exc
        # A server may answer (an error, say) and close before it reads the whole request: its
        # answer is read all the same, as httpcore does; a read that fails says why.
        with contextlib.suppress(WriteError):
            self._write(data or b"", request.timeouts.get("write"))
        read = request.timeouts.get("read")
        while True:
            event = self._next_event(read)
            if type(event) is h11.Response:
                return event.status_code, list(event.headers.raw_items()), self._body(read)
            if type(event) is not h11.InformationalResponse:
                raise RemoteProtocolError("Server disconnected without sending a response.")

    def _body(self, timeout: float | None) -> Iterator[bytes]:
        while True:
            event = self._next_event(timeout)
            if type(event) is h11.Data:
                yield bytes(event.data)
            elif type(event) is h11.EndOfMessage:
                return
            else:
                raise RemoteProtocolError("Server disconnected before the end of the answer.")

    def _next_event(self, timeout: float | None) -> Any:
        protocol = self._protocol
        while True:
            try:
                event = protocol.next_event()
            except h11.RemoteProtocolError as exc:
                raise RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            data = self._read(timeout)
            if not data and protocol.their_state is h11.SEND_RESPONSE:
                if protocol.trailing_data[0]:
                    raise RemoteProtocolError(
                        "it closed the connection after bytes that are not HTTP"
                    )
                raise RemoteProtocolError("Server disconnected without sending a response.")
            protocol.receive_data(data)

    def _read(self, timeout: float | None) -> bytes:
        try:
            self._sock.settimeout(bounded(timeout, ReadTimeout))
            return self._sock.recv(READ_SIZE)
        except TimeoutError as exc:
            raise ReadTimeout(str(exc) or "timed out") from exc
        except OSError as exc:
            raise ReadError(str(exc)) from exc

    def _write(self, data: bytes, timeout: float | None) -> None:
        try:
            self._sock.settimeout(bounded(timeout, WriteTimeout))
            self._sock.sendall(data)
        except TimeoutError as exc:
            raise WriteTimeout(str(exc) or "timed out") from exc
        except OSError as exc:
            raise WriteError(str(exc)) from exc

    def finish(self) -> None:
        """After an answer: ready for the next request if both ends are done, neither asked to
        close, and nothing came after the answer; else closed. (An answer not read to its end
        leaves nothing to reuse; bytes after it, as a second answer sent unasked or a body longer
        than its length, would be read as the next request's answer.)"""
        protocol = self._protocol
        if (
            protocol.our_state is h11.DONE
            and protocol.their_state is h11.DONE
            and not protocol.trailing_data[0]
        ):
            protocol.start_next_cycle()
            self._idle_since = time.monotonic()
        else:
            self.close()

    def idle(self) -> bool:
        return not self._closed and self._protocol.our_state is h11.IDLE

    def reusable(self) -> bool:
        """Idle, kept alive less than `KEEPALIVE_EXPIRY`, and with nothing to read (a server
        that closed the connection, or sent anything unasked, makes it readable)."""
        if not self.idle() or time.monotonic() - self._idle_since > KEEPALIVE_EXPIRY:
            return False
        return not _readable(self._sock)

    def close(self) -> None:
        """Close the connection; a thread still waiting on it (the pool closed under it) is
        woken at once, rather than at its timeout."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                self._sock.close()


def _readable(sock: socket.socket) -> bool:
    """Whether the socket has something to read (or is closed), without waiting: on the wire,
    or already decrypted and held by TLS."""
    import select

    if sock.fileno() < 0:
        return True
    pending = getattr(sock, "pending", None)  # an SSLSocket's
    if pending is not None and pending() > 0:
        return True
    if not hasattr(select, "poll"):  # pragma: no cover - Windows
        return bool(select.select([sock], [], [], 0)[0])
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


# -- TLS ------------------------------------------------------------------------------------------

_contexts: dict[tuple[str, str, str], ssl.SSLContext] = {}


def tls_context(
    endpoint: str, ca_bundle: str | None, environ: Mapping[str, str]
) -> ssl.SSLContext | None:
    """The context to verify `endpoint` with; None for a plain-http endpoint (nothing would use
    it: neither `ssl` nor a bundle is loaded, about 40 ms)."""
    if endpoint.startswith("http://") and not ca_bundle:
        return None
    return ssl_context(ca_bundle, environ)


def ssl_context(ca_bundle: str | None, environ: Mapping[str, str]) -> ssl.SSLContext:
    """Verification on; CAs from --ca-bundle (else SSL_CERT_FILE) and from SSL_CERT_DIR, both
    when both are set, as curl reads them; else certifi's bundle. HTTP/1.1 offered by ALPN.

    Built once per process for the same inputs (loading a bundle costs about 40 ms).
    """
    import ssl

    cafile = ca_bundle or environ.get("SSL_CERT_FILE") or ""
    capath = environ.get("SSL_CERT_DIR") or ""
    if cafile:
        _check_bundle(cafile, "--ca-bundle" if ca_bundle else "SSL_CERT_FILE")
    key = (cafile, capath, "")
    cached = _contexts.get(key)
    if cached is not None:
        return cached
    try:
        if cafile or capath:
            context = ssl.create_default_context(cafile=cafile or None, capath=capath or None)
        else:
            import certifi

            context = ssl.create_default_context(cafile=certifi.where())
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot load the CA bundle: {exc}") from None
    context.set_alpn_protocols(["http/1.1"])
    _contexts[key] = context
    return context


def _check_bundle(path: str, source: str) -> None:
    """A CA bundle that is not a regular file (a pipe would hang the load) is a UsageError; a
    missing one is left to the load, which says so."""
    import stat
    from pathlib import Path

    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise UsageError(f"cannot load the CA bundle {path} ({source}): not a regular file")
