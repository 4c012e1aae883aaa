"""Match-Trader market data for the emulator: ``quotations`` and ``candles``.

Pure functions of the seed quotes and the clock; :mod:`.matchtrade` routes requests here. Every
rule cites ``shared/reference/matchtrader-api.md`` (§4.1 "Read endpoints", §7 "Variants", §8
"Emulator checklist" item 10). Where the sheet is silent the choice is marked "a guess".
"""

from __future__ import annotations

import calendar
import hashlib
import math
import time
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from . import seed

# §8.10 and §4.1: the Platform API intervals (the monthly one is MN1; S5's MN is unconfirmed).
INTERVALS: dict[str, int] = {
    "M1": 60,
    "M5": 300,
    "M15": 900,
    "M30": 1800,
    "H1": 3600,
    "H4": 14400,
    "D1": 86400,
    "W1": 604800,
    "MN1": 0,  # calendar months: see _bar_starts
}
MAX_BARS = 100_000  # a guard against absurd ranges (the server's real maximum is unknown, §4.1)
_WEEK_ANCHOR = 345600  # 1970-01-05T00:00:00Z, a Monday: weekly bars open on Mondays (a guess)


class BadRequest(Exception):
    """A malformed market-data request: answered 400 ``{"errorMessage": ...}`` (a guess, §8.10)."""


def quotations(
    symbols: list[str], now: float, *, shape: str = "array", timestamps: str = "both"
) -> Any:
    """The ``GET quotations?symbols=`` answer (§4.1 "Quotations", §8.10).

    Unknown symbols are left out (a guess the sheet records); without ``symbols`` every symbol
    is listed (undocumented, a guess). ``shape``: ``"array"`` (a top-level array, as S2, S3, S5,
    S9 read it) or ``"wrapped"`` (``{"quotations": [...]}``, §7). ``timestamps``: ``"both"``
    (``timestampSec`` + ``timestampMs``), ``"sec"`` (S3 lacks ``timestampMs``) or ``"none"``.
    """
    quotes = []
    for symbol in [s for s in (symbols or list(seed.MT_INSTRUMENTS)) if s in seed.MT_INSTRUMENTS]:
        bid, ask = seed.MT_INSTRUMENTS[symbol][6:8]
        quote: dict[str, Any] = {
            "symbol": symbol,
            "alias": symbol.rstrip("."),
            "bid": bid,
            "ask": ask,
            "change": Decimal("0.00"),
            "high": ask,
            "low": bid,
        }
        if timestamps in ("both", "sec"):
            quote["timestampSec"] = int(now)
        if timestamps == "both":
            quote["timestampMs"] = int(now * 1000)
        quotes.append(quote)
    return {"quotations": quotes} if shape == "wrapped" else quotes


def _bar_starts(interval: str, start: float, end: float) -> list[int]:
    """Open times (epoch s) of the bars of ``interval`` opening in ``[start, end]``."""
    if interval == "MN1":
        year, month = time.gmtime(start)[:2]
        found = []
        while True:
            opened = calendar.timegm((year, month, 1, 0, 0, 0))
            if opened > end:
                return found
            if opened >= start:
                found.append(opened)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    step = INTERVALS[interval]
    anchor = _WEEK_ANCHOR if interval == "W1" else 0
    first = anchor + math.ceil((start - anchor) / step) * step
    if (end - first) / step > MAX_BARS:
        raise BadRequest(f"Too many candles requested (more than {MAX_BARS})")
    return list(range(int(first), int(end) + 1, step))


def _bar_end(interval: str, opened: int) -> int:
    """When the bar of ``interval`` opened at ``opened`` closes (epoch s)."""
    if interval != "MN1":
        return opened + INTERVALS[interval]
    year, month = time.gmtime(opened)[:2]
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return calendar.timegm((year, month, 1, 0, 0, 0))


def _wave(symbol: str, opened: int, salt: str) -> float:
    """A deterministic number in [-1, 1] for one bar of one symbol."""
    digest = hashlib.sha256(f"{symbol}|{opened}|{salt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 0xFFFFFFFF * 2 - 1


def _candle(symbol: str, opened: int, forming: bool) -> dict[str, Any]:
    bid, ask = seed.MT_INSTRUMENTS[symbol][6:8]
    precision = seed.MT_INSTRUMENTS[symbol][4]
    mid = float((bid + ask) / 2)
    scale = mid * 0.002

    def price(value: float) -> Decimal:
        return Decimal(f"{value:.{precision}f}")

    drift = math.sin(opened / 86400 / 3)  # a slow swing of a few days, same for any interval
    open_ = mid + scale * (drift + 0.3 * _wave(symbol, opened, "open"))
    close = mid if forming else mid + scale * (drift + 0.3 * _wave(symbol, opened, "close"))
    high = max(open_, close) + scale * 0.2 * abs(_wave(symbol, opened, "high"))
    low = min(open_, close) - scale * 0.2 * abs(_wave(symbol, opened, "low"))
    return {
        "time": opened * 1000,  # §4.1: the candle's open time, epoch ms
        "open": price(open_),
        "high": price(high),
        "low": price(low),
        "close": price(close),
        "volume": 100 + int(abs(_wave(symbol, opened, "volume")) * 900),
    }


def candles(
    query: dict[str, str],
    now: float,
    *,
    order: str = "asc",
    as_strings: bool = False,
    intervals: tuple[str, ...] = tuple(INTERVALS),
) -> dict[str, Any]:
    """The ``GET candles?symbol=&interval=&from=&to=`` answer (§4.1 "Candles", §8.10).

    ``symbol``, ``interval``, ``from`` and ``to`` are all required (every client sends the four,
    P4 marks them required) and a missing one, an unknown symbol or interval, or an unreadable
    or reversed range is :class:`BadRequest`. Bars whose open time lies in ``[from, to]`` (both
    inclusive: the sheet does not say, a guess) and not after ``now``; the bar holding ``now`` is
    still forming (its close is the current mid). ``order``: ``"asc"`` (oldest first, §8.10) or
    ``"desc"`` (§7: clients accept any order). Values are JSON numbers (§4.1, §8.6) unless
    ``as_strings`` (§7: "JSON numbers or strings"). ``count`` (S7 only) is ignored.
    """
    missing = [name for name in ("symbol", "interval", "from", "to") if not query.get(name)]
    if missing:
        raise BadRequest(f"Missing required parameter(s): {', '.join(missing)}")
    symbol, interval = query["symbol"], query["interval"]
    if symbol not in seed.MT_INSTRUMENTS:
        raise BadRequest(f"Unknown symbol: {symbol}")
    if interval not in intervals:
        raise BadRequest(f"Unknown interval: {interval}")
    start, end = parse_iso(query["from"]), parse_iso(query["to"])
    if start is None or end is None:
        raise BadRequest("from and to must be ISO-8601 date-times")
    if start > end:
        raise BadRequest("from is after to")
    starts = [t for t in _bar_starts(interval, start, min(end, now)) if t <= now]
    bars = [_candle(symbol, t, forming=now < _bar_end(interval, t)) for t in starts]
    if order == "desc":
        bars.reverse()
    if as_strings:
        bars = [{k: (str(v) if k != "time" else v) for k, v in bar.items()} for bar in bars]
    return {"symbol": symbol, "interval": interval, "candles": bars}


def parse_iso(text: Any) -> float | None:
    """Epoch seconds from ISO-8601 text (``Z``, an offset, milliseconds; no zone = UTC)."""
    try:
        parsed = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()
