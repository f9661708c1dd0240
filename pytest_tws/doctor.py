"""`pytest-tws doctor`: is this TWS / IB Gateway ready for `pytest --tws=paper`?

    TCP connect ─► API handshake ─► ib_async connect ─► accounts ─► read-only? ─► clock
    (raw socket)   (raw socket,      (startApi,          (paper    (reqOpenOrders (reqCurrent-
                    short timeout)    clientId)           or live)  → 321?)        Time)
                                          │
                                          └─► farm status (2104/2106/2158 at connect) ─► market
                                              data (delayed-if-needed snapshot of SPY)

The handshake is probed on a raw socket first, so a TWS that accepts TCP but never answers
(socket clients disabled mid-way, an untrusted IP waiting on TWS's confirmation dialog, or
another program on the port) is told apart from one that refuses the clientId.

Nothing here can trade: the only requests are reqOpenOrders (this clientId's own orders, none),
reqCurrentTime, reqMarketDataType and one market-data snapshot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import struct
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from pytest_tws.model.accounts import is_paper_account
from pytest_tws.wire.framing import FrameReader
from pytest_tws.wire.handshake import MAGIC

#: What ib_async 2.1 offers in its handshake; it refuses servers below 157.
CLIENT_VERSIONS = b"v157..178"
MIN_SERVER_VERSION = 157

PAPER_PORTS = {7497: "TWS paper trading", 4002: "IB Gateway paper trading"}
LIVE_PORTS = {7496: "TWS live trading", 4001: "IB Gateway live trading"}

#: ib_async versions this project is tested with: [low, high)
SUPPORTED_IB_ASYNC = ((2, 1), (2, 2))

#: Skew between TWS's clock and this machine's: fine up to OK, suspicious up to WARN.
CLOCK_OK_SECONDS = 2.0
CLOCK_WARN_SECONDS = 30.0

FARM_OK = {2104: "market data", 2106: "historical data", 2158: "security definitions",
           2107: "historical data (inactive until used)",
           2108: "market data (inactive until used)"}
FARM_BROKEN = {2103: "market data", 2105: "historical data", 2157: "security definitions",
               1100: "IBKR servers (1100: connectivity lost)",
               2110: "IBKR servers (2110: connection broken)"}
NO_MARKET_DATA = {354, 10168}
DELAYED_NOTICE = {10167, 10089, 10090}
READ_ONLY_TEXT = "Read-Only mode"

API_SETTINGS = "TWS: Configure → API → Settings (IB Gateway: Configure → Settings → API → Settings)"
FIX_NOT_LISTENING = (
    "Start TWS or IB Gateway and log in with your paper-trading user name. Then {settings}: "
    "tick 'Enable ActiveX and Socket Clients' and check that 'Socket port' is {port} (TWS paper "
    "7497, IB Gateway paper 4002), or pass --port."
)
FIX_NO_HANDSHAKE = (
    "Something accepts connections on {port} but does not answer the TWS API handshake. Make "
    "sure it is TWS or IB Gateway; in {settings} tick 'Enable ActiveX and Socket Clients' and add "
    "127.0.0.1 to 'Trusted IPs' (or click 'Accept' in the 'incoming connection' dialog TWS "
    "shows); restart TWS if the API has stopped answering."
)
FIX_OLD_SERVER = "Update TWS / IB Gateway: ib_async needs server version {minimum} or later."
FIX_CLIENT_ID = (
    "clientId {client_id} is in use by another program (or by a session TWS has not released "
    "yet, for up to a minute): pass --client-id with another number."
)
FIX_API_START = (
    "TWS answered the handshake but did not start the API session. Log in completely (dismiss "
    "any dialog), check {settings} 'Enable ActiveX and Socket Clients', and retry."
)
FIX_LIVE = (
    "Log out and log in to TWS / IB Gateway with your paper-trading user name (choose 'Paper "
    "Trading' on the login screen). Paper accounts start with D, e.g. DU1234567; pytest-tws "
    "never runs against a live account."
)
FIX_READ_ONLY = "{settings}: untick 'Read-Only API', then Apply."
FIX_CLOCK = (
    "Synchronise this computer's clock (Windows: Settings → Time & language → Date & time → "
    "Sync now; Linux: `timedatectl set-ntp true`; macOS: Date & Time → Set automatically), "
    "and the clock of the machine TWS runs on."
)
FIX_FARMS = (
    "TWS is not connected to IBKR's servers. Check this machine's internet connection and "
    "TWS's status bar; during IBKR's nightly reset (around 00:15-01:45 New York time) wait "
    "and retry."
)
FIX_MARKET_DATA = (
    "Paper accounts get market data only through the live account: in Client Portal, "
    "Settings → Account Settings → Paper Trading Account → share real-time market data; or "
    "subscribe to US market data. Without it, request delayed data (reqMarketDataType(3))."
)
FIX_IB_ASYNC = "pip install 'ib_async>=2.1,<2.2'"


class Status(str, Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


SYMBOLS = {Status.OK: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "-"}
ASCII_SYMBOLS = {Status.OK: "[ok]", Status.WARN: "[warn]", Status.FAIL: "[FAIL]",
                 Status.SKIP: "[skip]"}


@dataclass(frozen=True)
class Check:
    """One line of the checklist."""

    name: str
    status: Status
    detail: str
    fix: str = ""
    """what to do, in plain words; set for FAIL and WARN"""


@dataclass
class Report:
    host: str
    port: int
    client_id: int
    checks: list[Check] = field(default_factory=list)
    server_version: int | None = None
    accounts: list[str] = field(default_factory=list)
    fake: bool = False
    """the server is pytest-tws's fake TWS (it said so)"""

    @property
    def ok(self) -> bool:
        """Everything pytest --tws=paper needs is there (warnings allowed)."""
        return all(c.status is not Status.FAIL for c in self.checks)

    def add(self, name: str, status: Status, detail: str, fix: str = "") -> Check:
        check = Check(name, status, detail, fix)
        self.checks.append(check)
        return check

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "host": self.host, "port": self.port, "client_id": self.client_id,
            "server_version": self.server_version, "accounts": self.accounts,
            "fake_tws": self.fake,
            "checks": [{**asdict(c), "status": c.status.value} for c in self.checks],
        }


# -- the checks -------------------------------------------------------------------------------


def check_ib_async(report: Report) -> None:
    try:
        import ib_async
    except ImportError as exc:  # a broken install; pytest-tws depends on it
        report.add("ib_async", Status.FAIL, f"cannot import ib_async: {exc}", FIX_IB_ASYNC)
        return
    version = ib_async.__version__
    low, high = SUPPORTED_IB_ASYNC
    if low <= tuple(ib_async.__version_info__[:2]) < high:
        report.add("ib_async", Status.OK, f"ib_async {version}")
    else:
        report.add("ib_async", Status.WARN,
                   f"ib_async {version}; pytest-tws is tested with 2.1", FIX_IB_ASYNC)


def check_port_kind(report: Report) -> None:
    port = report.port
    if port in PAPER_PORTS:
        report.add("port kind", Status.OK, f"{port} is the {PAPER_PORTS[port]} default")
    elif port in LIVE_PORTS:
        report.add("port kind", Status.WARN,
                   f"{port} is the {LIVE_PORTS[port]} default",
                   "Use the paper-trading session (TWS paper 7497, IB Gateway paper 4002); "
                   "the accounts check below decides.")
    else:
        report.add("port kind", Status.OK, f"{port} is not a default TWS port (custom setting)")


async def probe_handshake(report: Report, timeout: float) -> bool:
    """Port open, and the API handshake answered: on a raw socket, with `timeout`."""
    settings = {"settings": API_SETTINGS, "port": report.port}
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(report.host, report.port), timeout)
    except (OSError, asyncio.TimeoutError) as exc:
        reason = "timed out" if isinstance(exc, asyncio.TimeoutError) else str(exc) or repr(exc)
        report.add("port open", Status.FAIL, f"cannot connect to {report.host}:{report.port}: "
                   f"{reason}", FIX_NOT_LISTENING.format(**settings))
        return False
    report.add("port open", Status.OK, f"{report.host}:{report.port} accepts connections")
    try:
        writer.write(MAGIC + struct.pack(">I", len(CLIENT_VERSIONS)) + CLIENT_VERSIONS)
        await writer.drain()
        fields = await asyncio.wait_for(_first_frame(reader), timeout)
    except asyncio.TimeoutError:
        report.add("API handshake", Status.FAIL,
                   f"no answer to the API handshake within {timeout:g} s",
                   FIX_NO_HANDSHAKE.format(**settings))
        return False
    except (OSError, ValueError, EOFError) as exc:
        report.add("API handshake", Status.FAIL, f"the connection failed during the handshake: "
                   f"{exc or type(exc).__name__}", FIX_NO_HANDSHAKE.format(**settings))
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    try:
        version = int(fields[0])
    except (IndexError, ValueError):
        report.add("API handshake", Status.FAIL, f"not a TWS handshake answer: {fields!r}",
                   FIX_NO_HANDSHAKE.format(**settings))
        return False
    report.server_version = version
    if version < MIN_SERVER_VERSION:
        report.add("API handshake", Status.FAIL, f"server version {version}",
                   FIX_OLD_SERVER.format(minimum=MIN_SERVER_VERSION))
        return False
    when = fields[1] if len(fields) > 1 else "?"
    report.add("API handshake", Status.OK, f"server version {version}, TWS time {when}")
    return True


async def _first_frame(reader: asyncio.StreamReader) -> list[str]:
    frames = FrameReader()
    while True:
        data = await reader.read(4096)
        if not data:
            raise EOFError("TWS closed the connection without answering")
        decoded = frames.feed(data)
        if decoded:
            return decoded[0]


@dataclass
class _Errors:
    """Error and notice messages (reqId, code, text) seen on the ib_async connection."""

    seen: list[tuple[int, int, str]] = field(default_factory=list)

    def __call__(self, req_id: int, code: int, text: str, contract: object) -> None:
        self.seen.append((req_id, code, text))

    def codes(self) -> set[int]:
        return {code for _, code, _ in self.seen}

    def since(self, start: int) -> list[tuple[int, int, str]]:
        return self.seen[start:]


async def check_session(report: Report, timeout: float) -> None:
    """Everything that needs an API session: accounts, read-only, clock, farms, market data."""
    from ib_async import IB

    ib = IB()
    errors = _Errors()
    ib.errorEvent += errors
    try:
        await ib.client.connectAsync(report.host, report.port, report.client_id, timeout)
    except (OSError, asyncio.TimeoutError, ConnectionError) as exc:
        ib.client.disconnect()
        if 326 in errors.codes():
            fix = FIX_CLIENT_ID.format(client_id=report.client_id)
            report.add("API session", Status.FAIL, f"clientId {report.client_id} is in use", fix)
        else:
            report.add("API session", Status.FAIL,
                       f"the API session did not start: {exc!r}",
                       FIX_API_START.format(settings=API_SETTINGS))
        return
    try:
        report.add("API session", Status.OK, f"started as clientId {report.client_id}")
        from pytest_tws.doctor_fake import check_not_the_fake

        await check_not_the_fake(report, ib, timeout)
        report.accounts = list(ib.client.getAccounts())
        check_accounts(report)
        await check_read_only(report, ib, timeout)
        await check_clock(report, ib, timeout)
        # Farm notices come right after startApi, before the answers awaited above.
        check_farms(report, errors)
        await check_market_data(report, ib, errors, timeout)
    finally:
        ib.errorEvent -= errors
        ib.client.disconnect()


def check_accounts(report: Report) -> None:
    accounts = report.accounts
    live = [a for a in accounts if not is_paper_account(a)]
    if not accounts:
        report.add("paper account", Status.FAIL, "TWS reported no managed account", FIX_LIVE)
    elif live:
        report.add("paper account", Status.FAIL,
                   f"{', '.join(live)} {'is a live account' if len(live) == 1 else 'are live'}",
                   FIX_LIVE)
    else:
        report.add("paper account", Status.OK, f"{', '.join(accounts)} (paper)")


async def check_read_only(report: Report, ib: Any, timeout: float) -> None:
    """TWS answers reqOpenOrders with 321 "…Read-Only mode." when the API is read-only."""
    refused: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def on_error(req_id: int, code: int, text: str, contract: object) -> None:
        if code == 321 and READ_ONLY_TEXT in text and not refused.done():
            refused.set_result(text)

    ib.errorEvent += on_error
    request = asyncio.ensure_future(ib.reqOpenOrdersAsync())
    try:
        await asyncio.wait([request, refused], timeout=timeout,
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        ib.errorEvent -= on_error
        request.cancel()
        refused.cancel()
    if refused.done() and not refused.cancelled():
        report.add("read-only API", Status.FAIL, "the API is in read-only mode",
                   FIX_READ_ONLY.format(settings=API_SETTINGS))
    elif request.done() and not request.cancelled():
        report.add("read-only API", Status.OK, "off (orders can be placed)")
    else:
        report.add("read-only API", Status.WARN, f"no answer to reqOpenOrders within {timeout:g} s",
                   "Retry; if it persists, restart TWS.")


async def check_clock(report: Report, ib: Any, timeout: float) -> None:
    before = time.time()
    try:
        tws_time: datetime = await asyncio.wait_for(ib.reqCurrentTimeAsync(), timeout)
    except asyncio.TimeoutError:
        report.add("clock", Status.WARN, f"no answer to reqCurrentTime within {timeout:g} s")
        return
    after = time.time()
    # TWS answers in whole seconds: compare with the middle of the round trip.
    local = datetime.fromtimestamp((before + after) / 2, tz=timezone.utc)
    skew = (tws_time - local).total_seconds()
    detail = f"TWS is {abs(skew):.1f} s {'ahead of' if skew > 0 else 'behind'} this machine"
    if abs(skew) <= CLOCK_OK_SECONDS:
        report.add("clock", Status.OK, detail)
    elif abs(skew) <= CLOCK_WARN_SECONDS:
        report.add("clock", Status.WARN, detail, FIX_CLOCK)
    else:
        report.add("clock", Status.FAIL, detail, FIX_CLOCK)


def check_farms(report: Report, errors: _Errors) -> None:
    codes = errors.codes()
    broken = sorted({FARM_BROKEN[c] for c in codes if c in FARM_BROKEN})
    good = sorted({FARM_OK[c] for c in codes if c in FARM_OK})
    if broken:
        report.add("data farms", Status.FAIL, f"broken: {', '.join(broken)}", FIX_FARMS)
    elif good:
        report.add("data farms", Status.OK, f"connected: {', '.join(good)}")
    else:
        report.add("data farms", Status.WARN, "TWS reported no farm status at connect",
                   "Check TWS's status bar: the data farms should show connected.")


async def check_market_data(report: Report, ib: Any, errors: _Errors, timeout: float) -> None:
    """Ask for delayed data where live is not permitted: TWS then says which one it sends."""
    from ib_async import Stock

    start = len(errors.seen)
    try:
        spy = Stock("SPY", "SMART", "USD")
        qualified = await asyncio.wait_for(ib.qualifyContractsAsync(spy), timeout)
        if not qualified or not spy.conId:
            report.add("market data", Status.WARN, "TWS found no contract for SPY; "
                       "permissions unknown", FIX_MARKET_DATA)
            return
        ib.reqMarketDataType(3)
        tickers = await asyncio.wait_for(ib.reqTickersAsync(spy), timeout)
    except asyncio.TimeoutError:
        report.add("market data", Status.WARN,
                   f"no answer to a SPY snapshot within {timeout:g} s; permissions unknown",
                   FIX_MARKET_DATA)
        return
    codes = {code for _, code, _ in errors.since(start)}
    ticker = tickers[0] if tickers else None
    prices = [] if ticker is None else [ticker.bid, ticker.ask, ticker.last, ticker.close]
    has_price = any(p is not None and not math.isnan(p) and p > 0 for p in prices)
    if codes & NO_MARKET_DATA or not has_price:
        report.add("market data", Status.FAIL, "no market data for SPY (not subscribed)",
                   FIX_MARKET_DATA)
    elif codes & DELAYED_NOTICE or (ticker is not None and ticker.marketDataType in (3, 4)):
        report.add("market data", Status.WARN,
                   "delayed only (no live permission for SPY); tests work with delayed data",
                   FIX_MARKET_DATA)
    else:
        report.add("market data", Status.OK, "live (SPY snapshot)")


async def diagnose(host: str = "127.0.0.1", port: int = 7497, client_id: int = 999,
                   timeout: float = 5.0) -> Report:
    """Run every check against the TWS at host:port and return the checklist.

    Checks that depend on an earlier failed one are listed as skipped.
    """
    report = Report(host, port, client_id)
    check_ib_async(report)
    check_port_kind(report)
    if await probe_handshake(report, timeout):
        await check_session(report, timeout)
    if not report.ok:
        done = {c.name for c in report.checks}
        for name in ("port open", "API handshake", "API session", "paper account",
                     "read-only API", "clock", "data farms", "market data"):
            if name not in done:
                report.add(name, Status.SKIP, "not checked (an earlier check failed)")
    return report


# -- output ------------------------------------------------------------------------------------


def _can_encode(text: str, stream: Any) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def format_report(report: Report, ascii_only: bool = False) -> str:
    """The human checklist: one line per check, the fix indented under each ✗ and !."""
    symbols = ASCII_SYMBOLS if ascii_only else SYMBOLS
    lines = [f"pytest-tws doctor: TWS at {report.host}:{report.port}, clientId {report.client_id}"]
    for check in report.checks:
        lines.append(f"  {symbols[check.status]} {check.name}: {check.detail}")
        if check.fix and check.status in (Status.FAIL, Status.WARN):
            lines.append(f"      fix: {check.fix}")
    failed = [c.name for c in report.checks if c.status is Status.FAIL]
    if report.fake:
        lines.append("This is the fake TWS (pytest-tws fake), not a paper TWS: tests use it "
                     "with pytest --tws=fake.")
    elif failed:
        lines.append(f"Not ready: {len(failed)} check(s) failed ({', '.join(failed)}).")
    else:
        lines.append("Ready: pytest --tws=paper "
                     f"--tws-host {report.host} --tws-port {report.port}")
    return "\n".join(lines)


def run_doctor(args: argparse.Namespace) -> int:
    """The CLI command: print the checklist (or JSON); exit 0 only when nothing failed."""
    timeout = float(getattr(args, "timeout", 5.0))
    ib_log = logging.getLogger("ib_async")
    level = ib_log.level
    if not getattr(args, "verbose", 0):
        # ib_async logs each TWS error it receives; the checklist already says what matters.
        ib_log.setLevel(logging.CRITICAL)
    try:
        report = asyncio.run(diagnose(args.host, args.port, args.client_id, timeout))
    finally:
        ib_log.setLevel(level)
    if args.json:
        print(json.dumps(report.to_json(), indent=2), flush=True)
    else:
        text = format_report(report)
        if not _can_encode(text, sys.stdout):
            # A Windows console or pipe in a legacy code page cannot print ✓ / ✗ / →.
            text = format_report(report, ascii_only=True).replace("→", ">")
            text = text.encode("ascii", "replace").decode("ascii")
        print(text, flush=True)
    return 0 if report.ok else 1
