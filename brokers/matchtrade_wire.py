"""Match-Trader wire parsing: pure functions from Platform API payloads to the models.

No network here (the client is :mod:`brokers.matchtrade`, which re-exports these names). Facts
and their sources: ``shared/reference/matchtrader-api.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .exceptions import ResponseError
from .models import Account, Balance, Candle, Instrument, Order, Position, Quote, Trade
from .parsing import (
    jwt_claim,
    mapping,
    mapping_list,
    money,
    required_money,
    text,
    to_datetime,
)
from .redaction import Secret, redact

DEFAULT_TOKEN_LIFETIME = 15 * 60.0  # when the token's own `exp` cannot be read
MIN_PLAUSIBLE_LIFETIME = 60.0  # a token "expiring" sooner means our clock is off


@dataclass(frozen=True)
class TradingAccount:
    """An account with what trading calls need: its API token and system UUID."""

    account: Account
    token: Secret | None
    system: str | None


def token_lifetime(token: str, now: float) -> float:
    """Seconds the session token lives, measured on the broker's clock where possible.

    ``exp - iat`` does not depend on our clock agreeing with the broker's; without ``iat``,
    ``exp - now``, unless a skewed clock makes that implausibly short: then the documented
    default, and a 401 renews the session if it dies sooner.
    """
    expiry, issued = jwt_claim(token, "exp"), jwt_claim(token, "iat")
    if expiry is not None and issued is not None and expiry > issued:
        return expiry - issued
    if expiry is not None and expiry - now > MIN_PLAUSIBLE_LIFETIME:
        return expiry - now
    return DEFAULT_TOKEN_LIFETIME


def parse_trading_account(item: Mapping[str, Any]) -> TradingAccount:
    account_id = text(item.get("tradingAccountId"))
    if not account_id:
        raise ResponseError("an account in the login answer has no tradingAccountId")
    offer: Mapping[str, Any] = item["offer"] if isinstance(item.get("offer"), Mapping) else {}
    system: Mapping[str, Any] = offer["system"] if isinstance(offer.get("system"), Mapping) else {}
    token = text(item.get("tradingApiToken"))
    return TradingAccount(
        account=Account(
            broker="matchtrade",
            id=account_id,
            currency=text(offer.get("currency")),
            status=None,
            raw=redact(dict(item)),
        ),
        token=Secret(token) if token else None,
        system=text(system.get("uuid")),
    )


def parse_login(data: Any) -> tuple[str | None, list[TradingAccount], str | None]:
    """``(token, accounts, selected id)`` from a co-login / mtr-login answer.

    Accepts ``tradingAccounts`` or ``accounts``, and a lone ``selectedTradingAccount`` /
    ``selectedAccount`` as the whole list.
    """
    payload = mapping(data, "login")
    selected = payload.get("selectedTradingAccount") or payload.get("selectedAccount")
    items = next(
        (payload[k] for k in ("tradingAccounts", "accounts") if isinstance(payload.get(k), list)),
        None,
    )
    if not items:
        items = [selected] if isinstance(selected, Mapping) else []
    accounts = [parse_trading_account(item) for item in mapping_list(items, "login")]
    selected_id = text(selected.get("tradingAccountId")) if isinstance(selected, Mapping) else None
    return text(payload.get("token")), accounts, selected_id


def parse_balance(data: Any, account_id: str, currency: str | None = None) -> Balance:
    """A :class:`Balance` from ``GET /mtr-api/{system}/balance``."""
    item = mapping(data, "balance")
    credit = money(item, "credit")
    return Balance(
        broker="matchtrade",
        account=account_id,
        currency=text(item.get("currency")) or currency,
        balance=required_money(item, "balance", "balance"),
        equity=money(item, "equity"),
        available=money(item, "freeMargin"),
        margin=money(item, "margin"),
        profit=money(item, "profit"),
        # A balance without credit means the account has none (reference: real payloads).
        credit=Decimal(0) if credit is None else credit,
        raw=dict(item),
    )


def _items(data: Any, key: str, what: str) -> list[Mapping[str, Any]]:
    """A top-level array, or the array under ``key`` (both shapes are in use)."""
    payload = data if isinstance(data, list) else mapping(data, what).get(key)
    return mapping_list(payload or [], what)


def _protection(item: Mapping[str, Any], name: str) -> Decimal | None:
    value = money(item, name)
    return None if value is None or value == 0 else value  # 0 means "none" on this platform


def parse_positions(data: Any, account_id: str) -> list[Position]:
    """Positions from ``GET /mtr-api/{system}/open-positions``."""
    return [
        Position(
            broker="matchtrade",
            account=account_id,
            id=text(item.get("id")) or "",
            symbol=text(item.get("symbol")) or "",
            side=text(item.get("side")) or "",
            quantity=required_money(item, "volume", "open positions"),
            open_price=money(item, "openPrice"),
            profit=money(item, "profit"),
            stop_loss=_protection(item, "stopLoss"),
            take_profit=_protection(item, "takeProfit"),
            open_time=to_datetime(item.get("openTime") or item.get("openTimeMillis")),
            raw=dict(item),
        )
        for item in _items(data, "positions", "open positions")
    ]


def parse_orders(data: Any, account_id: str) -> list[Order]:
    """Pending orders from ``GET /mtr-api/{system}/active-orders``."""
    return [
        Order(
            broker="matchtrade",
            account=account_id,
            id=text(item.get("id")) or "",
            symbol=text(item.get("symbol")) or "",
            side=text(item.get("side")),
            quantity=money(item, "volume"),
            type=text(item.get("type")),
            price=money(item, "activationPrice", "price"),
            status=text(item.get("status")) or "PENDING",
            stop_loss=_protection(item, "stopLoss"),
            take_profit=_protection(item, "takeProfit"),
            time=to_datetime(item.get("creationTime")),
            raw=dict(item),
        )
        for item in _items(data, "orders", "active orders")
    ]


def parse_instruments(data: Any) -> list[Instrument]:
    """Symbols from ``GET /mtr-api/{system}/effective-instruments``."""
    return [
        Instrument(
            broker="matchtrade",
            symbol=text(item.get("symbol")) or "",
            description=text(item.get("description")),
            type=text(item.get("type")),
            currency=text(item.get("quoteCurrency")),
            min_quantity=money(item, "volumeMin"),
            quantity_step=money(item, "volumeStep"),
            raw=dict(item),
        )
        for item in _items(data, "instruments", "instruments")
    ]


def operation_status(data: Any, http_status: int = 200, endpoint: str = "") -> str:
    """``OK``, ``REJECTED`` or another status from an operation answer (see the reference:
    ``status`` decides; an answer with only ``orderId`` is a success, and so is an empty
    204 to a pending-order cancel, the one call documented to give it)."""
    if data is None:
        if http_status == 204 and endpoint == "pending-order/cancel":
            return "OK"
        raise ResponseError("the operation answer is empty")
    payload = mapping(data, "operation")
    status = text(payload.get("status"))
    if status:
        return status.upper()
    if text(payload.get("orderId")):
        return "OK"
    raise ResponseError("the operation answer has neither status nor orderId")


# Shared timeframe names -> the Platform API's intervals (sheet §4.1 "Candles": M1 M5 M15 M30
# H1 H4 D1 W1 MN1; the monthly spelling is MN1 per S2, P3 and P4). There is no 2-hour interval.
INTERVALS: dict[str, str] = {
    "1m": "M1",
    "5m": "M5",
    "15m": "M15",
    "30m": "M30",
    "1h": "H1",
    "4h": "H4",
    "1d": "D1",
    "1w": "W1",
    "1M": "MN1",
}


def _quote_time(item: Mapping[str, Any]) -> Any:
    """``timestampMs`` when above 0, else ``timestampSec`` times 1000, else unknown (sheet §4.1)."""
    millis = money(item, "timestampMs")
    if millis is not None and millis > 0:
        return to_datetime(millis)
    seconds = money(item, "timestampSec")
    return to_datetime(seconds * 1000) if seconds is not None and seconds > 0 else None


def parse_quotations(data: Any) -> list[Quote]:
    """Quotes from ``GET quotations``: a top-level array or ``{"quotations": [...]}`` (sheet
    §4.1, §7); prices strings or numbers; entries in the answer's order (match them by
    ``symbol`` or ``alias``, never by position: unknown symbols are left out)."""
    return [
        Quote(
            broker="matchtrade",
            symbol=text(item.get("symbol")) or text(item.get("alias")) or "",
            bid=money(item, "bid"),
            ask=money(item, "ask"),
            time=_quote_time(item),
            raw=dict(item),
        )
        for item in _items(data, "quotations", "quotations")
    ]


def parse_candles(
    data: Any, symbol: str | None = None, timeframe: str | None = None
) -> list[Candle]:
    """Candles from ``GET candles``, oldest first whatever order the answer has (sheet §4.1:
    ``time`` = the open time in epoch ms; values JSON numbers or strings). ``symbol`` and
    ``timeframe`` (a shared name) default to the answer's ``symbol`` and ``interval``."""
    items = _items(data, "candles", "candles")
    echo = data if isinstance(data, Mapping) else {}
    symbol = symbol or text(echo.get("symbol")) or ""
    if timeframe is None:
        interval = text(echo.get("interval"))
        timeframe = next((k for k, v in INTERVALS.items() if v == interval), interval or "")
    candles = []
    for item in items:
        opened = to_datetime(money(item, "time"))
        if opened is None:
            raise ResponseError("a candle has no readable time")
        candles.append(
            Candle(
                broker="matchtrade",
                symbol=symbol,
                timeframe=timeframe,
                time=opened,
                open=required_money(item, "open", "candles"),
                high=required_money(item, "high", "candles"),
                low=required_money(item, "low", "candles"),
                close=required_money(item, "close", "candles"),
                volume=money(item, "volume"),
                raw=dict(item),
            )
        )
    return sorted(candles, key=lambda c: c.time)


def closed_time(value: Any) -> tuple[Any, bool]:
    """``(UTC datetime or None, had no zone)``: a zone-less time is read as UTC (sheet §4.1)."""
    naive = isinstance(value, str) and to_datetime(value) is not None and not _has_zone(value)
    return to_datetime(value), naive


def _has_zone(value: str) -> bool:
    tail = value.strip()[10:]  # after the date: "T12:00:00Z", "T12:00:00+02:00"...
    return tail.endswith(("Z", "z")) or "+" in tail or "-" in tail


def parse_closed(data: Any, account_id: str, currency: str | None) -> tuple[list[Trade], bool]:
    """``(trades, some time had no zone)`` from ``POST closed-positions``.

    One :class:`Trade` per closing operation (a partial close is its own entry, sheet §4.1):
    ``id`` is the operation's ``uid`` (else ``id`` + close time), ``position_id`` the position;
    ``net_profit`` is ``netProfit``, read as the profit after commission and swap (the sheet's
    reading, undocumented), both in the account currency."""
    trades, naive = [], False
    for item in _items(data, "operations", "closed positions"):
        opened, naive_open = closed_time(item.get("openTime"))
        closed, naive_close = closed_time(item.get("time"))
        naive = naive or naive_open or naive_close
        position = text(item.get("id"))
        uid = text(item.get("uid")) or f"{position}@{item.get('time')}"
        trades.append(
            Trade(
                broker="matchtrade",
                account=account_id,
                id=uid,
                symbol=text(item.get("symbol")) or "",
                side=text(item.get("side")),
                quantity=money(item, "volume"),
                open_time=opened,
                close_time=closed,
                open_price=money(item, "openPrice"),
                close_price=money(item, "closePrice"),
                profit=money(item, "profit"),
                net_profit=money(item, "netProfit"),
                currency=currency,
                position_id=position,
                raw=dict(item),
            )
        )
    return trades, naive


def next_page(page: list[Trade], low: datetime, high: datetime) -> tuple[datetime, datetime]:
    """The range still to ask for after a full answer: after its newest close when the
    answer runs oldest first, before its oldest when newest first (bounds inclusive: the
    repeated edge is dropped by uid)."""
    times = [t.close_time for t in page if t.close_time is not None]
    if not times:
        raise ResponseError("the closed-positions answer has no readable close times")
    if times[0] <= times[-1]:
        return max(times), high
    return low, min(times)


def iso_utc(moment: datetime, *, up: bool = False) -> str:
    """ISO-8601 UTC with ``Z`` to the second, as the platform's clients send times (sheet §1);
    ``up`` rounds a fraction of a second up (an end bound then still covers ``moment``)."""
    if up and moment.microsecond:
        moment += timedelta(seconds=1)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def shows(item: Order | Position, want: Mapping[str, Any]) -> bool:
    """Whether an order or position shows every value asked for (``None`` = no level)."""
    now = {
        "price": getattr(item, "price", None),
        "quantity": item.quantity,
        "stop_loss": item.stop_loss,
        "take_profit": item.take_profit,
    }
    return all(now[name] == value for name, value in want.items())
