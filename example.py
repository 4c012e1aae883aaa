"""Log in to each configured broker and print its balance.

    python example.py

Credentials come from the environment or ``.env`` (see ``.env.example``). With none
configured, the built-in loopback sandbox is started and used instead, and the output says
so. The exit status is non-zero if any broker failed.
"""

from __future__ import annotations

import sys

import brokers
from brokers.config import load_settings, setting
from brokers.sandbox import DX_PASSWORD, MT_BROKER_ID, MT_PASSWORD, Sandbox

PLATFORMS = {
    "DXtrade": (brokers.DXTrade, "DXTRADE"),
    "Match-Trader": (brokers.MatchTrade, "MATCHTRADE"),
}


def show(name: str, client: brokers.BrokerClient) -> bool:
    """Print the balance of ``client``; False (and the reason) if it failed."""
    try:
        with client:
            b = client.get_balance()
    except brokers.BrokerError as exc:
        print(f"{name}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return False
    print(
        f"{name}: account {b.account}: balance {b.balance} {b.currency or ''}, "
        f"equity {b.equity}, available {b.available}, open P/L {b.profit}"
    )
    return True


def configured_clients() -> dict[str, brokers.BrokerClient]:
    settings = load_settings()
    clients = {}
    for name, (cls, prefix) in PLATFORMS.items():
        if setting(settings, f"{prefix}_BASE_URL"):
            clients[name] = cls.from_env()
    return clients


def main() -> int:
    try:
        clients = configured_clients()
    except brokers.ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if clients:
        return 0 if all([show(name, c) for name, c in clients.items()]) else 1
    with Sandbox() as sb:
        print(f"No broker credentials configured (.env): using the built-in sandbox at {sb.url}")
        demo = {
            "DXtrade (sandbox)": brokers.DXTrade(sb.url, "1210001", DX_PASSWORD),
            "Match-Trader (sandbox)": brokers.MatchTrade(
                sb.url, "trader@example.com", MT_PASSWORD, MT_BROKER_ID
            ),
        }
        return 0 if all([show(name, c) for name, c in demo.items()]) else 1


if __name__ == "__main__":
    sys.exit(main())
