"""Seed data: demo credentials, accounts and the numbers a fresh sandbox returns.

The public constants (``DX_*``, ``MT_*``) are re-exported by :mod:`brokers.sandbox`; tests and
documentation rely on them exactly.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

DX_DOMAIN = "default"
DX_PASSWORD = "sandbox-pass"
DX_USERS: dict[str, list[str]] = {
    "1210001": ["default:1210001", "default:1210002"],
    "1210003": ["default:1210003"],
}

MT_BROKER_ID = "0"
MT_PASSWORD = "sandbox-pass"
MT_USERS: dict[str, list[str]] = {
    "trader@example.com": ["700001", "700002"],
    "solo@example.com": ["700003"],
}

D = Decimal

# --------------------------------------------------------------------------- DXtrade

DX_CURRENCY = {"default:1210001": "USD", "default:1210002": "EUR", "default:1210003": "GBP"}

# Stored figures; the other metrics derive from them and from the open positions.
DX_ACCOUNTS: dict[str, dict[str, Decimal]] = {
    "default:1210001": {
        "balance": D("100000.00"),
        "credit": D("0"),
        "availableBalance": D("98500.00"),
    },
    "default:1210002": {
        "balance": D("50000.00"),
        "credit": D("100.00"),
        "availableBalance": D("49000.00"),
    },
    "default:1210003": {
        "balance": D("25000.00"),
        "credit": D("0"),
        "availableBalance": D("25000.00"),
    },
}

# One seeded position per account with a fixed floating P/L and margin, chosen so that the derived
# metrics equal the documented seed (equity = balance + openPL, margin = sum of position margins).
DX_POSITIONS: dict[str, list[dict[str, object]]] = {
    "default:1210001": [
        {
            "positionCode": "1000001",
            "symbol": "XAU/USD",
            "side": "BUY",
            "quantity": D("10"),
            "openPrice": D("2375.045"),
            "pl": D("250.55"),
            "margin": D("1500.30"),
        }
    ],
    "default:1210002": [
        {
            "positionCode": "1000002",
            "symbol": "EUR/USD",
            "side": "SELL",
            "quantity": D("10000"),
            "openPrice": D("1.07511"),
            "pl": D("-99.90"),
            "margin": D("900.00"),
        }
    ],
    "default:1210003": [],
}

# symbol -> (type, description, currency, lotSize, precision, bid, ask, marginRate)
DX_INSTRUMENTS: dict[str, tuple[str, str, str, int, int, Decimal, Decimal, Decimal]] = {
    "EUR/USD": (
        "FOREX",
        "Euro vs US Dollar",
        "USD",
        1000,
        5,
        D("1.08500"),
        D("1.08510"),
        D("0.01"),
    ),
    "GBP/USD": (
        "FOREX",
        "British Pound vs US Dollar",
        "USD",
        1000,
        5,
        D("1.27000"),
        D("1.27015"),
        D("0.01"),
    ),
    "XAU/USD": ("CFD", "Gold vs US Dollar", "USD", 1, 2, D("2400.10"), D("2400.50"), D("0.05")),
    "BTCUSD": (
        "CRYPTO",
        "Bitcoin vs US Dollar",
        "USD",
        1,
        2,
        D("65000.00"),
        D("65050.00"),
        D("0.5"),
    ),
}

# --------------------------------------------------------------------------- Match-Trader

_NS = uuid.UUID("6f1c3a52-8d0e-4c1b-9a55-3b0c2f7e9d10")


def stable_uuid(name: str) -> str:
    """A deterministic UUID for seed objects (same value in every sandbox)."""
    return str(uuid.uuid5(_NS, name))


MT_SYSTEM_A = stable_uuid("system:mtr-sandbox-a")
MT_SYSTEM_B = stable_uuid("system:mtr-sandbox-b")

# account id -> (currency, systemUuid, offer name)
MT_ACCOUNT_INFO: dict[str, tuple[str, str, str]] = {
    "700001": ("USD", MT_SYSTEM_A, "Challenge 10k USD"),
    "700002": ("EUR", MT_SYSTEM_A, "Challenge 5k EUR"),
    "700003": ("USD", MT_SYSTEM_B, "Evaluation 2.5k USD"),
}

MT_BALANCES: dict[str, dict[str, Decimal]] = {
    "700001": {"balance": D("10000.00"), "credit": D("0.00")},
    "700002": {"balance": D("5000.00"), "credit": D("50.00")},
    "700003": {"balance": D("2500.00"), "credit": D("0.00")},
}

MT_POSITIONS: dict[str, list[dict[str, object]]] = {
    "700001": [
        {
            "id": "W0000000000700001",
            "symbol": "EURUSD.",
            "side": "BUY",
            "volume": D("0.10"),
            "open_price": D("1.083766"),
            "profit": D("12.34"),
            "swap": D("-0.04"),
            "commission": D("-0.30"),
            "margin": D("112.34"),
        }
    ],
    "700002": [
        {
            "id": "W0000000000700002",
            "symbol": "GBPUSD.",
            "side": "SELL",
            "volume": D("0.05"),
            "open_price": D("1.26825"),
            "profit": D("-9.50"),
            "swap": D("0.00"),
            "commission": D("0.00"),
            "margin": D("0.00"),
        }
    ],
    "700003": [],
}

# symbol -> (type, description, base, quote, pricePrecision, contractSize, bid, ask)
MT_INSTRUMENTS: dict[str, tuple[str, str, str, str, int, Decimal, Decimal, Decimal]] = {
    "EURUSD.": (
        "FOREX",
        "Euro vs US Dollar",
        "EUR",
        "USD",
        5,
        D("100000"),
        D("1.08500"),
        D("1.08510"),
    ),
    "GBPUSD.": (
        "FOREX",
        "British Pound vs US Dollar",
        "GBP",
        "USD",
        5,
        D("100000"),
        D("1.27000"),
        D("1.27015"),
    ),
    "XAUUSD.": (
        "METAL",
        "Gold vs US Dollar",
        "XAU",
        "USD",
        2,
        D("100"),
        D("2400.10"),
        D("2400.50"),
    ),
}
MT_VOLUME_MIN = D("0.01")
MT_VOLUME_MAX = D("100")
MT_VOLUME_STEP = D("0.01")
MT_LEVERAGE = 100
