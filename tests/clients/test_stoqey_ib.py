"""Issue 11's order acceptance with the Node client `@stoqey/ib` (announces v100..193, so the
fake serves it at 193): connect, fill, cancel, what-if, non-default fields read back.

The client runs in a node process (tests/clients/node/acceptance.js) against the fake on
loopback and reports what it saw as JSON. Skipped unless node is on PATH and the package is
installed in tests/clients/node (`npm install` there; .ci/run does it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pytest_tws import FakeTWS, TwsTarget
from tests.clients import orders_spec as spec

NODE_DIR = Path(__file__).parent / "node"
SCRIPT = NODE_DIR / "acceptance.js"
#: @stoqey/ib 1.6's MAX_SUPPORTED_SERVER_VERSION (CME_TAGGING_FIELDS_IN_OPEN_ORDER)
STOQEY_VERSION = 193
#: the node process's own bound, above the script's per-wait timeout
PROCESS_TIMEOUT = 4 * spec.TIMEOUT
AAPL_PRICE = 200.0

NODE = shutil.which("node")
pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not on PATH"),
    pytest.mark.skipif(not (NODE_DIR / "node_modules" / "@stoqey" / "ib").is_dir(),
                       reason="@stoqey/ib is not installed (npm install in tests/clients/node)"),
]


def run(scenario: str, tws: FakeTWS, target: TwsTarget, **arguments: Any) -> dict[str, Any]:
    arguments = {"host": tws.host, "port": tws.port, "clientId": target.client_id,
                 "conId": spec.AAPL_CON_ID, "timeout": spec.TIMEOUT, **arguments}
    assert NODE is not None
    done = subprocess.run([NODE, str(SCRIPT), scenario, json.dumps(arguments)], cwd=NODE_DIR,
                          capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    assert "error" not in result, (
        f"{result['error']}\nthe client saw: {json.dumps(result['seen'])[-3000:]}"
        f"\nstderr: {done.stderr[-2000:]}")
    return result


def test_connects_at_193(fake_tws: FakeTWS, tws_target: TwsTarget):
    result = run("connect", fake_tws, tws_target)
    assert result["serverVersion"] == STOQEY_VERSION and result["nextId"] >= 1


def test_marketable_limit_fills_with_execution_and_commission(
    fake_tws: FakeTWS, tws_target: TwsTarget
):
    fake_tws.market.set_price("AAPL", AAPL_PRICE)
    result = run("fill", fake_tws, tws_target, limit=AAPL_PRICE + spec.MARKETABLE_MARGIN)
    assert "Filled" in result["status"][str(result["orderId"])]
    [executed] = result["executions"]
    [report] = result["commissions"]
    assert (executed["execution"]["side"], executed["execution"]["shares"],
            executed["contract"]["conId"]) == ("BOT", 10, spec.AAPL_CON_ID)
    assert report["execId"] == executed["execution"]["execId"] and report["commission"] > 0
    assert [o.status for o in fake_tws.orders()] == ["Filled"]


def test_resting_limit_cancels(fake_tws: FakeTWS, tws_target: TwsTarget):
    result = run("cancel", fake_tws, tws_target, limit=spec.RESTING_LIMIT)
    assert result["executions"] == [] and fake_tws.executions() == []
    assert [o.status for o in fake_tws.orders()] == ["Cancelled"]


def test_what_if_returns_margins_and_leaves_no_order(fake_tws: FakeTWS, tws_target: TwsTarget):
    result = run("whatif", fake_tws, tws_target, limit=10_000.0)
    state = result["openOrders"][str(result["orderId"])]["orderState"]
    assert state["status"] == "PreSubmitted"
    assert [name for name in spec.WHAT_IF_FIGURES if not spec.is_figure(state.get(name))] == []
    assert fake_tws.orders() == [] and fake_tws.executions() == []
    assert result["status"] == {} and result["executions"] == []


def test_non_default_fields_read_back_on_a_second_client(
    fake_tws: FakeTWS, tws_target: TwsTarget
):
    orders = [spec.ALGO_LIMIT, spec.TRAILING]
    result = run("readback", fake_tws, tws_target, otherClientId=tws_target.new_client_id(),
                 orders=orders, priceCondition=spec.PRICE_CONDITION,
                 timeCondition=spec.TIME_CONDITION)
    assert sorted(result["seen"]) == sorted(result["placed"])
    for order_id, placed in result["placed"].items():
        read_back = result["seen"][order_id]["order"]
        # every field the script set, by name (@stoqey/ib leaves unset values undefined)
        assert {k: read_back.get(k) for k in placed if k != "transmit"} == {
            k: v for k, v in placed.items() if k != "transmit"}
        assert result["seen"][order_id]["contract"]["conId"] == spec.AAPL_CON_ID
