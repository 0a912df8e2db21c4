"""Requests through a proxy, or over a test's httpx transport: httpx's stack behind
`network.Pool`, imported only then.

httpx reads the proxy URL, its credentials and its scheme (http, https, or socks with socksio)
and builds an httpcore pool for it. `DeadlineBackend` wraps httpcore's own socket backend under
that pool and cuts every connect, read and write to what is left of the calling thread's
deadline (`network.deadline`), as the direct path does. httpcore's and httpx's errors come out as
`network`'s of the same name.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import httpcore

from maxjob.api import network
from maxjob.api.network import KEEPALIVE_EXPIRY, Pool, Request, Response, bounded, first_line
from maxjob.errors import UsageError

if TYPE_CHECKING:
    import ssl

    import httpx


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = bounded(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, left))

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
        left = bounded(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, left, local_address, socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - maxjob never dials a unix socket
        raise httpcore.ConnectError("unix sockets are not used")

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore's own retries are off
        time.sleep(seconds)


def proxy_pool(ssl_context: ssl.SSLContext | None, size: int, proxy: str) -> Pool:
    """The pool requests go through `proxy`, built by `httpx.HTTPTransport` (closing the
    transport closes just this pool). A UsageError when httpx refuses the proxy settings."""
    import ssl

    import httpx

    limits = httpx.Limits(
        max_connections=size, max_keepalive_connections=size, keepalive_expiry=KEEPALIVE_EXPIRY
    )
    # (A plain-http endpoint has no context: one that trusts no CA fails closed if used.)
    verify = ssl_context or ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        transport = httpx.HTTPTransport(verify=verify, limits=limits, proxy=proxy, trust_env=False)
    except (ImportError, ValueError, TypeError, httpx.InvalidURL) as exc:
        # A SOCKS proxy without socksio, an unknown scheme, a bad port.
        raise UsageError(
            f"cannot use the proxy settings: {first_line(exc)}",
            hint="maxjob speaks to http:// and https:// proxies (HTTPS_PROXY, ALL_PROXY)",
        ) from None
    return pool_of(transport)


def pool_of(transport: httpx.BaseTransport) -> Pool:
    """The pool under `transport`: httpx's own transport's httpcore pool (direct, or through a
    proxy), called directly, with `DeadlineBackend` under it; any other transport (a test's
    `httpx.MockTransport`) through `TransportPool`.

    httpx builds the pool and offers no parameter for its network backend, so it is set on the
    pool it built; `tests/` has a server that trickles its headers, which fails if this ever
    stops working.
    """
    pool = getattr(transport, "_pool", None)
    if isinstance(pool, httpcore.ConnectionPool) and hasattr(pool, "_network_backend"):
        pool._network_backend = DeadlineBackend()
        return HttpcorePool(pool)
    return TransportPool(transport)


class HttpcorePool:
    """An httpcore pool behind `network.Pool`."""

    def __init__(self, pool: httpcore.ConnectionPool) -> None:
        self._pool = pool

    def handle_request(self, request: Request) -> Response:
        converted = httpcore.Request(
            request.method,
            httpcore.URL(
                scheme=request.scheme, host=request.host, port=request.port, target=request.target
            ),
            headers=request.headers,
            content=request.body or None,
            extensions={**request.extensions, "timeout": dict(request.timeouts)},
        )
        try:
            response = self._pool.handle_request(converted)
        except Exception as exc:
            raise _ours(exc) from exc
        return Response(
            response.status,
            list(response.headers),
            _mapped(response.stream),  # type: ignore[arg-type]  # a sync pool's stream
            response.close,
        )

    def close(self) -> None:
        self._pool.close()


class TransportPool:
    """An httpx transport behind `network.Pool`: requests and answers converted, and the
    transport's errors raised as `network`'s of the same name."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    def handle_request(self, request: Request) -> Response:
        import httpx

        converted = httpx.Request(
            request.method.decode("ascii"),
            request.url(),
            headers=request.headers,
            content=request.body,
            extensions={**request.extensions, "timeout": dict(request.timeouts)},
        )
        try:
            response = self._transport.handle_request(converted)
            content = response.read()
        except httpx.TransportError as exc:
            raise _ours(exc) from exc
        return Response(response.status_code, list(response.headers.raw), [content], _read_whole)

    def close(self) -> None:
        self._transport.close()


def _read_whole() -> None:
    """Closing an answer a transport has read whole: nothing is left to do."""


def _mapped(stream: Iterable[bytes]) -> Iterator[bytes]:
    try:
        yield from stream
    except Exception as exc:
        raise _ours(exc) from exc


def _ours(exc: Exception) -> Exception:
    """httpcore's or httpx's error as `network`'s of the same name; anything else as it is."""
    if type(exc).__module__.split(".")[0] not in ("httpcore", "httpx"):
        return exc
    kind = getattr(network, type(exc).__name__, None)
    if not (isinstance(kind, type) and issubclass(kind, network.TransportError)):
        kind = network.TransportError
    return kind(str(exc))
