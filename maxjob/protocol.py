"""Constants of the MaxCompute OpenAPI and of signature V3, shared by the client and the emulator.

Only the spec's constants live here: the client's signer and the emulator's checker are written
separately, so that a bug in one is caught by the other.
"""

API_VERSION = "2022-01-04"
ACTION_GET_JOB_INFO = "GetJobInfo"
ALGORITHM = "ACS3-HMAC-SHA256"
# hex(SHA-256(b"")): the payload hash of a request without a body.
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# The gateway accepts x-acs-date only this close to its own clock.
DATE_WINDOW_SECONDS = 15 * 60
# Characters that stay literal when percent-encoding a path segment or a query part.
UNRESERVED = "-_.~"

# The documented regions (any id of the form [a-z0-9-]+ is accepted).
REGIONS = (
    "cn-hangzhou",
    "cn-shanghai",
    "cn-beijing",
    "cn-shenzhen",
    "cn-zhangjiakou",
    "cn-wulanchabu",
    "cn-chengdu",
    "cn-hongkong",
    "ap-northeast-1",
    "ap-southeast-1",
    "ap-southeast-3",
    "ap-southeast-5",
    "eu-central-1",
    "us-east-1",
    "us-west-1",
)

# The job statuses ListJobInfos' documentation shows (OPERATIONS §1.1): no enum is published.
LIST_STATUSES = (
    "running",
    "waiting",
    "submitted",
    "success",
    "failed",
    "cancelled",
    "terminated",
)
# Fields of a job that `list --sort` is offered (the API's item fields; any other is sent as
# given, and the service decides).
LIST_SORT_FIELDS = (
    "submittedAtTime",
    "waitingTime",
    "runningTime",
    "cuUsage",
    "inputBytes",
    "priority",
)
