"""What a request says, as a mapping of IBKR's field names: THE one place that knows request
layouts for describing them (`FakeTWS.requests()`, `assert_received`, failure reports).

This body is a stop-gap: a small hand mapping of the leading fields of PLACE_ORDER,
REQ_MKT_DATA, REQ_CONTRACT_DATA and START_API at server version 178 (PROTOCOL.md §4d, the
order ibapi's ``EClient.placeOrder`` / ``reqMktData`` / ``reqContractDetails`` / ``startApi``
write them), and positional ``field_N`` keys for the rest. It is to be replaced by decoding
through the wire schemas; the interface (and the names below, which are IBKR's) stays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pytest_tws.wire.fields import UNSET_DOUBLE, UNSET_INTEGER
from pytest_tws.wire.messages import In

__all__ = ["describe_request"]

Value = object
#: The hand mapping follows the layouts from this server version on (below: positional).
_HAND_MAPPED_FROM = 157
Convert = Callable[[str], Value]


def _int(text: str) -> Value:
    try:
        value = int(text)
    except ValueError:
        return text
    return None if value == UNSET_INTEGER else value


def _float(text: str) -> Value:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return None if value >= UNSET_DOUBLE else value


def _bool(text: str) -> Value:
    return text not in ("", "0", "false", "False")


def _str(text: str) -> Value:
    return text


#: contract fields as reqMktData and reqContractDetails write them (no secIdType/secId)
_CONTRACT = (
    ("conId", _int), ("symbol", _str), ("secType", _str),
    ("lastTradeDateOrContractMonth", _str), ("strike", _float), ("right", _str),
    ("multiplier", _str), ("exchange", _str), ("primaryExchange", _str), ("currency", _str),
    ("localSymbol", _str), ("tradingClass", _str),
)
#: placeOrder's contract adds the security id
_ORDER_CONTRACT = (*_CONTRACT, ("secIdType", _str), ("secId", _str))

_ORDER_FIELDS = (
    ("action", _str), ("totalQuantity", _float), ("orderType", _str), ("lmtPrice", _float),
    ("auxPrice", _float), ("tif", _str), ("ocaGroup", _str), ("account", _str),
    ("openClose", _str), ("origin", _int), ("orderRef", _str), ("transmit", _bool),
    ("parentId", _int),
)


class _Reader:
    def __init__(self, fields: Sequence[str]) -> None:
        self.fields = fields
        self.index = 1  # fields[0] is the message id

    def take(self, names: Sequence[tuple[str, Convert]], into: dict[str, Value]) -> None:
        for name, convert in names:
            if self.index >= len(self.fields):
                return
            into[name] = convert(self.fields[self.index])
            self.index += 1

    def rest(self, into: dict[str, Value]) -> None:
        for index in range(self.index, len(self.fields)):
            into[f"field_{index}"] = self.fields[index]
        self.index = len(self.fields)


def _place_order(r: _Reader, out: dict[str, Value]) -> None:
    r.take((("orderId", _int),), out)
    contract: dict[str, Value] = {}
    r.take(_ORDER_CONTRACT, contract)
    out["contract"] = contract
    r.take(_ORDER_FIELDS, out)


def _req_mkt_data(r: _Reader, out: dict[str, Value]) -> None:
    r.take((("version", _int), ("reqId", _int)), out)
    contract: dict[str, Value] = {}
    r.take(_CONTRACT, contract)
    out["contract"] = contract
    if contract.get("secType") == "BAG":
        return  # combo legs follow: left positional
    r.take((("deltaNeutralContract", _bool),), out)
    if out.get("deltaNeutralContract"):
        return
    r.take((("genericTickList", _str), ("snapshot", _bool), ("regulatorySnapshot", _bool),
            ("mktDataOptions", _str)), out)


def _req_contract_data(r: _Reader, out: dict[str, Value]) -> None:
    r.take((("version", _int), ("reqId", _int)), out)
    contract: dict[str, Value] = {}
    r.take(_CONTRACT, contract)
    r.take((("includeExpired", _bool),), out)
    r.take((("secIdType", _str), ("secId", _str)), contract)
    out["contract"] = contract


def _start_api(r: _Reader, out: dict[str, Value]) -> None:
    r.take((("version", _int), ("clientId", _int), ("optionalCapabilities", _str)), out)


_LAYOUTS: dict[In, Callable[[_Reader, dict[str, Value]], None]] = {
    In.START_API: _start_api,
    In.PLACE_ORDER: _place_order,
    In.REQ_MKT_DATA: _req_mkt_data,
    In.REQ_CONTRACT_DATA: _req_contract_data,
}


def describe_request(
    message_id: int, fields: list[str], server_version: int
) -> dict[str, object]:
    """The request's fields by IBKR's names (contract fields nested under ``"contract"``).

    Args:
        message_id: The request's message id (`In`).
        fields: The whole frame as the client sent it, ``fields[0]`` being the message id.
        server_version: The version negotiated with that client.

    Returns:
        Field name -> value (ints, floats, bools where the field is one; None for an unset
        number); fields this module cannot name yet are ``field_<index in the frame>``.
    """
    out: dict[str, Value] = {}
    reader = _Reader(fields)
    try:
        layout = _LAYOUTS.get(In(message_id))
    except ValueError:
        layout = None
    if layout is not None and server_version >= _HAND_MAPPED_FROM:
        layout(reader, out)
    reader.rest(out)
    return out
