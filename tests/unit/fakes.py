"""A fake MaxCompute client for command tests on a fake clock: jobs that follow a script."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from maxjob.errors import MaxjobError, NotFoundError
from maxjob.models import JobInfo

# One GetJobInfo answer: the job's fields (its id is added), or an error to raise.
State = dict[str, Any] | Exception


class Settings:
    host = "maxcompute.cn-hangzhou.aliyuncs.com"
    endpoint = "https://maxcompute.cn-hangzhou.aliyuncs.com"
    connect_timeout = 1.0
    read_timeout = 1.0


class ScriptedJobs:
    """Jobs that follow a script, one state per GetJobInfo (the last one repeats); an id with no
    script is not found. `reads` counts the GetJobInfo calls per id."""

    def __init__(self, script: dict[str, list[State]]) -> None:
        self.script = script
        self.reads: dict[str, int] = {}
        self.settings = Settings()

    def __enter__(self) -> ScriptedJobs:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def one_attempt(self) -> float:
        return 2.0

    def get_job_info(self, instance_id: str, *, deadline: float | None = None) -> JobInfo:
        n = self.reads.get(instance_id, 0)
        self.reads[instance_id] = n + 1
        states = self.script.get(instance_id)
        if states is None:
            raise NotFoundError(f"job {instance_id} not found", code="OBJECT_NOT_EXIST")
        state = states[min(n, len(states) - 1)]
        if isinstance(state, Exception):
            raise state
        return JobInfo.from_api({"instanceId": instance_id, **state})

    def get_many(
        self, ids: Iterable[str], **kwargs: Any
    ) -> Iterator[tuple[str, JobInfo | MaxjobError]]:
        for instance_id in ids:
            try:
                yield instance_id, self.get_job_info(instance_id)
            except MaxjobError as exc:
                yield instance_id, exc
