"""ProjectX seed data: the API user, accounts, contracts, prices and the positions a fresh
sandbox returns (``shared/reference/projectx-api.md`` §18: "2-3 accounts, contracts, orders,
positions, trades; a configurable market price per contract").

The public constants (``PX_*``) are re-exported by :mod:`brokers.sandbox`.
"""

from __future__ import annotations

from decimal import Decimal

D = Decimal

PX_API_KEY = "px-sandbox-api-key-7Q2c9"
PX_USERS: dict[str, list[int]] = {
    "trader@example.com": [10001, 10002, 10003, 10004],
    "solo@example.com": [20001],
}

# id -> (name, balance, canTrade, active, simulated or None when the field is omitted)
# §4: 10001 and 10002 can trade (evaluation + funded, so `[0]` is wrong); 10003 cannot trade;
# 10004 is inactive (listed only with onlyActiveAccounts: false); 10002 omits `simulated`.
PX_ACCOUNTS: dict[int, tuple[str, Decimal, bool, bool, bool | None]] = {
    10001: ("EXAMPLE-50K-001", D("50000.000000000"), True, True, True),
    10002: ("EXAMPLE-150K-FUNDED", D("150250.125000000"), True, True, None),
    10003: ("EXAMPLE-50K-002", D("48712.5"), False, True, True),
    10004: ("EXAMPLE-25K-OLD", D("0"), False, False, True),
    20001: ("SOLO-100K-001", D("100000"), True, True, True),
}

# id -> (name, description, symbolId, tickSize, tickValue, activeContract, market price)
# §9: "NQ" also matches MNQ (fuzzy search); MNQ.Z24 is an expired, inactive contract.
PX_CONTRACTS: dict[str, tuple[str, str, str, Decimal, Decimal, bool, Decimal]] = {
    "CON.F.US.MNQ.H25": (
        "MNQH5",
        "Micro E-mini Nasdaq-100: March 2025",
        "F.US.MNQ",
        D("0.25"),
        D("0.5"),
        True,
        D("21600.00"),
    ),
    "CON.F.US.ENQ.H25": (
        "NQH5",
        "E-mini NASDAQ-100: March 2025",
        "F.US.ENQ",
        D("0.25"),
        D("5"),
        True,
        D("21600.00"),
    ),
    "CON.F.US.MES.H25": (
        "MESH5",
        "Micro E-mini S&P 500: March 2025",
        "F.US.MES",
        D("0.25"),
        D("1.25"),
        True,
        D("6065.25"),
    ),
    "CON.F.US.MGC.J25": (
        "MGCJ5",
        "Micro Gold: April 2025",
        "F.US.MGC",
        D("0.1"),
        D("1"),
        True,
        D("2917.4"),
    ),
    "CON.F.US.CLE.H25": (
        "CLH5",
        "Crude Light: March 2025",
        "F.US.CLE",
        D("0.01"),
        D("10"),
        True,
        D("71.35"),
    ),
    "CON.F.US.MNQ.Z24": (
        "MNQZ4",
        "Micro E-mini Nasdaq-100: December 2024",
        "F.US.MNQ",
        D("0.25"),
        D("0.5"),
        False,
        D("21000.00"),
    ),
}

# Seeded open positions: account -> [(contractId, signed size, average price)] (§5).
PX_POSITIONS: dict[int, list[tuple[str, int, Decimal]]] = {
    10001: [("CON.F.US.MES.H25", 2, D("6050.50"))],
    10002: [],
    10003: [],
    10004: [],
    20001: [],
}

PX_FEE_PER_CONTRACT = D("0.37")  # charged on every fill, per contract
