"""The errors maxjob reports, each with the exit status it ends the process with.

    MaxjobError                 1  unexpected error
    ├── UsageError              2  bad flag, missing region, bad input
    ├── CredentialsError        4  credentials missing or rejected, permission denied, clock skew
    ├── NotFoundError           5  the job does not exist
    ├── ServiceError            6  network or service unavailable (after retries)
    │   └── TransientError      6  one failed attempt that may succeed later (the client retries it)
    └── ResponseError           1  a response maxjob cannot read

Outcomes are not errors: `watch` and `wait` return 0, 3, 7 or 124 (timed out) themselves.

Every message is one line meant for a person; `hint` is an optional second line.
"""

from __future__ import annotations


class MaxjobError(Exception):
    """Base of every error maxjob reports; `exit_code` is the process exit status."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        self.hint = hint
        self.http_status = http_status

    def one_line(self) -> str:
        """`<what> (<code>, request id <id>)`, leaving out what is unknown."""
        extras = [part for part in (self.code,) if part]
        if self.request_id:
            extras.append(f"request id {self.request_id}")
        return f"{self.message} ({', '.join(extras)})" if extras else self.message

    def as_dict(self) -> dict[str, str | None]:
        """The error as the JSON outputs show it in place of a job."""
        return {"code": self.code, "message": self.message, "requestId": self.request_id}


class UsageError(MaxjobError):
    exit_code = 2


class CredentialsError(MaxjobError):
    exit_code = 4


class NotFoundError(MaxjobError):
    exit_code = 5


class ServiceError(MaxjobError):
    exit_code = 6


class TransientError(ServiceError):
    """One attempt that failed in a way that can succeed later; `retry_after` is the server's."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        may_have_reached_server: bool = True,
        **kwargs: object,
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after
        # False only when the connection was refused: nothing was sent, so even a call that is
        # not safe to repeat (KillJobs) may be tried again.
        self.may_have_reached_server = may_have_reached_server
        self.throttled = bool(self.code and self.code.startswith("Throttling")) or (
            self.http_status == 429
        )


class ResponseError(MaxjobError):
    exit_code = 1
