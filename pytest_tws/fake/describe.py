"""What a message says, as a mapping of IBKR's field names: the one place that turns recorded
frames into named fields (`FakeTWS.requests()`, `assert_received`, failure reports).

It decodes through the wire schemas (pytest_tws.wire.schemas) at the version the client
negotiated, so the names are the ones ibapi's objects use (``lmtPrice``, ``totalQuantity``,
``whatIf``; contract fields nested under ``"contract"``). A request read from a protobuf body
is described by the same schema's values. A message without a schema, or one that does not fit
its layout, keeps positional ``field_N`` keys for what could not be named.
"""

from __future__ import annotations

from typing import Any

from pytest_tws.wire.fields import FieldError
from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.protobuf_codec import decode_request
from pytest_tws.wire.schema import Schema
from pytest_tws.wire.schemas import REQUESTS, RESPONSES

__all__ = ["POSITIONAL", "describe_request", "describe_response"]

#: the key prefix of fields no schema names
POSITIONAL = "field_"


def describe_request(
    message_id: int, fields: list[str], server_version: int
) -> dict[str, object]:
    """The request's fields by IBKR's names (contract fields nested under ``"contract"``).

    Args:
        message_id: The request's message id (`In`).
        fields: The whole frame as the client sent it, ``fields[0]`` being the message id.
        server_version: The version negotiated with that client.

    Returns:
        Field name -> value (ints, floats, bools, Decimals where the field is one; None for an
        unset number); what cannot be named is ``field_<index in the frame>``.
    """
    try:
        schema = REQUESTS.get(In(message_id))
    except ValueError:
        schema = None
    message = getattr(fields, "message", None)
    if schema is not None and message is not None:  # a protobuf body (ProtoFrame)
        try:
            return dict(decode_request(schema, fields, server_version))
        except FieldError:
            return {POSITIONAL + "protobuf": str(message)}
    return _describe(schema, fields, server_version)


def describe_response(
    message_id: int, fields: list[str], server_version: int
) -> dict[str, object]:
    """An outgoing message's fields by IBKR's names, as `describe_request` does requests."""
    try:
        schema = RESPONSES.get(Out(message_id))
    except ValueError:
        schema = None
    return _describe(schema, fields, server_version)


def _describe(schema: Schema | None, fields: list[str], version: int) -> dict[str, Any]:
    if schema is None:
        return {f"{POSITIONAL}{i}": fields[i] for i in range(1, len(fields))}
    try:
        return schema.decode(fields, version)
    except FieldError as exc:
        named: dict[str, Any] = dict(getattr(exc, "partial", {}))
        named.update({f"{POSITIONAL}{i}": fields[i] for i in range(exc.index, len(fields))})
        return named
