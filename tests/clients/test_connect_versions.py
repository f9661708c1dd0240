"""Every client connects at the version TWS would negotiate with it, for a fake of the default
maximum (200) and for fakes pinned lower (`FakeTWS(max_server_version=...)`): 176 (ib_insync's
max), 178 (ib_async's) and 193 (@stoqey/ib's). Each then completes its own startup and one
request/answer round trip at that version.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_tws import FakeTWS
from pytest_tws.wire.handshake import SERVER_MAX_VERSION

TIMEOUT = 10.0
#: what each client announces: its (min, max)
ANNOUNCED = {"ib_async": (157, 178), "ib_insync": (157, 176), "ibapi": (100, 226),
             "stoqey": (100, 193)}
FAKE_MAXIMA = (176, 178, 193, SERVER_MAX_VERSION)
NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture(scope="module", params=FAKE_MAXIMA, ids=lambda v: f"fake-max-{v}")
def pinned(request: pytest.FixtureRequest) -> Iterator[FakeTWS]:
    with FakeTWS(max_server_version=request.param) as tws:
        yield tws


def expected(client: str, tws: FakeTWS) -> int:
    return min(ANNOUNCED[client][1], tws.max_server_version)


@pytest.mark.parametrize("client", ["ib_async", "ib_insync"])
async def test_asyncio_clients(client: str, pinned: FakeTWS):
    lib = pytest.importorskip(client)
    ib = lib.IB()
    await ib.connectAsync(pinned.host, pinned.port, clientId=1, timeout=TIMEOUT)
    try:
        assert ib.client.serverVersion() == expected(client, pinned)
        assert ib.managedAccounts() == list(pinned.accounts)  # the startup sync completed
        server_time = await asyncio.wait_for(ib.reqCurrentTimeAsync(), TIMEOUT)
        assert abs((server_time - pinned.clock.now()).total_seconds()) < 5
    finally:
        ib.disconnect()
    assert pinned.call(lambda: list(pinned.failures)) == []


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ibapi's text protocol needs 3.11+")
def test_ibapi(pinned: FakeTWS):
    client = pytest.importorskip("ibapi.client")
    from ibapi.wrapper import EWrapper

    got: dict[str, threading.Event] = {"id": threading.Event(), "time": threading.Event()}

    class App(EWrapper, client.EClient):  # type: ignore[misc]
        def __init__(self) -> None:
            EWrapper.__init__(self)
            client.EClient.__init__(self, self)

        def nextValidId(self, orderId: int) -> None:
            got["id"].set()

        def currentTime(self, time: int) -> None:
            got["time"].set()

    app = App()
    app.connect(pinned.host, pinned.port, clientId=2)
    thread = threading.Thread(target=app.run, daemon=True)
    thread.start()
    try:
        assert got["id"].wait(TIMEOUT)
        assert app.serverVersion() == expected("ibapi", pinned)
        app.reqCurrentTime()
        assert got["time"].wait(TIMEOUT)
    finally:
        app.disconnect()
        thread.join(timeout=TIMEOUT)
    assert pinned.call(lambda: list(pinned.failures)) == []


@pytest.mark.skipif(shutil.which("node") is None
                    or not (NODE_DIR / "node_modules" / "@stoqey" / "ib").is_dir(),
                    reason="node or @stoqey/ib (npm install in tests/clients/node) missing")
def test_stoqey(pinned: FakeTWS):
    arguments = {"host": pinned.host, "port": pinned.port, "clientId": 3, "timeout": TIMEOUT}
    done = subprocess.run([str(shutil.which("node")), "acceptance.js", "connect",
                           json.dumps(arguments)], cwd=NODE_DIR, capture_output=True, text=True,
                          timeout=4 * TIMEOUT, check=True)
    result = json.loads(done.stdout)
    assert result.get("serverVersion") == expected("stoqey", pinned), result
