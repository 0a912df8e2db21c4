"""Whole-process benchmark of maxjob against the official SDK, on `maxjob emulator`.

Not part of the test run (pytest collects only test_*.py). Run it with the test extras installed:

    .venv/bin/python tests/benchmark.py [--runs 21] [--ids 200] [--list-runs 5] [--only list]

It starts two emulators on loopback (one with 20 ms of latency per answer), then runs each command
`--runs` times, alternating the commands run by run so that machine noise falls on all of them
alike, and prints medians and the ratios between them. The `list` part starts three more, with
10,000 synthetic jobs (at 20 ms, and at none) and with 100,000, and compares `maxjob list --limit 0
-o jsonl` with the SDK paging in one process, the first row with one page's round trip, and peak
memory. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

BIN = Path(sys.executable).parent
MAXJOB = str(BIN / "maxjob")
PY = sys.executable
KEY_ID, SECRET = "emulator-key-id", "emulator-key-secret"
TYPER = "python -c 'import typer'"

SDK_ONE = """
import json, sys
from alibabacloud_maxcompute20220104.client import Client
from alibabacloud_tea_openapi import utils_models
config = utils_models.Config(access_key_id=sys.argv[2], access_key_secret=sys.argv[3],
                             endpoint=sys.argv[1], protocol="http", region_id="cn-hangzhou")
body = Client(config).get_job_info("finished").body.to_map()
sys.stdout.write(json.dumps(body["data"]) + "\\n")
"""

SDK_MANY = """
import json, sys
from alibabacloud_maxcompute20220104.client import Client
from alibabacloud_tea_openapi import utils_models
config = utils_models.Config(access_key_id=sys.argv[2], access_key_secret=sys.argv[3],
                             endpoint=sys.argv[1], protocol="http", region_id="cn-hangzhou")
client = Client(config)
for line in sys.stdin:
    body = client.get_job_info(line.strip()).body.to_map()
    sys.stdout.write(json.dumps(body["data"]) + "\\n")
"""

# One GetJobInfo signed by hand (the floors below share it).
SIGNED = """
import hashlib, hmac, json, secrets, sys, time
host, key_id, secret = sys.argv[1], sys.argv[2], sys.argv[3]
path = "/api/v1/jobs/finished/info"
headers = {"host": host, "x-acs-action": "GetJobInfo", "x-acs-version": "2022-01-04",
           "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "x-acs-signature-nonce": secrets.token_hex(16),
           "x-acs-content-sha256": hashlib.sha256(b"").hexdigest()}
names = sorted(headers)
canonical = "\\n".join(["GET", path, "", "".join(f"{n}:{headers[n]}\\n" for n in names),
                       ";".join(names), headers["x-acs-content-sha256"]])
to_sign = "ACS3-HMAC-SHA256\\n" + hashlib.sha256(canonical.encode()).hexdigest()
sig = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
headers["authorization"] = (f"ACS3-HMAC-SHA256 Credential={key_id},"
                            f"SignedHeaders={';'.join(names)},Signature={sig}")
"""

# The floors end as maxjob does: output flushed, then os._exit (no interpreter teardown).
EXIT = """
import os
sys.stdout.flush()
os._exit(0)
"""

# The floor: that call with the standard library only.
STDLIB_ONE = (
    SIGNED
    + """
import http.client
conn = http.client.HTTPConnection(host)
conn.request("GET", path, headers=headers)
sys.stdout.write(json.dumps(json.loads(conn.getresponse().read())["data"]) + "\\n")
"""
    + EXIT
)

# The floor of a Typer + httpx CLI: import both, send that call with httpx.
TYPER_HTTPX_ONE = (
    SIGNED
    + """
import typer, httpx
with httpx.Client() as client:
    answer = client.get(f"http://{host}{path}", headers=headers)
sys.stdout.write(json.dumps(answer.json()["data"]) + "\\n")
"""
    + EXIT
)

# `list --limit 0` the SDK's way: ListJobInfos page after page, 100 at a time, in one process.
SDK_PAGES = """
import json, sys, time
from alibabacloud_maxcompute20220104 import models
from alibabacloud_maxcompute20220104.client import Client
from alibabacloud_tea_openapi import utils_models
config = utils_models.Config(access_key_id=sys.argv[2], access_key_secret=sys.argv[3],
                             endpoint=sys.argv[1], protocol="http", region_id="cn-hangzhou")
client = Client(config)
now = int(time.time())
number = 1
while True:
    request = models.ListJobInfosRequest(
        from_=now - int(sys.argv[4]), to=now, page_number=number, page_size=100,
        sort_by_list=["submittedAtTime"], sort_order_list=["desc"])
    data = client.list_job_infos(request).body.to_map()["data"]
    items = data.get("jobInfoList") or []
    sys.stdout.write("".join(json.dumps(item) + "\\n" for item in items))
    if not items or number * 100 >= data["totalCount"]:
        break
    number += 1
"""

MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[2:], stdin=open(sys.argv[1]), stdout=subprocess.DEVNULL)
elapsed = time.perf_counter() - started
print(done.returncode, elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def start_emulator(*extra: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [MAXJOB, "emulator", "--port", "0", *extra], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    match = re.search(r"127\.0\.0\.1:(\d+)", process.stdout.readline())
    assert match, "the emulator did not start"
    return process, f"127.0.0.1:{match.group(1)}"


def measure(command: list[str], stdin: str, env: dict[str, str]) -> tuple[float, int]:
    done = subprocess.run(
        [PY, "-c", MEASURE, stdin, *command], env=env, capture_output=True, text=True, check=True
    )
    code, seconds, rss = done.stdout.split()
    if code != "0":
        raise SystemExit(f"{command[:3]} exited {code}")
    return float(seconds), int(rss)


def first_row(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Seconds from start to the first line on stdout, to the end, and the lines."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert process.stdout is not None
    first = process.stdout.readline()
    at_first = time.perf_counter() - started
    lines = (1 if first else 0) + sum(1 for _ in process.stdout)
    if process.wait() != 0:
        raise SystemExit(f"{command[:3]} exited {process.returncode}")
    return at_first, time.perf_counter() - started, lines


def list_benchmark(runs: int, env: dict[str, str]) -> None:
    """`list --limit 0 -o jsonl` over 10,000 jobs at 20 ms a page against the SDK paging in one
    process; the first row against one page's round trip; peak memory over 100,000 jobs."""
    slow, slow_host = start_emulator("--synthetic", "10000", "--latency", "0.02")
    fast, fast_host = start_emulator("--synthetic", "10000")
    big, big_host = start_emulator("--synthetic", "100000")
    window = "7200"  # the synthetic jobs are all in the hour before the emulator started
    listing = [MAXJOB, "list", "--since", "2h", "--limit", "0", "-o", "jsonl"]
    slow_env = {**env, "MAXJOB_ENDPOINT": f"http://{slow_host}"}
    commands = {
        "maxjob list (8)": (listing, slow_env),
        "maxjob list (16)": ([*listing, "--concurrency", "16"], slow_env),
        "SDK pages sequential": (
            [PY, "-c", SDK_PAGES, slow_host, KEY_ID, SECRET, window],
            slow_env,
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    memory: dict[str, list[int]] = {name: [] for name in commands}
    firsts: dict[str, list[float]] = {"20 ms": [], "0 ms": []}
    empty = Path(tempfile.mkdtemp()) / "empty"
    empty.write_text("")
    try:
        for command, run_env in commands.values():  # warm up, and check the counts
            measure(command, str(empty), run_env)
        for _ in range(runs):
            for name, (command, run_env) in commands.items():
                seconds, rss = measure(command, str(empty), run_env)
                times[name].append(seconds)
                memory[name].append(rss)
        # The first row, alternately at 20 ms and at no latency (one page is enough for it), in
        # pairs run back to back: the median of the pairs' differences is what the latency adds
        # (the machine's drift between pairs falls out of it).
        one_page = [MAXJOB, "list", "--since", "2h", "--limit", "100", "-o", "jsonl"]
        for _ in range(max(31, 6 * runs)):
            for label, host in (("20 ms", slow_host), ("0 ms", fast_host)):
                at, _, lines = first_row(one_page, {**env, "MAXJOB_ENDPOINT": f"http://{host}"})
                assert lines == 100, lines
                firsts[label].append(at)
        big_env = {**env, "MAXJOB_ENDPOINT": f"http://{big_host}"}
        big_seconds, big_rss = measure(listing, str(empty), big_env)
        _, _, big_lines = first_row(listing, big_env)
        page = page_round_trip(slow_env)
    finally:
        for process in (slow, fast, big):
            process.terminate()

    median = {name: statistics.median(values) for name, values in times.items()}
    print()
    print(f"list: 10,000 jobs at 20 ms a page, medians of {runs} runs, whole processes")
    for name, value in median.items():
        print(f"{name:<32} {value * 1000:>7.0f}ms {max(memory[name]) / 1024:>7.1f}MB")
    sdk = median["SDK pages sequential"]
    for name in ("maxjob list (8)", "maxjob list (16)"):
        print(f"SDK pages / {name:<20} {sdk / median[name]:5.2f}x   (target >= 5)")
    slow_first, fast_first = statistics.median(firsts["20 ms"]), statistics.median(firsts["0 ms"])
    added = statistics.median(a - b for a, b in zip(firsts["20 ms"], firsts["0 ms"], strict=True))
    print(
        f"first row at 20 ms / at 0 ms     {slow_first * 1000:5.0f} / {fast_first * 1000:.0f} ms: "
        f"{added * 1000:+.0f} ms (median of pairs), one page's round trip is "
        f"{page * 1000:.0f} ms   (target: within one page's round trip of start-up)"
    )
    print(
        f"100,000 jobs -o jsonl            {big_seconds:5.1f} s, {big_lines:,} lines, peak RSS "
        f"{big_rss / 1024:.1f} MB (10,000: {max(memory['maxjob list (8)']) / 1024:.1f} MB)"
        "   (target < 60)"
    )


def page_round_trip(env: dict[str, str]) -> float:
    """The median time of one ListJobInfos page of 100 jobs, in process, after the first."""
    from maxjob.api import operations
    from maxjob.output.streams import Streams
    from maxjob.session import ConnectionOptions, open_client

    streams = Streams(environ=env)
    now = int(time.time())
    body = {"from": now - 7200, "to": now, "sortByList": ["submittedAtTime"]}
    seconds = []
    with open_client(ConnectionOptions(), streams) as client:
        for number in range(1, 12):
            started = time.perf_counter()
            client.call(operations.list_job_infos(body, page_number=number))
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--ids", type=int, default=200)
    parser.add_argument("--many-runs", type=int, default=5)
    parser.add_argument("--list-runs", type=int, default=5)
    parser.add_argument("--only", choices=("info", "list"), help="run one part only")
    args = parser.parse_args()
    # Measure maxjob as pip installs it: a wheel's modules are compiled to bytecode at install time,
    # an editable install's are not (and PYTHONDONTWRITEBYTECODE keeps them from being cached).
    subprocess.run(
        [PY, "-m", "compileall", "-q", str(Path(__file__).parents[1] / "maxjob")], check=True
    )
    if args.only == "list":
        list_benchmark(args.list_runs, benchmark_environ(Path(tempfile.mkdtemp())))
        return

    fast, fast_host = start_emulator()
    slow, slow_host = start_emulator("--latency", "0.02")
    tmp = Path(tempfile.mkdtemp())
    empty = tmp / "empty"
    empty.write_text("")
    ids = tmp / "ids"
    ids.write_text("".join(f"progress-b{i}\n" for i in range(args.ids)))
    env = benchmark_environ(tmp)
    fast_env = {**env, "MAXJOB_ENDPOINT": f"http://{fast_host}"}
    slow_env = {**env, "MAXJOB_ENDPOINT": f"http://{slow_host}"}
    one = {
        "maxjob info -o json": ([MAXJOB, "info", "finished", "-o", "json"], fast_env),
        "SDK get_job_info": ([PY, "-c", SDK_ONE, fast_host, KEY_ID, SECRET], fast_env),
        "stdlib signed call": ([PY, "-c", STDLIB_ONE, fast_host, KEY_ID, SECRET], fast_env),
        "typer+httpx signed call": (
            [PY, "-c", TYPER_HTTPX_ONE, fast_host, KEY_ID, SECRET],
            fast_env,
        ),
        "maxjob --version": ([MAXJOB, "--version"], fast_env),
        TYPER: ([PY, "-c", "import typer"], fast_env),
        "maxjob --help": ([MAXJOB, "--help"], fast_env),
    }
    many = {
        f"maxjob info - x{args.ids} (16)": (
            [MAXJOB, "info", "-", "--concurrency", "16", "-o", "jsonl"],
            slow_env,
        ),
        f"SDK x{args.ids} sequential": ([PY, "-c", SDK_MANY, slow_host, KEY_ID, SECRET], slow_env),
    }
    times: dict[str, list[float]] = {name: [] for name in [*one, *many]}
    memory: dict[str, list[int]] = {name: [] for name in [*one, *many]}
    try:
        for command, run_env in one.values():  # warm the caches once
            measure(command, str(empty), run_env)
        for _ in range(args.runs):
            for name, (command, run_env) in one.items():
                seconds, rss = measure(command, str(empty), run_env)
                times[name].append(seconds)
                memory[name].append(rss)
        for _ in range(args.many_runs):
            for name, (command, run_env) in many.items():
                seconds, rss = measure(command, str(ids), run_env)
                times[name].append(seconds)
                memory[name].append(rss)
    finally:
        fast.terminate()
        slow.terminate()

    median = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"maxjob benchmark, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; medians of {args.runs} runs "
        f"({args.many_runs} for the {args.ids}-ID rows), whole processes"
    )
    print(f"{'command':<32} {'median':>9} {'peak RSS':>9}")
    for name, value in median.items():
        print(f"{name:<32} {value * 1000:>7.0f}ms {max(memory[name]) / 1024:>7.1f}MB")
    sdk = median["SDK get_job_info"]
    mine = median["maxjob info -o json"]
    floor = median["stdlib signed call"]
    print()
    typer_httpx = median["typer+httpx signed call"]
    print(f"SDK / maxjob info -o json        {sdk / mine:5.2f}x   (target >= 2.5)")
    print(
        f"maxjob info - typer+httpx call   {(mine - typer_httpx) * 1000:+5.0f} ms  (target <= 25)"
    )
    print(f"maxjob info / stdlib floor       {mine / floor:5.2f}x")
    version = median["maxjob --version"] / median[TYPER]
    print(f"maxjob --version / import typer  {version:5.2f}x   (target <= 1.5)")
    many_mine = median[f"maxjob info - x{args.ids} (16)"]
    many_sdk = median[f"SDK x{args.ids} sequential"]
    print(f"SDK x{args.ids} sequential / maxjob     {many_sdk / many_mine:5.2f}x   (target >= 10)")
    print(
        f"peak RSS, one job                {max(memory['maxjob info -o json']) / 1024:5.1f} MB"
        "   (target < 60)"
    )
    if args.only != "info":
        list_benchmark(args.list_runs, env)


def benchmark_environ(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "MAXJOB_"))}
    env.update(
        {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
            "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
            "HOME": str(home),
        }
    )
    return env


if __name__ == "__main__":
    main()
