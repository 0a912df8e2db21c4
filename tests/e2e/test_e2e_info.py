"""The installed `maxjob info` against `maxjob emulator` over a real loopback socket."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from maxjob.emulator.seed import SAMPLE_DATA
from tests.conftest import STS_KEY_ID, STS_SECRET, STS_TOKEN, Emulator, run_maxjob

ODD_ID = "a b/c~*+é%:"


def test_json_is_the_data_object_exactly(emulator: Emulator) -> None:
    result = run_maxjob("info", "20230410****60gg", "-o", "json", endpoint=emulator.url)
    assert result.code == 0, result.err
    assert json.loads(result.out) == SAMPLE_DATA
    # ASCII escapes: the trailing newline of jobOwner is kept, escaped.
    assert '"jobOwner": "ALIYUN$7632***@aliyun.com\\n"' in result.out


def test_json_of_several_ids_is_an_array_in_the_order_given(emulator: Emulator) -> None:
    result = run_maxjob("info", "failed", "finished", "sample", "-o", "json", endpoint=emulator.url)
    assert result.code == 0, result.err
    assert [job["instanceId"] for job in json.loads(result.out)] == ["failed", "finished", "sample"]


def test_jsonl_is_one_compact_object_a_line(emulator: Emulator) -> None:
    result = run_maxjob("info", "finished", "failed", "-o", "jsonl", endpoint=emulator.url)
    lines = result.out.splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["status"] for line in lines] == ["terminated", "failed"]
    assert ": " not in lines[0]


def test_plain_is_the_default_in_a_pipe(emulator: Emulator) -> None:
    result = run_maxjob("info", "finished", endpoint=emulator.url)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "status\tterminated" in lines
    assert "submittedAtTime\t2025-11-30T00:00:00Z" in lines
    assert "jobSubStatusList.5.code\t1055" in lines
    assert any(line.startswith("cuUsage\t864\t") for line in lines)
    assert "\x1b" not in result.out


def test_table_and_timeline_render_in_a_pipe_without_escape_codes(emulator: Emulator) -> None:
    table = run_maxjob("info", "failed", "-o", "table", endpoint=emulator.url)
    assert table.code == 0, table.err
    assert "failed" in table.out and "Diagnostics" in table.out and "Data skew" in table.out
    assert "\x1b" not in table.out
    timeline = run_maxjob("info", "failed", "-o", "timeline", endpoint=emulator.url)
    assert "waiting  2025-11-30T02:00:00Z  21m 00s" in timeline.out
    assert "Task executing" in timeline.out


def test_sts_credentials_work(emulator: Emulator) -> None:
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": STS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": STS_SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": STS_TOKEN,
    }
    result = run_maxjob("info", "finished", "-o", "json", endpoint=emulator.url, env=env)
    assert result.code == 0, result.err
    missing = {**env, "ALIBABA_CLOUD_SECURITY_TOKEN": ""}
    refused = run_maxjob("info", "finished", endpoint=emulator.url, env=missing)
    # Refused before any request: an STS key id without its token cannot sign.
    assert refused.code == 4 and "ALIBABA_CLOUD_SECURITY_TOKEN" in refused.err


def test_odd_instance_id_round_trips(emulator_with: object, tmp_path: Path) -> None:
    emu = emulator_with([{"instanceId": ODD_ID, "data": {"status": "running"}}])  # type: ignore[operator]
    result = run_maxjob("info", ODD_ID, "-o", "json", endpoint=emu.url)
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"status": "running", "instanceId": ODD_ID}


def test_wrong_secret_exits_4_with_a_hint(emulator: Emulator) -> None:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "wrong-secret"}
    result = run_maxjob("info", "finished", endpoint=emulator.url, env=env)
    assert result.code == 4
    first = result.err.splitlines()[0]
    assert first.startswith("maxjob: error: ") and "SignatureDoesNotMatch" in first
    assert "request id emu-" in first
    assert "hint" in result.err and "secret" in result.err
    assert "wrong-secret" not in result.out + result.err
    assert "Traceback" not in result.err


def test_unknown_job_exits_5(emulator: Emulator) -> None:
    result = run_maxjob("info", "no-such-job", endpoint=emulator.url)
    assert result.code == 5
    assert "OBJECT_NOT_EXIST" in result.err and result.out == ""


def test_refused_connection_exits_6_after_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now.
    result = run_maxjob("info", "finished", endpoint=f"http://127.0.0.1:{port}")
    assert result.code == 6
    assert "connection refused" in result.err
    assert "after 3 attempts" in result.err
    assert result.err.count("retrying") == 2
    assert "maxjob: hint: check the endpoint (--endpoint, MAXJOB_ENDPOINT" in result.err


def test_missing_credentials_exit_4_and_name_the_variables(emulator: Emulator) -> None:
    result = run_maxjob("info", "finished", endpoint=emulator.url, keys=False)
    assert result.code == 4
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in result.err
    assert "~/.aliyun/config.json" in result.err
    assert "Traceback" not in result.err


def test_profile_from_aliyun_cli_config(emulator: Emulator, tmp_path: Path) -> None:
    home = tmp_path / "profile-home"
    (home / ".aliyun").mkdir(parents=True)
    (home / ".aliyun" / "config.json").write_text(
        json.dumps(
            {
                "current": "default",
                "profiles": [
                    {
                        "name": "default",
                        "mode": "AK",
                        "access_key_id": "x",
                        "access_key_secret": "y",
                        "region_id": "cn-beijing",
                    },
                    {
                        "name": "emu",
                        "mode": "AK",
                        "access_key_id": "emulator-key-id",
                        "access_key_secret": "emulator-key-secret",
                        "region_id": "cn-shanghai",
                    },
                ],
            }
        )
    )
    result = run_maxjob(
        "info",
        "finished",
        "--profile",
        "emu",
        "-o",
        "json",
        endpoint=emulator.url,
        home=home,
        keys=False,
    )
    assert result.code == 0, result.err
    assert json.loads(result.out)["instanceId"] == "finished"


def test_keys_in_the_environment_win_over_alibaba_cloud_profile_not_over_the_flag(
    emulator: Emulator, tmp_path: Path
) -> None:
    """As the SPEC and the credentials chain have it: set keys are used directly, whatever
    ALIBABA_CLOUD_PROFILE names; `--profile` is asked for on the command line, and wins."""
    home = tmp_path / "bad-profile-home"
    (home / ".aliyun").mkdir(parents=True)
    bad = {"name": "bad", "mode": "AK", "access_key_id": "bad-id", "access_key_secret": "bad"}
    (home / ".aliyun" / "config.json").write_text(json.dumps({"profiles": [bad]}))
    env = {"ALIBABA_CLOUD_PROFILE": "bad"}
    result = run_maxjob("info", "finished", "--debug", endpoint=emulator.url, home=home, env=env)
    assert result.code == 0, result.err
    assert "key id emulator-key-id from environment (ALIBABA_CLOUD_ACCESS_KEY_ID" in result.err
    flagged = run_maxjob("info", "finished", "--profile", "bad", endpoint=emulator.url, home=home)
    assert flagged.code == 4, flagged.err


def test_missing_region_is_a_usage_error() -> None:
    result = run_maxjob("info", "finished")
    assert result.code == 2
    assert "ALIBABA_CLOUD_REGION_ID" in result.err


def test_usage_errors_exit_2() -> None:
    assert run_maxjob("info", "x", "-o", "yaml").code == 2
    assert run_maxjob("nosuchcommand").code == 2
    bad = run_maxjob("info", "x", "--region", "Not A Region")
    assert bad.code == 2 and "region" in bad.err


def test_version_and_python_dash_m() -> None:
    import subprocess
    import sys

    from maxjob import __version__

    assert run_maxjob("--version").out.strip() == f"maxjob {__version__}"
    done = subprocess.run(
        [sys.executable, "-m", "maxjob", "--version"], capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == f"maxjob {__version__}"


def test_multi_id_error_is_shown_in_place_and_worst_exit(emulator: Emulator) -> None:
    result = run_maxjob("info", "finished", "nope", "failed", "-o", "json", endpoint=emulator.url)
    assert result.code == 5
    jobs = json.loads(result.out)
    assert jobs[0]["instanceId"] == "finished" and jobs[2]["instanceId"] == "failed"
    assert jobs[1]["instanceId"] == "nope"
    assert jobs[1]["error"]["code"] == "OBJECT_NOT_EXIST"
    assert jobs[1]["error"]["requestId"].startswith("emu-")


def test_exit_status_flag(emulator: Emulator) -> None:
    assert run_maxjob("info", "finished", "--exit-status", endpoint=emulator.url).code == 0
    assert run_maxjob("info", "failed", "--exit-status", endpoint=emulator.url).code == 3
    assert run_maxjob("info", "cancelled", "--exit-status", endpoint=emulator.url).code == 7
    assert run_maxjob("info", "running", "--exit-status", endpoint=emulator.url).code == 8
    assert run_maxjob("info", "failed", endpoint=emulator.url).code == 0


def test_jq_prints_strings_raw_and_values_as_json(emulator: Emulator) -> None:
    raw = run_maxjob("info", "finished", "--jq", ".status", endpoint=emulator.url)
    assert raw.code == 0 and raw.out == "terminated\n"
    many = run_maxjob("info", "finished", "failed", "--jq", "[.[].priority]", endpoint=emulator.url)
    assert json.loads(many.out) == [3, 9]
    lines = run_maxjob(
        "info", "finished", "failed", "-o", "jsonl", "--jq", ".instanceId", endpoint=emulator.url
    )
    assert lines.out == "finished\nfailed\n"


def test_jq_syntax_error_is_a_usage_error(emulator: Emulator) -> None:
    result = run_maxjob("info", "finished", "--jq", ".[", endpoint=emulator.url)
    assert result.code == 2 and result.err.startswith("maxjob: error: --jq")
    assert (
        run_maxjob("info", "finished", "--jq", ".", "-o", "table", endpoint=emulator.url).code == 2
    )


def test_colour_follows_force_color_no_color_and_the_flag(emulator: Emulator) -> None:
    piped = run_maxjob("info", "failed", "-o", "table", endpoint=emulator.url)
    assert "\x1b[" not in piped.out
    forced = run_maxjob(
        "info", "failed", "-o", "table", endpoint=emulator.url, env={"FORCE_COLOR": "1"}
    )
    assert "\x1b[" in forced.out
    for env, args in (
        ({"FORCE_COLOR": "1", "NO_COLOR": ""}, ()),
        ({"FORCE_COLOR": "1"}, ("--no-color",)),
    ):
        plain = run_maxjob("info", "failed", "-o", "table", *args, endpoint=emulator.url, env=env)
        assert "\x1b[" not in plain.out, env


def test_plain_separates_jobs_with_a_blank_line(emulator: Emulator) -> None:
    result = run_maxjob("info", "finished", "failed", endpoint=emulator.url)
    blocks = result.out.split("\n\n")
    assert len(blocks) == 2
    assert "instanceId\tfinished" in blocks[0] and "instanceId\tfailed" in blocks[1]


def test_hostile_server_text_is_inert_through_the_installed_command(emulator_with: Any) -> None:
    from tests.unit.test_render import BAD_CHARS, hostile_job

    data = hostile_job()
    emu = emulator_with([{"instanceId": "hostile", "data": {**data, "instanceId": "hostile"}}])
    for fmt in ("plain", "table", "timeline", "json", "jsonl"):
        result = run_maxjob("info", "hostile", "-o", fmt, endpoint=emu.url)
        assert result.code == 0, (fmt, result.err)
        assert not BAD_CHARS.search(result.out), (fmt, BAD_CHARS.search(result.out))
        if not fmt.startswith("json"):
            assert "\\x1b[2J" in result.out and "[bold]loud[/bold]" in result.out, fmt
    forced = run_maxjob(
        "info", "hostile", "-o", "table", endpoint=emu.url, env={"FORCE_COLOR": "1"}
    )
    assert "\x1b]" not in forced.out and "\x07" not in forced.out
    watch = run_maxjob("watch", "hostile", "--timeout", "0", endpoint=emu.url)
    assert not BAD_CHARS.search(watch.out + watch.err)
