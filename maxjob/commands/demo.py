"""`maxjob demo`: the whole tool in one command, with no account.

It starts the emulator in this process on a free loopback port with a throwaway key (touching no
user configuration and no proxy), watches a scripted job from waiting to finished in about ten
seconds, shows it as a table and as a timeline, and ends with the commands to use maxjob for real.
"""

from __future__ import annotations

import secrets

from maxjob import exits
from maxjob.commands.watch import Watcher, follow
from maxjob.output import formats
from maxjob.output.streams import Streams
from maxjob.polling import Clock
from maxjob.session import ConnectionOptions, open_client

# At most 60 columns a line, so that a narrow terminal breaks none of it.
NEXT_STEPS = """\
That was maxjob against its built-in emulator. To use it
for real:

  export ALIBABA_CLOUD_ACCESS_KEY_ID=...
  export ALIBABA_CLOUD_ACCESS_KEY_SECRET=...
  export ALIBABA_CLOUD_REGION_ID=cn-hangzhou
  # (or, for all three: aliyun configure)
  maxjob info <instanceId>      # or paste a Logview link
  maxjob wait <instanceId> && echo done
  # (in CI: the exit status is the outcome)

Try more here: run maxjob emulator, export the variables it
prints in another shell, then: maxjob info finished (or
failed, progress-1, ...)"""


def run(streams: Streams, *, interval: float = 1.0) -> int:
    from maxjob import emulator
    from maxjob.credentials import Credentials

    key_id = "demo-" + secrets.token_hex(4)
    secret = secrets.token_hex(16)
    server, _ = emulator.start_in_thread(credentials=[emulator.Credential(key_id, secret)])
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        instance_id = "demo-" + secrets.token_hex(6)
        streams.message(f"maxjob demo: a MaxCompute emulator on {url}")
        streams.message(f"maxjob demo: watching job {instance_id} (~10 s)")
        connection = ConnectionOptions(
            endpoint=url,
            region="cn-hangzhou",
            credentials=Credentials(key_id, secret, source="the demo"),
            trust_env=False,
        )
        fmt = formats.FORMATS["table" if streams.out_is_terminal else "plain"]
        utc = not streams.out_is_terminal
        with open_client(connection, streams, pool_size=1) as client:
            watcher = Watcher(
                client, instance_id, streams, Clock(), interval=interval, timeout=60.0
            )
            job = follow(watcher, fmt, None, utc=utc)
        for name in ("table", "timeline"):
            formats.writer(formats.FORMATS[name], streams, jq=None, many=False, utc=utc).show(
                instance_id, job
            )
            streams.write("\n")
        streams.write(NEXT_STEPS + "\n")
    finally:
        server.shutdown()
        server.server_close()
    return exits.of_job(job, unfinished=exits.ExitCode.TIMED_OUT)
