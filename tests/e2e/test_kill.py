"""`maxjob kill` end to end: the installed command against the emulator on a real loopback socket,
confirmed (or not) in a real pseudo-terminal, with the KillJobs requests the server received
counted. The emulator runs in this process so that its counts can be read; kills take effect
after 0.2 s instead of 1.5 s."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from maxjob import emulator
from tests.conftest import MAXJOB, into_closed_pipe, keyed_environ, run_maxjob

KILL_DELAY = 0.2
# A job whose KillJobs answer comes 3 s late: the kill is done at once, the answer lost.
SLOW_ANSWER = {
    "idPrefix": "killlate-",
    "script": [{"at": -60, "status": "running", "code": 1032, "description": "Task executing"}],
    "base": {"project": "demo_project", "jobOwner": "ALIYUN$demo@example.com"},
    "faults": [{"operation": "KillJobs", "first": 1, "delay": 3}],
}


_RUNNING = {
    "script": SLOW_ANSWER["script"],
    "base": SLOW_ANSWER["base"],
}
# A KillJobs answer of 200 whose data is not the documented "success"; a throttled one.
ODD_ANSWER = {
    **_RUNNING,
    "idPrefix": "killodd-",
    "faults": [
        {
            "operation": "KillJobs",
            "first": 1,
            "body": '{"requestId": "emu-odd", "httpCode": 200, "data": "failed"}',
        }
    ],
}
THROTTLED = {
    **_RUNNING,
    "idPrefix": "killthrottled-",
    "faults": [
        {"operation": "KillJobs", "first": 1, "status": 429, "code": "Throttling.User"},
    ],
}


class Served:
    def __init__(self, server: Any) -> None:
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"

    def calls(self, instance_id: str, action: str = "KillJobs") -> int:
        job = emulator.state_of(self.server).store.jobs.get(instance_id)
        return 0 if job is None else int(job.calls[action])


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    jobs = [SLOW_ANSWER, ODD_ANSWER, THROTTLED, *emulator.load_jobs(None)]
    server, _ = emulator.start_in_thread(jobs=jobs, kill_delay=KILL_DELAY)
    yield Served(server)
    server.shutdown()


def fresh(prefix: str) -> str:
    """A new job of a prefixed story: each test kills its own."""
    return f"{prefix}{time.monotonic_ns()}"


def in_pty(
    served: Served, args: list[str], keys: bytes, tmp_path: Path, early: bytes = b""
) -> tuple[int, str]:
    """Run the installed `maxjob` in a pseudo-terminal (stdin, stdout and stderr), type `early`
    at once and `keys` once it asks, and return its exit status and everything it wrote."""
    env = keyed_environ(tmp_path, served.url)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its controlling terminal
        os.execve(MAXJOB, [MAXJOB, *args], env)  # noqa: S606 - the installed command
    if early:
        os.write(fd, early)
    output = b""
    deadline = time.monotonic() + 20
    typed = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        if not typed and b"[y/N] " in output:
            os.write(fd, keys)
            typed = True
    done, status = os.waitpid(pid, os.WNOHANG)
    while not done and time.monotonic() < deadline:
        time.sleep(0.02)
        done, status = os.waitpid(pid, os.WNOHANG)
    if not done:  # still running after the deadline: a hang is a failure, not a stuck suite
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
        pytest.fail(f"maxjob did not end: {output.decode('utf-8', 'replace')}")
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


def test_on_a_terminal_yes_kills_after_the_table(served: Served, tmp_path: Path) -> None:
    job = fresh("kill-")
    code, output = in_pty(served, ["kill", job, "finished", "--no-wait"], b"y\r", tmp_path)
    assert code == 0, output
    assert "About to kill 1 job at 127.0.0.1:" in output
    assert "ALIYUN$demo@example.com" in output and "demo_project" in output
    assert "already ended: succeeded (terminated)" in output
    assert "Kill 1 job? [y/N]" in output
    assert f"{job}" in output and "kill sent" in output
    assert served.calls(job) == 1
    assert served.calls("finished") == 0


@pytest.mark.parametrize(
    ("keys", "status", "said"),
    [(b"n\r", 8, "nothing was killed"), (b"\r", 8, "nothing was killed"), (b"\x03", 130, "")],
    ids=["no", "enter", "ctrl-c"],
)
def test_on_a_terminal_no_or_ctrl_c_sends_nothing(
    served: Served, tmp_path: Path, keys: bytes, status: int, said: str
) -> None:
    job = fresh("kill-")
    code, output = in_pty(served, ["kill", job], keys, tmp_path)
    assert code == status, output
    assert said in output
    if keys == b"\x03":
        assert "interrupted; nothing was killed" in output
    assert served.calls(job) == 0
    assert served.calls(job, "GetJobInfo") == 1


def test_a_yes_typed_before_the_question_answers_nothing(served: Served, tmp_path: Path) -> None:
    job = fresh("kill-")
    code, output = in_pty(served, ["kill", job], b"\r", tmp_path, early=b"y\r")
    assert code == 8, output
    assert "Kill 1 job? [y/N]" in output and "nothing was killed" in output
    assert served.calls(job) == 0


def test_without_a_terminal_yes_is_required(served: Served) -> None:
    job = fresh("kill-")
    result = run_maxjob("kill", job, endpoint=served.url)
    assert result.code == 2
    assert "kill needs --yes" in result.err
    assert served.calls(job, "GetJobInfo") == 0 and served.calls(job) == 0


def test_dry_run_reaches_the_server_with_reads_only(served: Served) -> None:
    job = fresh("kill-")
    result = run_maxjob("kill", job, "--dry-run", endpoint=served.url)
    assert result.code == 0, result.err
    assert result.out == (
        f"POST {served.url}/api/v1/jobs/kill\n"
        "x-acs-action: KillJobs\n"
        "content-type: application/json; charset=utf-8\n\n"
        f'[{{"instanceId":"{job}","projectName":"demo_project"}}]\n'
    )
    assert served.calls(job) == 0
    assert served.calls(job, "GetJobInfo") == 1
    assert "emulator-key-secret" not in result.out + result.err


def test_an_ended_job_is_reported_and_not_killed(served: Served) -> None:
    result = run_maxjob("kill", "failed", "cancelled", "--yes", endpoint=served.url)
    assert result.code == 0
    assert result.out.splitlines() == [
        "failed\talready ended\tfailed",
        "cancelled\talready ended\tcancelled",
    ]
    assert served.calls("failed") == 0 and served.calls("cancelled") == 0


def test_the_kill_takes_effect_and_the_wait_sees_it(served: Served) -> None:
    job = fresh("kill-")
    result = run_maxjob(
        "kill", job, job, "missing", "--yes", "-o", "json", "--wait-timeout", "10s",
        endpoint=served.url,
    )  # fmt: skip
    assert result.code == 5  # missing: the worst status
    first, second = __import__("json").loads(result.out)
    assert (first["instanceId"], first["result"], first["outcome"]) == (
        job,
        "cancelled",
        "cancelled",
    )
    # The accepted kill's own request id is reported (the emulator's ids start with emu-).
    assert first["kill"]["accepted"] is True and first["kill"]["error"] is None
    assert first["kill"]["requestId"].startswith("emu-")
    assert second["error"]["code"] == "OBJECT_NOT_EXIST" and second["error"]["requestId"]
    assert served.calls(job) == 1  # given twice, killed once


def test_a_503_is_answered_once_and_never_sent_again(served: Served) -> None:
    job = fresh("kill503-")
    result = run_maxjob("kill", job, "--yes", "--wait-timeout", "0", endpoint=served.url)
    assert served.calls(job) == 1
    assert result.code == 6
    assert "ServiceUnavailable, request id emu-" in result.out
    assert "still running" in result.out


def test_after_a_timeout_the_status_is_read_and_the_kill_not_sent_again(served: Served) -> None:
    job = fresh("killlate-")
    result = run_maxjob(
        "kill", job, "--yes", "--request-timeout", "0.5s", "--wait-timeout", "5s",
        endpoint=served.url,
    )  # fmt: skip
    assert served.calls(job) == 1
    assert result.code == 0, result.err
    assert result.out.startswith(f"{job}\tcancelled\t")
    assert "the kill's answer was lost" in result.out
    assert "the kill got no answer and may or may not have been done" in result.err
    assert "following the job's status for up to 5s" in result.err


@pytest.mark.timed
def test_a_job_that_outlives_the_wait_exits_8(served: Served) -> None:
    job = fresh("killslow-")  # cancelled only 30 s after the kill
    started = time.monotonic()
    result = run_maxjob("kill", job, "--yes", "--wait-timeout", "1s", endpoint=served.url)
    assert result.code == 8
    assert result.out == f"{job}\tstill running\trunning 1s after the kill, which was accepted\n"
    assert time.monotonic() - started < 10
    assert served.calls(job) == 1


def test_a_reader_gone_before_the_kills_stops_them_and_stderr_says_so(
    served: Served, tmp_path: Path
) -> None:
    """`kill ... | head -1` when the reader has gone before the first line: no kill is sent
    (each is sent only while someone reads its line), and stderr says so."""
    first, second = fresh("kill-"), fresh("kill-")
    args = ("kill", first, second, "--yes", "--no-wait", "-o", "plain")
    done = into_closed_pipe(*args, endpoint=served.url, home=tmp_path)
    assert done.code == 141
    assert [served.calls(job) for job in (first, second)] == [0, 0]
    assert done.err == "maxjob: stdout was closed; nothing was killed\n"


def test_a_reader_gone_after_the_first_line_stops_the_kills_after_it(
    served: Served, tmp_path: Path
) -> None:
    """`kill a b c | head -1`: the first kill's line is read, then the reader goes; the kills
    after it are not sent, and stderr says which were."""
    import subprocess

    first, second, third = (fresh("kill-") for _ in range(3))
    process = subprocess.Popen(
        [MAXJOB, "kill", first, second, third, "--yes", "--no-wait", "-o", "plain"],
        env=keyed_environ(tmp_path, served.url),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(f"{first}\t")
    process.stdout.close()
    assert process.wait(timeout=30) in (0, 141)  # (0 if it wrote all before the close)
    sent = [served.calls(job) for job in (first, second, third)]
    err = process.stderr.read()
    if process.returncode == 141:
        assert sent[0] == 1 and 0 in sent
        assert err.startswith(f"maxjob: stdout was closed; a kill was sent for {first}")
    else:
        assert sent == [1, 1, 1]


def test_closed_stdout_is_refused_before_anything_is_sent(served: Served, tmp_path: Path) -> None:
    import subprocess

    job = fresh("kill-")
    closed = "import os, sys; os.close(1); os.execv(sys.argv[1], sys.argv[1:])"  # `>&-`
    done = subprocess.run(
        [sys.executable, "-c", closed, MAXJOB, "kill", job, "--yes"],
        env=keyed_environ(tmp_path, served.url),
        stderr=subprocess.PIPE,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "standard output is closed" in done.stderr and "nothing was done" in done.stderr
    assert "bug" not in done.stderr
    assert served.calls(job) == 0 and served.calls(job, "GetJobInfo") == 0


def test_an_answer_that_is_not_success_is_not_taken_for_an_accepted_kill(served: Served) -> None:
    job = fresh("killodd-")
    result = run_maxjob("kill", job, "--yes", "--wait-timeout", "0", endpoint=served.url)
    assert served.calls(job) == 1
    assert "KillJobs answered 'failed' where \"success\" was expected" in result.err
    assert "may or may not have been done" in result.err
    assert "accepted" not in result.out
    assert result.code == 1  # an answer that cannot be read as yes (still running: no 0)


def test_a_throttled_kill_is_reported_as_not_done_and_not_sent_again(served: Served) -> None:
    job = fresh("killthrottled-")
    result = run_maxjob("kill", job, "--yes", "--wait-timeout", "0", endpoint=served.url)
    assert served.calls(job) == 1
    assert result.code == 6
    assert "the kill was throttled, not done" in result.out + result.err
    assert "may or may not" not in result.out + result.err
