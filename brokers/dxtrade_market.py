"""DXtrade history and market data: closed trades, final orders, quotes and candles.

The read-only half of :class:`~brokers.DXTrade` that is not about the account's present
state (sheet §7.6, §7.7). A mixin: it uses the client's ``_call``, ``_resolve`` and
``_parsing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from . import orders as checks
from . import timeframes
from .dxtrade_wire import (
    CANDLE_TYPES,
    history_page,
    is_final,
    parse_candles,
    parse_order,
    parse_quotes,
    parse_trades,
    position_code,
    position_effect,
    system_code,
)
from .exceptions import ConfigurationError, ResponseError
from .models import Candle, Order, Quote, Records, Trade
from .parsing import text

API = "/dxsca-web"
MAX_HISTORY_PAGES = 1000  # a guard against a server whose cursor never ends
MAX_CANDLE_WINDOWS = 100
DEFAULT_CANDLES = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def utc_now(clock: Any) -> datetime:
    return datetime.fromtimestamp(clock(), tz=timezone.utc)


def _wire_time(value: datetime) -> str:
    """UTC RFC 3339 with milliseconds, as the spec writes times (sheet §10)."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class DXMarketData:
    """History and market data of a DXtrade account (mixed into :class:`~brokers.DXTrade`)."""

    broker: str
    _clock: Any
    _call: Any
    _resolve: Any
    _parsing: Any

    def _account_path(self, code: str, tail: str = "") -> str:
        return f"{API}/accounts/{quote(code, safe='')}{tail}"

    # ----------------------------------------------------------- history

    def _history_pages(self, code: str, params: dict[str, str]) -> list[Mapping[str, Any]]:
        """Every order of a history query across the cursor pages (``transaction-to`` set to
        ``nextPageTransactionTime`` until it is empty), deduplicated by ``orderId`` as the
        filters are inclusive (sheet §7.6). Pages count against the read-rate throttle."""
        path = self._account_path(code, "/orders/history")
        seen: dict[str, Mapping[str, Any]] = {}
        cursor: str | None = None
        for _ in range(MAX_HISTORY_PAGES):
            query = {**params, **({"transaction-to": cursor} if cursor else {})}
            reply = self._call("GET", path, params=query, kind="history")
            with self._parsing("GET", path):
                items, next_cursor = history_page(reply.data)
            new = 0
            for item in items:
                key = text(item.get("orderId")) or system_code(item) or str(len(seen))
                if key not in seen:
                    seen[key], new = item, new + 1
            if not next_cursor or next_cursor == cursor or not new:
                return list(seen.values())
            cursor = next_cursor
        raise ResponseError(
            f"the order history did not end after {MAX_HISTORY_PAGES} pages",
            broker=self.broker,
            hint="ask for a shorter range",
        )

    def _range(self, since: Any, until: Any) -> tuple[str, str]:
        start, end = checks.time_range(since, until, utc_now(self._clock))
        return _wire_time(start), _wire_time(end)

    def history(
        self, *, since: Any, until: Any = None, account: str | None = None
    ) -> Records[Trade]:
        """Closed trades: the completed CLOSE orders of the order history (DXtrade has no
        trades resource), with realised P/L from their SETTLEMENT cash transactions and costs
        from COMMISSION and FINANCING, oldest first. Open price and time come from the
        opening order; one more request finds those opened before ``since``."""
        start, end = self._range(since, until)
        code, currency = self._resolve(account)
        query = {"in-status": "COMPLETED", "completed-from": start, "completed-to": end}
        items = self._history_pages(code, query)
        closes = [i for i in items if position_effect(i) == "CLOSE"]
        known = {position_code(i) for i in items if position_effect(i) == "OPEN"}
        known |= {text(i.get("orderId")) for i in items if position_effect(i) == "OPEN"}
        missing = sorted({position_code(i) for i in closes} - known - {None})
        if missing:  # opened before the range: the position code is the opening order's id
            items += self._history_pages(code, {"with-order-id": ",".join(missing)})
        with self._parsing("GET", "order history"):
            trades = parse_trades(items, code)
        trades.sort(key=lambda t: t.close_time or _EPOCH)
        return Records(replace(t, currency=t.currency or currency) for t in trades)

    def order_history(
        self, *, since: Any, until: Any = None, account: str | None = None
    ) -> Records[Order]:
        """Orders that reached a final state in the range (filled, cancelled, expired,
        rejected), oldest first."""
        start, end = self._range(since, until)
        code, _ = self._resolve(account)
        query = {
            "in-status": "COMPLETED,CANCELED,EXPIRED,REJECTED",
            "completed-from": start,
            "completed-to": end,
        }
        items = [i for i in self._history_pages(code, query) if is_final(i)]
        with self._parsing("GET", "order history"):
            found = [parse_order(i, code) for i in items]
        found.sort(key=lambda o: o.closed_time or _EPOCH)
        return Records(found)

    # -------------------------------------------------------- market data

    def _market_data(self, code: str, symbols: list[str], event: dict[str, Any]) -> Any:
        """``POST /marketdata``: a read, so retried like any read (sheet §7.7)."""
        body = {"account": code, "symbols": symbols, "eventTypes": [event]}
        return self._call("POST", f"{API}/marketdata", json=body).data

    def quotes(self, symbols: list[str], *, account: str | None = None) -> Records[Quote]:
        """Quotes of ``symbols`` in one request, in the order asked."""
        if isinstance(symbols, str) or not symbols:
            raise ConfigurationError("quotes() takes a non-empty list of symbols")
        wanted = [checks.symbol(s) for s in symbols]
        code, _ = self._resolve(account)
        data = self._market_data(code, wanted, {"type": "Quote", "format": "COMPACT"})
        with self._parsing("POST", f"{API}/marketdata"):
            return parse_quotes(data, wanted)

    def candles(
        self,
        symbol: str,
        timeframe: str,
        *,
        since: Any = None,
        until: Any = None,
        count: int | None = None,
        account: str | None = None,
    ) -> Records[Candle]:
        """Candles oldest first. Without ``since``, the last ``count`` (default 100) up to
        ``until``; long ranges are read in windows (the server caps each answer)."""
        name = timeframes.timeframe(timeframe, CANDLE_TYPES, self.broker)
        instrument = checks.symbol(symbol)
        limit = checks.count(count)
        now = utc_now(self._clock)
        end = now if until is None else checks.utc_time(until, "until")
        step = timedelta(seconds=timeframes.seconds(name))
        if since is None:
            # twice the span and a weekend: markets close, so a span of bars is longer
            start = end - step * (limit or DEFAULT_CANDLES) * 2 - timedelta(days=3)
        else:
            start, end = checks.time_range(since, end, now)
        code, _ = self._resolve(account)
        found: dict[datetime, Candle] = {}
        window = start
        for _ in range(MAX_CANDLE_WINDOWS):
            event = {
                "type": "Candle",
                "format": "COMPACT",
                "candleType": CANDLE_TYPES[name],
                "fromTime": _wire_time(window),
                "toTime": _wire_time(end),
                # as many as the window can hold: without it the server's default count (an
                # unknown, often small number) cuts the window short (sheet §7.7)
                "count": int((end - window) / step) + 1,
            }
            data = self._market_data(code, [instrument], event)
            with self._parsing("POST", f"{API}/marketdata"):
                batch = [c for c in parse_candles(data, instrument, name) if start <= c.time <= end]
            fresh = [c for c in batch if c.time not in found]
            found.update((c.time, c) for c in fresh)
            if (
                not fresh
                or fresh[-1].time + 2 * step > end  # at most the forming bar is missing
                or (limit and since and len(found) >= limit)
            ):
                break
            window = fresh[-1].time + step
        candles = sorted(found.values(), key=lambda c: c.time)
        if limit:
            candles = candles[:limit] if since is not None else candles[-limit:]
        return Records(candles)
