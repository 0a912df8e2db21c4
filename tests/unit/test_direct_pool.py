"""`network.DirectPool`, the connections requests go through without a proxy, against a real
server on 127.0.0.1: one connection reused for calls in turn, a connection the server closed while
idle replaced without a failed attempt, no more connections than the pool's size, and nothing
sent once it is closed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from maxjob import config
from maxjob.api.client import MaxComputeClient, RetryNotice
from maxjob.credentials import Credentials
from maxjob.errors import MaxjobError
from tests.e2e.hostile_servers import Conn, Handler, RawServer, job_body, response, serve_jobs


@pytest.fixture
def servers() -> Iterator[list[RawServer]]:
    started: list[RawServer] = []
    yield started
    for server in started:
        server.close()


def client_for(
    server: RawServer, *, pool_size: int = 4, retries: list[RetryNotice] | None = None
) -> MaxComputeClient:
    settings = config.resolve(
        endpoint=server.url, region="cn-hangzhou", max_attempts=3, request_timeout=5, environ={}
    )
    return MaxComputeClient(
        settings,
        Credentials("pool-id", "pool-secret"),
        pool_size=pool_size,
        environ={},
        on_retry=None if retries is None else retries.append,
    )


def start(servers: list[RawServer], handler: Handler) -> RawServer:
    server = RawServer(handler, lifetime=20)
    servers.append(server)
    return server


def test_calls_in_turn_go_over_one_kept_alive_connection(servers: list[RawServer]) -> None:
    server = start(servers, serve_jobs())
    with client_for(server) as client:
        for number in range(5):
            assert client.get_job_info(f"j{number}").instance_id == f"j{number}"
    assert server.connections == 1
    assert len(server.requests) == 5


def test_a_connection_the_server_closed_while_idle_is_replaced_without_a_failed_attempt(
    servers: list[RawServer],
) -> None:
    def one_answer_a_connection(conn: Conn) -> None:
        request = conn.read_request()
        if request is not None:
            conn.send(response(200, job_body(request.instance_id or "?")))
        # then closes, keep-alive notwithstanding

    server = start(servers, one_answer_a_connection)
    retries: list[RetryNotice] = []
    with client_for(server, retries=retries) as client:
        for number in range(3):
            assert client.get_job_info(f"j{number}").instance_id == f"j{number}"
            time.sleep(0.1)  # the server's close reaches the idle connection
    assert retries == []  # the closed connection was seen before it was used, not after
    assert server.connections == 3


def test_no_more_connections_than_the_pool_holds(servers: list[RawServer]) -> None:
    def slowly(conn: Conn) -> None:
        while (request := conn.read_request()) is not None:
            time.sleep(0.15)
            if not conn.send(response(200, job_body(request.instance_id or "?"))):
                return

    server = start(servers, slowly)
    with client_for(server, pool_size=2) as client:
        ids = [f"j{number}" for number in range(6)]
        infos = [info for _, info in client.map_ordered(client.get_job_info, ids, concurrency=6)]
    assert [info.instance_id for info in infos] == ids
    assert server.connections == 2


def test_a_closed_pool_refuses_to_send(servers: list[RawServer]) -> None:
    server = start(servers, serve_jobs())
    client = client_for(server)
    assert client.get_job_info("j1").instance_id == "j1"
    client.close()
    with pytest.raises(MaxjobError):
        client.get_job_info("j2")
    assert len(server.requests) == 1
