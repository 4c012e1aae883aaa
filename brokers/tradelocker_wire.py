"""TradeLocker wire parsing: the config-driven positional rows and the other payloads.

Pure functions, no network. Positions, orders, history and the account state arrive as JSON
arrays whose meaning comes from ``GET /trade/config`` (``tradelocker-api.md`` §5): each row is
mapped by the column ids of that config, never by fixed indices. A column the config does not
name is unknown (``None``); a config that lacks a column the client needs is a
:class:`~brokers.ResponseError`, never a value read from the wrong place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .exceptions import ResponseError
from .models import Account, Balance, Candle, Instrument, Order, Position, Quote, Trade
from .parsing import mapping, mapping_list, text, to_datetime, to_decimal
from .redaction import redact
from .throttle import Rate

BROKER = "tradelocker"
# config key -> (what it lists, where the rows are in the answer)
POSITIONS = "positionsConfig"
ORDERS = "ordersConfig"
HISTORY = "ordersHistoryConfig"
STATE = "accountDetailsConfig"
SPACING_MARGIN = 1.1
_SECONDS = {"SECONDS": 1.0, "MINUTES": 60.0, "HOURS": 3600.0}
FINAL_STATUSES = {"FILLED", "CANCELLED", "CANCELED", "REFUSED", "REJECTED", "REMOVED", "EXPIRED"}


# --------------------------------------------------------------------------- tokens


def parse_tokens(data: Any) -> tuple[str, str | None]:
    """``(access, refresh)`` from a login or refresh answer (a bare object, §3)."""
    body = mapping(data, "login")
    access = text(body.get("accessToken")) or text(body.get("access_token"))
    if not access:
        raise ResponseError("the login answer has no accessToken")
    return access, text(body.get("refreshToken")) or text(body.get("refresh_token"))


# --------------------------------------------------------------------------- envelope


def envelope(data: Any, what: str) -> tuple[str, Any]:
    """``(s, d or errmsg)`` of a ``/trade/*`` answer: ``("ok", d)``, ``("no_data", None)`` or
    ``("error", errmsg)``; anything else is a ``ResponseError``."""
    body = mapping(data, what)
    status = text(body.get("s"))
    if status == "ok":
        return status, body.get("d")
    if status == "no_data":
        return status, None
    if status == "error":
        return status, text(body.get("errmsg")) or f"the {what} request was refused"
    raise ResponseError(f"the {what} answer has no 's' status")


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class Layout:
    """What ``/trade/config`` says: the column ids of each positional list, the per-route
    rate limits and the other limits."""

    columns: Mapping[str, list[str]]
    rates: Mapping[str, Rate] = field(default_factory=dict)
    limits: Mapping[str, int] = field(default_factory=dict)

    def names(self, key: str, what: str, needed: tuple[str, ...]) -> list[str]:
        """The column ids of ``key``; a ``ResponseError`` when one of ``needed`` is absent."""
        names = self.columns.get(key)
        if names is None:
            raise ResponseError(f"/trade/config has no {key}: the {what} cannot be read")
        missing = [name for name in needed if name not in names]
        if missing:
            raise ResponseError(
                f"/trade/config gives the {what} no column {', '.join(map(repr, missing))}: "
                "it cannot be read without it"
            )
        return names


def parse_config(data: Any) -> Layout:
    """A :class:`Layout` from the ``d`` of ``GET /trade/config``."""
    body = mapping(data, "config")
    columns: dict[str, list[str]] = {}
    for key, value in body.items():
        if key.endswith("Config") and isinstance(value, Mapping):
            items = mapping_list(value.get("columns"), f"config {key}")
            columns[key] = [text(item.get("id")) or "" for item in items]
    rates: dict[str, Rate] = {}
    for item in mapping_list(body.get("rateLimits") or [], "config rateLimits"):
        route, limit = text(item.get("rateLimitType")), item.get("limit")
        interval, unit = item.get("intervalNum"), _SECONDS.get(str(item.get("measure")).upper())
        valid = isinstance(limit, int) and isinstance(interval, int) and unit is not None
        if route and valid and limit > 0 and interval > 0:
            # Evenly spaced, a tenth slower than allowed: no window of the server's interval
            # ever sees more than its limit, whatever its counting method (§12).
            rates[route] = Rate(1, interval * unit / limit * SPACING_MARGIN)
    limits: dict[str, int] = {}
    for item in mapping_list(body.get("limits") or [], "config limits"):
        name, value = text(item.get("limitType")), item.get("limit")
        if name and isinstance(value, int) and not isinstance(value, bool):
            limits[name] = value
    return Layout(columns, rates, limits)


def records(rows: Any, names: list[str], what: str) -> list[dict[str, Any]]:
    """Rows (JSON arrays) as dicts by column id: missing trailing cells are ``None``, extra
    cells are ignored (§5 mapping algorithm)."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ResponseError(f"the {what} answer is not a list of rows")
    return [dict(zip(names, row + [None] * (len(names) - len(row)), strict=False)) for row in rows]


def rows_of(data: Any, key: str, what: str) -> Any:
    """The rows under ``d[key]``."""
    return mapping(data, what).get(key)


# --------------------------------------------------------------------------- cells


def decimal(record: Mapping[str, Any], name: str) -> Decimal | None:
    """A money, price or size cell (string, number or null) as ``Decimal``."""
    value = record.get(name)
    if value is None or value == "":
        return None
    return to_decimal(value, name)


def ident(record: Mapping[str, Any], name: str) -> str | None:
    """An id cell (64-bit: digits kept exactly, never through a float)."""
    value = record.get(name)
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):  # a JSON number with a fraction part: not an id
        return str(int(value)) if value == value.to_integral_value() else None
    return str(value).strip() or None


def millis(record: Mapping[str, Any], name: str) -> datetime | None:
    """An epoch-milliseconds cell (number or digit string) as an aware UTC datetime."""
    value = record.get(name)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return to_datetime(value) if isinstance(value, (int, Decimal)) else None


def side(record: Mapping[str, Any], what: str) -> str:
    value = str(record.get("side") or "").strip().upper()
    if value not in ("BUY", "SELL"):
        raise ResponseError(f"a row of the {what} has side {record.get('side')!r}")
    return value


def flag(record: Mapping[str, Any], name: str) -> bool | None:
    value = record.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class AccountRow:
    """An ``all-accounts`` row: the account and the ``accNum`` that goes in the header."""

    account: Account
    acc_num: str


def parse_accounts(data: Any) -> list[AccountRow]:
    """Rows of ``GET /auth/jwt/all-accounts`` (values as strings or numbers, §4)."""
    body = mapping(data, "all-accounts")
    rows = []
    for item in mapping_list(body.get("accounts") or [], "all-accounts"):
        account_id, acc_num = text(item.get("id")), text(item.get("accNum"))
        if not account_id or not acc_num:
            raise ResponseError("an all-accounts row lacks its id or accNum")
        account = Account(
            broker=BROKER,
            id=account_id,
            currency=text(item.get("currency")),
            status=text(item.get("status")),
            raw=redact(dict(item)),
        )
        rows.append(AccountRow(account, acc_num))
    return rows


def parse_balance(record: Mapping[str, Any], account: Account) -> Balance:
    """A :class:`Balance` from the state row (§6): equity is ``projectedBalance``, available
    ``availableFunds``, margin ``initialMarginReq``, profit ``openNetPnL``; the currency comes
    from the account list (the state has none). TradeLocker sends no credit: ``None``."""
    balance = decimal(record, "balance")
    if balance is None:
        raise ResponseError("the account state has no balance")
    return Balance(
        broker=BROKER,
        account=account.id,
        currency=account.currency,
        balance=balance,
        equity=decimal(record, "projectedBalance"),
        available=decimal(record, "availableFunds"),
        margin=decimal(record, "initialMarginReq"),
        profit=decimal(record, "openNetPnL"),
        raw=dict(record),
    )


# --------------------------------------------------------------------------- instruments


@dataclass(frozen=True)
class InstrumentRef:
    """An instrument of the list: its ``tradableInstrumentId`` and routes (§9)."""

    tid: str
    name: str
    info_routes: tuple[str, ...]
    trade_route: str | None
    raw: Mapping[str, Any]


def parse_instrument_list(data: Any) -> list[InstrumentRef]:
    """The ``d.instruments`` objects of ``GET /trade/accounts/{acct}/instruments``."""
    refs = []
    for item in mapping_list(mapping(data, "instruments").get("instruments") or [], "instruments"):
        tid, name = text(item.get("tradableInstrumentId")), text(item.get("name"))
        if not tid or not name:
            raise ResponseError("an instrument lacks its tradableInstrumentId or name")
        routes = mapping_list(item.get("routes") or [], "instrument routes")
        info = tuple(text(r.get("id")) or "" for r in routes if r.get("type") == "INFO")
        trade = next((text(r.get("id")) for r in routes if r.get("type") == "TRADE"), None)
        refs.append(InstrumentRef(tid, name, tuple(i for i in info if i), trade, item))
    return refs


def brief_instrument(ref: InstrumentRef) -> Instrument:
    """What the list says (no sizes: only the details have them, §6 lessons)."""
    return Instrument(
        broker=BROKER,
        symbol=ref.name,
        description=text(ref.raw.get("description")),
        type=text(ref.raw.get("type")),
        id=ref.tid,
        raw=dict(ref.raw),
    )


def parse_details(data: Any, ref: InstrumentRef) -> Instrument:
    """An :class:`Instrument` from ``GET /trade/instruments/{id}``: quantities in lots,
    ``lot_size`` = ``contract_size`` = the units in one lot (``lotSize``)."""
    body = mapping(data, "instrument details")
    ticks = body.get("tickSize")
    tick = None
    if isinstance(ticks, list) and len(ticks) == 1 and isinstance(ticks[0], Mapping):
        tick = decimal(ticks[0], "tickSize")  # one range; several ranges: no single step
    elif ticks is not None and not isinstance(ticks, list):
        tick = decimal(body, "tickSize")
    lot = decimal(body, "lotSize")
    return Instrument(
        broker=BROKER,
        symbol=ref.name,
        description=text(body.get("description")) or text(ref.raw.get("description")),
        type=text(ref.raw.get("type")),
        currency=text(body.get("quotingCurrency")),
        min_quantity=decimal(body, "minLot"),
        quantity_step=decimal(body, "lotStep"),
        max_quantity=decimal(body, "maxLot"),
        lot_size=lot,
        contract_size=lot,
        tick_size=tick,
        id=ref.tid,
        raw={**ref.raw, **body},
    )


def parse_quote(data: Any, symbol: str) -> Quote | None:
    """A quote from ``d`` of ``GET /trade/quotes``; ``None`` when it is empty (wrong route)."""
    body = mapping(data or {}, "quotes")
    bid, ask = decimal(body, "bp"), decimal(body, "ap")
    if bid is None and ask is None:
        return None
    return Quote(broker=BROKER, symbol=symbol, bid=bid, ask=ask, raw=dict(body))


def parse_bars(data: Any, symbol: str, timeframe: str) -> list[Candle]:
    """Candles from ``d.barDetails`` of ``GET /trade/history`` (``t`` in ms)."""
    candles = []
    for bar in mapping_list(mapping(data, "bars").get("barDetails") or [], "bars"):
        when = millis(bar, "t")
        values = [decimal(bar, k) for k in ("o", "h", "l", "c")]
        if when is None or None in values:
            raise ResponseError("a bar lacks its time or a price")
        o, h, low, c = (v for v in values if v is not None)
        candles.append(
            Candle(
                broker=BROKER,
                symbol=symbol,
                timeframe=timeframe,
                time=when,
                open=o,
                high=h,
                low=low,
                close=c,
                volume=decimal(bar, "v"),
                raw=dict(bar),
            )
        )
    return candles


# --------------------------------------------------------------------------- positions, orders

POSITION_NEEDS = ("id", "tradableInstrumentId", "side", "qty")
ORDER_NEEDS = ("id", "tradableInstrumentId", "side", "qty", "type")
TRADE_NEEDS = (*ORDER_NEEDS, "status", "positionId", "isOpen")


def parse_position(
    record: Mapping[str, Any],
    account: str,
    symbols: Mapping[str, str],
    protection: Mapping[str, Decimal | None],
) -> Position:
    """A :class:`Position` (lots). ``stopLossId`` / ``takeProfitId`` are order ids, not
    prices (§7): ``protection`` maps those ids to the orders' prices."""
    quantity = decimal(record, "qty")
    if quantity is None:
        raise ResponseError("a position row has no qty")
    tid = ident(record, "tradableInstrumentId") or ""
    return Position(
        broker=BROKER,
        account=account,
        id=ident(record, "id") or "",
        symbol=symbols.get(tid, tid),
        side=side(record, "positions"),
        quantity=quantity,
        open_price=decimal(record, "avgPrice"),
        profit=decimal(record, "unrealizedPl"),
        stop_loss=protection.get(ident(record, "stopLossId") or ""),
        take_profit=protection.get(ident(record, "takeProfitId") or ""),
        open_time=millis(record, "openDate"),
        raw=dict(record),
    )


def _absolute(record: Mapping[str, Any], name: str) -> Decimal | None:
    """A stop loss / take profit price; an offset type is not a price: ``None`` (raw has it)."""
    kind = record.get(name + "Type")
    value = decimal(record, name)
    if value is None or value == 0 or (kind is not None and str(kind).lower() != "absolute"):
        return None
    return value


def order_price(record: Mapping[str, Any]) -> Decimal | None:
    """The limit price of a limit order, the trigger of a stop order."""
    kind = str(record.get("type") or "").lower()
    value = decimal(record, "stopPrice" if kind == "stop" else "price")
    return None if value is None or value == 0 else value


def parse_order(
    record: Mapping[str, Any], account: str, symbols: Mapping[str, str], final: bool = False
) -> Order:
    """An :class:`Order` from an orders or orders-history row."""
    tid = ident(record, "tradableInstrumentId") or ""
    filled = decimal(record, "filledQty")
    return Order(
        broker=BROKER,
        account=account,
        id=ident(record, "id") or "",
        symbol=symbols.get(tid, tid),
        side=side(record, "orders"),
        quantity=decimal(record, "qty"),
        type=(text(record.get("type")) or "").upper() or None,
        price=order_price(record),
        status=(text(record.get("status")) or "").upper() or None,
        client_order_id=text(record.get("strategyId")) or None,
        stop_loss=_absolute(record, "stopLoss"),
        take_profit=_absolute(record, "takeProfit"),
        filled_quantity=filled,
        average_price=decimal(record, "avgPrice") if filled else None,
        time=millis(record, "createdDate"),
        closed_time=millis(record, "lastModified") if final else None,
        raw=dict(record),
    )


def is_final(record: Mapping[str, Any]) -> bool:
    return str(record.get("status") or "").upper() in FINAL_STATUSES


def parse_trades(
    history: list[dict[str, Any]], account: Account, symbols: Mapping[str, str]
) -> list[Trade]:
    """Closed trades from the orders history: each filled order that closed (part of) a
    position (``isOpen`` false) is one trade; the filled order that opened the position, when
    it is in the same history, gives the open price and time. The rows carry no realised
    P/L, commission or swap: those are ``None`` (unknown), never 0."""
    openings = {
        ident(r, "positionId"): r
        for r in history
        if flag(r, "isOpen") is True and str(r.get("status") or "").upper() == "FILLED"
    }
    trades = []
    for record in history:
        if flag(record, "isOpen") is not False or str(record.get("status")).upper() != "FILLED":
            continue
        position_id = ident(record, "positionId")
        opening = openings.get(position_id, {})
        tid = ident(record, "tradableInstrumentId") or ""
        trades.append(
            Trade(
                broker=BROKER,
                account=account.id,
                id=ident(record, "id") or "",
                symbol=symbols.get(tid, tid),
                side="SELL" if side(record, "orders history") == "BUY" else "BUY",
                quantity=decimal(record, "filledQty") or decimal(record, "qty"),
                open_time=millis(opening, "createdDate") if opening else None,
                close_time=millis(record, "lastModified") or millis(record, "createdDate"),
                open_price=decimal(opening, "avgPrice") if opening else None,
                close_price=decimal(record, "avgPrice"),
                currency=account.currency,
                position_id=position_id,
                raw=dict(record),
            )
        )
    return trades
