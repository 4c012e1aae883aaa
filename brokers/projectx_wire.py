"""ProjectX Gateway wire format: the enum tables (both ways), the per-endpoint error codes and
the pure parsers of its answers (``shared/reference/projectx-api.md``).

Nothing here touches the network; :mod:`brokers.projectx` sends and receives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .exceptions import ResponseError
from .models import Account, Balance, Candle, Instrument, Order, Position, Trade
from .parsing import mapping, mapping_list, money, required_money, text

BROKER = "projectx"

# ------------------------------------------------------------------ enums (sheet §6.1, §5, §10)
# Each table maps the platform's number to our name; the reverse is derived, so the two
# directions cannot drift apart.
SIDES = {0: "BUY", 1: "SELL"}  # 0 Bid, 1 Ask
ORDER_TYPES = {
    0: "UNKNOWN",
    1: "LIMIT",
    2: "MARKET",
    3: "STOP_LIMIT",  # shown on orders, not placeable
    4: "STOP",
    5: "TRAILING_STOP",
    6: "JOIN_BID",
    7: "JOIN_ASK",
}
ORDER_STATUSES = {
    0: "NONE",
    1: "OPEN",
    2: "FILLED",
    3: "CANCELLED",
    4: "EXPIRED",
    5: "REJECTED",
    6: "PENDING",
    7: "PENDING_CANCEL",
    8: "SUSPENDED",  # a bracket leg waiting for its parent to fill
}
POSITION_TYPES = {1: "BUY", 2: "SELL"}  # 1 Long, 2 Short
SIDE_CODES = {name: code for code, name in SIDES.items()}
ORDER_TYPE_CODES = {name: code for code, name in ORDER_TYPES.items()}
WORKING = frozenset({"OPEN", "PENDING", "PENDING_CANCEL", "SUSPENDED"})
FINAL = frozenset({"FILLED", "CANCELLED", "EXPIRED", "REJECTED"})
PROTECTIVE_TYPES = frozenset({"LIMIT", "STOP", "TRAILING_STOP"})
# timeframe -> (unit, unitNumber); units: 1 second, 2 minute, 3 hour, 4 day, 5 week, 6 month
BAR_UNITS = {
    "1m": (2, 1),
    "5m": (2, 5),
    "15m": (2, 15),
    "30m": (2, 30),
    "1h": (3, 1),
    "2h": (3, 2),
    "4h": (3, 4),
    "1d": (4, 1),
    "1w": (5, 1),
    "1M": (6, 1),
}
MAX_BARS = 20000  # the platform's `limit` ceiling per request


def name_of(table: Mapping[int, str], value: Any) -> str | None:
    """Our name for a platform number; an undocumented number stays visible as
    ``UNKNOWN_<n>`` rather than failing the whole answer (sheet §6.1, §17)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int) and value in table:
        return table[value]
    return f"UNKNOWN_{value}"


# ------------------------------------------------------------------ error codes (sheet §12)
# The same number means different things per endpoint, so each endpoint has its own table.
LOGIN_CODES = {
    1: "UserNotFound",
    2: "PasswordVerificationFailed",
    3: "InvalidCredentials",
    4: "AppNotFound",
    5: "AppVerificationFailed",
    6: "InvalidDevice",
    7: "AgreementsNotSigned",
    8: "UnknownError",
    9: "ApiSubscriptionNotFound",
    10: "ApiKeyAuthenticationDisabled",
}
_CANCEL = {
    1: "AccountNotFound",
    2: "OrderNotFound",
    3: "Rejected",
    4: "Pending",
    5: "UnknownError",
    6: "AccountRejected",
}
_CLOSE = {
    1: "AccountNotFound",
    2: "PositionNotFound",
    3: "ContractNotFound",
    4: "ContractNotActive",
}
_ACCOUNT_READ = {1: "AccountNotFound"}
ERROR_CODES: dict[str, dict[int, str]] = {
    "Auth/loginKey": LOGIN_CODES,
    "Auth/validate": {
        1: "InvalidSession",
        2: "SessionNotFound",
        3: "ExpiredToken",
        4: "UnknownError",
    },
    "Auth/logout": {1: "InvalidSession", 2: "UnknownError"},
    "Order/place": {
        1: "AccountNotFound",
        2: "OrderRejected",
        3: "InsufficientFunds",
        4: "AccountViolation",
        5: "OutsideTradingHours",
        6: "OrderPending",
        7: "UnknownError",
        8: "ContractNotFound",
        9: "ContractNotActive",
        10: "AccountRejected",
    },
    "Order/cancel": _CANCEL,
    "Order/modify": {**_CANCEL, 7: "ContractNotFound"},
    "Position/closeContract": {
        **_CLOSE,
        5: "OrderRejected",
        6: "OrderPending",
        7: "UnknownError",
        8: "AccountRejected",
    },
    "Position/partialCloseContract": {
        **_CLOSE,
        5: "InvalidCloseSize",
        6: "OrderRejected",
        7: "OrderPending",
        8: "UnknownError",
        9: "AccountRejected",
    },
    "Order/search": _ACCOUNT_READ,
    "Order/searchOpen": _ACCOUNT_READ,
    "Order/v2/query": _ACCOUNT_READ,
    "Position/searchOpen": _ACCOUNT_READ,
    "Trade/search": _ACCOUNT_READ,
    "Order/searchById": {1: "OrderNotFound"},
    "Contract/searchById": {1: "ContractNotFound"},
    "History/retrieveBars": {
        1: "ContractNotFound",
        2: "UnitInvalid",
        3: "UnitNumberInvalid",
        4: "LimitInvalid",
    },
}
# Codes after which the platform may already have acted: not a rejection (sheet §12.3).
UNCERTAIN: dict[str, frozenset[int]] = {
    "Order/place": frozenset({6, 7}),
    "Order/cancel": frozenset({4, 5}),
    "Order/modify": frozenset({4, 5}),
    "Position/closeContract": frozenset({6, 7}),
    "Position/partialCloseContract": frozenset({7, 8}),
}
WRITES = frozenset(UNCERTAIN)


def code_name(endpoint: str, code: int) -> str | None:
    """The documented name of ``code`` on ``endpoint``, ``None`` when undocumented."""
    return ERROR_CODES.get(endpoint, {}).get(code)


# ------------------------------------------------------------------ values

_FRACTION = re.compile(r"\.(\d{6})\d+")


def to_time(value: Any) -> datetime | None:
    """An aware UTC datetime from ``...+00:00`` or ``...Z`` with 0-7 fraction digits."""
    if not isinstance(value, str) or not value.strip():
        return None
    # .NET writes seven fraction digits; older Pythons read at most six
    normal = _FRACTION.sub(r".\1", value.strip()).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(normal)
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def wire_time(moment: datetime, *, end: bool = False) -> str:
    """A request timestamp: UTC with milliseconds and ``Z`` (sheet §14); the ``end`` of a
    range is rounded up, so nothing in its last millisecond is cut off."""
    utc = moment.astimezone(timezone.utc)
    if end and utc.microsecond % 1000:
        utc += timedelta(microseconds=1000 - utc.microsecond % 1000)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def items(data: Any, key: str, what: str) -> list[Mapping[str, Any]]:
    """The list under ``key``. A success without it is "unknown", never "empty" (§16)."""
    value = mapping(data, what).get(key)
    if value is None:
        raise ResponseError(f"the {what} answer has no {key!r} list", hint="try again")
    return mapping_list(value, what)


def _id(item: Mapping[str, Any], what: str) -> str:
    found = text(item.get("id"))
    if not found:
        raise ResponseError(f"a {what} in the answer has no id")
    return found


# ------------------------------------------------------------------ parsers


def parse_account(item: Mapping[str, Any]) -> Account:
    """An :class:`Account` from ``Account/search`` (no currency field exists: §4)."""
    return Account(
        broker=BROKER,
        id=_id(item, "account"),
        currency=None,
        status="TRADING" if item.get("canTrade") is True else "NO_TRADING",
        raw=dict(item),
    )


def parse_balance(item: Mapping[str, Any]) -> Balance:
    """A :class:`Balance`: the balance only. REST has no equity, margin, open P/L or
    currency (sheet §4: equity needs the real-time hubs), so those are ``None``."""
    return Balance(
        broker=BROKER,
        account=_id(item, "account"),
        currency=None,
        balance=required_money(item, "balance", "account search"),
        raw=dict(item),
    )


def parse_balances(data: Any) -> list[Balance]:
    """Every account's :class:`Balance` from an ``Account/search`` answer."""
    return [parse_balance(item) for item in items(data, "accounts", "account search")]


def parse_positions(data: Any, account: str) -> list[Position]:
    """Positions from a ``Position/searchOpen`` answer."""
    return [parse_position(item, account) for item in items(data, "positions", "positions")]


def parse_position(item: Mapping[str, Any], account: str) -> Position:
    """A :class:`Position`; the direction comes from ``type`` and the size is taken as
    absolute (a negative size was seen in one client, sheet §5, §17)."""
    size = required_money(item, "size", "positions")
    return Position(
        broker=BROKER,
        account=account,
        id=_id(item, "position"),
        symbol=text(item.get("contractId")) or "",
        side=name_of(POSITION_TYPES, item.get("type")) or "",
        quantity=abs(size),
        open_price=money(item, "averagePrice"),
        open_time=to_time(item.get("creationTimestamp")),
        raw=dict(item),
    )


def parse_order(item: Mapping[str, Any], account: str) -> Order:
    """An :class:`Order` (numbers mapped to names; extras beyond the core may be absent)."""
    kind = name_of(ORDER_TYPES, item.get("type"))
    status = name_of(ORDER_STATUSES, item.get("status"))
    price = money(item, "limitPrice") if kind in ("LIMIT", "JOIN_BID", "JOIN_ASK") else None
    price = price if price is not None else money(item, "stopPrice", "limitPrice")
    return Order(
        broker=BROKER,
        account=account,
        id=_id(item, "order"),
        symbol=text(item.get("contractId")) or "",
        side=name_of(SIDES, item.get("side")),
        quantity=money(item, "size"),
        type=kind,
        price=price,
        status=status,
        client_order_id=text(item.get("customTag")),
        filled_quantity=money(item, "fillVolume"),
        average_price=money(item, "filledPrice"),
        time=to_time(item.get("creationTimestamp")),
        closed_time=to_time(item.get("updateTimestamp")) if status in FINAL else None,
        raw=dict(item),
    )


def parse_orders(data: Any, account: str, key: str = "orders") -> list[Order]:
    """Orders; a parent's ``stop_loss`` / ``take_profit`` come from its bracket legs (the
    legs, separate orders with ``parentOrderId``, are listed too)."""
    orders = [parse_order(item, account) for item in items(data, key, "orders")]
    legs: dict[str, dict[str, Decimal | None]] = {}
    for order in orders:
        parent = text(order.raw.get("parentOrderId"))
        if parent and order.status in WORKING:
            role = "take_profit" if order.type == "LIMIT" else "stop_loss"
            legs.setdefault(parent, {})[role] = order.price
    return [_with_legs(o, legs[o.id]) if o.id in legs else o for o in orders]


def _with_legs(order: Order, legs: dict[str, Decimal | None]) -> Order:
    return replace(order, **legs)  # type: ignore[arg-type]


def parse_contract(item: Mapping[str, Any]) -> Instrument:
    """An :class:`Instrument` from a contract. ``symbol`` and ``id`` are the contract id
    (``CON.F.US.MNQ.H25``) that orders take; sizes are whole contracts (sheet §6.3)."""
    contract_id = _id(item, "contract")
    active = item.get("activeContract")
    return Instrument(
        broker=BROKER,
        symbol=contract_id,
        description=text(item.get("description")) or text(item.get("name")),
        type="FUTURE",
        min_quantity=Decimal(1),
        quantity_step=Decimal(1),
        tick_size=money(item, "tickSize"),
        tick_value=money(item, "tickValue"),
        trading_status=None if active is None else ("ACTIVE" if active else "INACTIVE"),
        id=contract_id,
        raw=dict(item),
    )


def parse_contract_by_id(data: Any) -> Instrument:
    """``Contract/searchById`` answers ``contract`` (an object) or ``contracts`` (a list of
    one); both were seen (sheet §9)."""
    payload = mapping(data, "contract")
    if isinstance(payload.get("contract"), Mapping):
        return parse_contract(payload["contract"])
    found = items(payload, "contracts", "contract")
    if not found:
        raise ResponseError("the contract answer is empty")
    return parse_contract(found[0])


def parse_trades(data: Any, account: str) -> list[Trade]:
    """Closed trades from ``Trade/search`` fills: the closing half-turns, those with a
    ``profitAndLoss`` (opening ones have null), voided fills left out (sheet §8).

    ``side`` is the side of the opening order (the fill's opposite); ``commission`` is the
    closing fill's fees as a cost (negative). The opening fill's price, time and fees are on
    another record, so ``open_price``, ``open_time`` and ``net_profit`` are ``None``.
    """
    trades = []
    for item in items(data, "trades", "trades"):
        profit = money(item, "profitAndLoss")
        if profit is None or item.get("voided") is True:
            continue
        fees = money(item, "fees")
        side = name_of(SIDES, item.get("side"))
        trades.append(
            Trade(
                broker=BROKER,
                account=account,
                id=_id(item, "trade"),
                symbol=text(item.get("contractId")) or "",
                side={"BUY": "SELL", "SELL": "BUY"}.get(side or "", side),
                quantity=money(item, "size"),
                close_time=to_time(item.get("creationTimestamp")),
                close_price=money(item, "price"),
                profit=profit,
                commission=None if fees is None else -fees,
                raw=dict(item),
            )
        )
    return trades


def parse_bars(data: Any, symbol: str, timeframe: str) -> list[Candle]:
    """Candles **oldest first** (the platform sends newest first, sheet §10)."""
    candles = []
    for item in items(data, "bars", "bars"):
        moment = to_time(item.get("t"))
        if moment is None:
            raise ResponseError("a bar in the answer has no readable time 't'")
        candles.append(
            Candle(
                broker=BROKER,
                symbol=symbol,
                timeframe=timeframe,
                time=moment,
                open=required_money(item, "o", "bars"),
                high=required_money(item, "h", "bars"),
                low=required_money(item, "l", "bars"),
                close=required_money(item, "c", "bars"),
                volume=money(item, "v"),
                raw=dict(item),
            )
        )
    candles.sort(key=lambda candle: candle.time)
    return candles
