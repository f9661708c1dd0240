"""`pytest-tws fake | toxiproxy | doctor`: the command-line entry points."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

from pytest_tws.model.accounts import DEFAULT_ACCOUNT

READY_LINE = "pytest-tws fake TWS listening on {host}:{port}"


def _fake(args: argparse.Namespace) -> int:
    from pytest_tws.fake import FakeTWS

    tws = FakeTWS(host=args.host, port=args.port, accounts=args.account or [DEFAULT_ACCOUNT],
                  seed=args.seed)

    def on_signal(signum: int, frame: object) -> None:
        tws.request_stop()

    # SIGINT is Ctrl+C everywhere; SIGTERM exists on Windows too but is only raised in-process.
    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), on_signal)

    def ready(server: FakeTWS) -> None:
        print(READY_LINE.format(host=server.host, port=server.port), flush=True)

    tws.serve_forever(ready)
    return 0


def _toxiproxy(args: argparse.Namespace) -> int:
    from pytest_tws.netfault.server import run_cli

    return run_cli(args.host, args.port)


def _doctor(args: argparse.Namespace) -> int:
    from pytest_tws.doctor import run_doctor

    return run_doctor(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pytest-tws", description=__doc__)
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log connects (-v) and every frame with its name (-vv)")
    commands = parser.add_subparsers(dest="command", required=True)

    fake = commands.add_parser("fake", help="run a fake TWS in the foreground")
    fake.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    fake.add_argument("--port", type=int, default=7497, help="port (default 7497; 0 = any free)")
    fake.add_argument("--account", action="append",
                      help=f"managed account, repeatable (default {DEFAULT_ACCOUNT})")
    fake.add_argument("--seed", type=int, default=0, help="seed for prices and fills")
    fake.set_defaults(run=_fake)

    toxi = commands.add_parser("toxiproxy", help="run the embedded Toxiproxy-compatible server")
    toxi.add_argument("--host", default="127.0.0.1")
    toxi.add_argument("--port", type=int, default=8474)
    toxi.set_defaults(run=_toxiproxy)

    doctor = commands.add_parser("doctor", help="check a TWS / IB Gateway setup")
    doctor.add_argument("--host", default="127.0.0.1")
    doctor.add_argument("--port", type=int, default=7497)
    doctor.add_argument("--client-id", type=int, default=999)
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    doctor.add_argument("--timeout", type=float, default=5.0,
                        help="seconds to wait for each answer (default 5)")
    doctor.set_defaults(run=_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
