"""RestartWindow: the TWS daily restart and IBKR's nightly reset, across DST changes."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tws_core.clock import RestartWindow

NY = ZoneInfo("America/New_York")
UTC = timezone.utc


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def window() -> RestartWindow:
    return RestartWindow()


class TestRestart:
    def test_inside_and_outside_default_downtime(self, window: RestartWindow) -> None:
        # Wednesday 2026-11-25: EST (UTC-5)
        assert not window.in_restart(ny(2026, 11, 25, 23, 44, 59))
        assert window.in_restart(ny(2026, 11, 25, 23, 45))
        assert window.in_restart(ny(2026, 11, 25, 23, 49, 59))
        assert not window.in_restart(ny(2026, 11, 25, 23, 50))  # half-open

    def test_same_instant_in_another_zone(self, window: RestartWindow) -> None:
        assert window.in_restart(utc(2026, 11, 26, 4, 46))  # 23:46 EST
        assert window.in_restart(utc(2026, 7, 1, 3, 46))  # 23:46 EDT
        assert not window.in_restart(utc(2026, 7, 1, 4, 46))  # 00:46 EDT

    def test_next_restart_is_strictly_after(self, window: RestartWindow) -> None:
        start = ny(2026, 11, 25, 23, 45)
        assert window.next_restart(start - timedelta(seconds=1)) == start
        assert window.next_restart(start) == ny(2026, 11, 26, 23, 45)

    def test_next_restart_returns_utc(self, window: RestartWindow) -> None:
        got = window.next_restart(ny(2026, 11, 25, 12, 0))
        assert got is not None
        assert got.utcoffset() == timedelta(0)
        assert got == utc(2026, 11, 26, 4, 45)

    def test_spring_forward_keeps_wall_time(self, window: RestartWindow) -> None:
        # 2026-03-08: 02:00 EST -> 03:00 EDT. Restarts on either side stay at 23:45 local,
        # so they are 23 h apart in elapsed time.
        before = window.next_restart(ny(2026, 3, 7, 12, 0))
        after = window.next_restart(ny(2026, 3, 8, 12, 0))
        assert before == utc(2026, 3, 8, 4, 45)
        assert after == utc(2026, 3, 9, 3, 45)
        assert after - before == timedelta(hours=23)

    def test_fall_back_keeps_wall_time(self, window: RestartWindow) -> None:
        # 2026-11-01: 02:00 EDT -> 01:00 EST; the day has 25 h.
        before = window.next_restart(ny(2026, 10, 31, 12, 0))
        after = window.next_restart(ny(2026, 11, 1, 12, 0))
        assert before == utc(2026, 11, 1, 3, 45)
        assert after == utc(2026, 11, 2, 4, 45)
        assert after - before == timedelta(hours=25)

    def test_restart_time_skipped_by_dst_fires_after_the_jump(self) -> None:
        window = RestartWindow(restart_time="02:30")
        # 02:30 does not exist on 2026-03-08; a local-time scheduler fires at 03:30 EDT.
        assert window.next_restart(ny(2026, 3, 8, 0, 0)) == utc(2026, 3, 8, 7, 30)

    def test_restart_time_in_repeated_hour_uses_first_pass(self) -> None:
        window = RestartWindow(restart_time="01:30", reset_enabled=False)
        assert window.next_restart(ny(2026, 11, 1, 0, 0)) == utc(2026, 11, 1, 5, 30)  # EDT
        assert window.in_restart(utc(2026, 11, 1, 5, 31))
        assert not window.in_restart(utc(2026, 11, 1, 6, 31))  # the second 01:31 (EST)

    def test_non_new_york_zone(self) -> None:
        window = RestartWindow(
            restart_time=time(7, 0), restart_zone="Europe/Berlin", restart_downtime=120
        )
        # Europe changes on 2026-03-29, three weeks after the US.
        assert window.next_restart(utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 5, 0)  # CEST
        assert window.next_restart(utc(2026, 3, 27, 12, 0)) == utc(2026, 3, 28, 6, 0)  # CET
        assert window.in_restart(utc(2026, 3, 29, 5, 1, 59))
        assert not window.in_restart(utc(2026, 3, 29, 5, 2))
        # The NY reset keeps its own zone.
        assert window.in_reset(ny(2026, 3, 30, 0, 30))

    def test_disabled_restart(self) -> None:
        window = RestartWindow(restart_enabled=False)
        assert not window.in_restart(ny(2026, 11, 25, 23, 46))
        assert window.next_restart(ny(2026, 11, 25, 12, 0)) is None
        assert window.next_start(ny(2026, 11, 25, 12, 0)) == ny(2026, 11, 26, 0, 15)


class TestReset:
    def test_weekday_window(self, window: RestartWindow) -> None:
        # Thursday 2026-11-26 (its night from Wednesday)
        assert not window.in_reset(ny(2026, 11, 26, 0, 14, 59))
        assert window.in_reset(ny(2026, 11, 26, 0, 15))
        assert window.in_reset(ny(2026, 11, 26, 1, 44, 59))
        assert not window.in_reset(ny(2026, 11, 26, 1, 45))

    def test_no_reset_on_saturday_but_on_sunday(self, window: RestartWindow) -> None:
        assert not window.in_reset(ny(2026, 11, 28, 0, 30))  # Saturday
        assert window.in_reset(ny(2026, 11, 29, 0, 30))  # Sunday
        assert window.next_reset(ny(2026, 11, 27, 2, 0)) == ny(2026, 11, 29, 0, 15)

    def test_window_spanning_the_fall_back_hour(self, window: RestartWindow) -> None:
        # Sunday 2026-11-01: 00:15 EDT to 01:45 (first pass, EDT): 90 minutes elapsed.
        start = window.next_reset(ny(2026, 10, 31, 12, 0))
        assert start == utc(2026, 11, 1, 4, 15)
        assert window.expected_until(start) == utc(2026, 11, 1, 5, 45)
        assert not window.in_reset(utc(2026, 11, 1, 6, 30))  # 01:30 EST, second pass

    def test_window_on_spring_forward_day(self, window: RestartWindow) -> None:
        assert window.next_reset(ny(2026, 3, 7, 12, 0)) == utc(2026, 3, 8, 5, 15)
        assert window.expected_until(utc(2026, 3, 8, 5, 15)) == utc(2026, 3, 8, 6, 45)
        # Monday's reset is in EDT.
        assert window.next_reset(ny(2026, 3, 8, 12, 0)) == utc(2026, 3, 9, 4, 15)

    def test_window_crossing_midnight(self) -> None:
        window = RestartWindow(reset_start="23:45", reset_end="00:45", restart_enabled=False)
        assert window.in_reset(ny(2026, 11, 25, 23, 50))
        assert window.in_reset(ny(2026, 11, 26, 0, 30))
        assert window.expected_until(ny(2026, 11, 25, 23, 50)) == ny(2026, 11, 26, 0, 45)

    def test_custom_days(self) -> None:
        window = RestartWindow(reset_days={0}, restart_enabled=False)  # Mondays only
        assert window.next_reset(ny(2026, 11, 25, 12, 0)) == ny(2026, 11, 30, 0, 15)
        assert not window.in_reset(ny(2026, 11, 26, 0, 30))


class TestCombined:
    def test_contains(self, window: RestartWindow) -> None:
        assert window.contains(ny(2026, 11, 25, 23, 46))
        assert window.contains(ny(2026, 11, 26, 1, 0))
        assert not window.contains(ny(2026, 11, 26, 0, 0))
        assert ny(2026, 11, 26, 1, 0) in window
        assert not window.contains(ny(2026, 11, 26, 9, 30))

    def test_next_start_picks_the_earlier(self, window: RestartWindow) -> None:
        assert window.next_start(ny(2026, 11, 25, 12, 0)) == ny(2026, 11, 25, 23, 45)
        assert window.next_start(ny(2026, 11, 25, 23, 45)) == ny(2026, 11, 26, 0, 15)
        # Friday night: restart, then no Saturday reset, so the next is Saturday's restart.
        assert window.next_start(ny(2026, 11, 27, 23, 45)) == ny(2026, 11, 28, 23, 45)

    def test_expected_until(self, window: RestartWindow) -> None:
        assert window.expected_until(ny(2026, 11, 25, 23, 46)) == ny(2026, 11, 25, 23, 50)
        assert window.expected_until(ny(2026, 11, 26, 1, 0)) == ny(2026, 11, 26, 1, 45)
        assert window.expected_until(ny(2026, 11, 26, 2, 0)) is None

    def test_expected_until_joins_overlapping_windows(self) -> None:
        window = RestartWindow(restart_time="00:10", restart_downtime=timedelta(minutes=10))
        # restart 00:10-00:20 overlaps the reset 00:15-01:45: expect TWS back at 01:45.
        assert window.expected_until(ny(2026, 11, 26, 0, 12)) == ny(2026, 11, 26, 1, 45)


class TestValidation:
    @pytest.mark.parametrize(
        "method",
        [
            "contains",
            "in_restart",
            "in_reset",
            "expected_until",
            "next_start",
            "next_restart",
            "next_reset",
        ],
    )
    def test_naive_datetime_is_an_error(self, window: RestartWindow, method: str) -> None:
        with pytest.raises(ValueError, match="aware"):
            getattr(window, method)(datetime(2026, 11, 25, 23, 46))

    def test_bad_settings(self) -> None:
        with pytest.raises(ValueError):
            RestartWindow(restart_time="25:00")
        with pytest.raises(ValueError):
            RestartWindow(restart_downtime=-1)
        with pytest.raises(ValueError):
            RestartWindow(reset_days={7})
        with pytest.raises(Exception, match="No time zone"):
            RestartWindow(restart_zone="Mars/Olympus")
