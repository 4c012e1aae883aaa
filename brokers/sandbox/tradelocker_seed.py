"""TradeLocker seed data: environments, users, accounts, instruments and seeded positions.

The public constants (``TL_*``) are re-exported by :mod:`brokers.sandbox`; tests and
documentation rely on them exactly. Figures are illustrative (``tradelocker-api.md`` §4, §9).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

D = Decimal

TL_PASSWORD = "sandbox-pass"
# The "server" login field: the broker/brand name on the login screen (§1, §3.1).
TL_SERVER = {"demo": "SANDBOX-DEMO", "live": "SANDBOX-LIVE"}
# environment -> e-mail -> accountIds. Account ids are unique per environment (§1); a demo id is
# unknown on live. The second demo account has accNum 3, not 2 (§17.4: not always 1, 2).
TL_USERS: dict[str, dict[str, list[str]]] = {
    "demo": {
        "trader@example.com": ["1000001", "1000002"],
        "solo@example.com": ["1000003"],
    },
    "live": {"trader@example.com": ["2000001"]},
}


@dataclass(frozen=True)
class AccountSeed:
    acc_num: str
    currency: str
    balance: Decimal
    name: str


TL_ACCOUNTS: dict[str, AccountSeed] = {
    "1000001": AccountSeed("1", "USD", D("25000.00"), "SANDBOX#1000001#1#1"),
    "1000002": AccountSeed("3", "EUR", D("10000.00"), "SANDBOX#1000002#1#3"),
    "1000003": AccountSeed("1", "USD", D("5000.00"), "SANDBOX#1000003#1#1"),
    "2000001": AccountSeed("1", "USD", D("50000.00"), "SANDBOX-LIVE#2000001#1#1"),
}


@dataclass(frozen=True)
class InstrumentSeed:
    name: str
    description: str
    type: str
    symbol_id: int  # the instrument list's separate "id" (§9)
    info_routes: tuple[int, ...]  # the first of several is the broken one (§9, §17.7)
    trade_route: int
    lot_size: Decimal  # contract size: only in the details endpoint (§6 lessons)
    tick: Decimal
    min_lot: Decimal
    max_lot: Decimal
    lot_step: Decimal
    base: str
    quote: str
    bid: Decimal
    ask: Decimal


# tradableInstrumentId -> instrument
TL_INSTRUMENTS: dict[int, InstrumentSeed] = {
    278: InstrumentSeed(
        "EURUSD",
        "Euro vs US Dollar",
        "FOREX",
        1001,
        (9000, 9001),
        9101,
        D("100000"),
        D("0.00001"),
        D("0.01"),
        D("100"),
        D("0.01"),
        "EUR",
        "USD",
        D("1.08500"),
        D("1.08510"),
    ),
    279: InstrumentSeed(
        "GBPUSD",
        "British Pound vs US Dollar",
        "FOREX",
        1002,
        (9001,),
        9101,
        D("100000"),
        D("0.00001"),
        D("0.01"),
        D("100"),
        D("0.01"),
        "GBP",
        "USD",
        D("1.27000"),
        D("1.27015"),
    ),
    316: InstrumentSeed(
        "XAUUSD",
        "Gold vs US Dollar",
        "EQUITY_CFD",
        1003,
        (9001,),
        9102,
        D("100"),
        D("0.01"),
        D("0.01"),
        D("50"),
        D("0.01"),
        "XAU",
        "USD",
        D("2400.10"),
        D("2400.50"),
    ),
    901: InstrumentSeed(
        "BTCUSD",
        "Bitcoin vs US Dollar",
        "CRYPTO",
        1004,
        (9001,),
        9103,
        D("1"),
        D("0.01"),
        D("0.01"),
        D("10"),
        D("0.01"),
        "BTC",
        "USD",
        D("65000.00"),
        D("65050.00"),
    ),
}

# accountId -> open positions: (tradableInstrumentId, side, qty, avgPrice)
TL_POSITIONS: dict[str, list[tuple[int, str, Decimal, Decimal]]] = {
    "1000001": [(278, "buy", D("0.10"), D("1.08376"))],
    "1000002": [(316, "sell", D("0.05"), D("2405.00"))],
    "1000003": [],
    "2000001": [],
}
# accountId -> pending orders: (tradableInstrumentId, side, qty, type, price)
TL_ORDERS: dict[str, list[tuple[int, str, Decimal, str, Decimal]]] = {
    "1000001": [(279, "buy", D("0.10"), "limit", D("1.25000"))],
}
TL_LEVERAGE = 100
