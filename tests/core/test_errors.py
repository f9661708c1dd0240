"""tws_core.errors: the code table, categories, and agreement with ib_async's warning set."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest
from ib_async import wrapper as ib_wrapper

from tws_core import errors
from tws_core.errors import (
    IB_ASYNC_WARNING_CODES,
    ErrorCategory,
    Severity,
    TwsApiError,
    TwsCoreError,
    TwsErrorInfo,
    classify,
    info,
    is_informational,
    is_warning,
    message,
)

C = ErrorCategory


def _ib_async_warning_codes() -> frozenset[int]:
    """The literal set assigned to ``warningCodes`` in ib_async's ``Wrapper.error``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(ib_wrapper.Wrapper.error)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "warningCodes"
        ):
            return frozenset(ast.literal_eval(node.value.args[0]))  # type: ignore[attr-defined]
    raise AssertionError("warningCodes not found in ib_async Wrapper.error")


@pytest.mark.parametrize(
    ("codes", "category"),
    [
        ((1100, 1101, 1102, 1300, 2110), C.CONNECTIVITY),
        ((2103, 2104, 2105, 2106, 2107, 2108, 2119, 2157, 2158), C.FARM_STATUS),
        ((100, 162, 420), C.PACING),
        ((101, 300, 354, 10089, 10090, 10167, 10168, 10197), C.MARKET_DATA),
        ((103, 104, 110, 135, 161, 201, 202, 399, 404, 434, 463, 10147, 10148), C.ORDER),
        ((200, 321, 322, 326, 366, 502, 504), C.REQUEST),
    ],
)
def test_categories(codes: tuple[int, ...], category: ErrorCategory) -> None:
    assert {code: classify(code) for code in codes} == dict.fromkeys(codes, category)


def test_warning_set_matches_ib_async_source() -> None:
    assert _ib_async_warning_codes() == IB_ASYNC_WARNING_CODES


@pytest.mark.parametrize("code", [105, 110, 165, 321, 399, 434, 10167, 2100, 2104, 2199])
def test_is_warning(code: int) -> None:
    assert is_warning(code)


@pytest.mark.parametrize("code", [100, 101, 162, 200, 201, 202, 326, 354, 1100, 1102, 2200])
def test_is_not_warning(code: int) -> None:
    assert not is_warning(code)


def test_informational_codes_are_not_failures() -> None:
    for code in (2104, 2106, 2107, 2108, 2119, 2158, 1102):
        assert is_informational(code), code
    for code in (2103, 2105, 2157, 1100, 1101, 100, 201, 10167):
        assert not is_informational(code), code


def test_table_rows_are_consistent() -> None:
    for code, (category, text, severity) in errors._TABLE.items():
        assert isinstance(category, ErrorCategory) and isinstance(severity, Severity)
        assert text == text.strip(" ") or text.endswith("- "), code
        # Anything ib_async would only log as a warning must not be ranked a hard error here.
        if is_warning(code):
            assert severity is not Severity.ERROR, code


def test_real_texts() -> None:
    assert message(2104, "usfarm") == "Market data farm connection is OK:usfarm"
    assert message(2106, "ushmds") == "HMDS data farm connection is OK:ushmds"
    assert message(2158, "secdefnj") == "Sec-def data farm connection is OK:secdefnj"
    assert message(101) == "Max number of tickers has been reached."
    assert message(201, "Invalid order type") == "Order rejected - reason:Invalid order type"
    assert message(202) == "Order Canceled - reason:"
    assert message(100, "max=50 rec=138 (1)") == (
        "Max rate of messages per second has been exceeded:max=50 rec=138 (1)"
    )
    assert message(162, "Historical data request pacing violation") == (
        "Historical Market Data Service error message:Historical data request pacing violation"
    )
    assert message(326) == (
        "Unable to connect as the client id is already in use. Retry with a unique client id."
    )
    assert message(1100) == "Connectivity between IBKR and Trader Workstation has been lost."
    assert message(1102).endswith("has been restored - data maintained.")


def test_info_row() -> None:
    row = info(354)
    assert row == TwsErrorInfo(
        354, C.MARKET_DATA, "Requested market data is not subscribed.", Severity.ERROR
    )
    assert not row.is_warning
    with pytest.raises(AttributeError):
        row.code = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("code", "category", "severity"),
    [
        (1199, C.CONNECTIVITY, Severity.ERROR),
        (2199, C.INFORMATION, Severity.WARNING),
        (199, C.ORDER, Severity.ERROR),
        (10999, C.ORDER, Severity.ERROR),
        (599, C.REQUEST, Severity.ERROR),
        (-1, C.REQUEST, Severity.ERROR),
    ],
)
def test_unknown_codes_get_band_defaults(
    code: int, category: ErrorCategory, severity: Severity
) -> None:
    row = info(code)
    assert (row.category, row.severity, row.text) == (category, severity, "")


def test_tws_api_error() -> None:
    err = TwsApiError(201, "Order rejected - reason:no funds", req_id=7)
    assert isinstance(err, TwsCoreError)
    assert (err.code, err.req_id, err.info.category) == (201, 7, C.ORDER)
    assert "201" in str(err) and "no funds" in str(err)
    assert TwsApiError(101).message == "Max number of tickers has been reached."
