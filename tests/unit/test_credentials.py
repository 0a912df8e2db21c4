"""Where the access key comes from: the environment directly, else the default chain (mocked here:
no test imports the chain's network paths), with short hints and clean errors."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from maxjob import credentials
from maxjob.credentials import (
    ENV_KEY_ID,
    ENV_KEY_SECRET,
    ENV_PROFILE,
    ENV_TOKEN,
    MISSING_HINT,
    ChainError,
    Credentials,
    resolve,
)
from maxjob.errors import CredentialsError, MaxjobError, UsageError

KEYS = {ENV_KEY_ID: "LTAI-key-id", ENV_KEY_SECRET: "the-secret"}


class FakeCredential(NamedTuple):
    access_key_id: object
    access_key_secret: object
    security_token: object = None
    provider_name: object = "default/cli_profile"


class Chain:
    """A stand-in for `_ask_chain`: records each call and answers or raises as told."""

    def __init__(self, answer: object = None, error: Exception | None = None) -> None:
        self.answer = answer
        self.error = error
        self.calls: list[str | None] = []

    def __call__(self, profile: str | None) -> object:
        self.calls.append(profile)
        if self.error is not None:
            raise self.error
        return self.answer


@pytest.fixture(autouse=True)
def _profile_variable_restored() -> Iterator[None]:
    # from_default_chain sets ALIBABA_CLOUD_PROFILE for the package; keep it from leaking.
    yield
    os.environ.pop(ENV_PROFILE, None)


def use_chain(monkeypatch: pytest.MonkeyPatch, chain: Chain) -> Chain:
    monkeypatch.setattr(credentials, "_ask_chain", chain)
    return chain


def never_chain(monkeypatch: pytest.MonkeyPatch) -> Chain:
    return use_chain(monkeypatch, Chain(error=AssertionError("the chain must not be asked")))


def assert_one_line(error: MaxjobError) -> None:
    assert "\n" not in error.message
    assert error.hint is None or ("\n" not in error.hint and len(error.hint) < 150)


# The environment, directly


def test_environment_keys_are_used_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    chain = never_chain(monkeypatch)
    found = resolve(None, {**KEYS})
    assert found == Credentials("LTAI-key-id", "the-secret", None, f"environment ({ENV_KEY_ID})")
    assert chain.calls == []


def test_environment_keys_are_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    never_chain(monkeypatch)
    found = resolve(None, {ENV_KEY_ID: " id\n", ENV_KEY_SECRET: "\tsecret\r\n"})
    assert (found.access_key_id, found.access_key_secret) == ("id", "secret")


def test_an_sts_token_comes_along(monkeypatch: pytest.MonkeyPatch) -> None:
    never_chain(monkeypatch)
    found = resolve(None, {ENV_KEY_ID: "STS.abc", ENV_KEY_SECRET: "sec-ret", ENV_TOKEN: "to-ken"})
    assert found.security_token == "to-ken"
    assert found.secrets() == ("sec-ret", "to-ken")
    assert "to-ken" not in repr(found) and "sec-ret" not in repr(found)


@pytest.mark.parametrize(
    ("environ", "missing", "have"),
    [
        ({ENV_KEY_ID: "id"}, ENV_KEY_SECRET, ENV_KEY_ID),
        ({ENV_KEY_SECRET: "s"}, ENV_KEY_ID, ENV_KEY_SECRET),
        ({ENV_KEY_ID: "id", ENV_KEY_SECRET: "  "}, ENV_KEY_SECRET, ENV_KEY_ID),
    ],
)
def test_one_of_the_pair_missing_names_it_and_skips_the_chain(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], missing: str, have: str
) -> None:
    chain = never_chain(monkeypatch)
    with pytest.raises(CredentialsError) as caught:
        resolve(None, environ)
    error = caught.value
    assert error.exit_code == 4
    assert error.message == f"{missing} is not set, but {have} is"
    assert error.hint is not None and error.hint.startswith(f"set {missing},")
    assert_one_line(error)
    assert chain.calls == []


def test_an_sts_key_without_its_token_names_the_token_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    never_chain(monkeypatch)
    with pytest.raises(CredentialsError) as caught:
        resolve(None, {ENV_KEY_ID: "STS.NUgYr", ENV_KEY_SECRET: "s"})
    error = caught.value
    assert ENV_TOKEN in (error.hint or "")
    assert ENV_KEY_ID not in (error.hint or "")
    assert_one_line(error)


def test_an_sts_key_without_secret_or_token_names_both(monkeypatch: pytest.MonkeyPatch) -> None:
    never_chain(monkeypatch)
    with pytest.raises(CredentialsError) as caught:
        resolve(None, {ENV_KEY_ID: "STS.NUgYr"})
    assert (caught.value.hint or "").startswith(f"set {ENV_KEY_SECRET} and {ENV_TOKEN},")


@pytest.mark.parametrize(
    "environ",
    [
        {ENV_KEY_ID: "LTAI\u200bkey", ENV_KEY_SECRET: "sec-ret"},
        {ENV_KEY_ID: "LTAI key", ENV_KEY_SECRET: "sec-ret"},
        {ENV_KEY_ID: "LTAIé", ENV_KEY_SECRET: "sec-ret"},
        {ENV_KEY_ID: "LTAI-id", ENV_KEY_SECRET: "sec-ret\udcff"},
        {ENV_KEY_ID: "STS.id", ENV_KEY_SECRET: "sec-ret", ENV_TOKEN: "to-ken\x1b[0m"},
    ],
)
def test_keys_that_cannot_sign_a_request_are_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    never_chain(monkeypatch)
    with pytest.raises(UsageError) as caught:
        resolve(None, environ)
    assert caught.value.exit_code == 2
    assert_one_line(caught.value)
    for value in environ.values():
        assert value not in caught.value.message


# The chain, only when needed


def test_no_keys_asks_the_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    chain = use_chain(monkeypatch, Chain(FakeCredential("id", "secret", "tok")))
    found = resolve(None, {})
    assert chain.calls == [None]
    assert found.access_key_id == "id" and found.security_token == "tok"
    assert found.source == "the default credentials chain (default/cli_profile)"


def test_the_environments_profile_reaches_the_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    chain = use_chain(monkeypatch, Chain(FakeCredential("id", "secret")))
    resolve(None, {ENV_PROFILE: "work"})
    assert chain.calls == ["work"]
    # The package reads it from the process environment at import time.
    assert os.environ[ENV_PROFILE] == "work"


def test_a_named_profile_wins_over_environment_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    chain = use_chain(monkeypatch, Chain(FakeCredential("profile-id", "profile-secret")))
    found = resolve("prod", {**KEYS, ENV_TOKEN: "tok"})
    assert chain.calls == ["prod"]
    assert found.access_key_id == "profile-id"
    assert found.source.startswith("profile 'prod'")
    # Even a half-set pair in the environment does not get in its way.
    assert resolve("prod", {ENV_KEY_ID: "id"}).access_key_id == "profile-id"


def test_keys_in_the_environment_win_over_the_environments_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in the package's own chain: the environment provider comes first.
    chain = never_chain(monkeypatch)
    assert resolve(None, {**KEYS, ENV_PROFILE: "work"}).access_key_id == "LTAI-key-id"
    assert chain.calls == []


# The chain's failures: short hint, detail only when it helps, never cut mid-word


def chain_failure(*failures: str) -> Exception:
    """The exception the package's default chain raises, in its own format."""
    return RuntimeError(
        f"unable to load credentials from any of the providers in the chain: {list(failures)!r}"
    )


ENV_EMPTY = (
    "EnvironmentVariableCredentialsProvider: Environment variable accessKeyId cannot be empty"
)
NO_CLI_FILE = (
    "CLIProfileCredentialsProvider: unable to open credentials file: /h/.aliyun/config.json"
)
NO_INI_FILE = (
    "ProfileCredentialsProvider: failed to get credential from credentials file: "
    "$/h/.alibabacloud/credentials.ini"
)


def test_nothing_configured_gives_a_short_hint_and_no_detail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_chain(monkeypatch, Chain(error=chain_failure(ENV_EMPTY, NO_CLI_FILE, NO_INI_FILE)))
    with pytest.raises(CredentialsError) as caught:
        resolve(None, {})
    error = caught.value
    assert error.exit_code == 4
    assert error.message == (
        "no credentials in the environment, ~/.aliyun/config.json "
        "or ~/.alibabacloud/credentials.ini"
    )
    assert error.hint == MISSING_HINT
    assert ENV_KEY_ID in error.hint and "aliyun configure" in error.hint
    assert_one_line(error)


def test_a_reason_that_helps_is_in_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    no_profile = (
        "CLIProfileCredentialsProvider: "
        "unable to get profile with 'prod' form cli credentials file."
    )
    use_chain(monkeypatch, Chain(error=chain_failure(ENV_EMPTY, no_profile, NO_INI_FILE)))
    with pytest.raises(CredentialsError) as caught:
        resolve(None, {})
    # (The package's words, typo included, said plainly.)
    assert caught.value.message.endswith(": ~/.aliyun/config.json: it holds no profile 'prod'")
    assert_one_line(caught.value)


def test_a_long_reason_is_shortened_at_a_word(monkeypatch: pytest.MonkeyPatch) -> None:
    words = " ".join(f"word{i}" for i in range(200))
    failure = ChainError([f"OIDCRoleArnCredentialsProvider: AssumeRole failed:\n{words}"])
    use_chain(monkeypatch, Chain(error=failure))
    with pytest.raises(CredentialsError) as caught:
        resolve(None, {})
    message = caught.value.message
    assert message.endswith(" …")
    last_word = message.removesuffix(" …").rsplit(" ", 1)[1]
    assert last_word in words.split()
    assert "OIDC: AssumeRole failed: word0 word1" in message
    assert len(message) < 250
    assert_one_line(caught.value)


def test_a_named_profile_that_is_nowhere_suggests_configuring_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failure = ChainError(
        [
            "CLIProfileCredentialsProvider: unable to open credentials file: /h/config.json",
            "ProfileCredentialsProvider: failed to get credential from credentials file: $/h/x",
        ]
    )
    use_chain(monkeypatch, Chain(error=failure))
    with pytest.raises(CredentialsError) as caught:
        resolve("prod", {})
    assert caught.value.message == "no credentials for profile 'prod'"
    assert caught.value.hint == "run `aliyun configure --profile prod`"


def test_a_chain_that_fails_on_a_malformed_file_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".aliyun").mkdir()
    (tmp_path / ".aliyun" / "config.json").write_text('{"profiles": 1}')
    use_chain(monkeypatch, Chain(error=TypeError("'int' object is not iterable")))
    with pytest.raises(UsageError) as caught:
        credentials.resolve(None, {}, home=tmp_path)
    assert '"profiles" must be a list' in caught.value.message
    assert_one_line(caught.value)


@pytest.mark.parametrize("field", ["access_key_secret", "access_key_id", "sts_token"])
def test_a_profile_whose_key_is_not_a_string_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, field: str
) -> None:
    profile: dict[str, object] = {
        "name": "default",
        "mode": "StsToken",
        "access_key_id": "STS.id",
        "access_key_secret": "s",
        "sts_token": "t",
    }
    profile[field] = 12345
    (tmp_path / ".aliyun").mkdir()
    (tmp_path / ".aliyun" / "config.json").write_text(
        json.dumps({"current": "default", "profiles": [profile]})
    )
    # The package passes a number through as the key; a falsy one makes it fail instead.
    given = (profile["access_key_id"], profile["access_key_secret"], profile["sts_token"])
    for chain in (
        Chain(FakeCredential(*given)),
        Chain(error=ValueError("the access key secret is empty")),
    ):
        use_chain(monkeypatch, chain)
        with pytest.raises(UsageError) as caught:
            credentials.resolve(None, {}, home=tmp_path)
        assert f"{field} of profile 'default' must be a string" in caught.value.message
        assert "12345" not in caught.value.message


def test_a_key_that_is_not_text_is_a_usage_error_even_without_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_chain(monkeypatch, Chain(FakeCredential("id", 12345)))
    with pytest.raises(UsageError, match="not text"):
        credentials.resolve(None, {}, home=tmp_path)


def test_the_chain_giving_an_empty_key_is_a_credentials_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_chain(monkeypatch, Chain(FakeCredential("", "")))
    with pytest.raises(CredentialsError, match="gave no access key"):
        resolve(None, {})


def test_the_chain_giving_an_sts_key_without_token_is_a_credentials_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_chain(monkeypatch, Chain(FakeCredential("STS.x", "s")))
    with pytest.raises(CredentialsError, match="without its security token"):
        resolve(None, {})


def test_the_chain_giving_a_key_id_that_cannot_go_in_a_header_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_chain(monkeypatch, Chain(FakeCredential("id\u00e9", "s")))
    with pytest.raises(UsageError):
        resolve(None, {})


# The aliyun CLI's AK and StsToken profiles, read without the package (as its chain reads them)

AK_PROFILE = {"name": "dev", "mode": "AK", "access_key_id": "ak-id", "access_key_secret": "ak-s"}
STS_PROFILE = {
    "name": "temp",
    "mode": "StsToken",
    "access_key_id": "STS.sts-id",
    "access_key_secret": "sts-s",
    "sts_token": "sts-token",
}


def cli_file(home: Path, *profiles: dict[str, object], current: str | None = "dev") -> None:
    (home / ".aliyun").mkdir(exist_ok=True)
    document: dict[str, object] = {"profiles": list(profiles)}
    if current is not None:
        document["current"] = current
    (home / ".aliyun" / "config.json").write_text(json.dumps(document))


def test_an_ak_profile_is_read_without_asking_the_chain(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    never_chain(monkeypatch)
    cli_file(tmp_path, AK_PROFILE, STS_PROFILE)
    found = credentials.resolve(None, {}, home=tmp_path)
    assert found == Credentials(
        "ak-id", "ak-s", None, "the default credentials chain (default/cli_profile/static_ak)"
    )


def test_an_sts_profile_named_by_the_environment_comes_with_its_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    never_chain(monkeypatch)
    cli_file(tmp_path, AK_PROFILE, STS_PROFILE)
    monkeypatch.setenv(ENV_PROFILE, "temp")
    found = credentials.resolve(None, {ENV_PROFILE: "temp"}, home=tmp_path)
    assert (found.access_key_id, found.security_token) == ("STS.sts-id", "sts-token")
    named = credentials.resolve("temp", {}, home=tmp_path)
    assert named.source == "profile 'temp' (cli_profile/static_sts)"


@pytest.mark.parametrize(
    ("why", "variables", "profile"),
    [
        ("OIDC comes first in the chain", {"ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1:role/r"}, {}),
        ("the CLI profile is disabled", {"ALIBABA_CLOUD_CLI_PROFILE_DISABLED": "TRUE"}, {}),
        ("a role to assume", {}, {"mode": "RamRoleArn", "ram_role_arn": "acs:ram::1:role/r"}),
        ("a blank secret", {}, {"access_key_secret": ""}),
        ("a secret that is not text", {}, {"access_key_secret": 12345}),
        ("an STS profile without its token", {}, {"mode": "StsToken"}),
    ],
)
def test_anything_but_a_plain_key_in_the_file_is_left_to_the_chain(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    why: str,
    variables: dict[str, str],
    profile: dict[str, object],
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    cli_file(tmp_path, {**AK_PROFILE, **profile})
    chain = use_chain(monkeypatch, Chain(FakeCredential("chain-id", "chain-secret")))
    with contextlib.suppress(UsageError):  # (a number for a secret is one, as before)
        assert credentials.resolve(None, {}, home=tmp_path).access_key_id == "chain-id", why
    assert chain.calls == [None], why


def test_no_current_profile_and_a_malformed_file_are_left_to_the_chain(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chain = use_chain(monkeypatch, Chain(FakeCredential("chain-id", "chain-secret")))
    cli_file(tmp_path, AK_PROFILE, current=None)
    assert credentials.resolve(None, {}, home=tmp_path).access_key_id == "chain-id"
    (tmp_path / ".aliyun" / "config.json").write_text("{not json")
    with pytest.raises(UsageError, match="not valid JSON"):  # what the chain's failure says
        use_chain(monkeypatch, Chain(error=ValueError("bad file")))
        credentials.resolve(None, {}, home=tmp_path)
    assert chain.calls == [None]


CROSS_CHECK = """
import json, sys
from maxjob import credentials
found = credentials.resolve(sys.argv[1] or None, {})
imported = "alibabacloud_credentials" in sys.modules
asked = credentials._ask_chain(sys.argv[1] or None)
print(json.dumps([list(found), imported, [asked.access_key_id, asked.access_key_secret,
                  asked.security_token or None, asked.provider_name]]))
"""


@pytest.mark.parametrize("profile", ["", "temp", "dev"])
def test_the_profile_read_here_is_what_the_package_itself_reads(
    tmp_path: Path, profile: str
) -> None:
    import subprocess
    import sys

    from tests.conftest import clean_environ

    cli_file(tmp_path, AK_PROFILE, STS_PROFILE)
    env = {**clean_environ(tmp_path), "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
    if profile:
        env[ENV_PROFILE] = profile  # (the package reads it when it is imported)
    done = subprocess.run(
        [sys.executable, "-c", CROSS_CHECK, profile],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found, imported, asked = json.loads(done.stdout)
    assert not imported  # the third of a second is not paid
    assert found[:3] == asked[:3]
    assert found[3].endswith(f"({asked[3]})")


# A link's reason never carries a secret

LEAKY = {"AccessKeySecret": "TOP-SECRET-VALUE", "SecurityToken": "TOKEN-VALUE", "AccessKeyId": "K"}


@pytest.mark.parametrize(("status", "body"), [(200, LEAKY), (403, {"Message": "no", **LEAKY})])
def test_a_credentials_server_that_echoes_a_secret_is_never_quoted(
    tmp_path: Path, status: int, body: dict[str, str]
) -> None:
    from tests.conftest import run_maxjob
    from tests.e2e.servers import RecordingServer

    # (No Expiration: the package refuses the answer, and says what it was.)
    server = RecordingServer(lambda request: (status, {}, json.dumps(body).encode()))
    try:
        uri = f"http://user:pass-word@127.0.0.1:{server.port}/creds?token=QUERY-TOKEN#frag"
        env = {"ALIBABA_CLOUD_CREDENTIALS_URI": uri, "ALIBABA_CLOUD_REGION_ID": "cn-hangzhou"}
        result = run_maxjob("info", "j1", env=env, keys=False, home=tmp_path, timeout=60)
    finally:
        server.close()
    assert server.received, "the chain never asked the credentials server"
    assert result.code == 4, result.err
    for secret in ("TOP-SECRET-VALUE", "TOKEN-VALUE", "QUERY-TOKEN", "pass-word"):
        assert secret not in result.err + result.out, result.err
    assert "ALIBABA_CLOUD_CREDENTIALS_URI" in result.err or "no credentials" in result.err


def test_a_reason_is_scrubbed_of_answers_documents_url_tails_and_secret_pairs() -> None:
    from maxjob.credentials import _scrubbed

    assert (
        _scrubbed('from http://h/p result: {"a": 1}') == "from http://h/p (its answer is not shown)"
    )
    assert _scrubbed("at https://u:p@h:1/x?token=t#f failed") == "at https://h:1/x failed"
    assert (
        _scrubbed("AccessKeySecret=abc; SecurityToken: 'x'")
        == "AccessKeySecret=****; SecurityToken: ****"
    )
    assert (
        _scrubbed("role arn acs:ram::1:role/r is invalid")
        == "role arn acs:ram::1:role/r is invalid"
    )


def test_a_fifo_in_place_of_the_cli_file_is_refused_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".aliyun").mkdir()
    os.mkfifo(tmp_path / ".aliyun" / "config.json")  # opening it to read would wait for a writer
    use_chain(monkeypatch, Chain(error=ValueError("unable to open credentials file")))
    with pytest.raises(UsageError, match="is not a regular file"):
        credentials.resolve(None, {}, home=tmp_path)


def test_outside_utf_8_the_file_is_left_to_the_chain(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The package reads the file in the locale's encoding: only in UTF-8 do the two agree.
    import locale

    cli_file(tmp_path, AK_PROFILE)
    monkeypatch.setattr(locale, "getpreferredencoding", lambda do_setlocale=True: "ANSI_X3.4-1968")
    chain = use_chain(monkeypatch, Chain(FakeCredential("chain-id", "chain-secret")))
    assert credentials.resolve(None, {}, home=tmp_path).access_key_id == "chain-id"
    assert chain.calls == [None]


def test_a_command_reads_the_cli_file_once_for_its_region_and_its_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from maxjob import config
    from maxjob.output.streams import Streams
    from maxjob.session import ConnectionOptions, open_client

    never_chain(monkeypatch)
    cli_file(tmp_path, {**AK_PROFILE, "region_id": "cn-beijing"})
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in (ENV_KEY_ID, ENV_KEY_SECRET, ENV_TOKEN, ENV_PROFILE, config.ENV_REGION):
        monkeypatch.delenv(name, raising=False)
    reads: list[Path] = []
    real = config._read_aliyun_config

    def counted(path: Path, shown: str) -> dict[str, object] | None:
        reads.append(path)
        return real(path, shown)

    monkeypatch.setattr(config, "_read_aliyun_config", counted)
    streams = Streams(environ={"HOME": str(tmp_path)})
    with open_client(ConnectionOptions(), streams) as client:
        assert client.settings.region == "cn-beijing"
        assert client.credentials.access_key_id == "ak-id"
    assert reads == [tmp_path / ".aliyun" / "config.json"]
    # Outside a command, each call reads the file as it is now.
    cli_file(tmp_path, {**AK_PROFILE, "region_id": "cn-shanghai"})
    assert config.profile_region(None) == "cn-shanghai"
    assert len(reads) == 2


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI\u00e9", "access key id"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "tok en", "security token"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s\udcff", "access key secret"),
    ],
)
def test_a_bad_key_in_the_environment_names_its_own_variable(
    variable: str, value: str, named: str
) -> None:
    environ = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIkeyid",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
        variable: value,
    }
    with pytest.raises(UsageError) as refused:
        credentials.from_environment(environ)
    assert f"the {named} from the environment ({variable})" in refused.value.message
    assert value not in refused.value.message
