"""Differential scenarios: what toxics and proxy changes do to live TCP connections.

What reaches an upstream we control is observed rather than echo replies that race with a
close; timings are coarse verdicts.
"""

from __future__ import annotations

import socket

from ._differential import (
    Recorder,
    add_toxic,
    create_proxy,
    echo_outcome,
    open_socket,
    read_outcome,
    scenario,
    timed,
)

# -- TCP behaviours --------------------------------------------------------------------------


@scenario
def tcp_latency(r: Recorder) -> None:
    create_proxy(r)
    listen = r.listen_of("~p")
    with open_socket(listen) as sock:
        sock.sendall(b"a")
        r.note("before", sock.recv(1))
        add_toxic(r, "latency on an open connection", "latency", latency=400)
        _, elapsed = timed(lambda: (sock.sendall(b"b"), sock.recv(1)))
        r.note("open connection delayed", "delayed" if elapsed >= 0.35 else "prompt")
        r.call("remove", "DELETE", "/proxies/~p/toxics/latency_downstream")
        _, elapsed = timed(lambda: (sock.sendall(b"c"), sock.recv(1)))
        r.note("after removal", "delayed" if elapsed >= 0.35 else "prompt")


@scenario
def tcp_latency_removal_flushes(r: Recorder) -> None:
    create_proxy(r)
    add_toxic(r, "long latency", "latency", latency=20_000)
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"held")
        sock.settimeout(0.3)
        try:
            early = sock.recv(4)
        except TimeoutError:
            early = b""
        r.note("held back", early)
        r.call("remove", "DELETE", "/proxies/~p/toxics/latency_downstream")
        sock.settimeout(3)
        data = bytearray()
        while len(data) < 4 and (chunk := sock.recv(4)):
            data += chunk
        r.note("flushed on removal", bytes(data))


@scenario
def tcp_limit_data(r: Recorder) -> None:
    create_proxy(r)
    add_toxic(r, "limit 10 down", "limit_data", bytes=10)
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"0123456789abcdef")
        r.note("truncated then closed", read_outcome(sock))
    r.call("update to zero", "PATCH", "/proxies/~p/toxics/limit_data_downstream",
           json_body={"attributes": {"bytes": 0}})
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"x")
        r.note("zero limit", read_outcome(sock))


@scenario
def tcp_timeout(r: Recorder) -> None:
    create_proxy(r)
    add_toxic(r, "timeout 200 ms", "timeout", timeout=200)
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"dropped")
        r.note("dropped then closed", read_outcome(sock))
    r.call("timeout 0", "PATCH", "/proxies/~p/toxics/timeout_downstream",
           json_body={"attributes": {"timeout": 0}})
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"dropped")
        r.note("silent while it exists", read_outcome(sock, 0.5))
        r.call("remove closes", "DELETE", "/proxies/~p/toxics/timeout_downstream")
        r.note("after removal", read_outcome(sock))


@scenario
def tcp_reset_peer(r: Recorder) -> None:
    create_proxy(r)
    add_toxic(r, "reset_peer", "reset_peer", timeout=100)
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"x")
        r.note("reset", read_outcome(sock)[1])
    r.call("remove", "DELETE", "/proxies/~p/toxics/reset_peer_downstream")
    r.note("works again", echo_outcome(r.listen_of("~p")))
    with socket.create_server(("127.0.0.1", 0)) as upstream:
        r.port_symbol(upstream.getsockname()[1], "UPSTREAM")
        r.call("to a quiet upstream", "PATCH", "/proxies/~p",
               json_body={"upstream": f"127.0.0.1:{upstream.getsockname()[1]}"})
        add_toxic(r, "reset_peer up", "reset_peer", "upstream", timeout=50)
        with open_socket(r.listen_of("~p")) as sock:
            conn, _ = upstream.accept()
            with conn:
                sock.sendall(b"x")
                r.note("the upstream side is reset too", read_outcome(conn)[1])
                r.note("and the client", read_outcome(sock)[1])


@scenario
def tcp_slow_close(r: Recorder) -> None:
    with socket.create_server(("127.0.0.1", 0)) as upstream:
        r.port_symbol(upstream.getsockname()[1], "UPSTREAM")
        r.call("create", "POST", "/proxies", json_body={
            "name": "~p", "upstream": f"127.0.0.1:{upstream.getsockname()[1]}",
            "listen": "127.0.0.1:0"})
        add_toxic(r, "slow_close 400 ms", "slow_close", delay=400)
        with open_socket(r.listen_of("~p")) as sock:
            conn, _ = upstream.accept()
            conn.sendall(b"bye")
            conn.close()
            (data, end), elapsed = timed(lambda: read_outcome(sock))
            r.note("data then a late EOF", (data, end, "late" if elapsed >= 0.35 else "early"))


@scenario
def tcp_slicer(r: Recorder) -> None:
    with socket.create_server(("127.0.0.1", 0)) as upstream:
        r.port_symbol(upstream.getsockname()[1], "UPSTREAM")
        r.call("create", "POST", "/proxies", json_body={
            "name": "~p", "upstream": f"127.0.0.1:{upstream.getsockname()[1]}",
            "listen": "127.0.0.1:0"})
        add_toxic(r, "slicer 10 bytes, 30 ms apart", "slicer", average_size=10, delay=30_000)
        with open_socket(r.listen_of("~p")) as sock:
            conn, _ = upstream.accept()
            with conn:
                conn.sendall(bytes(100))
                sizes = []
                sock.settimeout(3)
                while sum(sizes) < 100 and (chunk := sock.recv(4096)):
                    sizes.append(len(chunk))
            r.note("piece sizes", sizes)


@scenario
def tcp_bandwidth(r: Recorder) -> None:
    create_proxy(r)
    add_toxic(r, "10 KB/s down", "bandwidth", rate=10)
    with open_socket(r.listen_of("~p")) as sock:
        payload = bytes(5000)
        sock.sendall(payload)

        def read_all() -> int:
            got = 0
            while got < len(payload) and (chunk := sock.recv(65536)):
                got += len(chunk)
            return got

        got, elapsed = timed(read_all)
        r.note("5 KB at 10 KB/s", (got, "slow" if elapsed >= 0.4 else "fast"))


@scenario
def tcp_toxicity_zero(r: Recorder) -> None:
    create_proxy(r)
    r.call("timeout with toxicity 0", "POST", "/proxies/~p/toxics",
           json_body={"type": "timeout", "toxicity": 0, "attributes": {"timeout": 100}})
    r.note("passes", echo_outcome(r.listen_of("~p")))


@scenario
def tcp_more_toxics(r: Recorder) -> None:
    create_proxy(r)
    listen = r.listen_of("~p")
    add_toxic(r, "latency up", "latency", "upstream", latency=300)
    add_toxic(r, "latency down", "latency", latency=300)
    with open_socket(listen) as sock:
        _, elapsed = timed(lambda: (sock.sendall(b"a"), sock.recv(1)))
        r.note("both directions add up", "≥0.55 s" if elapsed >= 0.55 else "less")
    r.call("reset the chain", "DELETE", "/proxies/~p/toxics/latency_upstream")
    r.call("reset the chain", "DELETE", "/proxies/~p/toxics/latency_downstream")
    with socket.create_server(("127.0.0.1", 0)) as upstream:
        r.port_symbol(upstream.getsockname()[1], "UPSTREAM")
        r.call("to a quiet upstream", "PATCH", "/proxies/~p",
               json_body={"upstream": f"127.0.0.1:{upstream.getsockname()[1]}"})
        add_toxic(r, "limit 3 up", "limit_data", "upstream", bytes=3)
        with open_socket(listen) as sock:
            conn, _ = upstream.accept()
            with conn:
                sock.sendall(b"abcdef")
                # What comes back to the client races with the close; the upstream side doesn't.
                r.note("upstream gets the first 3 bytes", read_outcome(conn))
        r.call("update keeps the count", "PATCH", "/proxies/~p/toxics/limit_data_upstream",
               json_body={"attributes": {"bytes": 5}})
        with open_socket(listen) as sock:
            conn, _ = upstream.accept()
            with conn:
                sock.sendall(b"ab")
                conn.settimeout(3)
                first = conn.recv(2)
                r.call("lower the limit on an open link", "PATCH",
                       "/proxies/~p/toxics/limit_data_upstream",
                       json_body={"attributes": {"bytes": 4}})
                sock.sendall(b"cdef")
                r.note("count survives the update", (first, read_outcome(conn)))


@scenario
def tcp_reset_peer_old_connection(r: Recorder) -> None:
    create_proxy(r)
    listen = r.listen_of("~p")
    with open_socket(listen) as older:
        older.sendall(b"x")
        older.settimeout(3)
        r.note("older connection works", older.recv(1))
        add_toxic(r, "reset_peer", "reset_peer", timeout=50)
        older.sendall(b"y")
        r.note("an older connection gets EOF", read_outcome(older)[1])
    with open_socket(listen) as newer:
        newer.sendall(b"z")
        r.note("a newer one gets a reset", read_outcome(newer)[1])


@scenario
def tcp_timeout_removal_closes_both_sides(r: Recorder) -> None:
    with socket.create_server(("127.0.0.1", 0)) as upstream:
        r.port_symbol(upstream.getsockname()[1], "UPSTREAM")
        r.call("create", "POST", "/proxies", json_body={
            "name": "~p", "upstream": f"127.0.0.1:{upstream.getsockname()[1]}",
            "listen": "127.0.0.1:0"})
        add_toxic(r, "timeout 0 up", "timeout", "upstream", timeout=0)
        with open_socket(r.listen_of("~p")) as sock:
            conn, _ = upstream.accept()
            with conn:
                sock.sendall(b"dropped")
                conn.settimeout(0.3)
                try:
                    r.note("upstream sees nothing", conn.recv(10))
                except TimeoutError:
                    r.note("upstream sees nothing", "silent")
                r.call("remove", "DELETE", "/proxies/~p/toxics/timeout_upstream")
                r.note("client side", read_outcome(sock))
                r.note("upstream side", read_outcome(conn))


@scenario
def tcp_half_close(r: Recorder) -> None:
    with socket.create_server(("127.0.0.1", 0)) as upstream:
        r.port_symbol(upstream.getsockname()[1], "UPSTREAM")
        r.call("create", "POST", "/proxies", json_body={
            "name": "~p", "upstream": f"127.0.0.1:{upstream.getsockname()[1]}",
            "listen": "127.0.0.1:0"})
        with open_socket(r.listen_of("~p")) as sock:
            conn, _ = upstream.accept()
            with conn:
                sock.sendall(b"req")
                sock.shutdown(socket.SHUT_WR)
                r.note("upstream reads the request, then EOF", read_outcome(conn))
                try:
                    conn.sendall(b"late answer")
                except OSError as exc:
                    r.note("upstream answer after the client's FIN", type(exc).__name__)
                r.note("the client", read_outcome(sock)[1])


@scenario
def tcp_connections_across_changes(r: Recorder) -> None:
    create_proxy(r)
    listen = r.listen_of("~p")
    with open_socket(listen) as sock:
        sock.sendall(b"a")
        sock.settimeout(3)
        sock.recv(1)
        r.call("identical populate", "POST", "/populate", json_body=[
            {"name": "~p", "listen": listen, "upstream": r.echo.address}])
        r.note("survives an identical populate", echo_outcome_on(sock))
        r.call("new upstream", "PATCH", "/proxies/~p", json_body={"upstream": r.echo.address})
        r.note("survives the same upstream", echo_outcome_on(sock))
        r.call("other upstream", "PATCH", "/proxies/~p", json_body={"upstream": "127.0.0.1:9"})
        r.note("dropped by another upstream", read_outcome(sock)[1])
    r.call("disabled, with a toxic", "PATCH", "/proxies/~p",
           json_body={"enabled": False, "upstream": r.echo.address})
    add_toxic(r, "toxic while disabled", "latency", latency=300)
    r.call("enable", "PATCH", "/proxies/~p", json_body={"enabled": True})
    with open_socket(r.listen_of("~p")) as sock:
        _, elapsed = timed(lambda: (sock.sendall(b"a"), sock.recv(1)))
        r.note("the kept toxic applies", "delayed" if elapsed >= 0.25 else "prompt")


def echo_outcome_on(sock: socket.socket) -> str:
    try:
        sock.sendall(b"b")
        return "echo" if sock.recv(1) == b"b" else "eof"
    except OSError as exc:
        return type(exc).__name__
