"""Bad input closes that one client with a logged reason; every other client is unaffected."""

from __future__ import annotations

import asyncio
import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ib_async import IB

from pytest_tws import FakeTWS
from pytest_tws.testing import RawTwsClient, prologue
from pytest_tws.wire.framing import encode_frame

WAIT = 5.0


async def healthy_bystander(tws: FakeTWS) -> IB:
    ib = IB()
    await ib.connectAsync(tws.host, tws.port, clientId=99, timeout=WAIT)
    return ib


async def assert_still_serving(ib: IB) -> None:
    assert ib.isConnected()
    assert await asyncio.wait_for(ib.reqCurrentTimeAsync(), WAIT)


@pytest.mark.parametrize(
    "payload, reason",
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "does not start with API"),
        (prologue(b"v1..50"), "serves v100..200: refused"),
        (prologue() + struct.pack(">I", 1 << 30), "exceeds"),
        (prologue() + struct.pack(">I", 3) + b"ab\xff", "NUL"),
        (
            prologue() + encode_frame(["71", "2", "1", ""]) + encode_frame(["999", "1"]),
            "unknown message id '999'",
        ),
        (
            prologue() + encode_frame(["71", "2", "1", ""]) + encode_frame(["x"]),
            "unknown message id 'x'",
        ),
    ],
)
async def test_bad_input_closes_only_that_client(
    fake_tws: FakeTWS, payload: bytes, reason: str, caplog: pytest.LogCaptureFixture
):
    bystander = await healthy_bystander(fake_tws)
    try:
        reader, writer = await asyncio.open_connection(fake_tws.host, fake_tws.port)
        writer.write(payload)
        assert await RawTwsClient(reader, writer).closed_by_peer()
        writer.close()
        await assert_still_serving(bystander)
    finally:
        bystander.disconnect()
    failures = fake_tws.transcript.take_failures()
    assert any(reason in f.message for f in failures), failures
    assert reason in caplog.text


async def test_undecodable_field_gets_321_and_the_client_stays(fake_tws: FakeTWS):
    client = await RawTwsClient.open(fake_tws.host, fake_tws.port, client_id=4)
    bad_request = [
        "9",
        "8",
        "notanumber",
        "0",
        "AAPL",
        "STK",
        "",
        "",
        "",
        "",
        "SMART",
        "",
        "USD",
        "",
        "",
        "0",
        "",
        "",
        "",
    ]
    client.writer.write(encode_frame(bad_request))
    error = await client.next_of("4")
    while error[3] != "321":
        error = await client.next_of("4")
    assert error[:2] == ["4", "2"]
    assert "reqId" in error[4]
    client.writer.write(encode_frame(["49", "1"]))
    assert await client.next_of("49")
    client.close()
    [failure] = fake_tws.transcript.take_failures()
    assert failure.kind == "undecodable request"


async def test_unimplemented_request_is_reported_not_fatal(fake_tws: FakeTWS):
    client = await RawTwsClient.open(fake_tws.host, fake_tws.port, client_id=4)
    client.writer.write(encode_frame(["14", "1", "5"]))  # SET_SERVER_LOGLEVEL
    client.writer.write(encode_frame(["49", "1"]))
    assert await client.next_of("49")
    client.close()
    [failure] = fake_tws.transcript.take_failures()
    assert "SET_SERVER_LOGLEVEL" in failure.message


async def test_requests_before_start_api_get_no_answer(fake_tws: FakeTWS):
    raw = RawTwsClient(*await asyncio.open_connection(fake_tws.host, fake_tws.port))
    raw.writer.write(prologue())
    assert (await raw.next_frame())[0] == "178"
    raw.writer.write(encode_frame(["49", "1"]) + encode_frame(["71", "2", "8", ""]))
    assert (await raw.next_frame())[0] == "15"  # managedAccounts: nothing before startApi's answer
    raw.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(noise=st.binary(min_size=1, max_size=300), framed=st.booleans())
async def test_fuzzed_input_never_disturbs_another_client(
    fake_tws: FakeTWS, noise: bytes, framed: bool
):
    bystander = await healthy_bystander(fake_tws)
    try:
        _, writer = await asyncio.open_connection(fake_tws.host, fake_tws.port)
        start = prologue() + encode_frame(["71", "2", str(random.Random(noise).randint(0, 98)), ""])
        writer.write(start + (struct.pack(">I", len(noise)) + noise if framed else noise))
        await writer.drain()
        writer.close()
        await assert_still_serving(bystander)
    finally:
        bystander.disconnect()
        await wait_for_no_sessions(fake_tws)
        fake_tws.transcript.take_failures()  # the failures this noise caused are the point


async def wait_for_no_sessions(tws: FakeTWS) -> None:
    """Until the fake has read every byte and seen every socket close: only then are all the
    failures the input causes recorded."""
    for _ in range(500):
        if not tws.call(lambda: len(tws.backend.all_sessions)):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the fake still holds sessions after 5 s")
