"""Fixtures: one fake TWS per test session (per xdist worker), reset for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_tws.fake import FakeTWS


class FakeTWSFailure(AssertionError):
    """The fake saw something during the test that a real TWS would not have accepted
    silently: an undecodable or unimplemented request, or a crash in a handler."""


def failure_report(tws: FakeTWS, failures: list[object], frames: int = 30) -> str:
    lines = ["the fake TWS recorded server-side failures during this test:"]
    lines += [f"  - {failure}" for failure in failures]
    lines += ["last wire frames (>> client to fake, << fake to client):", tws.transcript.tail(frames)]
    return "\n".join(lines)


@pytest.fixture(scope="session")
def _fake_tws_server() -> Iterator[FakeTWS]:
    with FakeTWS() as tws:
        yield tws


@pytest.fixture
def fake_tws(_fake_tws_server: FakeTWS) -> Iterator[FakeTWS]:
    """A running FakeTWS with fresh state; server-side failures fail the test at teardown."""
    tws = _fake_tws_server
    tws.reset()
    yield tws
    failures = tws.transcript.take_failures()
    if failures:
        raise FakeTWSFailure(failure_report(tws, list(failures)))
