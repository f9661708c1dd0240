"""What a market-data line shows, and the messages that bring a client up to date.

A *picture* maps live tick types to values for one contract at one moment. Publishing sends
the entries that differ from what the client was last sent (all of them the first time), so a
stream is only its changes, as TWS's is. Delayed lines use TWS's delayed tick types (66…).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from enum import IntEnum
from typing import Any

from pytest_tws.fake import market_layouts as ml
from pytest_tws.fake.layouts import Payload
from pytest_tws.fake.quotes import SpecQuote
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.options import OptionComputation
from pytest_tws.model.price_processes import WITHOUT_BOOK


class TickType(IntEnum):
    """TWS tick types (interactivebrokers.github.io/tws-api/tick_types.html) the fake sends."""

    BID_SIZE = 0
    BID = 1
    ASK = 2
    ASK_SIZE = 3
    LAST = 4
    LAST_SIZE = 5
    HIGH = 6
    LOW = 7
    VOLUME = 8
    CLOSE = 9
    BID_OPTION = 10
    ASK_OPTION = 11
    LAST_OPTION = 12
    MODEL_OPTION = 13
    OPEN = 14
    AVG_VOLUME = 21
    OPTION_HISTORICAL_VOL = 23
    OPTION_IMPLIED_VOL = 24
    OPTION_CALL_OPEN_INTEREST = 27
    OPTION_PUT_OPEN_INTEREST = 28
    OPTION_CALL_VOLUME = 29
    OPTION_PUT_VOLUME = 30
    LAST_TIMESTAMP = 45
    SHORTABLE = 46
    HALTED = 49
    SHORTABLE_SHARES = 89


#: live tick type -> the delayed one TWS sends on a delayed line (66-76, 80-83, 88, 90)
DELAYED: dict[int, int] = {
    TickType.BID: 66, TickType.ASK: 67, TickType.LAST: 68, TickType.BID_SIZE: 69,
    TickType.ASK_SIZE: 70, TickType.LAST_SIZE: 71, TickType.HIGH: 72, TickType.LOW: 73,
    TickType.VOLUME: 74, TickType.CLOSE: 75, TickType.OPEN: 76, TickType.BID_OPTION: 80,
    TickType.ASK_OPTION: 81, TickType.LAST_OPTION: 82, TickType.MODEL_OPTION: 83,
    TickType.LAST_TIMESTAMP: 88, TickType.HALTED: 90,
}

_SIZE_OF = {TickType.BID: TickType.BID_SIZE, TickType.ASK: TickType.ASK_SIZE,
            TickType.LAST: TickType.LAST_SIZE}
_PRICES = (TickType.HIGH, TickType.LOW, TickType.CLOSE, TickType.OPEN)
_OPTION_TICKS = (TickType.BID_OPTION, TickType.ASK_OPTION, TickType.LAST_OPTION,
                 TickType.MODEL_OPTION)
_GENERIC_VALUES = (TickType.OPTION_HISTORICAL_VOL, TickType.OPTION_IMPLIED_VOL, TickType.SHORTABLE)
_SIZES = (TickType.VOLUME, TickType.AVG_VOLUME, TickType.OPTION_CALL_OPEN_INTEREST,
          TickType.OPTION_PUT_OPEN_INTEREST, TickType.OPTION_CALL_VOLUME,
          TickType.OPTION_PUT_VOLUME, TickType.SHORTABLE_SHARES)

#: generic tick lists users ask for that mean something here (others are accepted, ignored)
SUPPORTED_GENERIC_TICKS = frozenset({100, 101, 104, 106, 165, 236})

Picture = dict[int, Any]


def parse_generic_ticks(text: str) -> frozenset[int]:
    """`"100,101,106"` -> {100, 101, 106}; unknown or malformed entries are ignored."""
    found = set()
    for part in text.split(","):
        part = part.strip()
        if part.isdigit():
            found.add(int(part))
    return frozenset(found)


def _stable_fraction(*parts: object) -> float:
    """A number in [0, 1) that depends only on its arguments (no salted hash)."""
    return (zlib.crc32("|".join(map(str, parts)).encode("utf-8")) % 10_000) / 10_000.0


def picture(
    spec: ContractSpec,
    q: SpecQuote,
    generic: frozenset[int],
    vol: float,
    now_epoch: int,
    combo: bool = False,
) -> Picture:
    """Everything a line shows for `spec` now. `vol` is the underlying's annual volatility.

    A missing bid shows as -1 with size 0, as TWS sends it; a combo's bid may be negative.
    """
    p: Picture = {TickType.LAST: (q.last, q.last_size)}
    if spec.sec_type not in WITHOUT_BOOK:  # an index has a value, not bids and asks
        p[TickType.BID] = (q.bid if q.bid > 0 or combo else -1.0, q.bid_size)
        p[TickType.ASK] = (q.ask, q.ask_size)
    if q.stock is not None:
        s = q.stock
        p.update({TickType.HIGH: s.high, TickType.LOW: s.low, TickType.CLOSE: s.close,
                  TickType.OPEN: s.open, TickType.VOLUME: s.volume // 100 * 100,
                  TickType.HALTED: 1.0 if s.halted else 0.0})
        _stock_generics(p, spec, s.volume, vol, generic)
    if q.option is not None:
        for tick_type, computation in zip(_OPTION_TICKS, q.option.computations, strict=True):
            p[tick_type] = computation
        if 101 in generic:
            interest = 500 + int(_stable_fraction(spec.con_id, "oi") * 20_000)
            key = (TickType.OPTION_CALL_OPEN_INTEREST if spec.right == "C"
                   else TickType.OPTION_PUT_OPEN_INTEREST)
            p[key] = interest
    p[TickType.LAST_TIMESTAMP] = (q.last, q.last_size, now_epoch)
    return p


def _stock_generics(
    p: Picture, spec: ContractSpec, volume: int, vol: float, generic: frozenset[int]
) -> None:
    if 100 in generic:
        p[TickType.OPTION_CALL_VOLUME] = volume // 50
        p[TickType.OPTION_PUT_VOLUME] = volume // 70
    if 101 in generic:
        p[TickType.OPTION_CALL_OPEN_INTEREST] = 100_000 + int(_stable_fraction(spec.symbol) * 9e5)
        p[TickType.OPTION_PUT_OPEN_INTEREST] = 80_000 + int(_stable_fraction(spec.symbol, 1) * 9e5)
    if 104 in generic:
        realised = vol * (0.9 + 0.2 * _stable_fraction(spec.symbol))
        p[TickType.OPTION_HISTORICAL_VOL] = round(realised, 6)
    if 106 in generic:
        p[TickType.OPTION_IMPLIED_VOL] = vol
    if 165 in generic:
        p[TickType.AVG_VOLUME] = 2_000_000 + int(_stable_fraction(spec.symbol, 2) * 5e7)
    if 236 in generic:
        p[TickType.SHORTABLE] = 3.0  # > 2.5: at least 1000 shares available to borrow
        p[TickType.SHORTABLE_SHARES] = 10_000_000


def messages(
    req_id: int, sent: Picture, now: Picture, delayed: bool, version: int
) -> list[Payload]:
    """The messages that turn what was `sent` into `now`, as payloads for a client at server
    `version`; updates `sent` in place."""
    out: list[Payload] = []

    def tt(t: int) -> int:
        return DELAYED.get(t, t) if delayed else t

    for tick_type in (TickType.BID, TickType.ASK, TickType.LAST):
        value = now.get(tick_type)
        before = sent.get(tick_type)
        if value is None or value == before:
            continue
        price, size = value
        if before is None or before[0] != price:
            out.append(ml.tick_price(req_id, tt(tick_type), price, size, version))
        else:
            out.append(ml.tick_size(req_id, tt(_SIZE_OF[tick_type]), size, version))
    stamp = now.get(TickType.LAST_TIMESTAMP)
    if stamp is not None and stamp[:2] != (sent.get(TickType.LAST_TIMESTAMP) or (None, None))[:2]:
        out.append(ml.tick_string(req_id, tt(TickType.LAST_TIMESTAMP), str(stamp[2]), version))
    for key in _changed(now, sent, _PRICES):
        out.append(ml.tick_price(req_id, tt(key), now[key], 0, version))
    for key in _changed(now, sent, _SIZES):
        out.append(ml.tick_size(req_id, tt(key), now[key], version))
    for key in _changed(now, sent, (TickType.HALTED, *_GENERIC_VALUES)):
        out.append(ml.tick_generic(req_id, tt(key), now[key], version))
    for key in _changed(now, sent, _OPTION_TICKS):
        computation: OptionComputation = now[key]
        out.append(ml.tick_option_computation(req_id, tt(key), computation, version))
    sent.update(now)
    return out


def readdress(messages: list[Payload], req_id: int, version: int) -> list[Payload]:
    """The same messages for another request id: lines of one contract that were sent the
    same thing last tick need the same messages now, so they are worked out once."""
    move = ml.readdresser(version)
    return [move(message, req_id) for message in messages]


def _changed(now: Picture, sent: Picture, keys: Iterable[int]) -> list[int]:
    return [k for k in keys if k in now and sent.get(k) != now[k]]
