"""DXtrade wire format: pure parsers of DXSCA answers (no network).

Facts: ``shared/reference/dxtrade-api.md`` (the Devexperts DXtrade REST prose spec, its
white-label copies, and payloads captured from real servers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from .exceptions import ResponseError
from .models import Account, Balance, Candle, Instrument, Order, Position, Quote, Records, Trade
from .parsing import mapping, mapping_list, money, required_money, text, to_datetime

# A bare number above 10 hours is taken as milliseconds: idle timeouts are minutes to hours,
# so 60000 is far likelier one minute in ms than 16.7 hours in seconds.
MS_THRESHOLD = 10 * 3600
SESSION_CODE_PREFIX = "dxsca-integration-session-code:"  # seen on order codes in history
_HMS = re.compile(r"^(?:(\d+)[.:])?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$")
_ISO = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_session_timeout(value: Any) -> float | None:
    """Seconds from a login ``timeout`` in any documented form, ``None`` when unusable.

    ``"00:30:00"``, ``"PT30M"``, ``1800`` (seconds) and ``1800000`` (milliseconds) all give
    ``1800.0``. Numbers above ten hours are taken as milliseconds.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    if isinstance(value, (int, float, Decimal)):
        try:
            seconds = float(value)
        except OverflowError:  # an absurd integer
            return None
        if seconds > MS_THRESHOLD:
            return seconds / 1000
        return seconds if seconds > 0 else None
    if not isinstance(value, str):
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return parse_session_timeout(Decimal(value))
    if m := _HMS.match(value):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
        total = days * 86400 + hours * 3600 + minutes * 60 + seconds
        return total or None
    if (m := _ISO.match(value)) and any(m.groups()):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
        total = days * 86400 + hours * 3600 + minutes * 60 + seconds
        return total or None
    return None


def parse_accounts(data: Any, login: str | None = None) -> list[Account]:
    """Accounts from a ``GET /users`` answer: those of ``login`` (``"1210001"`` or
    ``"1210001@default"``) when the answer lists that user, else every user's."""
    users = mapping_list(mapping(data, "users").get("userDetails", []), "users")
    own = [u for u in users if login and login in (text(u.get("login")), text(u.get("username")))]
    users = own or users
    accounts = []
    for user in users:
        for item in mapping_list(user.get("accounts") or [], "users"):
            code = text(item.get("account"))
            if code:
                accounts.append(
                    Account(
                        broker="dxtrade",
                        id=code,
                        currency=text(item.get("baseCurrency")),
                        status=text(item.get("accountStatus")),
                        raw=dict(item),
                    )
                )
    return accounts


def parse_metrics(data: Any, code: str, currency: str | None) -> Balance:
    """A :class:`Balance` from a metrics answer (the item for ``code``, else the first)."""
    items = mapping_list(mapping(data, "metrics").get("metrics"), "metrics")
    if not items:
        raise ResponseError(f"the metrics answer holds no metrics for account {code!r}")
    item = next((m for m in items if m.get("account") == code), items[0])
    return metrics_to_balance(item, code, currency)


def parse_portfolio_currency(data: Any, code: str) -> str | None:
    """The currency of ``code``'s balance in a portfolio answer (``None`` when absent)."""
    portfolios = mapping_list(mapping(data, "portfolio").get("portfolios") or [], "portfolio")
    for portfolio in portfolios:
        if text(portfolio.get("account")) in (None, code):
            for item in mapping_list(portfolio.get("balances") or [], "portfolio"):
                if text(item.get("currency")):
                    return text(item.get("currency"))
    return None


def metrics_to_balance(item: Mapping[str, Any], code: str, currency: str | None) -> Balance:
    credit = money(item, "credit")
    return Balance(
        broker="dxtrade",
        account=text(item.get("account")) or code,
        currency=currency,
        balance=required_money(item, "balance", "metrics"),
        equity=money(item, "equity"),
        available=money(item, "availableFunds"),
        margin=money(item, "margin", "maintenanceMargin"),
        profit=money(item, "openPL", "openPl"),
        # A metrics item without credit means the account has none (reference: real payloads).
        credit=Decimal(0) if credit is None else credit,
        raw=dict(item),
    )


def _side(item: Mapping[str, Any]) -> str | None:
    return text(item.get("side"))


def parse_positions(data: Any, code: str) -> list[Position]:
    """Positions from ``GET /accounts/{acct}/positions``."""
    items = mapping_list(mapping(data, "positions").get("positions") or [], "positions")
    return [
        Position(
            broker="dxtrade",
            account=text(item.get("account")) or code,
            id=text(item.get("positionCode")) or "",
            symbol=text(item.get("symbol")) or "",
            side=_side(item) or ("SELL" if (money(item, "quantity") or 0) < 0 else "BUY"),
            quantity=abs(required_money(item, "quantity", "positions")),
            open_price=money(item, "openPrice"),
            profit=money(item, "fpl"),
            stop_loss=money(item, "stopLossPrice"),
            take_profit=money(item, "takeProfitPrice"),
            open_time=to_datetime(item.get("openTime")),
            raw=dict(item),
        )
        for item in items
    ]


# ------------------------------------------------------------------ orders


def _strip_session_prefix(code: str | None) -> str | None:
    """An order code without the prefix some servers add (``dxsca-integration-session-code:``)."""
    if code and code.startswith(SESSION_CODE_PREFIX):
        return code[len(SESSION_CODE_PREFIX) :]
    return code


def order_code(value: Any) -> str | None:
    """An order code as text, without the session prefix seen in history."""
    return _strip_session_prefix(text(value))


def client_code(item: Mapping[str, Any]) -> str | None:
    """The code an order was placed with. In an Order object that is ``clientOrderId``; the
    Order's ``orderCode`` is the system's code of the chain (e.g. ``"52:<your code>"``), used
    here only where a server sends no ``clientOrderId`` (spec: Order model; sheet §7.1)."""
    return order_code(item.get("clientOrderId")) or order_code(item.get("orderCode"))


def system_code(item: Mapping[str, Any]) -> str | None:
    """The system's ``orderCode`` of an Order object (a valid cancel path segment, §7.3)."""
    return order_code(item.get("orderCode"))


def has_code(item: Mapping[str, Any], code: str) -> bool:
    """True when the Order object was placed with ``code``: its ``clientOrderId``, or an
    ``orderCode`` equal to it or ending in ``:<code>`` (sheet §7.1, §11)."""
    if order_code(item.get("clientOrderId")) == code:
        return True
    system = system_code(item)
    return bool(system) and (system == code or system.endswith(":" + code))


def first_leg(item: Mapping[str, Any]) -> Mapping[str, Any]:
    legs = item.get("legs")
    leg = legs[0] if isinstance(legs, list) and legs else {}
    return leg if isinstance(leg, Mapping) else {}


def order_side(item: Mapping[str, Any]) -> str | None:
    return _side(item) or _side(first_leg(item))


def position_effect(item: Mapping[str, Any]) -> str | None:
    return text(first_leg(item).get("positionEffect")) or text(item.get("positionEffect"))


def position_code(item: Mapping[str, Any]) -> str | None:
    return text(first_leg(item).get("positionCode")) or text(item.get("positionCode"))


def order_price(item: Mapping[str, Any]) -> Decimal | None:
    return money(first_leg(item), "price") or money(item, "limitPrice", "stopPrice")


def _ids(item: Mapping[str, Any]) -> set[str]:
    found = (text(item.get("orderId")), client_code(item), system_code(item))
    return {i for i in found if i}


def _links(item: Mapping[str, Any], kind: str) -> list[str]:
    links = item.get("links") if isinstance(item.get("links"), list) else []
    return [
        str(link.get("linkedOrder") or link.get("linkedClientOrderId"))
        for link in links
        if isinstance(link, Mapping)
        and text(link.get("linkType")) == kind
        and (link.get("linkedOrder") or link.get("linkedClientOrderId"))
    ]


def group_children(items: list[Mapping[str, Any]]) -> dict[int, list[int]]:
    """Index of each IF-THEN parent -> indexes of its children in an open-orders list.

    Links are read in both directions (a child's ``PARENT`` link, a parent's ``CHILD``
    links) and may name an order by ``orderId``, system ``orderCode`` or client code."""
    index = {i: idx for idx, item in enumerate(items) for i in _ids(item)}
    children: dict[int, list[int]] = {}
    for idx, item in enumerate(items):
        for parent in _links(item, "PARENT"):
            if parent in index:
                children.setdefault(index[parent], []).append(idx)
        for child in _links(item, "CHILD"):
            if child in index:
                children.setdefault(idx, []).append(index[child])
    return {p: sorted(set(c)) for p, c in children.items()}


def parse_order(
    item: Mapping[str, Any], code: str, children: list[Mapping[str, Any]] = ()
) -> Order:
    """An :class:`Order` from an Order object; ``children`` are its IF-THEN protective orders,
    whose prices become ``stop_loss`` (the STOP) and ``take_profit`` (the LIMIT)."""
    leg = first_leg(item)
    protection = {text(c.get("type")): order_price(c) for c in children}
    final = item.get("finalStatus") in (True, "true")
    return Order(
        broker="dxtrade",
        account=text(item.get("account")) or code,
        id=text(item.get("orderId")) or system_code(item) or "",
        symbol=text(item.get("instrument")) or text(leg.get("instrument")) or "",
        side=_side(item) or _side(leg),
        quantity=money(leg, "quantity") or money(item, "quantity"),
        type=text(item.get("type")),
        price=order_price(item),
        status=text(item.get("status")),
        client_order_id=client_code(item),
        stop_loss=protection.get("STOP"),
        take_profit=protection.get("LIMIT"),
        filled_quantity=money(leg, "filledQuantity"),
        average_price=money(leg, "averagePrice"),
        time=to_datetime(item.get("issueTime")),
        closed_time=to_datetime(item.get("transactionTime")) if final else None,
        raw=dict(item),
    )


def order_items(data: Any) -> list[Mapping[str, Any]]:
    return mapping_list(mapping(data, "orders").get("orders") or [], "orders")


def parse_orders(data: Any, code: str) -> list[Order]:
    """Orders from ``GET /accounts/{acct}/orders`` or the order history, each with the
    prices of its IF-THEN protective children (links exist in the open list only)."""
    items = order_items(data)
    children = group_children(items)
    return [
        parse_order(item, code, [items[c] for c in children.get(idx, [])])
        for idx, item in enumerate(items)
    ]


def order_responses(data: Any) -> list[Mapping[str, Any]]:
    """The Order Responses of a place or modify answer: one object, ``{"orderResponses":
    [...]}`` or a bare list of them (sheet §7.2, §11)."""
    if isinstance(data, list):
        return [r for r in data if isinstance(r, Mapping)]
    if isinstance(data, Mapping):
        responses = data.get("orderResponses")
        if isinstance(responses, list):
            return [r for r in responses if isinstance(r, Mapping)]
        return [data]
    return []


# ------------------------------------------------------------- instruments


def parse_instrument_limits(data: Any) -> dict[str, Mapping[str, Any]]:
    """Instrument Details (``/accounts/{acct}/instruments/...``) by symbol: the account's
    order size limits in units and trading status (sheet §7.4). One object or a list."""
    if isinstance(data, Mapping) and "symbol" in data:
        items: list[Mapping[str, Any]] = [data]
    else:
        payload = data if isinstance(data, list) else mapping(data, "instruments")
        if isinstance(payload, Mapping):
            payload = payload.get("instruments") or payload.get("instrumentDetails") or []
        items = mapping_list(payload, "instrument details")
    return {text(i.get("symbol")) or "": i for i in items}


def parse_instruments(
    data: Any, limits: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Instrument]:
    """Instruments from ``GET /instruments/query``; ``limits`` (Instrument Details by symbol)
    give the order size limits. ``lotSize`` is units per lot, never a size limit (§7.4)."""
    payload = data if isinstance(data, list) else mapping(data, "instruments").get("instruments")
    result = []
    for item in mapping_list(payload or [], "instruments"):
        symbol = text(item.get("symbol")) or ""
        detail = (limits or {}).get(symbol, {})
        result.append(
            Instrument(
                broker="dxtrade",
                symbol=symbol,
                description=text(item.get("description")),
                type=text(item.get("type")),
                currency=text(item.get("currency")),
                min_quantity=money(detail, "minOrderSize"),
                quantity_step=money(detail, "minOrderSizeIncrement"),
                max_quantity=money(detail, "maxOrderSize"),
                lot_size=money(item, "lotSize"),
                contract_size=money(item, "multiplier"),
                tick_size=money(item, "priceIncrement"),
                trading_status=text(detail.get("tradingStatus")),
                raw=dict(item),
            )
        )
    return result


# ----------------------------------------------------------------- history


def _fills(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    executions = item.get("executions") if isinstance(item.get("executions"), list) else []
    return [
        e
        for e in executions
        if isinstance(e, Mapping) and (money(e, "lastQuantity") or 0) != 0 and "lastPrice" in e
    ]


def _cash(item: Mapping[str, Any], *kinds: str) -> tuple[Decimal | None, str | None]:
    """The sum of the order's cash transactions of ``kinds`` and their currency."""
    rows = item.get("cashTransactions") if isinstance(item.get("cashTransactions"), list) else []
    total, currency = None, None
    for row in rows:
        if isinstance(row, Mapping) and text(row.get("type")) in kinds:
            value = money(row, "value")
            if value is not None:
                total = value if total is None else total + value
                currency = currency or text(row.get("currency"))
    return total, currency


def is_final(item: Mapping[str, Any]) -> bool:
    if item.get("finalStatus") in (True, "true"):
        return True
    return text(item.get("status")) in ("COMPLETED", "CANCELED", "EXPIRED", "REJECTED")


def _opening_orders(items: list[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Completed OPEN orders by the position they opened: a leg's ``positionCode``, or the
    order's own id (servers give an opening leg its order id as position code, §7.6)."""
    found: dict[str, Mapping[str, Any]] = {}
    for item in items:
        if text(item.get("status")) == "COMPLETED" and position_effect(item) == "OPEN":
            for key in (position_code(item), text(item.get("orderId"))):
                if key:
                    found.setdefault(key, item)
    return found


def parse_trades(items: list[Mapping[str, Any]], code: str) -> list[Trade]:
    """Closed trades from Historic Order List items (sheet §7.6 recipe): each completed
    CLOSE order is a trade; realised P/L is its SETTLEMENT cash, costs COMMISSION and
    FINANCING; open price and time come from the opening order where the history has it."""
    openings = _opening_orders(items)
    trades = []
    for item in items:
        if text(item.get("status")) != "COMPLETED" or position_effect(item) != "CLOSE":
            continue
        leg = first_leg(item)
        fills = _fills(item)
        pos = position_code(item)
        opening = openings.get(pos or "", {})
        quantity = money(leg, "filledQuantity")
        if quantity is None and fills:
            quantity = sum((abs(money(f, "lastQuantity") or 0) for f in fills), Decimal(0))
        close_side = _side(item) or _side(leg)
        profit, currency = _cash(item, "SETTLEMENT")
        commission, ccy2 = _cash(item, "COMMISSION")
        swap, ccy3 = _cash(item, "FINANCING")
        costs = [c for c in (commission, swap) if c is not None]
        trades.append(
            Trade(
                broker="dxtrade",
                account=text(item.get("account")) or code,
                id=text(item.get("orderId")) or system_code(item) or "",
                symbol=text(item.get("instrument")) or text(leg.get("instrument")) or "",
                side=None if close_side is None else ("SELL" if close_side == "BUY" else "BUY"),
                quantity=None if quantity is None else abs(quantity),
                open_time=_fill_time(opening),
                close_time=_fill_time(item),
                open_price=_fill_price(opening),
                close_price=_fill_price(item),
                profit=profit,
                commission=commission,
                swap=swap,
                net_profit=None if profit is None else profit + sum(costs, Decimal(0)),
                currency=currency or ccy2 or ccy3,
                position_id=pos,
                raw=dict(item),
            )
        )
    return trades


def _fill_time(item: Mapping[str, Any]) -> datetime | None:
    fills = _fills(item)
    when = fills[-1].get("transactionTime") if fills else item.get("transactionTime")
    return to_datetime(when)


def _fill_price(item: Mapping[str, Any]) -> Decimal | None:
    average = money(first_leg(item), "averagePrice")
    if average is not None:
        return average
    fills = _fills(item)
    return money(fills[-1], "lastPrice") if fills else None


def parse_history(data: Any, code: str) -> list[Trade]:
    """Closed trades from one Historic Order List answer (see :func:`parse_trades`)."""
    return parse_trades(order_items(data), code)


def history_page(data: Any) -> tuple[list[Mapping[str, Any]], str | None]:
    """The orders of one history answer and the cursor of the next page (``None`` = last)."""
    items = order_items(data)
    cursor = text(mapping(data, "history").get("nextPageTransactionTime"))
    return items, (cursor or None)


# -------------------------------------------------------------- market data

# shared timeframe name -> DXtrade candleType (sheet §7.7: not 1m, M1 or H1)
CANDLE_TYPES = {
    "1m": "m",
    "5m": "5m",
    "15m": "15m",
    "30m": "30m",
    "1h": "h",
    "2h": "2h",
    "4h": "4h",
    "1d": "d",
    "1w": "w",
    "1M": "mo",
}


def _events(data: Any, kind: str) -> list[Mapping[str, Any]]:
    events = mapping_list(mapping(data, "market data").get("events") or [], "market data")
    return [e for e in events if text(e.get("type")) in (kind, None)]


def parse_quotes(data: Any, symbols: list[str]) -> Records[Quote]:
    """Quotes from a ``POST /marketdata`` answer, in the order of ``symbols``."""
    by_symbol = {}
    for event in _events(data, "Quote"):
        by_symbol[text(event.get("symbol"))] = Quote(
            broker="dxtrade",
            symbol=text(event.get("symbol")) or "",
            bid=money(event, "bid"),
            ask=money(event, "ask"),
            time=to_datetime(event.get("time")),
            raw=dict(event),
        )
    missing = [s for s in symbols if s not in by_symbol]
    if missing:
        raise ResponseError(f"the market data answer has no quote for {', '.join(missing)}")
    return Records(by_symbol[s] for s in symbols)


def parse_candles(data: Any, symbol: str, timeframe: str) -> list[Candle]:
    """Candles from a ``POST /marketdata`` answer, oldest first (the order is undocumented)."""
    candles = []
    for event in _events(data, "Candle"):
        when = to_datetime(event.get("time"))
        if when is None:
            raise ResponseError("a candle has no readable time")
        candles.append(
            Candle(
                broker="dxtrade",
                symbol=text(event.get("symbol")) or symbol,
                timeframe=timeframe,
                time=when,
                open=required_money(event, "open", "candle"),
                high=required_money(event, "high", "candle"),
                low=required_money(event, "low", "candle"),
                close=required_money(event, "close", "candle"),
                volume=money(event, "volume"),
                raw=dict(event),
            )
        )
    return sorted(candles, key=lambda c: c.time)
