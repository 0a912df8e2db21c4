"""Where the access key comes from.

The common case (keys in the environment) is read directly; everything else goes through
`alibabacloud-credentials`' default chain, which is imported only then: it costs 0.28 s to import,
reads the environment at import time, and logs tracebacks on its way through the chain.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from maxjob.errors import CredentialsError

ENV_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"  # noqa: S105 - a variable name
ENV_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"  # noqa: S105 - a variable name
ENV_PROFILE = "ALIBABA_CLOUD_PROFILE"

MISSING_HINT = (
    f"set {ENV_KEY_ID} and {ENV_KEY_SECRET} (and {ENV_TOKEN} for STS), "
    "or run `aliyun configure` to write ~/.aliyun/config.json"
)


class Credentials(NamedTuple):
    """An access key, and where it came from. `repr` never shows the secret or the token."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None
    source: str = "environment"

    def __repr__(self) -> str:
        token = ", with an STS token" if self.security_token else ""
        return f"Credentials({self.access_key_id!r} from {self.source}{token})"

    def secrets(self) -> tuple[str, ...]:
        """The values no output may ever contain."""
        return tuple(s for s in (self.access_key_secret, self.security_token) if s)


def from_environment(environ: Mapping[str, str]) -> Credentials | None:
    """The keys in the environment, or None when neither is set."""
    key_id = environ.get(ENV_KEY_ID, "").strip()
    secret = environ.get(ENV_KEY_SECRET, "").strip()
    if not key_id and not secret:
        return None
    if not key_id or not secret:
        have, missing = (ENV_KEY_ID, ENV_KEY_SECRET) if key_id else (ENV_KEY_SECRET, ENV_KEY_ID)
        raise CredentialsError(f"{missing} is not set, but {have} is", hint=MISSING_HINT)
    token = environ.get(ENV_TOKEN, "").strip() or None
    return Credentials(key_id, secret, token, source=f"environment ({ENV_KEY_ID})")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Keep the credentials package's logging and prints off the user's terminal."""
    logger = logging.getLogger("credentials")
    saved = (logger.propagate, logger.level, list(logger.handlers))
    logger.handlers = [logging.NullHandler()]
    logger.propagate = False
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
    finally:
        logger.propagate, level, logger.handlers = saved[0], saved[1], saved[2]
        logger.setLevel(level)


def from_default_chain(profile: str | None) -> Credentials:
    """Ask `alibabacloud-credentials`' default chain (OIDC, the aliyun CLI profile, the ini file,
    ECS metadata, the credentials URI) for a key."""
    if profile:
        # The package reads the environment when it is imported, so this must come first.
        os.environ[ENV_PROFILE] = profile
    where = f"profile {profile!r}" if profile else "the default credentials chain"
    try:
        with _quiet():
            credential = _ask_chain(profile)
    except Exception as exc:
        # The chain's own message lists every provider's complaint; keep the first line only.
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CredentialsError(
            f"no credentials found in the environment or {where}",
            hint=f"{MISSING_HINT}; looked in ~/.aliyun/config.json and "
            f"~/.alibabacloud/credentials.ini ({detail[:200]})",
        ) from None
    key_id = getattr(credential, "access_key_id", None) or ""
    secret = getattr(credential, "access_key_secret", None) or ""
    if not key_id or not secret:
        raise CredentialsError(f"{where} gave no access key", hint=MISSING_HINT)
    token = getattr(credential, "security_token", None) or None
    provider = getattr(credential, "provider_name", None)
    if isinstance(provider, str) and provider:
        # e.g. "default/cli_profile": which link of the chain answered.
        where = f"{where} ({provider})"
    return Credentials(key_id, secret, token, source=where)


def _ask_chain(profile: str | None) -> object:
    from alibabacloud_credentials.client import Client

    if not profile:
        return Client().get_credential()
    # A named profile is what the user asked for: do not let environment keys win over it.
    from alibabacloud_credentials.provider import (
        CLIProfileCredentialsProvider,
        ProfileCredentialsProvider,
    )

    try:
        return Client(provider=CLIProfileCredentialsProvider(profile_name=profile)).get_credential()
    except Exception:
        return Client(provider=ProfileCredentialsProvider(profile_name=profile)).get_credential()


def resolve(profile: str | None, environ: Mapping[str, str] | None = None) -> Credentials:
    """Credentials from the environment's keys, else from the default chain."""
    env = os.environ if environ is None else environ
    if not profile:
        direct = from_environment(env)
        if direct is not None:
            return direct
    return from_default_chain(profile or env.get(ENV_PROFILE) or None)
