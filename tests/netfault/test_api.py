"""Toxiproxy REST API compatibility (TOXIPROXY.md sections 1 and 3)."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from ._support import (
    EchoServer,
    ToxiproxyApi,
    connect,
    free_port,
    split_address,
    worker_namespace,
)

TEXT = "text/plain; charset=utf-8"


def assert_error(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"] == TEXT
    assert (
        response.text
        == json.dumps({"error": message, "status": status}, separators=(",", ":")) + "\n"
    )


def assert_refused(address: str) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(split_address(address), timeout=5).close()


def assert_listening(address: str) -> None:
    connect(address).close()


# -- general behaviour -----------------------------------------------------------------------


def test_request_id_header_and_empty_proxies(toxiproxy: ToxiproxyApi) -> None:
    response = toxiproxy.get("/proxies")
    assert response.status_code == 200
    assert response.headers["X-Toxiproxy-Request-Id"]
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {}
    # mux runs Toxiproxy's middlewares only for a matched route: no request id on a 404/405.
    assert "X-Toxiproxy-Request-Id" not in toxiproxy.get("/no/such/path").headers
    assert "X-Toxiproxy-Request-Id" not in toxiproxy.delete("/proxies").headers


def test_browser_user_agent_is_forbidden(toxiproxy: ToxiproxyApi) -> None:
    headers = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}
    assert toxiproxy.get("/proxies", headers=headers).status_code == 403
    # ...but only on a route: an unknown path or a wrong method is answered first.
    assert toxiproxy.get("/nothing", headers=headers).status_code == 404
    assert toxiproxy.delete("/proxies", headers=headers).status_code == 405


def test_unknown_path_404_and_wrong_method_405(toxiproxy: ToxiproxyApi) -> None:
    assert toxiproxy.get("/nothing").status_code == 404
    assert toxiproxy.delete("/proxies").status_code == 405


def test_version_is_json(toxiproxy: ToxiproxyApi) -> None:
    response = toxiproxy.get("/version")
    assert response.status_code == 200
    assert response.text.endswith("\n")
    assert set(response.json()) == {"version"}


# -- proxies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "", "upstream": "127.0.0.1:1"}, "missing required field: name"),
        ({"upstream": "127.0.0.1:1"}, "missing required field: name"),
        ({"name": "p", "upstream": ""}, "missing required field: upstream"),
    ],
)
def test_create_requires_name_and_upstream(
    toxiproxy: ToxiproxyApi, body: dict[str, str], message: str
) -> None:
    assert_error(toxiproxy.post("/proxies", json=body), 400, message)


def test_create_bad_json_is_400(toxiproxy: ToxiproxyApi) -> None:
    response = toxiproxy.post("/proxies", data=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("bad request body")


def test_create_normalises_listen_and_conflicts_on_name(
    toxiproxy: ToxiproxyApi, echo: EchoServer
) -> None:
    proxy = toxiproxy.create("p", echo.address, listen="localhost:0")
    # Toxiproxy's Proxy struct exports its zerolog.Logger, which serialises as {}.
    assert list(proxy) == ["name", "listen", "upstream", "enabled", "Logger", "toxics"]
    assert proxy["Logger"] == {}
    host, port = split_address(proxy["listen"])
    assert host == "127.0.0.1" and port > 0
    assert proxy["enabled"] is True and proxy["toxics"] == []
    assert toxiproxy.get("/proxies/p").json() == proxy
    assert toxiproxy.get("/proxies").json() == {"p": proxy}
    response = toxiproxy.post("/proxies", json={"name": "p", "upstream": echo.address})
    assert_error(response, 409, "proxy already exists")


def test_disabled_proxy_keeps_listen_and_toggles(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    port = free_port()
    proxy = toxiproxy.create("p", echo.address, listen=f"localhost:{port}", enabled=False)
    assert proxy["listen"] == f"localhost:{port}" and proxy["enabled"] is False
    assert_refused(f"127.0.0.1:{port}")
    enabled = toxiproxy.post("/proxies/p", json={"enabled": True}).json()
    assert enabled["enabled"] is True and enabled["listen"] == f"127.0.0.1:{port}"
    assert_listening(enabled["listen"])
    disabled = toxiproxy.patch("/proxies/p", json={"enabled": False})
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert_refused(enabled["listen"])


def test_update_keeps_omitted_fields(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    updated = toxiproxy.patch("/proxies/p", json={"upstream": "127.0.0.1:9", "name": "other"})
    assert updated.status_code == 200
    assert updated.json()["name"] == "p"
    assert updated.json()["upstream"] == "127.0.0.1:9"
    assert updated.json()["enabled"] is True
    assert updated.json()["listen"] == proxy["listen"]


def test_get_update_delete_missing_proxy_404(toxiproxy: ToxiproxyApi) -> None:
    assert_error(toxiproxy.get("/proxies/nope"), 404, "proxy not found")
    assert_error(toxiproxy.post("/proxies/nope", json={}), 404, "proxy not found")
    assert_error(toxiproxy.delete("/proxies/nope"), 404, "proxy not found")
    assert_error(toxiproxy.get("/proxies/nope/toxics"), 404, "proxy not found")


def test_delete_closes_port_then_404(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    response = toxiproxy.delete("/proxies/p")
    assert response.status_code == 204 and response.content == b""
    assert_refused(proxy["listen"])
    assert toxiproxy.delete("/proxies/p").status_code == 404


def test_port_conflict_is_500_and_recovers(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    blocker = socket.create_server(("127.0.0.1", 0))
    address = f"127.0.0.1:{blocker.getsockname()[1]}"
    try:
        response = toxiproxy.post(
            "/proxies", json={"name": "p", "upstream": echo.address, "listen": address}
        )
        assert response.status_code == 500
        assert response.json()["error"].startswith(f"listen tcp {address}: bind: ")
        assert toxiproxy.get("/proxies/p").status_code == 404
        toxiproxy.create("q", echo.address, listen=address, enabled=False)
        assert toxiproxy.post("/proxies/q", json={"enabled": True}).status_code == 500
        assert toxiproxy.get("/proxies/q").json()["enabled"] is False
    finally:
        blocker.close()
    # Once the conflict is gone the same proxy starts.
    enabled = toxiproxy.post("/proxies/q", json={"enabled": True})
    assert enabled.status_code == 200 and enabled.json()["listen"] == address


def test_reset_enables_and_clears_toxics(
    private_toxiproxy: ToxiproxyApi, echo: EchoServer
) -> None:
    toxiproxy = private_toxiproxy  # POST /reset acts on every proxy of the server
    toxiproxy.create("p", echo.address, enabled=False)
    toxiproxy.add_toxic("p", "latency", attributes={"latency": 10})
    response = toxiproxy.post("/reset")
    assert response.status_code == 204
    proxy = toxiproxy.get("/proxies/p").json()
    assert proxy["enabled"] is True and proxy["toxics"] == []
    assert_listening(proxy["listen"])


# -- populate --------------------------------------------------------------------------------


def test_populate_creates_and_respects_enabled(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    port = free_port()
    body = [
        {"name": "one", "listen": "127.0.0.1:0", "upstream": echo.address},
        {"name": "two", "listen": f"127.0.0.1:{port}", "upstream": echo.address, "enabled": False},
    ]
    response = toxiproxy.post("/populate", json=body)
    assert response.status_code == 201
    proxies = response.json()["proxies"]
    assert [p["name"] for p in proxies] == ["one", "two"]
    assert proxies[0]["enabled"] is True
    assert_listening(proxies[0]["listen"])
    assert proxies[1]["enabled"] is False
    assert_refused(f"127.0.0.1:{port}")


def test_populate_identical_is_untouched_changed_is_replaced(
    toxiproxy: ToxiproxyApi, echo: EchoServer
) -> None:
    port = free_port()
    entry = {"name": "p", "listen": f"localhost:{port}", "upstream": echo.address}
    assert toxiproxy.post("/populate", json=[entry]).status_code == 201
    toxiproxy.add_toxic("p", "latency", attributes={"latency": 10})
    again = toxiproxy.post("/populate", json=[entry])
    assert again.status_code == 201
    (proxy,) = again.json()["proxies"]
    assert proxy["listen"] == f"127.0.0.1:{port}"
    assert [t["name"] for t in proxy["toxics"]] == ["latency_downstream"]
    moved = dict(entry, listen=f"127.0.0.1:{free_port()}")
    (replaced,) = toxiproxy.post("/populate", json=[moved]).json()["proxies"]
    assert replaced["listen"] == moved["listen"] and replaced["toxics"] == []
    assert_refused(f"127.0.0.1:{port}")


def test_populate_validates_everything_first(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    body = [
        {"name": "one", "listen": "127.0.0.1:0", "upstream": echo.address},
        {"name": "", "listen": "127.0.0.1:0", "upstream": echo.address},
    ]
    response = toxiproxy.post("/populate", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "error": "missing required field: name at proxy 2",
        "status": 400,
        "proxies": None,
    }
    assert toxiproxy.get("/proxies").json() == {}


def test_populate_start_failure_keeps_earlier(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    blocker = socket.create_server(("127.0.0.1", 0))
    with blocker:
        body = [
            {"name": "one", "listen": "127.0.0.1:0", "upstream": echo.address},
            {
                "name": "two",
                "listen": f"127.0.0.1:{blocker.getsockname()[1]}",
                "upstream": echo.address,
            },
        ]
        response = toxiproxy.post("/populate", json=body)
    assert response.status_code == 500
    assert response.json()["status"] == 500
    assert [p["name"] for p in response.json()["proxies"]] == ["one"]
    assert sorted(toxiproxy.get("/proxies").json()) == ["one"]


def test_populate_empty_gives_null(toxiproxy: ToxiproxyApi) -> None:
    response = toxiproxy.post("/populate", json=[])
    assert response.status_code == 201
    assert response.json() == {"proxies": None}


# -- toxics ----------------------------------------------------------------------------------


def test_toxic_defaults_and_attributes(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    toxiproxy.create("p", echo.address)
    assert toxiproxy.get("/proxies/p/toxics").json() == []
    response = toxiproxy.post(
        "/proxies/p/toxics", json={"type": "latency", "attributes": {"latency": 100, "x": 1}}
    )
    assert response.status_code == 200
    assert response.json() == {
        "attributes": {"latency": 100, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1,
    }
    noop = toxiproxy.add_toxic("p", "noop", stream="upstream", name="n", toxicity=0.2)
    assert noop["toxicity"] == 0.2 and noop["stream"] == "upstream"
    default_stream = toxiproxy.post("/proxies/p/toxics", json={"type": "noop"}).json()
    assert default_stream["stream"] == "downstream" and default_stream["name"] == "noop_downstream"
    names = [t["name"] for t in toxiproxy.get("/proxies/p/toxics").json()]
    assert names == ["n", "latency_downstream", "noop_downstream"]  # upstream first
    assert toxiproxy.get("/proxies/p/toxics/n").json() == noop


def test_every_toxic_type_echoes_its_attributes(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    toxiproxy.create("p", echo.address)
    expected = {
        "latency": {"latency": 0, "jitter": 0},
        "bandwidth": {"rate": 0},
        "slow_close": {"delay": 0},
        "timeout": {"timeout": 0},
        "reset_peer": {"timeout": 0},
        "slicer": {"average_size": 0, "size_variation": 0, "delay": 0},
        "limit_data": {"bytes": 0},
        "noop": {},
    }
    for type_, attributes in expected.items():
        toxic = toxiproxy.add_toxic("p", type_, stream="upstream")
        assert toxic["attributes"] == attributes, type_
        assert toxic["name"] == f"{type_}_upstream"


def test_toxic_name_conflict_across_streams(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    toxiproxy.create("p", echo.address)
    toxiproxy.add_toxic("p", "noop", stream="upstream", name="foobar")
    response = toxiproxy.post(
        "/proxies/p/toxics", json={"type": "noop", "stream": "downstream", "name": "foobar"}
    )
    assert_error(response, 409, "toxic already exists")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "latency", "stream": "sideways"}, None),
        ({"type": "latency", "stream": ""}, None),
        ({"type": "nonsense"}, "invalid toxic type"),
    ],
)
def test_invalid_toxic_is_400(
    toxiproxy: ToxiproxyApi, echo: EchoServer, body: dict[str, str], message: str | None
) -> None:
    toxiproxy.create("p", echo.address)
    message = message or "stream was invalid, can be either upstream or downstream"
    assert_error(toxiproxy.post("/proxies/p/toxics", json=body), 400, message)


def test_stream_is_case_insensitive(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    toxiproxy.create("p", echo.address)
    toxic = toxiproxy.add_toxic("p", "noop", stream="UpStream", name="n")
    assert toxic["stream"].lower() == "upstream"


@pytest.mark.parametrize("value", [100.0, "100", True])
def test_integer_attribute_rejects_other_json_types(
    toxiproxy: ToxiproxyApi, echo: EchoServer, value: object
) -> None:
    toxiproxy.create("p", echo.address)
    body = {"type": "latency", "attributes": {"latency": value}}
    response = toxiproxy.post("/proxies/p/toxics", json=body)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == TEXT


def test_toxic_update_merges(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    toxiproxy.create("p", echo.address)
    toxiproxy.add_toxic("p", "latency", attributes={"latency": 100, "jitter": 10}, toxicity=0.5)
    patched = toxiproxy.patch(
        "/proxies/p/toxics/latency_downstream",
        json={"attributes": {"jitter": 20}, "type": "bandwidth", "name": "renamed"},
    )
    assert patched.status_code == 200
    assert patched.json() == {
        "attributes": {"latency": 100, "jitter": 20},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 0.5,
    }
    posted = toxiproxy.post("/proxies/p/toxics/latency_downstream", json={"toxicity": 1})
    assert posted.json()["toxicity"] == 1 and posted.json()["attributes"]["latency"] == 100
    bad = toxiproxy.post(
        "/proxies/p/toxics/latency_downstream", json={"attributes": {"latency": 1.5}}
    )
    assert bad.status_code == 400


def test_toxic_404s_and_delete(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    toxiproxy.create("p", echo.address)
    assert_error(toxiproxy.get("/proxies/p/toxics/t"), 404, "toxic not found")
    assert_error(toxiproxy.post("/proxies/p/toxics/t", json={}), 404, "toxic not found")
    assert_error(toxiproxy.delete("/proxies/p/toxics/t"), 404, "toxic not found")
    assert_error(toxiproxy.get("/proxies/q/toxics/t"), 404, "proxy not found")
    assert_error(toxiproxy.post("/proxies/q/toxics", json={"type": "noop"}), 404, "proxy not found")
    toxiproxy.add_toxic("p", "noop", name="t")
    assert toxiproxy.delete("/proxies/p/toxics/t").status_code == 204
    assert toxiproxy.get("/proxies/p/toxics").json() == []


def test_empty_listen_picks_a_port(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address, listen="")
    port = split_address(proxy["listen"])[1]
    assert proxy["enabled"] is True and port > 0
    assert_listening(f"127.0.0.1:{port}")


def test_helpers_delete_only_their_own_proxies(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    # xdist workers may share one real server: another namespace stands for another worker.
    other = ToxiproxyApi(toxiproxy.kind, toxiproxy.url, ns=worker_namespace("other"))
    try:
        other.create("p", echo.address)
        mine = toxiproxy.create("p", echo.address)
        assert toxiproxy.get("/proxies").json() == {"p": mine}  # only ours are listed
        toxiproxy.clear()
        assert toxiproxy.get("/proxies").json() == {}
        assert list(other.get("/proxies").json()) == ["p"]
    finally:
        other.clear()
        other.session.close()
