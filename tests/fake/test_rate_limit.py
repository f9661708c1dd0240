"""TWS's 50 messages/s: error 100 on the first excess message of a second, nothing dropped,
and a disconnect when the excess persists (pytest_tws/fake/pacing.py states the rule)."""

from __future__ import annotations

from pytest_tws import FakeTWS
from pytest_tws.fake.pacing import MessageRateLimit
from pytest_tws.testing import RawTwsClient
from pytest_tws.wire.framing import encode_frame


def test_first_excess_message_of_a_window_is_flagged_once():
    limit = MessageRateLimit(limit=50)
    verdicts = [limit.record(0.001 * i) for i in range(120)]
    flagged = [i for i, v in enumerate(verdicts) if v.exceeded]
    assert flagged == [50]
    assert verdicts[50].received == 51 and verdicts[50].violations == 1
    assert not any(v.disconnect for v in verdicts)


def test_a_new_window_starts_counting_afresh():
    limit = MessageRateLimit(limit=3)
    assert [limit.record(t).exceeded for t in (0.0, 0.1, 0.2, 0.3, 1.0, 1.1, 1.2)] == [
        False,
        False,
        False,
        True,
        False,
        False,
        False,
    ]


def test_persistent_excess_disconnects_after_three_windows():
    limit = MessageRateLimit(limit=2, kick_after=3)
    verdicts = [limit.record(second + i * 0.01) for second in range(3) for i in range(3)]
    assert [v.violations for v in verdicts if v.exceeded] == [1, 2, 3]
    assert verdicts[-1].disconnect


def test_a_quiet_window_resets_the_violation_count():
    limit = MessageRateLimit(limit=2, kick_after=2)
    for t in (0.0, 0.1, 0.2):
        limit.record(t)
    limit.record(1.5)  # a calm window in between
    verdicts = [limit.record(t) for t in (3.0, 3.1, 3.2)]
    assert verdicts[-1].exceeded and verdicts[-1].violations == 1 and not verdicts[-1].disconnect


async def test_a_burst_draws_error_100_in_tws_text_and_every_request_is_answered(
    fake_tws: FakeTWS,
):
    client = await RawTwsClient.open(fake_tws.host, fake_tws.port, client_id=2)
    client.writer.write(b"".join(encode_frame(["49", "1"]) for _ in range(60)))
    answers, errors = 0, []
    while answers < 60:
        frame = await client.next_frame()
        if frame[0] == "49":
            answers += 1
        elif frame[0] == "4" and frame[3] == "100":
            errors.append(frame[4])
    client.close()
    # startApi was message 1 of this window, so the 51st message is the 50th reqCurrentTime
    assert errors == ["Max rate of messages per second has been exceeded:max=50 rec=51 (1)"]


async def test_excess_over_three_consecutive_seconds_closes_the_client(fake_tws: FakeTWS):
    fake_tws.limits.messages_per_second = 5
    seconds = [0.0]
    wall_clock = fake_tws.backend.wall_monotonic
    fake_tws.backend.wall_monotonic = lambda: seconds[0]  # the rate clock, stepped by hand
    try:
        client = await RawTwsClient.open(fake_tws.host, fake_tws.port, client_id=2)
        for second in range(3):
            seconds[0] = float(second)
            client.writer.write(b"".join(encode_frame(["49", "1"]) for _ in range(8)))
            while (await client.next_of("4"))[3] != "100":  # this second's error 100
                pass
        assert await client.closed_by_peer()
    finally:
        fake_tws.backend.wall_monotonic = wall_clock
    codes = [f.fields[3] for f in fake_tws.frames if f.name == "ERR_MSG"]
    assert codes.count("100") == 3
