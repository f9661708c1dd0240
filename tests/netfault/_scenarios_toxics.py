"""Differential scenarios: the toxics API (create, validate, update, delete)."""

from __future__ import annotations

from ._differential import (
    Recorder,
    create_proxy,
    scenario,
)

# -- toxics ----------------------------------------------------------------------------------


@scenario
def toxic_create(r: Recorder) -> None:
    create_proxy(r)
    r.call("empty list", "GET", "/proxies/~p/toxics")
    r.call("latency with an unknown key", "POST", "/proxies/~p/toxics",
           json_body={"type": "latency", "attributes": {"latency": 100, "x": 1}})
    r.call("noop upstream", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "stream": "upstream", "name": "n", "toxicity": 0.2})
    r.call("noop default stream", "POST", "/proxies/~p/toxics", json_body={"type": "noop"})
    r.call("mixed-case stream", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "stream": "UpStream"})
    r.call("null fields", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "name": "nulls", "stream": None, "toxicity": None,
                      "attributes": None})
    r.call("case-insensitive keys", "POST", "/proxies/~p/toxics",
           json_body={"TYPE": "latency", "Name": "caps",
                      "ATTRIBUTES": {"LATENCY": 5, "Jitter": 1}})
    r.call("toxicity out of range", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "name": "big", "toxicity": 7.5})
    r.call("toxicity float32", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "name": "third", "toxicity": 1 / 3})
    r.call("negative attribute", "POST", "/proxies/~p/toxics",
           json_body={"type": "latency", "name": "neg", "attributes": {"latency": -5}})
    r.call("list, upstream first", "GET", "/proxies/~p/toxics")
    r.call("show one", "GET", "/proxies/~p/toxics/n")
    r.call("proxy shows toxics", "GET", "/proxies/~p")


@scenario
def toxic_types(r: Recorder) -> None:
    create_proxy(r)
    for type_ in ("latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer",
                  "limit_data", "noop"):
        r.call(f"{type_} defaults", "POST", "/proxies/~p/toxics",
               json_body={"type": type_, "stream": "upstream"})
    r.call("every type", "GET", "/proxies/~p/toxics")


@scenario
def toxic_validation(r: Recorder) -> None:
    create_proxy(r)
    bodies: list[tuple[str, object]] = [
        ("bad stream", {"type": "latency", "stream": "sideways"}),
        ("blank stream", {"type": "latency", "stream": ""}),
        ("unknown type", {"type": "nonsense"}),
        ("no type", {}),
        ("float attribute", {"type": "latency", "attributes": {"latency": 100.0}}),
        ("string attribute", {"type": "latency", "attributes": {"latency": "100"}}),
        ("bool attribute", {"type": "latency", "attributes": {"latency": True}}),
        ("huge attribute", {"type": "latency", "attributes": {"latency": 2**64}}),
        ("slicer float", {"type": "slicer", "attributes": {"average_size": 1.5}}),
        ("bandwidth string", {"type": "bandwidth", "attributes": {"rate": "x"}}),
        ("attributes an array", {"type": "latency", "attributes": [1]}),
        ("attributes a number", {"type": "latency", "attributes": 5}),
        ("toxicity a string", {"type": "latency", "toxicity": "1"}),
        ("name a number", {"type": "latency", "name": 5}),
        ("stream a number", {"type": "latency", "stream": 1}),
        ("type a bool", {"type": True}),
        ("an array", []),
        ("a string", "latency"),
    ]
    for label, body in bodies:
        r.call(label, "POST", "/proxies/~p/toxics", json_body=body)
    r.call("not json", "POST", "/proxies/~p/toxics", data=b"{")
    r.call("empty body", "POST", "/proxies/~p/toxics", data=b"")
    r.call("null", "POST", "/proxies/~p/toxics", data=b"null")
    r.call("bad stream before unknown type", "POST", "/proxies/~p/toxics",
           json_body={"type": "nonsense", "stream": "sideways"})
    r.call("noop", "POST", "/proxies/~p/toxics", json_body={"type": "noop", "name": "foobar"})
    r.call("conflict across streams", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "name": "foobar", "stream": "upstream"})
    r.call("conflict before bad attributes", "POST", "/proxies/~p/toxics",
           json_body={"type": "latency", "name": "foobar", "attributes": {"latency": "x"}})
    r.call("unknown type before conflict", "POST", "/proxies/~p/toxics",
           json_body={"type": "nonsense", "name": "foobar"})
    r.call("nothing added by invalid input", "GET", "/proxies/~p/toxics")
    r.call("toxic on a missing proxy", "POST", "/proxies/~nope/toxics", json_body={})


@scenario
def toxic_update_and_delete(r: Recorder) -> None:
    create_proxy(r)
    r.call("add", "POST", "/proxies/~p/toxics",
           json_body={"type": "latency", "toxicity": 0.5,
                      "attributes": {"latency": 100, "jitter": 10}})
    r.call("merge attributes, ignore type and name", "PATCH",
           "/proxies/~p/toxics/latency_downstream",
           json_body={"attributes": {"jitter": 20}, "type": "bandwidth", "name": "renamed",
                      "stream": "upstream"})
    r.call("toxicity by POST", "POST", "/proxies/~p/toxics/latency_downstream",
           json_body={"toxicity": 1})
    r.call("float attribute", "POST", "/proxies/~p/toxics/latency_downstream",
           json_body={"attributes": {"latency": 1.5}})
    r.call("attributes a string", "PATCH", "/proxies/~p/toxics/latency_downstream",
           json_body={"attributes": "x"})
    r.call("toxicity a string", "PATCH", "/proxies/~p/toxics/latency_downstream",
           json_body={"toxicity": "x"})
    r.call("bad json", "PATCH", "/proxies/~p/toxics/latency_downstream", data=b"{")
    r.call("empty body", "PATCH", "/proxies/~p/toxics/latency_downstream", data=b"")
    r.call("array", "PATCH", "/proxies/~p/toxics/latency_downstream", json_body=[])
    r.call("unchanged after bad updates", "GET", "/proxies/~p/toxics/latency_downstream")
    r.call("missing toxic", "GET", "/proxies/~p/toxics/t")
    r.call("update missing toxic", "PATCH", "/proxies/~p/toxics/t", json_body={})
    r.call("update missing toxic, bad body", "PATCH", "/proxies/~p/toxics/t", data=b"{")
    r.call("delete missing toxic", "DELETE", "/proxies/~p/toxics/t")
    r.call("missing proxy", "GET", "/proxies/~q/toxics/t")
    r.call("delete on missing proxy", "DELETE", "/proxies/~q/toxics/t")
    r.call("delete", "DELETE", "/proxies/~p/toxics/latency_downstream")
    r.call("delete again", "DELETE", "/proxies/~p/toxics/latency_downstream")
    r.call("gone", "GET", "/proxies/~p/toxics")
    r.call("re-add with the same name", "POST", "/proxies/~p/toxics",
           json_body={"type": "slicer", "name": "latency_downstream"})
