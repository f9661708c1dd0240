"""The "fake TWS" section of a failing test's report: this test's frames (the `ib` fixture's
startup sync folded into one line, runs of market-data ticks into one line each), requests
decoded with IBKR's field names, then the fake's state (orders and why a working one has not
filled, positions, market-data lines, faults in force).

Added to every failing test that used the fake (setup, call or teardown). Turn it off with
``tws_report = false`` in the ini, or ``-p no:pytest_tws.report``.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from pytest_tws.fake import FakeTWS
from pytest_tws.fake.describe import POSITIONAL, describe_request, describe_response
from pytest_tws.fake.received import format_fields
from pytest_tws.fake.summary import state_summary
from pytest_tws.fake.transcript import Fold, Frame
from pytest_tws.wire.fields import UNSET_INTEGER
from pytest_tws.wire.messages import In, Out

__all__ = ["FAKE_KEY", "SECTION", "render_report", "report_enabled"]

SECTION = "fake TWS"
INI = "tws_report"
#: The test's fake: set by the `fake_tws` fixture, read when the report is made.
FAKE_KEY = pytest.StashKey[FakeTWS]()
_SHOWN_KEY = pytest.StashKey[bool]()

#: Frame lines a report shows at most: the first HEAD and the last (MAX_LINES - HEAD).
MAX_LINES = 80
HEAD = 15
#: Outgoing messages shown as one line per run ("14 ticks: TICK_PRICE, TICK_SIZE").
TICKS = frozenset({
    "TICK_PRICE", "TICK_SIZE", "TICK_GENERIC", "TICK_STRING", "TICK_OPTION_COMPUTATION",
    "TICK_REQ_PARAMS", "TICK_SNAPSHOT_END", "TICK_BY_TICK", "MARKET_DATA_TYPE",
})
_RUN_MIN = 3
_UNSET_DOUBLE_TEXT = "1.7976931348623157E308"
_UNSET_INT_TEXT = str(UNSET_INTEGER)
_IN_BY_TEXT = {str(int(m)): m for m in In}
_OUT_BY_TEXT = {str(int(m)): m for m in Out}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(INI, type="bool", default=True,
                  help="pytest-tws: add a 'fake TWS' section (frames and state) to the "
                       "report of a failing test that used the fake (default true)")


def report_enabled(config: pytest.Config) -> bool:
    if not config.pluginmanager.has_plugin(__name__):
        return False
    try:
        return bool(config.getini(INI))
    except ValueError:
        return False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    tws = item.stash.get(FAKE_KEY, None)
    if (report.failed and tws is not None and not item.stash.get(_SHOWN_KEY, False)
            and report_enabled(item.config)):
        item.stash[_SHOWN_KEY] = True
        report.sections.append((SECTION, render_report(tws)))
    return report


def _request_line(frame: Frame, server_version: int) -> str:
    message_id = _IN_BY_TEXT.get(frame.fields[0]) if frame.fields else None
    if message_id is None or frame.label:
        return str(frame)
    fields = describe_request(int(message_id), list(frame.fields), server_version)
    named = {k: v for k, v in fields.items() if not k.startswith(POSITIONAL)}
    more = len(fields) - len(named)
    who = "-" if frame.client_id is None else str(frame.client_id)
    text = format_fields(named) if named else "|".join(frame.fields[1:])
    if named and more:
        text += f" (+{more} more fields)"
    return f">> client {who} {message_id.name} {text}".rstrip()


def _answer_line(frame: Frame, server_version: int = 178) -> str:
    """An outgoing frame by field name where its schema names it; otherwise as sent, TWS's
    "unset" numbers shown as such."""
    message_id = _OUT_BY_TEXT.get(frame.fields[0]) if frame.fields else None
    if message_id is not None and not frame.label:
        fields = describe_response(int(message_id), list(frame.fields), server_version)
        named = {k: v for k, v in fields.items() if not k.startswith(POSITIONAL)}
        if named and len(named) == len(fields):
            who = "-" if frame.client_id is None else str(frame.client_id)
            return f"<< client {who} {message_id.name} {format_fields(named)}".rstrip()
    return str(frame).replace(_UNSET_DOUBLE_TEXT, "UNSET").replace(_UNSET_INT_TEXT, "UNSET")


def frame_lines(tws: FakeTWS, server_version: int = 178) -> list[str]:
    """This test's frames, folded (see the module)."""
    numbered = tws.transcript.numbered()
    folds = list(tws.transcript.folds)
    sizes = {fold: sum(1 for n, f in numbered if fold.covers(n, f)) for fold in folds}
    lines: list[str] = []
    if numbered and numbered[0][0] > 0:
        lines.append(f".. {numbered[0][0]} earlier frames of this test are no longer held")
    shown: set[Fold] = set()
    run: list[Frame] = []

    def flush() -> None:
        if len(run) >= _RUN_MIN:
            names = ", ".join(sorted({f.name for f in run}))
            lines.append(f"<< client {run[0].client_id} {len(run)} market-data messages "
                         f"({names})")
        else:
            lines.extend(_answer_line(f, server_version) for f in run)
        run.clear()

    for number, frame in numbered:
        fold = next((f for f in folds if f.covers(number, frame)), None)
        if fold is not None:
            if fold not in shown:
                flush()
                shown.add(fold)
                lines.append(f".. {fold.label} ({sizes[fold]} frames folded)")
            continue
        if frame.direction == "<<" and frame.name in TICKS:
            if run and run[0].client_id != frame.client_id:
                flush()
            run.append(frame)
            continue
        flush()
        lines.append(_request_line(frame, server_version) if frame.direction == ">>"
                     else _answer_line(frame, server_version))
    flush()
    if len(lines) > MAX_LINES:
        left_out = len(lines) - MAX_LINES
        lines = [*lines[:HEAD], f".. {left_out} lines left out ..",
                 *lines[len(lines) - (MAX_LINES - HEAD):]]
    return lines


def silent_after(tws: FakeTWS) -> list[str]:
    """Each client whose last request got nothing back (ticks aside): what a hung test is
    most likely waiting for."""
    last: dict[int | None, Frame] = {}
    for _, frame in tws.transcript.numbered():
        if frame.client_id is None:
            continue  # the handshake and startApi, before the session has its clientId
        if frame.direction == ">>":
            last[frame.client_id] = frame
        elif frame.name not in TICKS:
            last.pop(frame.client_id, None)
    return [_request_line(frame, 178).replace(">> ", "", 1) for frame in last.values()]


def render_report(tws: FakeTWS) -> str:
    """The section's text: frames, then state. Never raises (a report must not fail)."""
    try:
        head = (f"fake TWS at {tws.address}; this test's frames "
                "(>> client to fake, << fake to client):")
        lines = [head, *(f"  {line}" for line in frame_lines(tws) or ["(none)"])]
        silent = silent_after(tws)
        if silent:
            lines.append("no answer (yet) to the last request of:")
            lines += [f"  {line}" for line in silent]
    except Exception as exc:  # the fake may be gone; say so rather than hide the failure
        lines = [f"fake TWS frames unavailable: {exc!r}"]
    try:
        listening = tws.listening
        state = tws.call(lambda: state_summary(tws.backend, listening))
        lines += ["state of the fake now:", *(f"  {line}" for line in state)]
    except Exception as exc:
        lines.append(f"fake TWS state unavailable: {exc!r}")
    return "\n".join(lines)
