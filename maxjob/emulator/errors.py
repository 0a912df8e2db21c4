"""The two shapes in which the emulator refuses a request, as the real service does.

`GatewayError` answers `{RequestId, HostId, Code, Message, Recommend}` (signature, credentials,
permission, throttling); `ServiceError` answers MaxCompute's own
`{requestId, httpCode, errorCode, errorMsg}` (unknown job, bad argument).
"""

from __future__ import annotations


class EmulatorError(Exception):
    """A refusal: an HTTP status, a code and a message, in the shape of `shape`."""

    shape = "service"

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class GatewayError(EmulatorError):
    """An answer in the gateway's shape: `{RequestId, HostId, Code, Message, Recommend}`."""

    shape = "gateway"


class ServiceError(EmulatorError):
    """An answer in the service's shape: `{requestId, httpCode, errorCode, errorMsg}`."""

    shape = "service"


def illegal_argument(message: str) -> ServiceError:
    return ServiceError(400, "ILLEGAL_ARGUMENT", message)


def no_permission(action: str, resource: str) -> GatewayError:
    """What RAM answers when the caller may not perform `action` on `resource`."""
    return GatewayError(
        403,
        "NoPermission",
        f"You are not authorized to do action odps:{action} on resource {resource}.",
    )
