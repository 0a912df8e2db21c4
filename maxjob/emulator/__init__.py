"""A local MaxCompute OpenAPI emulator: seven operations on loopback, one store, gateway checks.

`make_server(port=, jobs=, credentials=, latency=, quotas=, synthetic_jobs=, kill_delay=,
snapshot_lag=)` serves GetJobInfo, ListJobInfos, ListJobSnapshotInfos, GetRunningJobs, KillJobs,
QueryQuota and ListQuotas from one `Store` of jobs and quotas. Every request first passes the
gateway's checks (`gateway`: signature V3 with the body's hash, the 15-minute date window, nonce
reuse, the STS token, a JSON content type, the action matching method and path), then one handler
per operation (`handlers`). Layout: `gateway`, `handlers`, `store`, `jobs` (one job and its views),
`quotas`, `seed` (the built-in data), `server` (HTTP, banner), `errors` (the two error shapes).

Jobs file format (`load_jobs`, `maxjob emulator --jobs FILE`): a list of job specs, or
`{"jobs": [...]}`. A spec is either
- `{"instanceId", "data"}`: served by GetJobInfo as it is (`errorCode`/`errorMsg` beside `data`
  go into the envelope), listed from its own times; or
- a script: `{"instanceId" or "idPrefix", "script": [{"at", "status", "code", "description",
  "sceneResults"}], "base": {...}, "final": {...}}`, replayed from its first reference (a prefix
  makes a fresh job for every id that starts with it), or from the server's start with
  `"anchor": "start"`; `at` is in seconds from that anchor and may be negative.
Optional keys: `resources` (`cpuRequest`, `cpuUsage` in cores, `memoryRequest`, `memoryUsage` in
MB, `progress` 0-1: what snapshots and GetRunningJobs show while it runs), `listFields` (fields
only ListJobInfos has, e.g. `extNodeName`, `taskName`), `killDelay` (seconds from KillJobs to the
cancellation), `banner: false` (not named in the banner), and `faults`: each applies to the calls
it names of one operation (`"operation"`: `GetJobInfo`, the default, or `KillJobs`), by count
(`"polls": [2, 3]` or `"first": 2`), and answers a `status` and `code` (gateway shape, or
`"shape": "service"`) with `message` and `headers`, or a raw `body`, after a `delay` in seconds,
or resets the connection (`"reset": true`); a fault with only a delay slows the real answer.

Outcomes: a finished job of the stories has status `success`, `failed` or `cancelled` and the
matching last substatus (1055, 1054, 1056), so that ListJobInfos, which has no substatuses, tells
the outcome as GetJobInfo does; a kill ends a job `cancelled` with 1056. The older fixed jobs
(`finished`, `progress-*`) end `terminated` with the substatus telling the outcome.

The seed (`seed.py`); times are relative to the server's start unless said otherwise:
- Fixed: `20230410****60gg` (the documented sample, errorCode filled on a success) and `sample`;
  `finished` (succeeded, 2025-11-30, etl_payg) and `failed` (2025-11-30, adhoc, diagnostics).
- Quota os_bigdata (level-2 of os_bigdata_p, subscription, Fifo, minCU 100, maxCU 200, priority
  on): running `bd-etl-nightly` (priority 1, 90 cores, 2 h), `bd-feature-backfill` (3, 60 cores),
  `running` (1, 30 cores, for 20 min), `bd-report-daily` (5, 16 cores): 196 of 200 cores in use.
  Waiting for resources (status `waiting`, substatus 1011): `bd-urgent-fix` (priority 0, 3 min),
  `bd-early-batch` (3, 12 min), `queued` (3, 7 min, 48 cores asked: two jobs are ahead of it),
  `bd-late-adhoc` (3, 90 s) and `bd-low-prio` (7, 20 min) behind it.
- Quota etl_payg (level-2 of etl_payg_p, pay-as-you-go, no capacity): `payg-running`,
  `payg-waiting` (shared pool), `payg-done`. Sub-quotas adhoc (Fair) and demo_quota (Fifo) of
  os_bigdata_p; `cancelled` ran 6 min on adhoc 3 h ago and was cancelled (1056, small usage).
- Quota os_restricted (of os_restricted_p): ListJobSnapshotInfos and QueryQuota answer 403
  NoPermission (gateway shape); GetRunningJobs shows `restricted-running`, `restricted-queued`.
- History, project sales_dw, runs a day apart, each newest run finished 40 min before the start:
  `hist-steady` (12 min; 12 earlier runs `hist-steady-r01..r12`: 10 succeeded, r04 failed with
  a DataSkew diagnosis in `sceneResults`, r07 cancelled; the same signature also ran in
  sales_dw_dev two days earlier as `hist-steady-dev`),
  `hist-regressed` (41 min on the usual input, 9 earlier runs of about 12 min), `hist-grew`
  (30 min on 30 GiB, 8 earlier runs whose input and runtime grew from 14 to 28), `hist-few`
  (one earlier run). Runs of one story share `signature` and `extNodeId`.
- Kill: `killable` (running on demo_quota, once); `kill-<anything>` (a fresh running job per id,
  in demo_project); `kill503-<anything>` (its first KillJobs answers 503 ServiceUnavailable);
  `killslow-<anything>` (cancelled only 30 s after the kill). A kill takes effect after
  `kill_delay` (1.5 s); a job that already ended answers ILLEGAL_ARGUMENT, "Only an instance in
  the Running state can be specified"; one of another project, OBJECT_NOT_EXIST; a batch with
  one such job kills none (batch semantics are undocumented: inferred).
- Scripted: `progress-`, `progress-fail-`, `progress-cancel-` (about 4 s to their end), `demo-`
  (about 10 s), `flaky-` (503 on polls 2 and 3), `throttled-` (429 with x-acs-retry-after first).
- `synthetic_jobs=N`: N finished jobs `synth-1..N` in bench_project on etl_payg, all within the
  hour before the start.
Snapshots are taken on whole minutes; those of the last `snapshot_lag` (120 s) are empty.
"""

from maxjob.emulator.gateway import Credential
from maxjob.emulator.jobs import FINAL_STATUSES
from maxjob.emulator.server import (
    DEFAULT_KEY_ID,
    DEFAULT_KEY_SECRET,
    DEFAULT_STS_KEY_ID,
    DEFAULT_STS_SECRET,
    DEFAULT_STS_TOKEN,
    EmulatorServer,
    EmulatorState,
    banner,
    default_credentials,
    load_jobs,
    make_server,
    start_in_thread,
    state_of,
)
from maxjob.emulator.store import Store

__all__ = [
    "DEFAULT_KEY_ID",
    "DEFAULT_KEY_SECRET",
    "DEFAULT_STS_KEY_ID",
    "DEFAULT_STS_SECRET",
    "DEFAULT_STS_TOKEN",
    "FINAL_STATUSES",
    "Credential",
    "EmulatorServer",
    "EmulatorState",
    "Store",
    "banner",
    "default_credentials",
    "load_jobs",
    "make_server",
    "start_in_thread",
    "state_of",
]
