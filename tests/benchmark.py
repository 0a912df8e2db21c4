"""Whole-process benchmark of maxjob against the official SDK, on `maxjob emulator`.

Not part of the test run (pytest collects only test_*.py). Run it with the test extras installed:

    .venv/bin/python tests/benchmark.py [--runs 21] [--ids 200]

It starts two emulators on loopback (one with 20 ms of latency per answer), then runs each command
`--runs` times, alternating the commands run by run so that machine noise falls on all of them
alike, and prints medians and the ratios between them. Traffic goes to 127.0.0.1 only.
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

# The floor: that call with the standard library only.
STDLIB_ONE = (
    SIGNED
    + """
import http.client
conn = http.client.HTTPConnection(host)
conn.request("GET", path, headers=headers)
sys.stdout.write(json.dumps(json.loads(conn.getresponse().read())["data"]) + "\\n")
"""
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
)

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--ids", type=int, default=200)
    parser.add_argument("--many-runs", type=int, default=5)
    args = parser.parse_args()

    fast, fast_host = start_emulator()
    slow, slow_host = start_emulator("--latency", "0.02")
    tmp = Path(tempfile.mkdtemp())
    empty = tmp / "empty"
    empty.write_text("")
    ids = tmp / "ids"
    ids.write_text("".join(f"progress-b{i}\n" for i in range(args.ids)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "MAXJOB_"))}
    env.update(
        {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
            "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
            "HOME": str(tmp),
        }
    )
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


if __name__ == "__main__":
    main()
