"""``python -m brokers.sandbox``: serve the sandbox until Ctrl-C (or SIGTERM).

The first stdout line is exactly ``SANDBOX_URL=http://127.0.0.1:PORT`` (flushed), so another
process can start it with ``--port 0`` and read the port; a human-readable summary follows.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from .projectx_seed import PX_API_KEY, PX_USERS
from .seed import DX_DOMAIN, DX_PASSWORD, DX_USERS, MT_BROKER_ID, MT_PASSWORD, MT_USERS
from .server import Sandbox
from .tradelocker_seed import TL_PASSWORD, TL_SERVER, TL_USERS


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("a port is from 0 to 65535")
    return port


def _credentials() -> str:
    """The demo logins, for --help (the URL is printed when the sandbox starts)."""
    lines = ["demo logins:", f"  DXtrade (domain {DX_DOMAIN!r}, password {DX_PASSWORD!r}):"]
    lines += [f"    user {user}: accounts {', '.join(codes)}" for user, codes in DX_USERS.items()]
    lines.append(f"  Match-Trader (broker id {MT_BROKER_ID!r}, password {MT_PASSWORD!r}):")
    lines += [f"    {email}: accounts {', '.join(ids)}" for email, ids in MT_USERS.items()]
    for environment, users in TL_USERS.items():
        server = TL_SERVER[environment]
        lines.append(f"  TradeLocker {environment} (server {server!r}, password {TL_PASSWORD!r}):")
        lines += [f"    {email}: accounts {', '.join(ids)}" for email, ids in users.items()]
    lines.append(f"  ProjectX (API key {PX_API_KEY!r}):")
    lines += [f"    {user}: accounts {', '.join(map(str, ids))}" for user, ids in PX_USERS.items()]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m brokers.sandbox  (or: brokers sandbox)",
        description="Loopback emulator of the DXtrade, Match-Trader, TradeLocker and ProjectX "
        "REST APIs.",
        epilog=_credentials(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8700, help="TCP port; 0 picks a free one")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per answer")
    return parser


def _summary(sb: Sandbox) -> str:
    lines = [
        "",
        f"DXtrade      base URL: {sb.dxtrade_url}",
        f"             domain {DX_DOMAIN!r}, password {DX_PASSWORD!r}",
    ]
    lines += [
        f"             user {user}: accounts {', '.join(codes)}" for user, codes in DX_USERS.items()
    ]
    lines += [
        f"Match-Trader origin:   {sb.url}  (login {sb.url}/manager/mtr-login or /manager/co-login)",
        f"             brokerId {MT_BROKER_ID!r}, password {MT_PASSWORD!r}",
    ]
    for email, ids in MT_USERS.items():
        systems = sorted({sb.matchtrade.system_uuid(aid) for aid in ids})
        lines.append(
            f"             {email}: accounts {', '.join(ids)} (system {', '.join(systems)})"
        )
    for environment, users in TL_USERS.items():
        origin = sb.url if environment == "demo" else f"{sb.url}/live"
        lines.append(
            f"TradeLocker  {environment} origin: {origin}  (server {TL_SERVER[environment]!r}, "
            f"password {TL_PASSWORD!r})"
        )
        lines += [
            f"             {email}: accounts {', '.join(ids)}" for email, ids in users.items()
        ]
    lines += [f"ProjectX     base URL: {sb.url}  (apiKey {PX_API_KEY!r})"]
    lines += [
        f"             {user}: accounts {', '.join(map(str, ids))}"
        for user, ids in PX_USERS.items()
    ]
    lines += [
        f"Admin:       GET {sb.url}/_sandbox/stats, POST /_sandbox/clear|config|expire|reset",
        f"Latency:     {sb.latency} s",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox in the foreground; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.latency < 0:
        print("error: --latency must be >= 0", file=sys.stderr)
        return 2
    try:
        sandbox = Sandbox(host=args.host, port=args.port, latency=args.latency)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        sandbox.start()
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # before the URL: a reader may stop us next
        signal.signal(signum, lambda *_: done.set())
    print(f"SANDBOX_URL={sandbox.url}", flush=True)
    print(_summary(sandbox), flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
