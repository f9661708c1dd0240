"""The request id of a request the fake has no schema for: where its answer (error 320) goes."""

from __future__ import annotations

import pytest

from pytest_tws.fake.guards import unschemed_request_id
from pytest_tws.wire.messages import In

pytest.importorskip("ibapi.protobuf")

from ibapi.protobuf import HistogramDataRequest_pb2

from pytest_tws.wire.protobuf_codec import ProtoFrame


def test_a_text_request_has_its_id_where_it_sits_at_v178() -> None:
    assert unschemed_request_id(In.REQ_HISTOGRAM_DATA, ["88", "42", "0"]) == 42
    assert unschemed_request_id(In.REQ_SCANNER_PARAMETERS, ["24", "1"]) == -1


def test_a_protobuf_request_names_its_id_in_the_message() -> None:
    request = HistogramDataRequest_pb2.HistogramDataRequest(reqId=42)
    assert unschemed_request_id(In.REQ_HISTOGRAM_DATA, ProtoFrame(In.REQ_HISTOGRAM_DATA,
                                                                  request)) == 42
    empty = HistogramDataRequest_pb2.HistogramDataRequest()
    assert unschemed_request_id(In.REQ_HISTOGRAM_DATA, ProtoFrame(In.REQ_HISTOGRAM_DATA,
                                                                  empty)) == -1
