"""The fake's 50/s limit tolerates a well-paced client's jitter at window boundaries."""

from __future__ import annotations

from pytest_tws.fake.pacing import MessageRateLimit


def test_a_paced_batch_landing_just_under_a_second_later_starts_a_new_window() -> None:
    limit = MessageRateLimit(limit=50)
    first = [limit.record(0.0 + i * 1e-5) for i in range(45)]
    second = [limit.record(0.999 + i * 1e-5) for i in range(45)]
    assert not any(v.exceeded for v in first + second)


def test_more_than_fifty_within_the_shortened_window_is_still_flagged() -> None:
    limit = MessageRateLimit(limit=50)
    verdicts = [limit.record(i * 0.9 / 51) for i in range(51)]
    assert [v.exceeded for v in verdicts].count(True) == 1 and verdicts[-1].exceeded
