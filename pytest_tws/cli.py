"""`pytest-tws fake | toxiproxy | doctor | record | replay`: the command-line entry points."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pytest_tws.model.accounts import DEFAULT_ACCOUNT

#: seconds between checks for a stop signal while recording or replaying
SIGNAL_POLL = 0.5

if TYPE_CHECKING:
    from pytest_tws.fake import FakeTWS

READY_LINE = "pytest-tws fake TWS listening on {host}:{port}"
RECORD_READY_LINE = "pytest-tws recording proxy listening on {host}:{port} -> {upstream}"
REPLAY_READY_LINE = "pytest-tws replay of {cassette} listening on {host}:{port}"


def _accounts(args: argparse.Namespace) -> list[str]:
    names = list(args.account or [])
    for group in args.accounts or []:
        names += [name.strip() for name in group.split(",") if name.strip()]
    return names or [DEFAULT_ACCOUNT]


def make_fake(args: argparse.Namespace) -> FakeTWS:
    """The FakeTWS `pytest-tws fake ...` runs (not started)."""
    from pytest_tws.fake import FakeTWS, Limits

    limits = Limits()
    if args.market_data_lines is not None:
        limits.market_data_lines = args.market_data_lines
    if args.messages_per_second is not None:
        limits.messages_per_second = args.messages_per_second
    return FakeTWS(host=args.host, port=args.port, accounts=_accounts(args), seed=args.seed,
                   limits=limits, read_only=args.read_only)


def _on_stop_signals(stop: Callable[[], None]) -> None:
    def on_signal(signum: int, frame: object) -> None:
        stop()

    # SIGINT is Ctrl+C everywhere; SIGTERM exists on Windows too but is only raised in-process.
    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), on_signal)


def _fake(args: argparse.Namespace) -> int:
    tws = make_fake(args)
    _on_stop_signals(tws.request_stop)

    def ready(server: FakeTWS) -> None:
        print(READY_LINE.format(host=server.host, port=server.port), flush=True)

    tws.serve_forever(ready)
    return 0


def _toxiproxy(args: argparse.Namespace) -> int:
    from pytest_tws.netfault.server import run_cli

    return run_cli(args.host, args.port)


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def _record(args: argparse.Namespace) -> int:
    import threading

    from pytest_tws.cassette.proxy import RecordingProxy

    host, port = args.upstream
    stopped = threading.Event()
    _on_stop_signals(stopped.set)
    with RecordingProxy(host, port, port=args.port, out=args.out) as proxy:
        print(RECORD_READY_LINE.format(host=proxy.host, port=proxy.port,
                                       upstream=f"{host}:{port}"), flush=True)
        while not stopped.wait(SIGNAL_POLL):  # a timeout, so Ctrl+C is seen on Windows too
            pass
    print(f"cassette written to {args.out}", flush=True)
    return 0


def _replay(args: argparse.Namespace) -> int:
    """Serve a cassette until stopped; 1 if any request had no recorded answer."""
    import threading

    from pytest_tws.cassette.format import CassetteError, load
    from pytest_tws.cassette.replay import ReplayServer

    try:
        cassette = load(args.cassette)
    except (OSError, CassetteError) as exc:
        print(f"pytest-tws replay: {exc}", file=sys.stderr)
        return 2
    stopped = threading.Event()
    _on_stop_signals(stopped.set)
    with ReplayServer(cassette, port=args.port, name=args.cassette) as server:
        print(REPLAY_READY_LINE.format(cassette=args.cassette, host=server.host,
                                       port=server.port), flush=True)
        reported = 0
        while not stopped.wait(SIGNAL_POLL):
            for failure in server.failures[reported:]:
                print(failure, file=sys.stderr, flush=True)
            reported = len(server.failures)
    return 1 if server.failures else 0


def _doctor(args: argparse.Namespace) -> int:
    from pytest_tws.doctor import run_doctor

    return run_doctor(args)


def _version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("pytest-tws")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after the command's name."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0,
                        help="log connects (-v) and every frame with its name (-vv)")
    common.add_argument("--version", action="version", version=f"pytest-tws {_version()}")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="pytest-tws", description=__doc__, parents=[common])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fake = commands.add_parser("fake", help="run a fake TWS in the foreground", parents=[common])
    fake.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    fake.add_argument("--port", type=int, default=7497, help="port (default 7497; 0 = any free)")
    fake.add_argument("--account", action="append",
                      help=f"managed account, repeatable (default {DEFAULT_ACCOUNT})")
    fake.add_argument("--accounts", action="append", metavar="A,B",
                      help="managed accounts, comma-separated (with --account: both)")
    fake.add_argument("--seed", type=int, default=0, help="seed for prices and fills")
    fake.add_argument("--market-data-lines", type=_positive, metavar="N",
                      help="market-data lines before error 101 (default 100)")
    fake.add_argument("--messages-per-second", type=_positive, metavar="N",
                      help="request rate before error 100 (default 50)")
    fake.add_argument("--read-only", action="store_true",
                      help="act as TWS with 'Read-Only API' ticked: orders get error 321")
    fake.set_defaults(run=_fake)

    toxi = commands.add_parser("toxiproxy", help="run the embedded Toxiproxy-compatible server",
                               parents=[common])
    toxi.add_argument("--host", default="127.0.0.1")
    toxi.add_argument("--port", type=int, default=8474)
    toxi.set_defaults(run=_toxiproxy)

    doctor = commands.add_parser("doctor", help="check a TWS / IB Gateway setup",
                                 parents=[common])
    doctor.add_argument("--host", default="127.0.0.1")
    doctor.add_argument("--port", type=int, default=7497)
    doctor.add_argument("--client-id", type=int, default=999)
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    doctor.add_argument("--timeout", type=float, default=5.0,
                        help="seconds to wait for each answer (default 5)")
    doctor.set_defaults(run=_doctor)

    record = commands.add_parser(
        "record", parents=[common],
        help="a recording proxy in front of a TWS: writes a cassette of every session")
    record.add_argument("--upstream", type=_address, required=True, metavar="HOST:PORT",
                        help="the TWS / IB Gateway to record (e.g. 127.0.0.1:7497)")
    record.add_argument("--port", type=int, default=0,
                        help="port the proxy listens on, 127.0.0.1 (default 0 = any free)")
    record.add_argument("--out", required=True, metavar="FILE", help="the cassette to write")
    record.set_defaults(run=_record)

    replay = commands.add_parser("replay", parents=[common],
                                 help="serve a cassette as the TWS it was recorded from")
    replay.add_argument("cassette", metavar="FILE", help="a cassette `record` wrote")
    replay.add_argument("--port", type=int, default=7497, help="port (default 7497; 0 = any free)")
    replay.set_defaults(run=_replay)
    return parser


COMMANDS = ("fake", "toxiproxy", "doctor", "record", "replay")


def command_first(argv: Sequence[str]) -> list[str]:
    """Move the command's name to the front, so its options may come before it too
    (``pytest-tws --port 0 fake -v`` is ``pytest-tws fake --port 0 -v``)."""
    args = list(argv)
    for index, arg in enumerate(args):
        if arg in COMMANDS:
            return [arg, *args[:index], *args[index + 1:]]
    return args


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    args = list(sys.argv[1:] if argv is None else argv)
    return build_parser().parse_args(command_first(args))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    level = logging.WARNING
    if args.verbose == 1:
        level = logging.INFO
    elif args.verbose >= 2:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
