"""An httpx transport over the standard library's `http.client`.

Why: httpx's default transport imports httpcore and h11, about 24 ms of every call on a small
machine, while `http.client` is already loaded by httpx itself. maxjob sends small GETs to one
host; this transport does that with a thread-safe keep-alive pool, the proxy environment
(`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, as urllib and curl read them), the caller's
TLS context, and httpx's timeouts and exception types, so `MaxComputeClient` cannot tell the
difference. A proxy it cannot speak (SOCKS) makes the client fall back to httpx's own transport.
"""

from __future__ import annotations

import base64
import http.client
import select
import ssl
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

Origin = tuple[str, str, int]
CHUNK = 64 * 1024


def environment_proxies() -> dict[str, str]:
    """`<scheme>_proxy` variables as urllib reads them (lower case wins), `no` for NO_PROXY."""
    return urllib.request.getproxies_environment()


def bypasses(host: str, no_proxy: str) -> bool:
    """NO_PROXY as curl reads it: `*`, or names matched exactly or as a domain suffix."""
    host = host.lower().strip("[]")
    for entry in no_proxy.split(","):
        name = entry.strip().lower().lstrip(".")
        if name.startswith("[") or name.count(":") == 1:
            name = name.rsplit(":", 1)[0].strip("[]") if name.count(":") == 1 else name.strip("[]")
        if name == "*" or (name and (host == name or host.endswith("." + name))):
            return True
    return False


def speaks(proxies: Mapping[str, str]) -> bool:
    """True when every configured proxy is an http:// one (what this transport can use)."""
    return all(
        urlsplit(url if "://" in url else f"http://{url}").scheme == "http"
        for scheme, url in proxies.items()
        if scheme in ("http", "https", "all")
    )


class StdlibTransport(httpx.BaseTransport):
    """HTTP/1.1 over `http.client`, with at most `pool_size` idle connections per origin."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        pool_size: int = 8,
        proxies: Mapping[str, str] | None = None,
    ) -> None:
        self._ssl = ssl_context
        self._pool_size = pool_size
        self._proxies = dict(proxies or {})
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        origin: Origin = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        proxy = self._proxy_for(scheme, url.host)
        target = str(url) if proxy and scheme == "http" else url.raw_path.decode("ascii")
        body = request.read()
        for reused in (True, False):
            connection = self._checkout(origin) if reused else None
            if reused and connection is None:
                continue
            if connection is None:
                connection = self._connect(origin, proxy, timeouts)
            try:
                return self._exchange(connection, origin, request, target, body, timeouts)
            except _StaleConnectionError:
                connection.close()
                if not reused:
                    raise httpx.RemoteProtocolError("the server closed the connection") from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _proxy_for(self, scheme: str, host: str) -> str | None:
        proxy = self._proxies.get(scheme) or self._proxies.get("all")
        if not proxy or bypasses(host, self._proxies.get("no", "")):
            return None
        return proxy

    def _checkout(self, origin: Origin) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                connection = idle.pop() if idle else None
            if connection is None:
                return None
            if _alive(connection):
                return connection
            connection.close()

    def checkin(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < self._pool_size:
                idle.append(connection)
                return
        connection.close()

    def _connect(
        self, origin: Origin, proxy: str | None, timeouts: Mapping[str, float | None]
    ) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connect_timeout = timeouts.get("connect")
        connection: http.client.HTTPConnection
        if proxy:
            parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            proxy_host, proxy_port = parts.hostname or "", parts.port or 80
            headers = {}
            if parts.username:
                login = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
                headers["Proxy-Authorization"] = (
                    "Basic " + base64.b64encode(login.encode()).decode()
                )
            if scheme == "https":
                connection = http.client.HTTPSConnection(
                    proxy_host, proxy_port, timeout=connect_timeout, context=self._ssl
                )
                connection.set_tunnel(host, port, headers=headers)
            else:
                connection = http.client.HTTPConnection(
                    proxy_host, proxy_port, timeout=connect_timeout
                )
        elif scheme == "https":
            connection = http.client.HTTPSConnection(
                host, port, timeout=connect_timeout, context=self._ssl
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=connect_timeout)
        try:
            connection.connect()
        except TimeoutError:
            connection.close()
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except ssl.SSLError as exc:
            connection.close()
            raise httpx.ConnectError(str(exc)) from None
        except OSError as exc:
            connection.close()
            if proxy and "Tunnel connection failed" in str(exc):
                raise httpx.ProxyError(str(exc)) from None
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
        return connection

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        origin: Origin,
        request: httpx.Request,
        target: str,
        body: bytes,
        timeouts: Mapping[str, float | None],
    ) -> httpx.Response:
        if connection.sock is not None:
            connection.sock.settimeout(timeouts.get("read"))
        try:
            connection.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.multi_items():
                connection.putheader(name, value)
            connection.endheaders(body or None)
            response = connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            raise _StaleConnectionError from None
        except TimeoutError:
            connection.close()
            raise httpx.ReadTimeout("no answer in time") from None
        except http.client.HTTPException as exc:
            connection.close()
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from None
        except OSError as exc:
            connection.close()
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None
        return httpx.Response(
            status_code=response.status,
            headers=[(k.lower(), v) for k, v in response.getheaders()],
            stream=_Body(self, origin, connection, response),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": response.reason.encode()},
        )


class _StaleConnectionError(Exception):
    """A kept-alive connection the server had closed: try once more on a new one."""


class _Body(httpx.SyncByteStream):
    """The response body, read in chunks; the connection goes back to the pool when it is done."""

    def __init__(
        self,
        transport: StdlibTransport,
        origin: Origin,
        connection: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._connection = connection
        self._response = response
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            while chunk := self._response.read1(CHUNK):
                yield chunk
        except TimeoutError:
            raise httpx.ReadTimeout("the answer stopped coming") from None
        except http.client.IncompleteRead:
            raise httpx.RemoteProtocolError("the answer was cut off") from None
        except (http.client.HTTPException, OSError) as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None
        self._done = True

    def close(self) -> None:
        # http.client reuses a connection only once its last response is closed; closing a
        # fully read response leaves the socket open.
        self._response.close()
        if self._done and not self._response.will_close:
            self._transport.checkin(self._origin, self._connection)
        else:
            self._connection.close()


def _alive(connection: http.client.HTTPConnection) -> bool:
    """An idle HTTP/1.1 connection with anything to read has been closed by the server."""
    sock: Any = connection.sock
    if sock is None:
        return False
    if isinstance(sock, ssl.SSLSocket):
        # TLS may send records on an idle connection (session tickets); a stale one is caught
        # when the request fails before any answer, and retried once on a new connection.
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
