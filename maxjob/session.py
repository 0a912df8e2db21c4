"""From connection flags to a ready client: settings, credentials, retry and debug reporting."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from maxjob import config
from maxjob.output import Streams

if TYPE_CHECKING:
    from maxjob.client import MaxComputeClient
    from maxjob.credentials import Credentials


class ConnectionOptions(NamedTuple):
    """The connection flags every command that calls the API shares."""

    region: str | None = None
    endpoint: str | None = None
    vpc: bool = False
    profile: str | None = None
    request_timeout: float | None = None
    max_attempts: int | None = None
    debug: bool = False
    ca_bundle: str | None = None
    # Not flags: `demo` brings its own throwaway key and ignores proxy settings.
    credentials: Credentials | None = None
    trust_env: bool = True


def resolve_settings(
    options: ConnectionOptions, streams: Streams, fallback_region: str | None = None
) -> config.Settings:
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
        environ=streams.environ,
    )
    if settings.endpoint.startswith("http://") and not settings.is_loopback:
        streams.warn(
            f"{settings.endpoint} is plain http: requests and answers can be read on the way"
        )
    return settings


def open_client(
    options: ConnectionOptions,
    streams: Streams,
    *,
    pool_size: int = 8,
    fallback_region: str | None = None,
) -> MaxComputeClient:
    """Settings, then credentials, then one client with one connection pool."""
    from maxjob import credentials as creds
    from maxjob.client import MaxComputeClient, RetryNotice

    settings = resolve_settings(options, streams, fallback_region)
    credentials = options.credentials or creds.resolve(settings.profile, streams.environ)
    streams.hide(*credentials.secrets())
    if settings.debug:
        streams.message(
            f"maxjob: debug: endpoint {settings.endpoint}, region {settings.region or '-'}, "
            f"key id {credentials.access_key_id} from {credentials.source}"
            + (", with an STS token" if credentials.security_token else "")
        )

    def on_retry(notice: RetryNotice) -> None:
        streams.message(
            f"maxjob: retrying {notice.instance_id} (attempt {notice.attempt + 1} of "
            f"{notice.max_attempts}) in {notice.delay:.1f}s: {notice.reason}"
        )

    return MaxComputeClient(
        settings,
        credentials,
        pool_size=pool_size,
        trust_env=options.trust_env,
        on_retry=on_retry,
        debug=lambda line: streams.message(f"maxjob: debug: {line}"),
    )
