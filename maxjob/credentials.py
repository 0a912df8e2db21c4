"""Where the access key comes from.

The common cases (keys in the environment; an `AK` or `StsToken` profile of the aliyun CLI's
`~/.aliyun/config.json`, read as the chain's own link reads it) are read directly; everything else
goes through `alibabacloud-credentials`' default chain, which is imported only then: it costs
0.28 s to import, reads the environment at import time, and logs tracebacks on its way through
the chain.

Missing credentials are a `CredentialsError` (exit 4) with a one-line hint; credentials that are
there but malformed (a key id that cannot go in an HTTP header, a profile whose secret is a number)
are a `UsageError` (exit 2). No message ever contains a secret or a token.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from maxjob.errors import CredentialsError, UsageError

ENV_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"  # noqa: S105 - a variable name
ENV_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"  # noqa: S105 - a variable name
ENV_PROFILE = "ALIBABA_CLOUD_PROFILE"
# Key ids of temporary (STS) credentials start so; they are useless without their token.
STS_PREFIX = "STS."

MISSING_HINT = f"set {ENV_KEY_ID} and {ENV_KEY_SECRET}, or run `aliyun configure`"
# How long the chain's own reason may make the message.
_DETAIL_WIDTH = 160


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
    """The keys in the environment, or None when neither the key id nor the secret is set.

    CredentialsError when only one of the pair is set, or when an STS key id (`STS.`) comes
    without `ALIBABA_CLOUD_SECURITY_TOKEN`: the hint names exactly the variables to set.
    UsageError when a value cannot be used (see `check_key`). Blank values count as not set.
    """
    key_id = environ.get(ENV_KEY_ID, "").strip()
    secret = environ.get(ENV_KEY_SECRET, "").strip()
    token = environ.get(ENV_TOKEN, "").strip() or None
    if not key_id and not secret:
        return None
    sts_without_token = key_id.startswith(STS_PREFIX) and token is None
    if not key_id or not secret:
        have, missing = (ENV_KEY_ID, ENV_KEY_SECRET) if key_id else (ENV_KEY_SECRET, ENV_KEY_ID)
        wanted = f"{missing} and {ENV_TOKEN}" if sts_without_token else missing
        raise CredentialsError(
            f"{missing} is not set, but {have} is",
            hint=f"set {wanted}, or unset {have} to use the aliyun CLI profile",
        )
    if sts_without_token:
        raise CredentialsError(
            f"{ENV_KEY_ID} is an STS key (it starts with {STS_PREFIX}), which needs its token",
            hint=f"set {ENV_TOKEN} to the security token issued with this key",
        )
    check_key(key_id, secret, token, where="the environment", variables=ENV_VARIABLES)
    return Credentials(key_id, secret, token, source=f"environment ({ENV_KEY_ID})")


# The variables the key id, the secret and the token come from, in the environment.
ENV_VARIABLES = (ENV_KEY_ID, ENV_KEY_SECRET, ENV_TOKEN)


def check_key(
    key_id: str,
    secret: str,
    token: str | None,
    *,
    where: str,
    variables: tuple[str, str, str] | None = None,
) -> None:
    """UsageError unless the key can sign a request: the key id and the token go into HTTP headers
    (printable ASCII, no spaces), the secret is UTF-8-encodable. Never shows the values; names
    `where` they came from (and, given `variables`, the variable of each)."""

    def source(index: int) -> str:
        return f"{where} ({variables[index]})" if variables else where

    for index, name, value in ((0, "access key id", key_id), (2, "security token", token)):
        if value is not None and not (value.isascii() and value.isprintable() and " " not in value):
            raise UsageError(
                f"the {name} from {source(index)} has characters an access key cannot have",
                hint="only printable ASCII without spaces: was it copied whole?",
            )
    try:
        secret.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"the access key secret from {source(1)} is not valid UTF-8") from None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Keep the credentials package's logging and prints off the user's terminal."""
    import io
    import logging

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


def from_default_chain(profile: str | None, *, home: Path | None = None) -> Credentials:
    """Ask `alibabacloud-credentials`' default chain (OIDC, the aliyun CLI profile, the ini file,
    ECS metadata, the credentials URI) for a key; with `profile`, only that profile (CLI, then ini).

    CredentialsError (exit 4) when no link of the chain has a key: the message carries the chain's
    reason only when it says more than "nothing configured" (a profile that is not in the file, a
    role that cannot be assumed), shortened at a word. UsageError (exit 2) when the aliyun CLI's
    `~/.aliyun/config.json` (under `home`) is malformed or the key it gives is not text.
    """
    if profile:
        # The package reads the environment when it is imported, so this must come first.
        os.environ[ENV_PROFILE] = profile
    where = f"profile {profile!r}" if profile else "the default credentials chain"
    static = _static_cli_profile(profile, home)
    if static is not None:
        static_id, static_secret, static_token, link = static
        return _accepted(static_id, static_secret, static_token, where=f"{where} ({link})")
    try:
        with _quiet():
            credential = _ask_chain(profile)
    except Exception as exc:
        # A malformed file makes the chain fail in odd ways; say what is wrong with it instead.
        _check_cli_profile(profile, home)
        detail = _useful_failure(exc)
        if profile:
            message = f"no credentials for profile {profile!r}"
            hint = (
                f"run `aliyun configure --profile {profile}`"
                if re.fullmatch(r"[\w.-]+", profile)
                else MISSING_HINT
            )
        else:
            message = (
                "no credentials in the environment, ~/.aliyun/config.json "
                "or ~/.alibabacloud/credentials.ini"
            )
            hint = MISSING_HINT
        raise CredentialsError(f"{message}: {detail}" if detail else message, hint=hint) from None
    key_id = getattr(credential, "access_key_id", None)
    secret = getattr(credential, "access_key_secret", None)
    token = getattr(credential, "security_token", None) or None
    if (
        not isinstance(key_id, str)
        or not isinstance(secret, str)
        or not (token is None or isinstance(token, str))
    ):
        _check_cli_profile(profile, home)
        raise UsageError(f"{where} gave an access key that is not text")
    provider = getattr(credential, "provider_name", None)
    if isinstance(provider, str) and provider:
        # e.g. "default/cli_profile": which link of the chain answered.
        where = f"{where} ({provider})"
    return _accepted(key_id, secret, token, where=where)


def _accepted(key_id: str, secret: str, token: str | None, *, where: str) -> Credentials:
    """The key a link of the chain gave, checked: not blank, usable in a header, and an STS key
    id only with its token."""
    key_id, secret = key_id.strip(), secret.strip()
    if not key_id or not secret:
        raise CredentialsError(f"{where} gave no access key", hint=MISSING_HINT)
    check_key(key_id, secret, token, where=where)
    if key_id.startswith(STS_PREFIX) and not token:
        raise CredentialsError(
            f"{where} gave an STS key ({STS_PREFIX}...) without its security token",
            hint=f"set sts_token in the profile, or {ENV_TOKEN}",
        )
    return Credentials(key_id, secret, token, source=where)


# The variables that put OIDC ahead of the aliyun CLI's profile in the chain.
_OIDC = (
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    "ALIBABA_CLOUD_ROLE_ARN",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
)
# The aliyun CLI's modes that hold their key in the file, and the chain's name for each.
_STATIC_MODES = {"AK": "static_ak", "StsToken": "static_sts"}


def _static_cli_profile(
    profile: str | None, home: Path | None
) -> tuple[str, str, str | None, str] | None:
    """The key the chain would take from an `AK` or `StsToken` profile of `~/.aliyun/config.json`,
    read here so that the common `aliyun configure` setup does not pay the package's import (a
    third of a second); None whenever the chain could answer otherwise (OIDC variables set, the
    CLI profile disabled, no such file or profile, another mode, a blank or non-text field, a
    malformed file): then the chain itself is asked, as before. (key id, secret, token, the
    chain's name for the link)."""
    from maxjob import config

    env = os.environ
    if env.get(ENV_KEY_ID) or env.get(ENV_KEY_SECRET) or any(env.get(name) for name in _OIDC):
        return None  # (the environment's keys would be the chain's first answer)
    if env.get("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "false").lower() == "true":
        return None
    if home is None and not env.get("HOME"):
        return None  # the package would look elsewhere for the home directory
    if not _reads_utf8():
        return None  # the package reads the file in the locale's encoding, maxjob in UTF-8
    try:
        # The chain has no default name: without one (nor `current`) it fails, so defer to it.
        found = config.aliyun_profile(profile or env.get(ENV_PROFILE), home, fallback=None)
    except UsageError:
        return None
    entry = found[1] if found is not None else {}
    mode = entry.get("mode")
    if mode not in _STATIC_MODES:
        return None
    fields = ["access_key_id", "access_key_secret"] + (["sts_token"] if mode == "StsToken" else [])
    values = [entry.get(field) for field in fields]
    if not all(isinstance(value, str) and value for value in values):
        return None
    token = str(values[2]) if mode == "StsToken" else None
    link = _STATIC_MODES[str(mode)]
    chain = f"cli_profile/{link}" if profile else f"default/cli_profile/{link}"
    return str(values[0]), str(values[1]), token, chain


def _reads_utf8() -> bool:
    """Whether `open()` reads text as UTF-8 here (UTF-8 mode or a UTF-8 locale), as maxjob does."""
    import codecs
    import locale

    return codecs.lookup(locale.getpreferredencoding(False)).name == "utf-8"


def _check_cli_profile(profile: str | None, home: Path | None) -> None:
    """UsageError when `~/.aliyun/config.json` is malformed, or the profile the chain reads from
    it has a key field that is not a string."""
    from maxjob import config

    found = config.aliyun_profile(profile or os.environ.get(ENV_PROFILE) or None, home)
    if found is None:
        return
    name, entry = found
    for field in ("mode", "access_key_id", "access_key_secret", "sts_token"):
        value = entry.get(field)
        if value is not None and not isinstance(value, str):
            _, shown = config.aliyun_config_file(home)
            raise UsageError(f"{shown}: {field} of profile {name!r} must be a string")


# What each link of the chain is, in the user's words.
_PLACES = {
    "EnvironmentVariableCredentialsProvider": "environment",
    "OIDCRoleArnCredentialsProvider": "OIDC",
    "CLIProfileCredentialsProvider": "~/.aliyun/config.json",
    "ProfileCredentialsProvider": "~/.alibabacloud/credentials.ini",
    "EcsRamRoleCredentialsProvider": "ECS metadata",
    "URLCredentialsProvider": "ALIBABA_CLOUD_CREDENTIALS_URI",
}
# Reasons that only say a link is not configured: they tell the user nothing the hint does not.
_NOT_CONFIGURED = (
    "cannot be empty",
    "unable to open credentials file",
    "failed to get credential from credentials file",
    "no such file",
    "is disabled",
    "not exist",
)


class ChainError(Exception):
    """Every link of the chain failed; `failures` holds one `Provider: reason` each."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("; ".join(failures))
        self.failures = failures


def _failures(exc: Exception) -> list[str]:
    if isinstance(exc, ChainError):
        return exc.failures
    text = str(exc)
    match = re.search(r"providers in the chain: (\[.*\])\s*\Z", text, re.DOTALL)
    if match:
        import ast

        with contextlib.suppress(ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            items = ast.literal_eval(match.group(1))
            if isinstance(items, list):
                return [str(item) for item in items]
    return [f"{type(exc).__name__}: {text}"]


def _useful_failure(exc: Exception) -> str | None:
    """The first reason of the chain that says more than "not configured", named by its place
    and shortened at a word; None when there is none."""
    import textwrap

    for failure in _failures(exc):
        provider, _, reason = failure.partition(": ")
        if provider in ("EnvironmentVariableCredentialsProvider", "EcsRamRoleCredentialsProvider"):
            continue
        reason = " ".join(reason.split()) if reason else provider
        if not reason or any(phrase in reason.lower() for phrase in _NOT_CONFIGURED):
            continue
        place = _PLACES.get(provider)
        # The package's words for a missing profile (with its typo), in plain words.
        reason = _NO_PROFILE.sub(r"it holds no profile \1", reason)
        text = _scrubbed(f"{place}: {reason}" if place else " ".join(failure.split()))
        short = textwrap.shorten(text, width=_DETAIL_WIDTH, placeholder=" …")
        return None if short == "…" else short  # "…" alone: not even the first word fits
    return None


_NO_PROFILE = re.compile(r"unable to get profile with ('[^']*') f[ro]rm .*", re.IGNORECASE)
# What a link's reason may carry that is not for the terminal: the answer of a credentials
# server (`... result: {"AccessKeySecret": ...}`), a JSON document, a URL's user, query or
# fragment (`?token=...`), and `secret=...`-like pairs.
_ANSWER = re.compile(r"\b(?:result|response|body)\s*:.*", re.IGNORECASE)
_DOCUMENT = re.compile(r"[{\[].*[}\]]")
_URL_TAIL = re.compile(r"([a-z][a-z0-9+.-]*://)(?:[^\s/@]*@)?([^\s?#]*)(?:[?#]\S*)?", re.IGNORECASE)
_PAIR = re.compile(
    r"(\w*(?:secret|token|password|passwd|signature)[\"']?\s*[=:]\s*)"
    r"[\"']?[^\s,;\"']+[\"']?",
    re.IGNORECASE,
)


def _scrubbed(reason: str) -> str:
    """A chain's reason without anything that may be a secret (see above)."""
    reason = _ANSWER.sub("(its answer is not shown)", reason)
    reason = _DOCUMENT.sub("{…}", reason)
    reason = _URL_TAIL.sub(r"\1\2", reason)
    return _PAIR.sub(r"\1****", reason)


def _ask_chain(profile: str | None) -> object:
    from alibabacloud_credentials.client import Client

    if not profile:
        return Client().get_credential()
    # A named profile is what the user asked for: do not let environment keys win over it.
    from alibabacloud_credentials.provider import (
        CLIProfileCredentialsProvider,
        ProfileCredentialsProvider,
    )

    failures = []
    for provider in (
        CLIProfileCredentialsProvider(profile_name=profile),
        ProfileCredentialsProvider(profile_name=profile),
    ):
        try:
            return Client(provider=provider).get_credential()
        except Exception as exc:
            failures.append(f"{type(provider).__name__}: {exc}")
    raise ChainError(failures)


def resolve(
    profile: str | None, environ: Mapping[str, str] | None = None, *, home: Path | None = None
) -> Credentials:
    """Credentials from the environment's keys, else from the default chain.

    A named `profile` wins over keys in the environment (they are not even read); without one,
    keys in `environ` are used directly and the chain (and its import) is reached only when
    neither key is set. The chain itself reads `os.environ`, not `environ`.
    """
    env = os.environ if environ is None else environ
    if not profile:
        direct = from_environment(env)
        if direct is not None:
            return direct
    return from_default_chain(profile or env.get(ENV_PROFILE) or None, home=home)
