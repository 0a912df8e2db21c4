"""`network.DirectPool`, the connections requests go through without a proxy, against a real
server on 127.0.0.1: one connection reused for calls in turn, a connection the server closed while
idle (or said it would close) replaced without a failed attempt, the framings of an answer (a
length, chunks with trailers, the end of the connection; and, as a property, any chunk sizes and
any cuts of the bytes on the wire), bytes after an answer never read as the next one's, no more
connections than the pool's size, a close that wakes a call still waiting, and nothing sent once
it is closed."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maxjob import config
from maxjob.api.client import MaxComputeClient, RetryNotice
from maxjob.credentials import Credentials
from maxjob.errors import MaxjobError, ResponseError
from tests.e2e.hostile_servers import (
    Conn,
    Handler,
    RawServer,
    chunk,
    job_body,
    response,
    serve_jobs,
)


def client_for(
    server: RawServer,
    *,
    pool_size: int = 4,
    retries: list[RetryNotice] | None = None,
    max_attempts: int = 3,
) -> MaxComputeClient:
    settings = config.resolve(
        endpoint=server.url,
        region="cn-hangzhou",
        max_attempts=max_attempts,
        request_timeout=5,
        environ={},
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


def _head(*lines: str) -> bytes:
    return "".join(f"{line}\r\n" for line in lines).encode() + b"\r\n"


@pytest.mark.parametrize("framing", ["length-close", "chunked", "until-close", "http-1.0"])
def test_every_framing_of_an_answer_is_read_whole(servers: list[RawServer], framing: str) -> None:
    def answer(conn: Conn) -> None:
        while (request := conn.read_request()) is not None:
            body = job_body(request.instance_id or "?", "running", note="x" * 5000)
            if framing == "length-close":
                conn.send(response(200, body, [("connection", "close")]))
                return
            if framing == "chunked":
                head = _head("HTTP/1.1 200 OK", "transfer-encoding: chunked")
                pieces = [body[:7], body[7:4000], body[4000:]]
                trailer = b"0\r\nx-trailer: yes\r\n\r\n"
                conn.send(head + b"".join(chunk(piece) for piece in pieces) + trailer)
                continue  # kept alive
            status = "HTTP/1.0 200 OK" if framing == "http-1.0" else "HTTP/1.1 200 OK"
            conn.send(_head(status, "connection: close") + body)
            return  # the end of the connection ends the body

    server = start(servers, answer)
    retries: list[RetryNotice] = []
    with client_for(server, retries=retries) as client:
        for number in range(3):
            info = client.get_job_info(f"j{number}")
            assert (info.instance_id, info.status) == (f"j{number}", "running")
    assert retries == []
    assert server.connections == (1 if framing == "chunked" else 3)


def test_a_body_cut_short_closes_its_connection_and_the_next_call_opens_another(
    servers: list[RawServer],
) -> None:
    def cut_once(conn: Conn) -> None:
        while (request := conn.read_request()) is not None:
            whole = response(200, job_body(request.instance_id or "?"))
            if conn.number == 0:
                conn.send(whole[:-5])  # a length it does not keep
                return
            conn.send(whole)

    server = start(servers, cut_once)
    with client_for(server) as client:
        assert client.get_job_info("j1").instance_id == "j1"  # retried on a new connection
        assert client.get_job_info("j2").instance_id == "j2"
    assert server.connections == 2


@pytest.mark.parametrize("extra", ["second-answer", "long-body"])
def test_bytes_after_an_answer_are_never_read_as_the_next_ones(
    servers: list[RawServer], extra: str
) -> None:
    def more_than_asked(conn: Conn) -> None:
        while (request := conn.read_request()) is not None:
            whole = response(200, job_body(request.instance_id or "?"))
            if extra == "second-answer":
                whole += response(200, job_body("EVIL", "failed"))  # unasked, in the same write
            else:
                whole += b'{"data":{"instanceId":"EVIL"}}'  # past the length it gave
            conn.send(whole)

    server = start(servers, more_than_asked)
    with client_for(server) as client:
        for number in range(3):
            info = client.get_job_info(f"j{number}")
            assert (info.instance_id, info.status) == (f"j{number}", "success")
    assert server.connections == 3  # each connection left once its answer was read


def test_an_answer_about_another_job_is_refused(servers: list[RawServer]) -> None:
    server = start(servers, serve_jobs(lambda request, n: response(200, job_body("someone-else"))))
    with client_for(server) as client, pytest.raises(ResponseError, match="another job"):
        client.get_job_info("j1")


def test_close_wakes_a_call_still_waiting_on_its_connection(servers: list[RawServer]) -> None:
    def never_answers(conn: Conn) -> None:
        conn.read_request()
        time.sleep(8)

    server = start(servers, never_answers)
    client = client_for(server)
    outcome: list[BaseException | None] = []

    def call() -> None:
        try:
            client.get_job_info("j1")
            outcome.append(None)
        except MaxjobError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.3)
    started = time.monotonic()
    client.close()
    worker.join(timeout=3)
    assert not worker.is_alive()
    assert time.monotonic() - started < 1  # not the 5 s read timeout
    assert len(outcome) == 1 and isinstance(outcome[0], MaxjobError)
    assert len(server.requests) == 1  # given up, not sent again


@pytest.mark.parametrize(
    ("sent", "words"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", "sent a malformed HTTP answer"),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{}", "was closed early"),
        (b"", "was closed early"),
    ],
    ids=["not-http", "cut-body", "nothing"],
)
def test_an_answer_that_is_not_http_is_told_from_one_cut_short(
    servers: list[RawServer], sent: bytes, words: str
) -> None:
    def once(conn: Conn) -> None:
        if conn.read_request() is not None:
            conn.send(sent)

    server = start(servers, once)
    with client_for(server, max_attempts=1) as client, pytest.raises(MaxjobError) as failed:
        client.get_job_info("j1")
    assert words in failed.value.one_line()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    chunked=st.booleans(),
    chunk_sizes=st.lists(st.integers(1, 700), min_size=1, max_size=8),
    cuts=st.lists(st.integers(1, 3000), max_size=6),
    status=st.sampled_from(["success", "failed", "running"]),
)
def test_an_answer_cut_anywhere_on_the_wire_and_framed_either_way_reads_the_same(
    servers: list[RawServer], chunked: bool, chunk_sizes: list[int], cuts: list[int], status: str
) -> None:
    """However the answer is framed (a length, or chunks of any sizes) and wherever the bytes are
    cut into separate writes, the job read is the one sent, and the connection is reused."""

    def answer(request_id: str) -> bytes:
        body = job_body(request_id, status, note="é" * 300)
        if not chunked:
            return response(200, body)
        pieces, at = [], 0
        for size in chunk_sizes * (len(body) // sum(chunk_sizes) + 1):
            if at >= len(body):
                break
            pieces.append(chunk(body[at : at + size]))
            at += size
        head = _head("HTTP/1.1 200 OK", "transfer-encoding: chunked")
        return head + b"".join(pieces) + b"0\r\n\r\n"

    def in_pieces(conn: Conn) -> None:
        while (request := conn.read_request()) is not None:
            whole = answer(request.instance_id or "?")
            at = 0
            for cut in sorted({c for c in cuts if c < len(whole)}):
                if not conn.send(whole[at:cut]):
                    return
                time.sleep(0.001)
                at = cut
            if not conn.send(whole[at:]):
                return

    server = start(servers, in_pieces)
    with client_for(server, max_attempts=1) as client:
        for number in range(2):
            info = client.get_job_info(f"j{number}")
            assert (info.instance_id, info.status) == (f"j{number}", status)
    assert server.connections == 1
