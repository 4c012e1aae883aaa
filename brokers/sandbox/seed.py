"""Seed data: demo credentials, accounts and the numbers a fresh sandbox returns.

The public constants (``DX_*``, ``MT_*``) are re-exported by :mod:`brokers.sandbox`; tests and
documentation rely on them exactly.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

DX_DOMAIN = "default"
DX_PASSWORD = "sandbox-pass"
DX_SSO_TOKEN = "sandbox-sso-token"  # POST /loginByToken (§3.4)
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

# One seeded position per account with a fixed margin. The floating P/L follows the quotes (marked
# at bid for BUY, ask for SELL): at the seed quotes it is 250.55 (XAU/USD) and -99.90 (EUR/USD), so
# the derived metrics equal the documented seed (equity = balance + openPL).
DX_POSITIONS: dict[str, list[dict[str, object]]] = {
    "default:1210001": [
        {
            "positionCode": "1000001",
            "symbol": "XAU/USD",
            "side": "BUY",
            "quantity": D("10"),
            "openPrice": D("2375.045"),
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
            "margin": D("900.00"),
        }
    ],
    "default:1210003": [],
}

# DXtrade instruments (§7.4). Plain Instrument fields: type, description, currency, lotSize (units
# per lot: 100000 for FX), priceIncrement, pipSize, multiplier. Instrument Details of every account:
# minOrderSize, maxOrderSize, minOrderSizeIncrement (units), marginRate, tradingStatus FULL.
# "bid"/"ask" are the initial quotes (§7.7), "underlying"/"firstCurrency" the optional fields.
DX_INSTRUMENTS: dict[str, dict[str, object]] = {
    "EUR/USD": {
        "type": "FOREX",
        "description": "Euro vs US Dollar",
        "currency": "USD",
        "firstCurrency": "EUR",
        "lotSize": D("100000"),
        "priceIncrement": D("0.00001"),
        "pipSize": D("0.0001"),
        "multiplier": D("1"),
        "minOrderSize": D("1000"),
        "maxOrderSize": D("10000000"),
        "minOrderSizeIncrement": D("1000"),
        "marginRate": D("0.01"),
        "bid": D("1.08500"),
        "ask": D("1.08510"),
    },
    "GBP/USD": {
        "type": "FOREX",
        "description": "British Pound vs US Dollar",
        "currency": "USD",
        "firstCurrency": "GBP",
        "lotSize": D("100000"),
        "priceIncrement": D("0.00001"),
        "pipSize": D("0.0001"),
        "multiplier": D("1"),
        "minOrderSize": D("1000"),
        "maxOrderSize": D("10000000"),
        "minOrderSizeIncrement": D("1000"),
        "marginRate": D("0.01"),
        "bid": D("1.27000"),
        "ask": D("1.27015"),
    },
    "XAU/USD": {
        "type": "CFD",
        "description": "Gold vs US Dollar",
        "currency": "USD",
        "underlying": "XAU",
        "lotSize": D("100"),
        "priceIncrement": D("0.01"),
        "pipSize": D("0.1"),
        "multiplier": D("1"),
        "minOrderSize": D("1"),
        "maxOrderSize": D("10000"),
        "minOrderSizeIncrement": D("1"),
        "marginRate": D("0.05"),
        "bid": D("2400.10"),
        "ask": D("2400.50"),
    },
    "BTCUSD": {
        "type": "CRYPTO",
        "description": "Bitcoin vs US Dollar",
        "currency": "USD",
        "firstCurrency": "BTC",
        "lotSize": D("1"),
        "priceIncrement": D("0.01"),
        "pipSize": D("1"),
        "multiplier": D("1"),
        "minOrderSize": D("0.01"),
        "maxOrderSize": D("100"),
        "minOrderSizeIncrement": D("0.01"),
        "marginRate": D("0.5"),
        "bid": D("65000.00"),
        "ask": D("65050.00"),
    },
}

# Closed history (§7.6), times relative to the sandbox's reset: per account, one closed trade per
# row (days ago it opened, symbol, side, quantity, open price, close price, hours held, commission
# per fill in the account currency, 0 = none). P/L in the quote currency is booked 1:1.
DX_CLOSED_TRADES: dict[str, list[tuple[int, str, str, Decimal, Decimal, Decimal, int, Decimal]]] = {
    "default:1210001": [
        (21, "EUR/USD", "BUY", D("20000"), D("1.07950"), D("1.08240"), 5, D("-1.40")),
        (16, "XAU/USD", "SELL", D("5"), D("2410.50"), D("2398.20"), 26, D("-2.10")),
        (12, "GBP/USD", "SELL", D("10000"), D("1.27400"), D("1.27610"), 3, D("0")),
        (8, "EUR/USD", "SELL", D("30000"), D("1.08800"), D("1.08620"), 48, D("-2.10")),
        (4, "BTCUSD", "BUY", D("0.10"), D("64100.00"), D("64880.00"), 10, D("0")),
    ],
    "default:1210003": [
        (9, "GBP/USD", "BUY", D("5000"), D("1.26500"), D("1.26900"), 6, D("0")),
    ],
}
# Cancelled pending orders: (days ago, symbol, side, type, quantity, price).
DX_CANCELLED_ORDERS: dict[str, list[tuple[int, str, str, str, Decimal, Decimal]]] = {
    "default:1210001": [(14, "EUR/USD", "BUY", "LIMIT", D("10000"), D("1.07000"))],
}
# Manual cash transfers (§7.6): (days ago, transfer code, type, value, comment).
DX_TRANSFERS: dict[str, list[tuple[int, str, str, Decimal, str]]] = {
    "default:1210001": [(30, "T-50001", "DEPOSIT", D("100000.00"), "Initial deposit")],
    "default:1210002": [(30, "T-50002", "DEPOSIT", D("50000.00"), "Initial deposit")],
    "default:1210003": [(30, "T-50003", "DEPOSIT", D("25000.00"), "Initial deposit")],
}
# Account events (§7.6): (days ago, eventType, riskLevelThreshold, actualRiskLevel).
DX_ACCOUNT_EVENTS: dict[str, list[tuple[int, str, Decimal, Decimal]]] = {
    "default:1210002": [(6, "MARGIN_CALL", D("0.5"), D("0.48"))],
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
