"""Match-Trader history and market data: closed trades, quotes and candles.

The read-only half of :class:`~brokers.MatchTrade` that is not about the account's present
state (sheet §4.1: ``closed-positions``, ``quotations``, ``candles``). A mixin: it uses the
client's ``_call``, ``_resolve``, ``_trading_path`` and ``_parsing``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from . import orders as checks
from . import timeframes
from .base import log
from .exceptions import (
    ConfigurationError,
    ResponseError,
)
from .matchtrade_wire import (
    INTERVALS,
    TradingAccount,
    iso_utc,
    next_page,
    parse_candles,
    parse_closed,
    parse_quotations,
)
from .models import (
    Candle,
    Order,
    Quote,
    Records,
    Trade,
)
from .parsing import text

DEFAULT_CANDLES = 100
CANDLES_PER_REQUEST = 1000  # the server's maximum per answer is unknown (sheet §4.1): a guess
MAX_WIDENINGS = 3  # extra requests for `count` bars across market closures


class MTMarketData:
    """History and market data of a Match-Trader account (mixed into
    :class:`~brokers.MatchTrade`)."""

    broker: str
    history_page_size: int | None
    _call: Any
    _resolve: Any
    _trading_path: Any
    _parsing: Any

    # ------------------------------------------------------------- history

    def history(
        self, *, since: Any, until: Any = None, account: str | None = None
    ) -> Records[Trade]:
        """Closed trades of ``account`` between ``since`` and ``until`` (default: now).

        One :class:`~brokers.Trade` per closing operation, oldest first: a position closed in
        two parts is two trades with the same ``position_id``. ``net_profit`` is the
        platform's ``netProfit`` (profit after commission and swap), in the account currency.
        Times: aware ``datetime``, ``date`` or ISO text; a naive ``datetime`` is refused.
        Complete however many answers it takes (see ``history_page_size``), each through the
        client's throttle.
        """
        start, end = checks.time_range(since, until, datetime.now(timezone.utc))
        trading = self._resolve(account)
        path = self._trading_path(trading, "closed-positions")
        found: dict[str, Trade] = {}
        low, high = start, end
        while True:
            body = {"from": iso_utc(low), "to": iso_utc(high, up=True)}
            reply = self._call("POST", path, json=body, account=trading.account.id)
            with self._parsing("POST", path):
                page, naive = parse_closed(reply.data, trading.account.id, trading.account.currency)
            if naive:
                log.info("%s: closed-positions times carry no zone; read as UTC", self.broker)
            fresh = [t for t in page if t.id not in found]
            found.update((t.id, t) for t in page)
            full = self.history_page_size is not None and len(page) >= self.history_page_size
            if not full:
                break
            if not fresh:
                raise ResponseError(
                    f"closed-positions keeps answering the same {len(page)} operations: more "
                    "than history_page_size of them share one close time",
                    broker=self.broker,
                    path=path,
                    hint="raise history_page_size to the broker's real cap",
                )
            low, high = next_page(page, low, high)
        trades = [t for t in found.values() if t.close_time is None or start <= t.close_time <= end]
        return Records(sorted(trades, key=lambda t: (t.close_time or start, t.id)))

    def order_history(
        self, *, since: Any, until: Any = None, account: str | None = None
    ) -> Records[Order]:
        """Not offered: the Platform API lists closed positions (:meth:`history`), not orders."""
        raise self._lacks("order_history")

    # ---------------------------------------------------------- market data

    def quotes(self, symbols: list[str], *, account: str | None = None) -> Records[Quote]:
        """Current bid and ask of ``symbols`` (as :meth:`instruments` spells them), in one
        ``quotations`` request; a symbol the broker does not know is a ConfigurationError."""
        wanted = [symbols] if isinstance(symbols, str) else list(symbols or [])
        wanted = list(dict.fromkeys(checks.symbol(s) for s in wanted))
        if not wanted:
            raise ConfigurationError("quotes needs at least one symbol")
        trading = self._resolve(account)
        path = self._trading_path(trading, "quotations")
        params = {"symbols": ",".join(wanted)}
        reply = self._call("GET", path, params=params, account=trading.account.id)
        with self._parsing("GET", path):
            answer = parse_quotations(reply.data)
        found: dict[str, Quote] = {}
        for quote in answer:  # by symbol or alias, never by position (sheet §4.1)
            for key in (quote.symbol, text(quote.raw.get("alias"))):
                found.setdefault(key or "", quote)
        missing = [s for s in wanted if s not in found]
        if missing:
            raise ConfigurationError(
                f"no quote for {', '.join(missing)}: not a symbol of account {trading.account.id}",
                broker=self.broker,
                hint="instruments() lists the symbols exactly as this broker spells them",
            )
        return Records(found[s] for s in wanted)

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
        """Candles of ``symbol``, oldest first, times in UTC (each the start of its period).

        ``timeframe``: ``"1m" "5m" "15m" "30m" "1h" "4h" "1d" "1w" "1M"`` (Match-Trader has
        no other). Give ``since`` (and optionally ``until``, default now), or ``count``
        (default 100) for the latest bars up to ``until`` (reaching further back, up to three
        more requests, where the market was closed); with both, the first ``count`` from
        ``since``. A long range is fetched in windows of 1000 bars; the last bar may still be
        forming.
        """
        symbol = checks.symbol(symbol)
        name = timeframes.timeframe(timeframe, INTERVALS, self.broker)
        limit = checks.count(count)
        if since is None and limit is None:
            limit = DEFAULT_CANDLES  # the latest bars, as on every platform
        now = datetime.now(timezone.utc).replace(microsecond=0)  # bars open on whole seconds
        step = timedelta(seconds=timeframes.seconds(name))
        if since is None:
            end = now if until is None else checks.utc_time(until, "until")
            start = end - step * (limit or 0)
        else:
            start, end = checks.time_range(since, until, now)
        trading = self._resolve(account)
        if since is not None:
            bars = self._candle_windows(trading, symbol, name, start, end, enough=limit)
            return Records(bars[:limit] if limit is not None else bars)
        limit = limit or 0  # given: since or count
        bars = self._candle_windows(trading, symbol, name, start, end)
        for _ in range(MAX_WIDENINGS):  # fewer bars than asked: the market was closed a while
            if len(bars) >= limit:
                break
            earlier = start - (step * (limit - len(bars)) + timedelta(days=3))
            older = self._candle_windows(trading, symbol, name, earlier, start)
            bars = [*(c for c in older if c.time < start), *bars]
            start = earlier
        return Records(bars[-limit:])

    def _candle_windows(
        self,
        trading: TradingAccount,
        symbol: str,
        name: str,
        start: datetime,
        end: datetime,
        enough: int | None = None,
    ) -> list[Candle]:
        """Every bar opening in ``[start, end]``, window by window, oldest first, no repeats;
        ``enough``: stop after the window that brings that many."""
        path = self._trading_path(trading, "candles")
        window = timedelta(seconds=timeframes.seconds(name)) * CANDLES_PER_REQUEST
        bars: dict[datetime, Candle] = {}
        low = start
        while True:
            high = min(end, low + window)
            params = {"symbol": symbol, "interval": INTERVALS[name], "from": iso_utc(low)}
            params["to"] = iso_utc(high, up=True)
            reply = self._call("GET", path, params=params, account=trading.account.id)
            with self._parsing("GET", path):
                page = parse_candles(reply.data, symbol, name)
            bars.update((c.time, c) for c in page if start <= c.time <= end)
            if high >= end or (enough and len(bars) >= enough):
                return [bars[t] for t in sorted(bars)]
            low = high
