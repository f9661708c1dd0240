"""The embedded server against the real Toxiproxy 2.12.0, step by step (`_scenarios`).

Each scenario runs on both servers and every step's observation must be the same, apart from
the one deliberate difference (an empty listen host binds loopback here; see
`_differential.LOOPBACK_DEFAULT`). Skipped when no real server is available (see conftest).
Scenarios that call POST /reset run on a real server of their own.
"""

from __future__ import annotations

import pytest

from . import _scenarios  # noqa: F401  (registers the scenarios)
from ._differential import GLOBAL_SCENARIOS, SCENARIOS, differences, run
from ._support import EchoServer


def _report(name: str, diffs: list[tuple[str, object, object]]) -> str:
    lines = [f"{len(diffs)} step(s) of {name} differ (embedded vs real):"]
    for label, embedded, real in diffs:
        lines += [f"- {label}", f"    embedded: {embedded}", f"    real:     {real}"]
    return "\n".join(lines)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_embedded_matches_real(
    name: str, embedded_url: str, echo: EchoServer, request: pytest.FixtureRequest
) -> None:
    real_url = request.getfixturevalue(
        "private_real_url" if name in GLOBAL_SCENARIOS else "real_url"
    )
    embedded = run(embedded_url, echo, name)
    real = run(real_url, echo, name)
    assert len(embedded) > 0
    diffs = differences(embedded, real)
    assert not diffs, _report(name, diffs)


def test_the_comparison_can_fail(embedded_url: str, echo: EchoServer) -> None:
    # Two runs of a scenario on one server agree; a changed observation is reported.
    first = run(embedded_url, echo, "general_routes")
    assert differences(first, run(embedded_url, echo, "general_routes")) == []
    label, observation = first[0]
    changed = [(label, {**observation, "status": "418 I'm a teapot"}), *first[1:]]
    assert [d[0] for d in differences(first, changed)] == [label]
    assert len(differences(first, first[:-1])) == 1  # a missing step counts
