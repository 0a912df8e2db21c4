"""`MaxComputeClient`: a signed GetJobInfo call over one httpx connection pool, retried.

It maps every way a call can fail (network, HTTP status, either error shape, a bad body) to the
tree in `maxjob.errors`, retries only what can succeed later, and never takes longer than its
deadline. It and `signing` and `transport` are the only importers of httpx.
"""

from __future__ import annotations

import os
import random
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple
from urllib.parse import urlsplit

import httpx

from maxjob import __version__
from maxjob.answers import Asked, interpret
from maxjob.config import Settings
from maxjob.credentials import Credentials
from maxjob.errors import (
    MaxjobError,
    ResponseError,
    ServiceError,
    TransientError,
    UsageError,
)
from maxjob.models import JobInfo
from maxjob.protocol import ACTION_GET_JOB_INFO, API_VERSION, JOB_INFO_PATH
from maxjob.signing import AcsV3Auth, percent_encode

MAX_BODY_BYTES = 10 * 1024 * 1024
# Backoff: full jitter, uniform(0, min(cap, base * 2**n)); throttling backs off harder.
BACKOFF_BASE = 0.25
THROTTLE_BACKOFF_BASE = 1.0
BACKOFF_CAP = 20.0
RETRY_AFTER_CAP = 30.0
# Room for the sleeps between attempts in the whole-call deadline.
SLEEP_ALLOWANCE = 30.0
USER_AGENT = f"maxjob/{__version__}"


class RetryNotice(NamedTuple):
    """What the client tells its caller before it sleeps and tries again."""

    instance_id: str
    attempt: int
    max_attempts: int
    reason: str
    delay: float


class MaxComputeClient:
    """GetJobInfo over one connection pool. Safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        credentials: Credentials,
        *,
        pool_size: int = 8,
        transport: httpx.BaseTransport | None = None,
        trust_env: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        uniform: Callable[[float, float], float] = random.uniform,
        on_retry: Callable[[RetryNotice], None] | None = None,
        debug: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.credentials = credentials
        self._sleep = sleep
        self._monotonic = monotonic
        self._uniform = uniform
        self._on_retry = on_retry
        self._debug = debug if settings.debug else None
        self._auth = AcsV3Auth(credentials)
        self._closed = False
        verify = _ssl_context(settings)
        if transport is None:
            from maxjob.transport import StdlibTransport, environment_proxies, speaks

            proxies = environment_proxies() if trust_env else {}
            if speaks(proxies):
                transport = StdlibTransport(
                    ssl_context=verify, pool_size=pool_size, proxies=proxies
                )
        try:
            self._http = self._make_http(settings, verify, transport, pool_size, trust_env)
        except (ImportError, ValueError) as exc:
            # httpx refuses proxy settings it cannot use (a SOCKS proxy without socksio, an
            # unknown scheme) while it builds its transports.
            raise UsageError(
                f"cannot use the proxy settings: {str(exc).splitlines()[0]}",
                hint="maxjob speaks to http:// and https:// proxies (HTTPS_PROXY, ALL_PROXY)",
            ) from None

    @staticmethod
    def _make_http(
        settings: Settings,
        verify: ssl.SSLContext,
        transport: httpx.BaseTransport | None,
        pool_size: int,
        trust_env: bool,
    ) -> httpx.Client:
        return httpx.Client(
            base_url=settings.endpoint,
            headers={
                "accept": "application/json",
                "accept-encoding": "identity",
                "user-agent": USER_AGENT,
                "x-acs-action": ACTION_GET_JOB_INFO,
                "x-acs-version": API_VERSION,
            },
            follow_redirects=False,
            verify=verify,
            limits=httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size),
            transport=transport,
            trust_env=trust_env,
        )

    def close(self) -> None:
        """Close the connection pool; calls still running give up instead of retrying."""
        self._closed = True
        self._http.close()

    def __enter__(self) -> MaxComputeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def call_budget(self) -> float:
        """The most one call may take, every attempt and every sleep included."""
        s = self.settings
        sleeps = SLEEP_ALLOWANCE if s.max_attempts > 1 else 0.0
        return s.max_attempts * (s.connect_timeout + s.read_timeout) + sleeps

    def get_job_info(self, instance_id: str, *, deadline: float | None = None) -> JobInfo:
        """Fetch one job. `deadline` is a `monotonic()` time the whole call must end by."""
        if not instance_id:
            raise UsageError("an instance id cannot be empty")
        end = self._monotonic() + self.call_budget
        if deadline is not None:
            end = min(end, deadline)
        path = JOB_INFO_PATH.format(instance_id=percent_encode(instance_id))
        attempts = self.settings.max_attempts
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(path, instance_id, end)
            except TransientError as exc:
                last = exc
            remaining = end - self._monotonic()
            tried = f"after {attempt} attempt{'s' if attempt > 1 else ''}"
            if attempt >= attempts or self._closed:
                raise _gave_up(last, tried)
            delay = self._delay(attempt, last)
            if delay >= remaining:
                # Sleeping past the deadline would only end in the same error, later.
                raise _gave_up(last, f"{tried}; no time left to retry")
            if self._on_retry:
                self._on_retry(RetryNotice(instance_id, attempt, attempts, last.one_line(), delay))
            self._sleep(delay)

    def get_many(
        self, instance_ids: Iterable[str], *, concurrency: int = 8
    ) -> Iterator[tuple[str, JobInfo | MaxjobError]]:
        """Fetch many jobs concurrently and yield them in the order given, each as soon as it and
        all before it are done; at most about 2 x concurrency are held at once."""
        ids = iter(instance_ids)
        if concurrency <= 1:
            for instance_id in ids:
                yield instance_id, self._fetch_or_error(instance_id)
            return
        from collections import deque
        from concurrent.futures import Future, ThreadPoolExecutor

        window: deque[tuple[str, Future[JobInfo | MaxjobError]]] = deque()
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="maxjob") as pool:
            try:
                for instance_id in ids:
                    window.append((instance_id, pool.submit(self._fetch_or_error, instance_id)))
                    while len(window) >= 2 * concurrency:
                        first_id, future = window.popleft()
                        yield first_id, future.result()
                while window:
                    first_id, future = window.popleft()
                    yield first_id, future.result()
            finally:
                # Stopped early (the reader went away): drop what has not started.
                for _, future in window:
                    future.cancel()
                pool.shutdown(wait=False, cancel_futures=True)

    def _fetch_or_error(self, instance_id: str) -> JobInfo | MaxjobError:
        try:
            return self.get_job_info(instance_id)
        except MaxjobError as exc:
            return exc

    def _delay(self, attempt: int, error: TransientError) -> float:
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), RETRY_AFTER_CAP)
        base = THROTTLE_BACKOFF_BASE if error.throttled else BACKOFF_BASE
        return self._uniform(0.0, min(BACKOFF_CAP, base * 2 ** (attempt - 1)))

    def _attempt(self, path: str, instance_id: str, end: float) -> JobInfo:
        remaining = end - self._monotonic()
        if remaining <= 0:
            raise TransientError("the call ran out of time")
        s = self.settings
        timeout = httpx.Timeout(
            connect=min(s.connect_timeout, remaining),
            read=min(s.read_timeout, remaining),
            write=min(s.read_timeout, remaining),
            pool=min(s.read_timeout, remaining),
        )
        host = s.host
        started = self._monotonic()
        try:
            with self._http.stream("GET", path, timeout=timeout, auth=self._auth) as response:
                self._log_request(response.request)
                body = self._read_body(response, end)
        except httpx.ConnectTimeout:
            raise TransientError(f"connecting to {host} timed out") from None
        except httpx.TimeoutException:
            raise TransientError(f"{host} did not answer in time") from None
        except httpx.ConnectError as exc:
            raise _connect_error(host, exc) from None
        except httpx.ProxyError as exc:
            raise TransientError(f"the proxy refused the connection to {host}: {exc}") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise TransientError(f"the connection to {host} was reset or closed early") from None
        except httpx.UnsupportedProtocol as exc:
            raise UsageError(f"cannot use endpoint {s.endpoint}: {exc}") from None
        except httpx.TransportError as exc:
            raise TransientError(f"network error talking to {host}: {type(exc).__name__}") from None
        self._log_response(response, self._monotonic() - started)
        asked = Asked(
            instance_id,
            s,
            self.credentials.source,
            self._debug,
            self._auth.last_canonical_request,
        )
        return interpret(response.status_code, response.headers, body, asked)

    def _read_body(self, response: httpx.Response, end: float) -> bytes:
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            raise ResponseError(
                f"the response is {int(length)} bytes, over the 10 MiB limit; not read",
                http_status=response.status_code,
            )
        if 300 <= response.status_code < 400:
            return b""
        # A transport that has already read the body (a mock) hands it over whole.
        stream = [response.content] if response.is_stream_consumed else response.iter_raw()
        chunks: list[bytes] = []
        size = 0
        for chunk in stream:
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise ResponseError(
                    "the response is over the 10 MiB limit; stopped reading",
                    http_status=response.status_code,
                )
            if self._monotonic() > end:
                raise TransientError(f"{self.settings.host} sent its answer too slowly")
            chunks.append(chunk)
        return b"".join(chunks)

    def _log_request(self, request: httpx.Request) -> None:
        if not self._debug:
            return
        self._debug(f"> {request.method} {request.url}")
        for name, value in request.headers.items():
            self._debug(f">   {name}: {mask_header(name, value)}")

    def _log_response(self, response: httpx.Response, elapsed: float) -> None:
        if not self._debug:
            return
        self._debug(f"< HTTP {response.status_code} in {elapsed * 1000:.0f} ms")
        for name, value in response.headers.items():
            self._debug(f"<   {name}: {mask_header(name, value)}")


def mask_header(name: str, value: str) -> str:
    """A header value safe to print: no signature, no token."""
    lower = name.lower()
    if lower == "authorization":
        algorithm, _, rest = value.partition(" ")
        key_id = rest.split(",", 1)[0]
        return f"{algorithm} {key_id},SignedHeaders=…,Signature=<hidden>"
    if lower in ("x-acs-security-token", "cookie", "set-cookie", "proxy-authorization"):
        return "<hidden>"
    return value


def _gave_up(error: TransientError, how: str) -> ServiceError:
    return ServiceError(
        f"{error.message} ({how})" if error.code is None else f"{error.message}, {how}",
        code=error.code,
        request_id=error.request_id,
        hint=error.hint,
        http_status=error.http_status,
    )


def _connect_error(host: str, exc: httpx.ConnectError) -> MaxjobError:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        detail = text.split("certificate verify failed:", 1)[-1].strip(" )")[:120]
        return ServiceError(
            f"TLS certificate verification failed for {host}: {detail}",
            hint="pass --ca-bundle FILE or set SSL_CERT_FILE to the CA that signed it",
        )
    if "SSL" in text or "TLS" in text:
        return ServiceError(f"TLS handshake with {host} failed: {text[:120]}")
    reason = "connection refused" if "refused" in text.lower() else (text[:120] or "cannot connect")
    return TransientError(f"cannot connect to {host}: {reason}")


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    """TLS verification on; CAs from --ca-bundle, SSL_CERT_FILE, SSL_CERT_DIR, then certifi.

    For a plain-http endpoint no bundle is loaded (it costs 40 ms): nothing would use it, and a
    context with no CAs fails closed if anything ever did.
    """
    if urlsplit(settings.endpoint).scheme == "http" and not settings.ca_bundle:
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        if settings.ca_bundle:
            return ssl.create_default_context(cafile=settings.ca_bundle)
        if os.environ.get("SSL_CERT_FILE"):
            return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
        if os.environ.get("SSL_CERT_DIR"):
            return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot load the CA bundle: {exc}") from None
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
