"""From connection options to a ready client: settings, credentials, retry and debug reporting."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from maxjob import config
from maxjob.output.streams import Streams

if TYPE_CHECKING:
    from maxjob.api.client import MaxComputeClient
    from maxjob.credentials import Credentials


class ConnectionOptions(NamedTuple):
    """The connection flags every command that calls the API shares, as one value."""

    region: str | None = None
    endpoint: str | None = None
    vpc: bool = False
    profile: str | None = None
    request_timeout: float | None = None
    max_attempts: int | None = None
    ca_bundle: str | None = None
    debug: bool = False
    # Not flags: `demo` brings its own throwaway key and region, and reads nothing of the
    # environment's settings (trust_env False: no variable, no proxy, no CLI profile).
    credentials: Credentials | None = None
    trust_env: bool = True


# Builds a client for a command: tests pass their own (a fake, or one over a MockTransport).
ClientFactory = Callable[..., "MaxComputeClient"]


def settings_environ(options: ConnectionOptions, streams: Streams) -> Mapping[str, str]:
    """The environment the connection settings are read from: none for `demo`."""
    return streams.environ if options.trust_env else {}


def resolve_settings(
    options: ConnectionOptions, streams: Streams, fallback_region: str | None = None
) -> config.Settings:
    """The connection settings (and a warning when requests can be read on the way)."""
    return _settings_and_proxy(options, streams, fallback_region)[0]


def _settings_and_proxy(
    options: ConnectionOptions, streams: Streams, fallback_region: str | None
) -> tuple[config.Settings, str | None]:
    """The settings, and the proxy requests go through, chosen here as curl chooses it (and
    handed to the client, which reads no proxy variable itself)."""
    environ = settings_environ(options, streams)
    settings = config.resolve(
        fallback_region=fallback_region,
        region=options.region,
        endpoint=options.endpoint,
        vpc=options.vpc,
        profile=options.profile,
        request_timeout=options.request_timeout,
        max_attempts=options.max_attempts,
        debug=options.debug,
        ca_bundle=options.ca_bundle,
        environ=environ,
    )
    proxy = config.chosen_proxy(settings.endpoint, environ)
    if settings.endpoint.startswith("http://"):
        if not settings.is_loopback:
            streams.warn(
                f"{settings.endpoint} is plain http: requests and answers can be read on the way"
            )
        elif proxy:
            streams.warn(
                f"{settings.endpoint} is plain http and goes through the HTTP proxy: requests "
                "and answers can be read on the way (set NO_PROXY to bypass it)"
            )
    return settings, proxy


def open_client(
    options: ConnectionOptions,
    streams: Streams,
    *,
    pool_size: int = 8,
    fallback_region: str | None = None,
) -> MaxComputeClient:
    """Settings, then credentials, then one client with one connection pool."""
    from maxjob import credentials as creds
    from maxjob.api.client import MaxComputeClient, RetryNotice

    with config.one_reading():  # the region and the key from one reading of the CLI's file
        settings, proxy = _settings_and_proxy(options, streams, fallback_region)
        environ = settings_environ(options, streams)
        # `--profile` wins over keys in the environment; ALIBABA_CLOUD_PROFILE does not (the
        # keys are used directly, as the SPEC and the chain itself have it).
        named = settings.profile if options.profile else None
        credentials = options.credentials or creds.resolve(named, streams.environ)
    streams.hide(*credentials.secrets())
    if settings.debug:
        streams.message(
            f"maxjob: debug: endpoint {settings.endpoint}, region {settings.region or '-'}, "
            f"key id {credentials.access_key_id} from {credentials.source}"
            + (", with an STS token" if credentials.security_token else "")
        )

    def on_retry(notice: RetryNotice) -> None:
        # (A delay that rounds to 0.0s is said as what it is: at once.)
        when = f"in {notice.delay:.1f}s" if notice.delay >= 0.05 else "at once"
        streams.message(
            f"maxjob: retrying {notice.subject} (attempt {notice.attempt + 1} of "
            f"{notice.max_attempts}) {when}: {notice.reason}"
        )

    return MaxComputeClient(
        settings,
        credentials,
        pool_size=pool_size,
        proxy=proxy,
        on_retry=on_retry,
        debug=lambda line: streams.message(f"maxjob: debug: {line}"),
        environ=environ,
    )
