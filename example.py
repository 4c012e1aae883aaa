"""Log in to each configured broker and print its balances.

    python example.py

Credentials come from the environment or ``.env`` (see ``.env.example``): the
``DXTRADE_*`` / ``MATCHTRADE_*`` / ``TRADELOCKER_*`` / ``PROJECTX_*`` settings and any named
profiles (``BROKERS_PROFILES``). With none configured, the built-in loopback sandbox is
started and one demo login of each platform is used instead, and the output says so. The
exit status is non-zero if any broker failed.
"""

from __future__ import annotations

import sys

import brokers
from brokers.sandbox import (
    DX_PASSWORD,
    MT_BROKER_ID,
    MT_PASSWORD,
    PX_API_KEY,
    TL_PASSWORD,
    TL_SERVER,
    Sandbox,
)


def report(results: brokers.FetchResults) -> int:
    """Print every balance (errors to stderr); 0 when every broker answered, else 1."""
    for result in results:
        if not result.ok:
            print(
                f"{result.name}: FAILED: {type(result.error).__name__}: {result.error}",
                file=sys.stderr,
            )
        for b in result.balances:
            print(
                f"{result.name}: account {b.account}: balance {b.balance} {b.currency or ''}, "
                f"equity {b.equity}, available {b.available}, open P/L {b.profit}"
            )
    return 0 if results.ok else 1


def main() -> int:
    try:
        profiles = brokers.load_profiles()
    except brokers.ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if profiles:
        return report(brokers.fetch_balances(list(profiles.values())))
    with Sandbox() as sb:
        print(f"No broker credentials configured (.env): using the built-in sandbox at {sb.url}")
        demo = [
            brokers.DXTrade(sb.url, "1210001", DX_PASSWORD),
            brokers.MatchTrade(sb.url, "trader@example.com", MT_PASSWORD, MT_BROKER_ID),
            brokers.TradeLocker(sb.url, "solo@example.com", TL_PASSWORD, TL_SERVER["demo"]),
            brokers.ProjectX(sb.url, "solo@example.com", PX_API_KEY),
        ]
        try:
            return report(brokers.fetch_balances(demo))
        finally:
            for client in demo:
                client.close()


if __name__ == "__main__":
    sys.exit(main())
