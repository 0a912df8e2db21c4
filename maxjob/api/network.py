"""The network: one TLS context, the connection pool, and a deadline for a whole exchange.

httpx's timeouts bound each socket operation, so a server that trickles its headers a byte at a
time, or sends `100 Continue` forever, could keep a call going long after `--request-timeout`.
`DeadlineBackend` wraps httpcore's own socket backend and cuts every connect, read and write to
what is left of the deadline the calling thread set with `deadline(...)`: the status line, the
headers, interim answers, the body and the trailers all fall under it. h11 caps a header block (and
trailers) at 100 KiB on its own.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import httpcore

from maxjob.errors import UsageError

if TYPE_CHECKING:
    import httpx

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


def _bounded(timeout: float | None, exc: type[Exception]) -> float | None:
    when: float | None = getattr(_local, "deadline", None)
    if when is None:
        return timeout
    left = when - time.monotonic()
    if left <= 0:
        raise exc("the call ran out of time")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - maxjob never dials a unix socket
        raise httpcore.ConnectError("unix sockets are not used")

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore's own retries are off
        time.sleep(seconds)


# What httpx.Limits() keeps an idle connection for, in seconds.
KEEPALIVE_EXPIRY = 5.0


def direct_pool(ssl_context: ssl.SSLContext, size: int) -> Pool:
    """The pool requests go through without a proxy (see `DirectPool`)."""
    return DirectPool(ssl_context, size)


class DirectPool:
    """Up to `size` HTTP/1.1 connections to the endpoint, each kept alive for 5 s once idle and
    reused newest first, over `DeadlineBackend`: httpcore's connections (its HTTP/1.1 and TLS),
    with a pool of their own instead of httpcore's. Built here rather than by httpx: importing
    httpx costs a process more than any request does (about 50 ms).

    httpcore's pool serves any number of origins and HTTP/2, and so, on every request and every
    answer closed, asks each of its connections whether it has expired: a `poll()` of every idle
    socket, each one a release of the interpreter's lock, twice a page. Here all requests go to
    one origin over HTTP/1.1, one to a connection: only the connection about to be reused is
    asked (a server that closed it while idle is seen then, and a new one is opened).

    Safe to share between threads. `close` closes every connection, and any later request is
    refused.
    """

    def __init__(self, ssl_context: ssl.SSLContext, size: int) -> None:
        self._ssl_context = ssl_context
        self._size = max(1, size)
        self._backend = DeadlineBackend()
        self._lock = threading.Lock()
        # Connections not in use, the most recently used last; and every open one.
        self._idle: list[httpcore.HTTPConnection] = []
        self._open: set[httpcore.HTTPConnection] = set()
        self._slots = threading.BoundedSemaphore(self._size)
        self._closed = False

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        timeouts = request.extensions.get("timeout", {})
        wait = _bounded(timeouts.get("pool"), httpcore.PoolTimeout)
        if not self._slots.acquire(timeout=-1 if wait is None else wait):
            raise httpcore.PoolTimeout("no connection came free in time")
        try:
            connection = self._connection(request.url.origin)
            try:
                response = connection.handle_request(request)
            except BaseException:
                self._discard(connection)
                raise
        except BaseException:
            self._slots.release()
            raise
        stream = _Returned(response.stream, connection, self._give_back)  # type: ignore[arg-type]
        return httpcore.Response(
            status=response.status,
            headers=response.headers,
            content=stream,
            extensions=response.extensions,
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections = list(self._open)
            self._open.clear()
            self._idle.clear()
        for connection in connections:
            connection.close()

    def _connection(self, origin: httpcore.Origin) -> httpcore.HTTPConnection:
        """An idle connection that is still good, else a new one (connected by its first
        request)."""
        stale: list[httpcore.HTTPConnection] = []
        found = None
        with self._lock:
            if self._closed:
                raise httpcore.ConnectError("the connection pool is closed")
            while self._idle:
                candidate = self._idle.pop()
                if (
                    candidate.can_handle_request(origin)
                    and candidate.is_idle()
                    and not candidate.has_expired()
                ):
                    found = candidate
                    break
                stale.append(candidate)
                self._open.discard(candidate)
            if found is None:
                found = httpcore.HTTPConnection(
                    origin=origin,
                    ssl_context=self._ssl_context,
                    keepalive_expiry=KEEPALIVE_EXPIRY,
                    http1=True,
                    http2=False,
                    retries=0,
                    network_backend=self._backend,
                )
                self._open.add(found)
        for connection in stale:
            connection.close()
        return found

    def _give_back(self, connection: httpcore.HTTPConnection) -> None:
        """After an answer is closed: the connection is idle again (its answer read to the end,
        and kept alive), or closed."""
        try:
            with self._lock:
                keep = not self._closed and connection.is_idle() and connection in self._open
                if keep:
                    self._idle.append(connection)
                else:
                    self._open.discard(connection)
            if not keep:
                connection.close()
        finally:
            self._slots.release()

    def _discard(self, connection: httpcore.HTTPConnection) -> None:
        with self._lock:
            self._open.discard(connection)
        connection.close()


class _Returned:
    """An answer's body: once closed, its connection goes back to the pool."""

    def __init__(
        self,
        stream: Iterable[bytes],
        connection: httpcore.HTTPConnection,
        give_back: Callable[[httpcore.HTTPConnection], None],
    ) -> None:
        self._stream = stream
        self._connection: httpcore.HTTPConnection | None = connection
        self._give_back = give_back

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            close = getattr(self._stream, "close", None)
            if close is not None:
                close()
        finally:
            self._give_back(connection)


def proxy_pool(ssl_context: ssl.SSLContext, size: int, proxy: str) -> Pool:
    """The pool requests go through `proxy`, built by `httpx.HTTPTransport` (which reads the
    proxy URL, its credentials and its scheme: http, https, or socks with socksio; closing the
    transport closes just this pool). A UsageError when httpx refuses the proxy settings."""
    import httpx

    limits = httpx.Limits(
        max_connections=size, max_keepalive_connections=size, keepalive_expiry=KEEPALIVE_EXPIRY
    )
    try:
        transport = httpx.HTTPTransport(
            verify=ssl_context, limits=limits, proxy=proxy, trust_env=False
        )
    except (ImportError, ValueError, TypeError, httpx.InvalidURL) as exc:
        # A SOCKS proxy without socksio, an unknown scheme, a bad port.
        raise UsageError(
            f"cannot use the proxy settings: {first_line(exc)}",
            hint="maxjob speaks to http:// and https:// proxies (HTTPS_PROXY, ALL_PROXY)",
        ) from None
    return pool_of(transport)


def pool_of(transport: httpx.BaseTransport) -> Pool:
    """The connection pool under `transport`, with `DeadlineBackend` under it: httpx's own
    transport's httpcore pool (direct, or through a proxy), which the client calls directly; any
    other transport (a test's `httpx.MockTransport`) through `TransportPool`.

    httpx builds the pool and offers no parameter for its network backend, so it is set on the
    pool it built; `tests/` has a server that trickles its headers, which fails if this ever
    stops working.
    """
    pool = getattr(transport, "_pool", None)
    if isinstance(pool, httpcore.ConnectionPool) and hasattr(pool, "_network_backend"):
        pool._network_backend = DeadlineBackend()
        return pool
    return TransportPool(transport)


def first_line(exc: BaseException) -> str:
    """What an exception of the network stack says, on one line of at most 200 characters (its
    type's name when it says nothing)."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


class Pool(Protocol):
    def handle_request(self, request: httpcore.Request) -> httpcore.Response: ...

    def close(self) -> None: ...


class TransportPool:
    """An httpx transport behind httpcore's interface: requests and answers converted, and the
    transport's errors raised as httpcore's of the same name (as httpx maps them the other way)."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        import httpx

        converted = httpx.Request(
            request.method.decode("ascii"),
            bytes(request.url).decode("ascii"),
            headers=request.headers,
            content=b"".join(request.stream),  # type: ignore[arg-type]  # bytes, as the client sends
            extensions=request.extensions,
        )
        try:
            response = self._transport.handle_request(converted)
            content = response.read()
        except httpx.TransportError as exc:
            error = getattr(httpcore, type(exc).__name__, httpcore.NetworkError)
            raise error(str(exc)) from exc
        return httpcore.Response(
            response.status_code, headers=response.headers.raw, content=content
        )

    def close(self) -> None:
        self._transport.close()


_contexts: dict[tuple[str, str, str], ssl.SSLContext] = {}


def tls_context(endpoint: str, ca_bundle: str | None, environ: Mapping[str, str]) -> ssl.SSLContext:
    """The context to verify `endpoint` with. For a plain-http endpoint no bundle is loaded
    (about 40 ms): nothing would use it, and a context that trusts no CA fails closed if anything
    ever did."""
    if endpoint.startswith("http://") and not ca_bundle:
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return ssl_context(ca_bundle, environ)


def ssl_context(ca_bundle: str | None, environ: Mapping[str, str]) -> ssl.SSLContext:
    """Verification on; CAs from --ca-bundle (else SSL_CERT_FILE) and from SSL_CERT_DIR, both
    when both are set, as curl reads them; else certifi's bundle.

    Built once per process for the same inputs (loading a bundle costs about 40 ms).
    """
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
