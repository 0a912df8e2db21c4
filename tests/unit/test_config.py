"""Connection settings: precedence of flags, environment, profile file, Logview link and defaults,
and a clean one-line UsageError (never a password) for every bad local input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from maxjob import config
from maxjob.config import closest_region, resolve
from maxjob.errors import UsageError

SECRET = "s3cr3t-pw"


def write_profiles(home: Path, document: object) -> Path:
    path = home / ".aliyun" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def profiles(*entries: dict[str, object], current: str = "default") -> dict[str, object]:
    return {"current": current, "profiles": list(entries)}


def assert_clean(error: UsageError) -> None:
    """A usage error is exit 2, one line, and shows no password."""
    assert error.exit_code == 2
    for text in (error.message, error.hint or ""):
        assert "\n" not in text
        assert SECRET not in text


# Precedence


def test_region_flag_beats_environment_profile_and_link(tmp_path: Path) -> None:
    write_profiles(tmp_path, profiles({"name": "default", "region_id": "cn-beijing"}))
    settings = resolve(
        region="cn-hangzhou",
        environ={"ALIBABA_CLOUD_REGION_ID": "cn-shanghai"},
        home=tmp_path,
        fallback_region="cn-shenzhen",
    )
    assert settings.region == "cn-hangzhou"
    assert settings.endpoint == "https://maxcompute.cn-hangzhou.aliyuncs.com"


def test_region_environment_beats_profile_and_link(tmp_path: Path) -> None:
    write_profiles(tmp_path, profiles({"name": "default", "region_id": "cn-beijing"}))
    settings = resolve(
        environ={"ALIBABA_CLOUD_REGION_ID": " cn-shanghai "},
        home=tmp_path,
        fallback_region="cn-shenzhen",
    )
    assert settings.region == "cn-shanghai"


def test_region_profile_beats_link(tmp_path: Path) -> None:
    write_profiles(tmp_path, profiles({"name": "default", "region_id": "cn-beijing"}))
    assert resolve(environ={}, home=tmp_path, fallback_region="cn-shenzhen").region == "cn-beijing"


def test_region_from_the_link_when_nothing_else_names_one(tmp_path: Path) -> None:
    write_profiles(tmp_path, profiles({"name": "default"}))
    settings = resolve(environ={}, home=tmp_path, fallback_region="cn-shenzhen")
    assert settings.region == "cn-shenzhen"


def test_no_region_anywhere_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        resolve(environ={}, home=tmp_path)
    assert_clean(caught.value)
    assert "ALIBABA_CLOUD_REGION_ID" in caught.value.message


def test_blank_flag_and_variable_count_as_not_given(tmp_path: Path) -> None:
    write_profiles(tmp_path, profiles({"name": "default", "region_id": "cn-beijing"}))
    settings = resolve(region=" ", environ={"ALIBABA_CLOUD_REGION_ID": ""}, home=tmp_path)
    assert settings.region == "cn-beijing"


def test_profile_flag_beats_environment_and_current(tmp_path: Path) -> None:
    write_profiles(
        tmp_path,
        profiles(
            {"name": "default", "region_id": "cn-beijing"},
            {"name": "env", "region_id": "cn-shanghai"},
            {"name": "flag", "region_id": "cn-hangzhou"},
        ),
    )
    settings = resolve(profile="flag", environ={"ALIBABA_CLOUD_PROFILE": "env"}, home=tmp_path)
    assert (settings.profile, settings.region) == ("flag", "cn-hangzhou")
    settings = resolve(environ={"ALIBABA_CLOUD_PROFILE": "env"}, home=tmp_path)
    assert (settings.profile, settings.region) == ("env", "cn-shanghai")
    settings = resolve(environ={}, home=tmp_path)
    assert (settings.profile, settings.region) == (None, "cn-beijing")


def test_the_files_current_profile_is_read_when_none_is_named(tmp_path: Path) -> None:
    write_profiles(
        tmp_path,
        profiles(
            {"name": "default", "region_id": "cn-beijing"},
            {"name": "work", "region_id": "eu-central-1"},
            current="work",
        ),
    )
    assert resolve(environ={}, home=tmp_path).region == "eu-central-1"


def test_endpoint_flag_beats_environment_beats_region_default(tmp_path: Path) -> None:
    env = {"MAXJOB_ENDPOINT": "env.example.test:8443", "ALIBABA_CLOUD_REGION_ID": "cn-beijing"}
    assert resolve(endpoint="http://127.0.0.1:9/", environ=env).endpoint == "http://127.0.0.1:9"
    assert resolve(environ=env).endpoint == "https://env.example.test:8443"
    del env["MAXJOB_ENDPOINT"]
    assert resolve(environ=env).endpoint == "https://maxcompute.cn-beijing.aliyuncs.com"
    assert resolve(environ=env, vpc=True).endpoint == (
        "https://maxcompute-vpc.cn-beijing.aliyuncs.com"
    )


def test_an_endpoint_needs_no_region(tmp_path: Path) -> None:
    settings = resolve(endpoint="mc.example.test", environ={}, home=tmp_path)
    assert (settings.endpoint, settings.region) == ("https://mc.example.test", None)


def test_vpc_wins_over_the_endpoint_variable_and_contradicts_the_endpoint_flag() -> None:
    """Flags win over the environment: --vpc names the VPC endpoint of the region, whatever
    MAXJOB_ENDPOINT says; beside --endpoint it is a contradiction."""
    env = {"MAXJOB_ENDPOINT": "mc.example.test", "ALIBABA_CLOUD_REGION_ID": "cn-beijing"}
    settings = resolve(vpc=True, environ=env)
    assert settings.endpoint == "https://maxcompute-vpc.cn-beijing.aliyuncs.com"
    with pytest.raises(UsageError, match="--vpc and --endpoint"):
        resolve(vpc=True, endpoint="mc.example.test", environ=env)


def test_defaults() -> None:
    settings = resolve(region="cn-hangzhou", environ={})
    assert (settings.connect_timeout, settings.read_timeout, settings.max_attempts) == (5, 10, 3)


# The profile file: read only when needed, and a malformed one is a clean error


def test_the_file_is_not_read_when_the_region_is_given(tmp_path: Path) -> None:
    (tmp_path / ".aliyun").mkdir()
    (tmp_path / ".aliyun" / "config.json").write_bytes(b"\xff not even json")
    assert resolve(region="cn-hangzhou", environ={}, home=tmp_path).region == "cn-hangzhou"


BAD_FILES: list[tuple[bytes, str]] = [
    (b'{"profiles": 1}', '"profiles" must be a list'),
    (b'{"profiles": [1, "x"]}', "profiles[0] must be an object"),
    (b'{"profiles": {"name": "default"}}', '"profiles" must be a list'),
    (b'{"current": 5, "profiles": []}', '"current" must be a profile name'),
    (b'{"profiles": [{"name": 7}]}', "profiles[0].name must be a string"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"profiles": [{"name": "default", "region_id": "caf\xe9"}]}', "not UTF-8"),
    (b"\xff\xfe{\x00}\x00", "not UTF-8"),
    (b'{"profiles": [', "not valid JSON"),
    (b"[]", "must hold a JSON object"),
    (b'{"x": ' + b"1" * 5000 + b"}", "not valid JSON"),
    (b'{"profiles": [{"name": "default", "region_id": 5}]}', "region_id of profile"),
    (b'{"profiles": [{"name": "default", "region_id": ["cn-beijing"]}]}', "must be a string"),
]


@pytest.mark.parametrize(("content", "reason"), BAD_FILES)
def test_a_malformed_profile_file_is_a_clean_usage_error(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / ".aliyun").mkdir()
    (tmp_path / ".aliyun" / "config.json").write_bytes(content)
    with pytest.raises(UsageError) as caught:
        resolve(environ={}, home=tmp_path)
    assert_clean(caught.value)
    assert reason in caught.value.message
    assert "config.json" in caught.value.message


def test_a_runaway_profile_file_is_refused_unread(tmp_path: Path) -> None:
    (tmp_path / ".aliyun").mkdir()
    (tmp_path / ".aliyun" / "config.json").write_bytes(b" " * (config.MAX_CONFIG_BYTES + 1))
    with pytest.raises(UsageError, match="larger than 1 MiB"):
        resolve(environ={}, home=tmp_path)


def test_a_directory_in_place_of_the_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / ".aliyun" / "config.json").mkdir(parents=True)
    with pytest.raises(UsageError, match="directory"):
        resolve(environ={}, home=tmp_path)


def test_the_users_own_file_is_named_with_a_tilde(tmp_path: Path) -> None:
    # HOME is the test's own folder (tests/conftest.py).
    write_profiles(Path(os.environ["HOME"]), {"profiles": 1})
    with pytest.raises(UsageError, match=r"^~/\.aliyun/config\.json: "):
        resolve(environ={})


def test_no_file_no_profile_or_no_region_id_is_not_an_error(tmp_path: Path) -> None:
    assert config.profile_region(None, tmp_path) is None
    write_profiles(tmp_path, profiles({"name": "default", "region_id": None}))
    assert config.profile_region(None, tmp_path) is None
    assert config.profile_region("other", tmp_path) is None
    write_profiles(tmp_path, {"profiles": None})
    assert config.profile_region(None, tmp_path) is None


# Region, profile and timeout values


@pytest.mark.parametrize("region", ["CN-HANGZHOU", "cn_hangzhou", "cn-", "a" * 64, "cn hangzhou"])
def test_a_malformed_region_is_a_usage_error_naming_its_source(region: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve(environ={"ALIBABA_CLOUD_REGION_ID": region})
    assert_clean(caught.value)
    assert "ALIBABA_CLOUD_REGION_ID" in caught.value.message


def test_a_malformed_region_suggests_the_documented_one() -> None:
    with pytest.raises(UsageError) as caught:
        resolve(region="CN-Hangzhou", environ={})
    assert caught.value.hint == "did you mean cn-hangzhou?"


def test_a_region_from_the_profile_file_says_so(tmp_path: Path) -> None:
    write_profiles(tmp_path, profiles({"name": "default", "region_id": "Hang Zhou"}))
    with pytest.raises(UsageError, match=r"region_id in ~/\.aliyun/config\.json"):
        resolve(environ={}, home=tmp_path)


def test_an_unknown_but_well_formed_region_is_accepted() -> None:
    assert resolve(region="cn-nowhere-9", environ={}).region == "cn-nowhere-9"


def test_a_profile_name_with_control_characters_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="ALIBABA_CLOUD_PROFILE"):
        resolve(region="cn-hangzhou", environ={"ALIBABA_CLOUD_PROFILE": "a\x00b"})


@pytest.mark.parametrize(
    ("timeout", "reason"),
    [
        (1e10, "at most 3600"),
        (float("inf"), "at most 3600"),
        (3600.5, "at most 3600"),
        (float("nan"), "more than 0"),
        (0, "more than 0"),
        (-1, "more than 0"),
    ],
)
def test_request_timeout_must_be_finite_positive_and_at_most_an_hour(
    timeout: float, reason: str
) -> None:
    with pytest.raises(UsageError, match=reason) as caught:
        resolve(region="cn-hangzhou", request_timeout=timeout, environ={})
    assert_clean(caught.value)


def test_request_timeout_sets_read_and_caps_connect() -> None:
    settings = resolve(region="cn-hangzhou", request_timeout=3600, environ={})
    assert (settings.read_timeout, settings.connect_timeout) == (3600, 5)
    settings = resolve(region="cn-hangzhou", request_timeout=0.5, environ={})
    assert (settings.read_timeout, settings.connect_timeout) == (0.5, 0.5)


def test_max_attempts_must_be_at_least_one() -> None:
    with pytest.raises(UsageError, match="--max-attempts"):
        resolve(region="cn-hangzhou", max_attempts=0, environ={})


# Endpoints


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mc.example.test", "https://mc.example.test"),
        ("mc.example.test:8443", "https://mc.example.test:8443"),
        ("http://127.0.0.1:9/", "http://127.0.0.1:9"),
        ("HTTPS://mc.example.test/prefix/", "https://mc.example.test/prefix"),
        ("https://[::1]:8080", "https://[::1]:8080"),
        ("https://mc.example.test:", "https://mc.example.test"),
        ("https://internal_host.corp:0443", "https://internal_host.corp:443"),
        # Dot segments resolved as a URL is read: the path sent is the path signed.
        ("http://127.0.0.1:9/a/../b", "http://127.0.0.1:9/b"),
        ("http://127.0.0.1:9/./a/./b/", "http://127.0.0.1:9/a/b"),
        ("http://127.0.0.1:9/../../a", "http://127.0.0.1:9/a"),
        ("http://127.0.0.1:9/a/b/..", "http://127.0.0.1:9/a"),
    ],
)
def test_endpoints_are_normalised(value: str, expected: str) -> None:
    assert config.normalise_endpoint(value) == expected
    # Whatever is accepted, httpx can use.
    assert httpx.URL(expected).host


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("host:99999", "invalid port"),
        ("host:abc", "invalid port"),
        ("host:0", "invalid port"),
        ("host:-1", "invalid port"),
        ("https://[::1", "not a valid URL"),
        ("https://[::1]x", "not a valid URL"),
        ("::1", "IPv6 address in brackets"),
        ("https://a..b", "invalid host"),
        ("https://-a.example", "invalid host"),
        ("https://1.2.3.999", "invalid host"),
        ("https://" + "a" * 64 + ".example", "invalid host"),
        ("https://caf\u00e9.example", "invalid host"),
        ("https://exa mple.com", "spaces or control characters"),
        ("https://example.com\x1b[2J", "spaces or control characters"),
        ("https://", "no host"),
        ("https:/example.com", "not a URL"),
        ("ftp://example.com", "https://"),
        ("https://example.com/?token=x", "query"),
        ("https://example.com#top", "fragment"),
        ("https://example.com/" + "a" * 70_000, "characters long, over 2,048"),  # not a bug, 2
    ],
)
def test_a_bad_endpoint_is_a_usage_error(value: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason) as caught:
        resolve(endpoint=value, environ={})
    assert_clean(caught.value)
    assert "--endpoint" in caught.value.message


@pytest.mark.parametrize(
    "value",
    [
        f"https://user:{SECRET}@host",
        f"user:{SECRET}@host",
        f"https://user:{SECRET}@host:99999",
        f"https://user:{SECRET}@[::1",
        f"https://user:{SECRET}@exa mple.com",
        f"https://user:{SECRET}@a..b",
        f"https://u:{SECRET}/x@host:1",
        f"https://u:{SECRET}#x@host",
        f"https://u:{SECRET}?@host",
        f"ftp://user:{SECRET}@host",
        f"https://user:{SECRET}@host/?q=1",
        f"https://user:{SECRET}@host\x1b",
        f"https:/user:{SECRET}@host",
    ],
)
def test_no_endpoint_error_shows_the_password(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve(endpoint=value, environ={})
    assert_clean(caught.value)
    with pytest.raises(UsageError) as caught:
        resolve(environ={"MAXJOB_ENDPOINT": value})
    assert_clean(caught.value)


def test_an_empty_endpoint_is_not_normalised() -> None:
    with pytest.raises(UsageError, match="empty"):
        config.normalise_endpoint(" ")


def test_user_info_is_shown_as_stars() -> None:
    with pytest.raises(UsageError) as caught:
        resolve(endpoint=f"https://user:{SECRET}@host", environ={})
    assert "'https://***@host'" in caught.value.message
    assert config.hide_user_info("http://u:p@ss@proxy:8080") == "http://***@proxy:8080"
    assert config.hide_user_info("proxy:8080") == "proxy:8080"


# Region typos


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cn-hangzou", "cn-hangzhou"),
        ("hangzhou", "cn-hangzhou"),
        ("cn-shanghi", "cn-shanghai"),
        ("us-east1", "us-east-1"),
        ("CN-Beijing", "cn-beijing"),
        ("cn-hangzhou", None),
        ("xyz", None),
        ("", None),
    ],
)
def test_closest_region(text: str, expected: str | None) -> None:
    assert closest_region(text) == expected


# Proxy variables


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)


HTTPS = "https://maxcompute.cn-hangzhou.aliyuncs.com"
HTTP = "http://maxcompute.example.test"


@pytest.mark.parametrize(
    ("environ", "chosen"),
    [
        ({}, None),
        ({"HTTPS_PROXY": "http://proxy.corp:3128"}, "http://proxy.corp:3128"),
        ({"https_proxy": "proxy.corp:3128"}, "http://proxy.corp:3128"),
        ({"HTTPS_PROXY": "http://user:pw@proxy.corp:3128/"}, "http://user:pw@proxy.corp:3128/"),
        ({"HTTP_PROXY": "https://[::1]:3128", "ALL_PROXY": "http://10.0.0.1"}, "http://10.0.0.1"),
        ({"HTTPS_PROXY": "http://münchen.example:3128"}, "http://münchen.example:3128"),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "localhost,.aliyuncs.com"}, None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "[::1]:8080,::1/128, ,"}, "http://p:1"),
        ({"no_proxy": "*", "HTTPS_PROXY": "http://proxy:99999"}, None),
        (
            {"HTTPS_PROXY": "http://proxy:99999", "https_proxy": "http://proxy:3128"},
            "http://proxy:3128",
        ),
        ({"HTTPS_PROXY": "http://proxy:3128", "https_proxy": ""}, "http://proxy:3128"),
        ({"HTTPS_PROXY": "http://p:1", "no_proxy": "", "NO_PROXY": ".aliyuncs.com"}, None),
        ({"FTP_PROXY": "ftp://proxy:99999", "HTTP_PROXY": "http://proxy:99999"}, None),
    ],
)
def test_the_proxy_is_chosen_as_curl_chooses_it(
    environ: dict[str, str], chosen: str | None
) -> None:
    """The proxy of the endpoint's scheme, else ALL_PROXY, unless NO_PROXY covers its host; a
    variable that is not chosen is not read (another scheme's proxy may be anything)."""
    from maxjob.config import chosen_proxy

    assert chosen_proxy(HTTPS, environ) == chosen


@pytest.mark.parametrize(
    ("endpoint", "environ", "variable"),
    [
        (HTTPS, {"https_proxy": "proxy:abc"}, "https_proxy"),
        (HTTP, {"http_proxy": "http://[::1:3128"}, "http_proxy"),
        (HTTPS, {"ALL_PROXY": "ftp://proxy:21"}, "ALL_PROXY"),
        (HTTPS, {"all_proxy": "socks5://proxy:1080"}, "all_proxy"),
        (HTTPS, {"HTTPS_PROXY": "http://1.2.3.999:3128"}, "HTTPS_PROXY"),
        (HTTPS, {"HTTPS_PROXY": "http://proxy:1:2"}, "HTTPS_PROXY"),
    ],
)
def test_a_chosen_proxy_that_cannot_be_used_is_a_usage_error(
    endpoint: str, environ: dict[str, str], variable: str
) -> None:
    from maxjob.config import chosen_proxy

    with pytest.raises(UsageError) as caught:
        chosen_proxy(endpoint, environ)
    assert_clean(caught.value)
    assert caught.value.message.startswith(variable)


@pytest.mark.parametrize(
    "value",
    [
        "http://:3128",
        "http://exa mple.com:3128",
        "http://proxy:0",
        "http://proxy:99999",
        "http://a..b:3128",
    ],
)
def test_a_proxy_httpx_accepts_but_cannot_reach_is_a_usage_error(value: str) -> None:
    from maxjob.config import chosen_proxy

    with pytest.raises(UsageError, match="HTTPS_PROXY") as caught:
        chosen_proxy(HTTPS, {"HTTPS_PROXY": value})
    assert_clean(caught.value)


@pytest.mark.parametrize(
    "value",
    [
        f"http://user:{SECRET}@proxy:99999",
        f"http://user:{SECRET}@[::1:3128",
        f"ftp://user:{SECRET}@proxy",
        f"http://user:{SECRET}@:3128",
        f"http://u:{SECRET}/x@proxy:1:2",
        f"user:{SECRET}@proxy:abc",
    ],
)
def test_no_proxy_error_shows_the_password(value: str) -> None:
    from maxjob.config import chosen_proxy

    for endpoint, variable in ((HTTPS, "HTTPS_PROXY"), (HTTP, "http_proxy"), (HTTPS, "ALL_PROXY")):
        with pytest.raises(UsageError) as caught:
            chosen_proxy(endpoint, {variable: value})
        assert_clean(caught.value)
        assert variable in caught.value.message


def test_http_proxy_is_read_in_lower_case_only_as_curl_reads_it() -> None:
    from maxjob.config import chosen_proxy

    # A CGI script's HTTP_PROXY may come from its caller's Proxy: header: curl never reads it.
    assert chosen_proxy(HTTP, {"HTTP_PROXY": "http://proxy:3128"}) is None
    assert chosen_proxy(HTTP, {"http_proxy": "http://proxy:3128"}) == "http://proxy:3128"
    assert chosen_proxy(HTTPS, {"HTTP_PROXY": "http://proxy:3128"}) is None


def test_os_environ_is_the_default(no_proxies: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from maxjob.config import chosen_proxy

    assert chosen_proxy(HTTPS) is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    assert chosen_proxy(HTTPS) == "http://proxy:3128"


@pytest.mark.parametrize(
    ("host", "no_proxy", "covered"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "127.0.0.0/8", True),  # a CIDR range, as curl 7.86+ reads it
        ("127.0.0.1", ".0.0.1", False),  # not a host name, and no address or range either
        ("api.example.com", "example.com", True),
        ("api.example.com", ".example.com", True),
        ("badexample.com", "example.com", False),
        ("example.com.evil", "example.com", False),
        ("API.Example.COM", "example.com", True),
        ("anything", "*", True),
        ("host", "", False),
        ("host", "other, host:8080", True),
        ("::1", "[::1]:8080", True),
        ("::1", "::1/128", True),
        ("10.1.2.3", "10.0.0.0/8", True),
        ("11.1.2.3", "10.0.0.0/8", False),
        ("h", "http://h:80/x", True),
        ("127.0.0.1", "localhost", False),
    ],
)
def test_no_proxy_is_read_as_curl_reads_it(host: str, no_proxy: str, covered: bool) -> None:
    from maxjob.config import no_proxy_covers

    assert no_proxy_covers(host, no_proxy) is covered
