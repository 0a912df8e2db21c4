"""`MaxComputeClient`: one signed, retried, bounded call path for every MaxCompute operation.

`call(operation)` owns signing (a fresh date and nonce on every attempt), the retry policy, the
whole-call deadline (see `network`), the 10 MiB size cap and the mapping of every failure to the
tree in `maxjob.errors`. The typed methods and page iterators on top of it are thin. One
connection pool per `MaxComputeClient` (see `network`); safe to share between threads.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from urllib.parse import quote, urlsplit

from maxjob import __version__
from maxjob.api import network
from maxjob.api import operations as ops
from maxjob.api.answers import Answer, Asked, interpret
from maxjob.api.network import Pool, deadline, direct_pool, first_line, tls_context
from maxjob.api.operations import Operation
from maxjob.api.retry import RetryPolicy
from maxjob.api.signing import CANONICAL_REQUEST, Signer, canonical_query_string
from maxjob.config import Settings
from maxjob.credentials import Credentials
from maxjob.errors import MaxjobError, ResponseError, ServiceError, TransientError, UsageError
from maxjob.masking import forms
from maxjob.models import JobInfo
from maxjob.protocol import API_VERSION

if TYPE_CHECKING:
    import httpx

MAX_BODY_BYTES = 10 * 1024 * 1024
# The most pages `pages` reads of one listing (100,000 jobs a quota at 100 a page).
MAX_PAGES = 1000
MAX_HEADER_BYTES = 64 * 1024
# Room for the sleeps between attempts in the whole-call deadline.
SLEEP_ALLOWANCE = 30.0
USER_AGENT = f"maxjob/{__version__}"
MAY_HAVE_REACHED = ", as it may have reached the server"
_T = TypeVar("_T")
_R = TypeVar("_R")


class RetryNotice(NamedTuple):
    """What the client tells its caller before it sleeps and tries again."""

    subject: str
    attempt: int
    max_attempts: int
    reason: str
    delay: float


class MaxComputeClient:
    """Every MaxCompute operation over one connection pool. Safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        credentials: Credentials,
        *,
        pool_size: int = 8,
        transport: httpx.BaseTransport | None = None,
        proxy: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        uniform: Callable[[float, float], float] = random.uniform,
        on_retry: Callable[[RetryNotice], None] | None = None,
        debug: Callable[[str], None] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.credentials = credentials
        self.policy = RetryPolicy(max_attempts=settings.max_attempts)
        self._sleep = sleep
        self._monotonic = monotonic
        self._uniform = uniform
        self._on_retry = on_retry
        self._debug = debug if settings.debug else None
        self._signer = Signer(credentials)
        self._hidden = forms(credentials.secrets())
        self._closed = False
        # The proxy requests go through (`config.chosen_proxy`), as messages name it: no user,
        # no password.
        self._proxy = _without_user_info(proxy) if proxy else None
        env = os.environ if environ is None else environ
        verify = tls_context(settings.endpoint, settings.ca_bundle, env)
        # Requests go to a connection pool directly: maxjob's own without a proxy (see
        # `network`), httpx's transport's pool through one. httpx's client around it (its URL
        # and header models, auth flow, redirect loop, cookie jar) cost about a fifth of a page's
        # work in `list`, and maxjob uses none of it.
        self._pool: Pool
        if transport is not None:
            from maxjob.api.proxied import pool_of

            self._pool = pool_of(transport)
        elif proxy:
            from maxjob.api.proxied import proxy_pool

            self._pool = proxy_pool(verify, pool_size, proxy)
        else:
            self._pool = direct_pool(verify, pool_size)
        origin = _origin(settings.endpoint)
        if proxy and transport is None and origin.scheme == b"http" and b":" in origin.host:
            # Through a proxy, httpx writes the absolute URL of a plain-http request from the
            # host as given, and the proxy connects to it: an IPv6 address needs its brackets.
            origin = origin._replace(host=b"[" + origin.host.split(b"%", 1)[0] + b"]")
        self._origin = origin
        self._headers = {
            "host": origin.netloc,
            "accept": "application/json",
            "accept-encoding": "identity",
            "connection": "keep-alive",
            "user-agent": USER_AGENT,
            "x-acs-version": API_VERSION,
        }

    def close(self) -> None:
        """Close the connection pool; calls still running give up instead of retrying."""
        self._closed = True
        self._pool.close()

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

    # The one call path.

    def call(self, operation: Operation, *, deadline: float | None = None) -> Any:
        """Send `operation`, retrying what can succeed later; its answer's `data`.

        `deadline` is a `monotonic()` time the whole call must end by.
        """
        return self.answer(operation, deadline=deadline).data

    def answer(self, operation: Operation, *, deadline: float | None = None) -> Answer:
        """As `call`, with the request id of the answer beside its data."""
        end = self._monotonic() + self.call_budget
        if deadline is not None:
            end = min(end, deadline)
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(operation, end)
            except TransientError as exc:
                last = exc
            tried = f"after {attempt} attempt{'s' if attempt > 1 else ''}"
            if self._closed or not self.policy.should_retry(
                attempt, last, idempotent=operation.idempotent
            ):
                if not operation.idempotent and attempt < self.policy.max_attempts:
                    # (Throttled, it was turned away undone; but a change is sent only once.)
                    throttled = last.http_status == 429
                    tried += "; not sent again" + ("" if throttled else MAY_HAVE_REACHED)
                raise _gave_up(last, tried)
            delay = self.policy.delay(attempt, last, self._uniform)
            if delay >= end - self._monotonic():
                # Sleeping past the deadline would only end in the same error, later.
                raise _gave_up(last, f"{tried}; no time left to retry")
            if self._on_retry:
                subject = operation.subject or operation.action
                notice = RetryNotice(
                    subject, attempt, self.policy.max_attempts, last.one_line(), delay
                )
                self._on_retry(notice)
            self._sleep(delay)

    # Typed methods.

    def get_job_info(self, instance_id: str, *, deadline: float | None = None) -> JobInfo:
        """Fetch one job (GetJobInfo)."""
        if not instance_id:
            raise UsageError("an instance id cannot be empty")
        data = self.call(ops.get_job_info(instance_id), deadline=deadline)
        echoed = data.get("instanceId") if isinstance(data, dict) else None
        if isinstance(echoed, str) and echoed.strip().lower() not in ("", instance_id.lower()):
            # Never another job's answer shown as this one's (a mixed-up connection, a cache).
            raise ResponseError(
                f"the answer to GetJobInfo for {instance_id} describes another job, {echoed[:80]}"
            )
        return JobInfo.from_api(data)

    def get_many(
        self,
        instance_ids: Iterable[str],
        *,
        concurrency: int = 8,
        deadline: float | None = None,
    ) -> Generator[tuple[str, JobInfo | MaxjobError]]:
        """Fetch many jobs concurrently and yield them in the order given, each as soon as it and
        all before it are done; at most about 2 x concurrency are held at once. Each call ends
        by `deadline` (a `monotonic()` time) when one is given."""

        def fetch(instance_id: str) -> JobInfo | MaxjobError:
            try:
                return self.get_job_info(instance_id, deadline=deadline)
            except MaxjobError as exc:
                return exc

        return self.map_ordered(fetch, instance_ids, concurrency=concurrency)

    def one_attempt(self) -> float:
        """The longest one attempt may take: a poll always gets at least this much."""
        return self.settings.connect_timeout + self.settings.read_timeout

    def map_ordered(
        self, work: Callable[[_T], _R], items: Iterable[_T], *, concurrency: int
    ) -> Generator[tuple[_T, _R]]:
        """`(item, work(item))` in the order of `items`, `concurrency` at a time over this pool."""
        source = iter(items)
        if concurrency <= 1:
            for item in source:
                yield item, work(item)
            return
        from collections import deque
        from concurrent.futures import Future, ThreadPoolExecutor

        window: deque[tuple[_T, Future[_R]]] = deque()
        pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="maxjob")
        try:
            for item in source:
                window.append((item, pool.submit(work, item)))
                while len(window) >= 2 * concurrency:
                    first, future = window.popleft()
                    yield first, future.result()
            while window:
                first, future = window.popleft()
                yield first, future.result()
        finally:
            # Stopped early (the reader went away, Ctrl-C): drop what has not started, and do
            # not wait for what has (the caller closes the pool, which ends it).
            for _, future in window:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)

    def pages(
        self,
        page: Callable[[int], Operation],
        *,
        items: str,
        first_page: int = 1,
        page_size: int = ops.PAGE_SIZE,
        concurrency: int = 1,
    ) -> Generator[list[Any]]:
        """The `data[items]` lists of a page-numbered operation, in page order.

        The first page's `totalCount` tells how many pages follow; those are fetched
        `concurrency` at a time and yielded strictly in order as soon as each is in. Stops at an
        empty page. The consumer stops early by closing the iterator. A page that holds more
        than `page_size` items, or a count of more than `MAX_PAGES` pages, is a malformed answer
        (ResponseError): a service that ignored pageSize would have each page send everything.
        """

        def read(operation: Operation) -> tuple[list[Any], Any]:
            data = self.call(operation)
            found = _items(data, items)
            check_page(found, page_size, operation.action)
            return found, data

        first, data = read(page(first_page))
        yield first
        total = data.get("totalCount")
        if not first or not isinstance(total, int) or isinstance(total, bool):
            return
        last_page = -(-total // page_size) + first_page - 1
        if last_page - first_page >= MAX_PAGES:
            raise ResponseError(
                f"the answer counts {total:,} items, more than the {MAX_PAGES:,} pages maxjob "
                "reads; not read"
            )
        numbers = range(first_page + 1, last_page + 1)
        for _, (result, _) in self.map_ordered(
            lambda number: read(page(number)),
            numbers,
            concurrency=concurrency,
        ):
            if not result:
                return
            yield result

    def query_quota(self, nickname: str) -> dict[str, Any]:
        data: dict[str, Any] = self.call(ops.query_quota(nickname))
        return data

    def kill_job(self, instance_id: str, project: str) -> Answer:
        """Send KillJobs for one job, once (retried only when the connection was refused); the
        answer with its request id."""
        return self.answer(ops.kill_jobs(instance_id, project))

    # One attempt.

    def _attempt(self, operation: Operation, end: float) -> Answer:
        remaining = end - self._monotonic()
        if remaining <= 0:
            raise TransientError("the call ran out of time")
        s = self.settings
        read = min(s.read_timeout, remaining)
        timeout = {
            "connect": min(s.connect_timeout, remaining),
            "read": read,
            "write": read,
            "pool": read,
        }
        origin = self._origin
        path = origin.prefix + operation.path
        target = path
        if operation.query:
            # Encoded as it is signed (a space as %20, not +), so wire and signature agree.
            target += "?" + canonical_query_string(operation.query)
        headers = {**self._headers, "x-acs-action": operation.action}
        body = operation.body
        if operation.content_type:
            headers["content-type"] = operation.content_type
        if body:
            headers["content-length"] = str(len(body))
        added, canonical = self._signer.sign(operation.method, path, operation.query, headers, body)
        headers.update(added)
        self._log_request(
            operation.method, f"{origin.scheme.decode()}://{origin.netloc}{target}", headers
        )
        request = network.Request(
            operation.method.encode("ascii"),
            origin.scheme,
            origin.host,
            origin.port,
            target.encode("ascii"),
            [(name.encode("ascii"), value.encode("ascii")) for name, value in headers.items()],
            body,
            timeout,
            # (The canonical request rides along for a test transport to check.)
            {CANONICAL_REQUEST: canonical},
        )
        host = s.host
        started = self._monotonic()
        try:
            with deadline(time.monotonic() + remaining):
                response = self._pool.handle_request(request)
                try:
                    answer_headers = _headers(response.headers)
                    _check_header_size(response.headers, response.status)
                    data = self._read_body(response, answer_headers, end)
                finally:
                    response.close()
        except network.ConnectTimeout:
            raise TransientError(
                f"connecting to {host} timed out", may_have_reached_server=False
            ) from None
        except network.TimeoutException:
            raise TransientError(f"{host} did not answer in time") from None
        except network.ConnectError as exc:
            raise _connect_error(host, exc, self._proxy) from None
        except network.ProxyError as exc:
            raise ServiceError(
                f"the proxy refused the connection to {host}: {first_line(exc)}",
                hint="check https_proxy, http_proxy, all_proxy and no_proxy",
            ) from None
        except network.RemoteProtocolError as exc:
            said = first_line(exc)
            if said.lower().startswith(_CLOSED_EARLY):
                raise TransientError(
                    f"the connection to {host} was closed early ({said})"
                ) from None
            raise TransientError(f"{host} sent a malformed HTTP answer ({said})") from None
        except (network.ReadError, network.WriteError) as exc:
            raise TransientError(
                f"the connection to {host} was reset or closed early ({first_line(exc)})"
            ) from None
        except network.UnsupportedProtocol as exc:
            raise UsageError(f"cannot use endpoint {s.endpoint}: {first_line(exc)}") from None
        except network.TransportError as exc:
            raise TransientError(f"network error talking to {host}: {type(exc).__name__}") from None
        self._log_response(response.status, answer_headers, self._monotonic() - started)
        asked = Asked(operation, s, self.credentials.source, self._debug, canonical, self._hidden)
        return interpret(response.status, answer_headers, data, asked)

    def _read_body(
        self, response: network.Response, headers: Mapping[str, str], end: float
    ) -> bytes:
        status = response.status
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            raise ResponseError(
                f"the response is {int(length)} bytes, over the 10 MiB limit; not read",
                http_status=status,
            )
        if 300 <= status < 400:
            return b""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.stream:
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise ResponseError(
                    "the response is over the 10 MiB limit; stopped reading", http_status=status
                )
            if self._monotonic() > end:
                raise TransientError(f"{self.settings.host} sent its answer too slowly")
            chunks.append(chunk)
        return b"".join(chunks)

    def _log_request(self, method: str, url: str, headers: Mapping[str, str]) -> None:
        if not self._debug:
            return
        self._debug(f"> {method} {url}")
        for name, value in headers.items():
            self._debug(f">   {name}: {mask_header(name, value)}")

    def _log_response(self, status: int, headers: Mapping[str, str], elapsed: float) -> None:
        if not self._debug:
            return
        self._debug(f"< HTTP {status} in {elapsed * 1000:.0f} ms")
        for name, value in headers.items():
            self._debug(f"<   {name}: {mask_header(name, value)}")


# How a protocol error that is only an answer cut short begins (maxjob's words, httpcore's and
# h11's): the rest are answers that are not HTTP.
_CLOSED_EARLY = ("server disconnected", "peer closed connection")


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """An answer's headers by lower-case name, as httpx reads them: the whole block decoded as
    ASCII, else UTF-8, else Latin-1; a repeated header's values joined by `, `."""
    joined = b"".join(name + value for name, value in raw)
    encoding = "ascii" if joined.isascii() else "utf-8"
    if encoding == "utf-8":
        try:
            joined.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "latin-1"
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode(encoding).lower()
        text = value.decode(encoding)
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _check_header_size(raw: list[tuple[bytes, bytes]], status: int) -> None:
    # h11 stops reading an unfinished header block at 100 KiB; a finished one is held to this.
    size = sum(len(name) + len(value) + 4 for name, value in raw)
    if size > MAX_HEADER_BYTES:
        raise ResponseError(
            f"the response's headers are {size} bytes, over the 64 KiB limit", http_status=status
        )


def check_page(found: list[Any], page_size: int, action: str, noun: str = "items") -> None:
    """A page that holds more than the `page_size` asked for is a malformed answer: a service
    that ignored pageSize would send everything on every page (and the work grow with the
    square of it)."""
    if len(found) > page_size:
        raise ResponseError(
            f"the {action} answer holds {len(found):,} {noun} on a page of {page_size}; not read"
        )


def _items(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


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
        f"{error.message} ({how})"
        if error.code is None
        else f"{error.message.rstrip().removesuffix('.')}, {how}",
        code=error.code,
        request_id=error.request_id,
        hint=error.hint,
        http_status=error.http_status,
    )


class Origin(NamedTuple):
    """Where requests go, read once from the endpoint."""

    scheme: bytes
    host: bytes  # to connect to: no brackets, an IPv6 zone id kept
    port: int | None
    prefix: str  # the endpoint's path, percent-encoded, before every operation's
    netloc: str  # the `host` header: no default port, no zone id (RFC 6874)


def _origin(endpoint: str) -> Origin:
    """The `Origin` of a normalised endpoint (`config.normalise_endpoint`: an ASCII host,
    brackets round IPv6), as httpx reads a URL: the host in lower case, a default port left out
    of the header."""
    parts = urlsplit(endpoint)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").replace("%25", "%", 1)
    port = parts.port
    name = host.split("%", 1)[0]
    netloc = f"[{name}]" if ":" in name else name
    if port is not None and port != network.DEFAULT_PORTS.get(scheme.encode("ascii")):
        netloc += f":{port}"
    prefix = quote(parts.path.rstrip("/"), safe="/%!$&'()*+,;=:@~")
    return Origin(scheme.encode("ascii"), host.encode("ascii"), port, prefix, netloc)


def _without_user_info(url: str) -> str:
    """`http://proxy.example:3128` of `http://user:password@proxy.example:3128/`."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    host = parts.hostname or "?"
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}{port}"


def _connect_error(host: str, exc: network.ConnectError, proxy: str | None) -> MaxjobError:
    text = str(exc)
    lower = text.lower()
    if "certificate_verify_failed" in lower or "certificate verify failed" in lower:
        detail = text.split("certificate verify failed:", 1)[-1].strip(" )")[:120]
        return ServiceError(
            f"TLS certificate verification failed for {host}: {detail}",
            hint="pass --ca-bundle FILE or set SSL_CERT_FILE to the CA that signed it",
        )
    if "wrong_version_number" in lower or "wrong version number" in lower:
        return ServiceError(
            f"{host} does not speak TLS (it answered in plain HTTP?)",
            hint=f"if it is a plain-HTTP endpoint, use http://{host}",
        )
    if "ssl" in lower or "tls" in lower:
        return ServiceError(f"TLS handshake with {host} failed: {text[:120]}")
    if (
        "name or service not known" in lower
        or "nodename nor servname" in lower
        or ("temporary failure in name resolution" in lower)
    ):
        return ServiceError(
            f"cannot resolve the host name of {host}",
            hint=_dns_hint(host),
        )
    refused = "refused" in lower
    reason = "connection refused" if refused else (text[:120] or "cannot connect")
    if proxy is not None:
        # httpx does not say which end refused: the proxy, or the endpoint behind it.
        return TransientError(
            f"cannot connect to {host} through the proxy {proxy}: {reason}",
            hint="is the proxy up? set NO_PROXY to reach the endpoint without it",
            may_have_reached_server=False,
        )
    return TransientError(
        f"cannot connect to {host}: {reason}",
        hint="check the endpoint (--endpoint, MAXJOB_ENDPOINT, --region), and --vpc: the VPC "
        "endpoint answers only from inside a VPC",
        may_have_reached_server=False,
    )


def _dns_hint(host: str) -> str:
    from maxjob.config import closest_region

    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    parts = name.split(".")
    if len(parts) >= 3 and parts[0].startswith("maxcompute"):
        suggestion = closest_region(parts[1])
        if suggestion and suggestion != parts[1]:
            return f"is the region right? did you mean {suggestion}?"
    return "check the endpoint or region, and this machine's DNS and network"
