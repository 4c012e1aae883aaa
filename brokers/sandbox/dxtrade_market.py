"""DXtrade emulator: instruments (§7.4), market data (§7.7) and conversion rates (§7.8).

A mixin of :class:`brokers.sandbox.dxtrade.DXtradeState`. Section numbers (§) refer to
``shared/reference/dxtrade-api.md``. Candles are deterministic: a smooth function of the symbol
and the time around the seed bid, so the same request always gets the same candles.
"""

from __future__ import annotations

import calendar
import hashlib
import math
import time
from collections.abc import Iterator
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any

from . import seed
from .dxtrade_model import Account, bad_param, bad_request, csv, iso, not_found, parse_time
from .wire import RecordedRequest, Response, json_response, loads_exact, method_not_allowed

# §7.7 candleType → fixed length in seconds ("w" and "mo" are calendar-aligned).
CANDLE_SECONDS = {
    "m": 60,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "h": 3600,
    "2h": 7200,
    "4h": 14400,
    "d": 86400,
}
CANDLE_TYPES = (*CANDLE_SECONDS, "w", "mo")
_MONDAY = 4 * 86400  # 1970-01-05T00:00:00Z, the first Monday
_PLAIN_FIELDS = ("type", "description", "priceIncrement", "pipSize", "currency", "lotSize")
_OPTIONAL_FIELDS = ("multiplier", "underlying", "firstCurrency")
_DETAIL_FIELDS = ("minOrderSize", "maxOrderSize", "minOrderSizeIncrement", "marginRate")


def _symbol_matches(symbol: str, pattern: str) -> bool:
    """``symbols`` query of /instruments/query: comma list, ``*`` wildcard, case-insensitive."""
    parts = [p.strip().upper() for p in pattern.split(",") if p.strip()] or ["*"]
    return any(fnmatchcase(symbol.upper(), part) for part in parts)


def _wave(symbol: str, epoch: float) -> float:
    """A deterministic relative price move of ``symbol`` at ``epoch`` (within about ±0.7 %)."""
    phase = int(hashlib.sha1(symbol.encode()).hexdigest()[:8], 16) % 6283 / 1000
    return (
        0.004 * math.sin(2 * math.pi * epoch / 259200 + phase)
        + 0.002 * math.sin(2 * math.pi * epoch / 21600 + 2 * phase)
        + 0.0006 * math.sin(2 * math.pi * epoch / 1800 + 3 * phase)
    )


def _candle_spans(kind: str, start: float, end: float) -> Iterator[tuple[int, int]]:
    """Candle (start, end) pairs whose start lies in [start, end], oldest first."""
    if kind == "mo":
        year, month = time.gmtime(start)[:2]
        while True:
            begin = calendar.timegm((year, month, 1, 0, 0, 0, 0, 0, 0))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            finish = calendar.timegm((year, month, 1, 0, 0, 0, 0, 0, 0))
            if begin > end:
                return
            if begin >= start:
                yield begin, finish
    size = 7 * 86400 if kind == "w" else CANDLE_SECONDS[kind]
    anchor = _MONDAY if kind == "w" else 0
    begin = anchor + math.ceil((start - anchor) / size) * size
    while begin <= end:
        yield int(begin), int(begin + size)
        begin += size


class MarketMixin:
    """Instruments, market data and conversion rates for :class:`DXtradeState`."""

    # ------------------------------------------------------------------ instruments (§7.4)

    def _instrument(self, symbol: str) -> dict[str, Any]:
        return seed.DX_INSTRUMENTS[symbol]

    def _details(self, account: Account, symbol: str) -> dict[str, Any]:
        """Instrument Details for ``account``: the seed, ``tradingStatus`` FULL, then the
        ``instrument_details`` overrides (``{symbol: {field: value}}``)."""
        base = self._instrument(symbol)
        details = {key: base[key] for key in _DETAIL_FIELDS}
        details["tradingStatus"] = "FULL"
        details.update(self.instrument_details.get(symbol, {}))
        return details

    def _quote(self, symbol: str) -> tuple[Decimal, Decimal]:
        bid, ask, _when = self._quotes[symbol]
        return bid, ask

    def _instrument_json(self, symbol: str) -> dict[str, Any]:
        """§7.4 Instrument: ``lotSize`` is the units per lot, not a minimum order size."""
        info = self._instrument(symbol)
        item: dict[str, Any] = {"symbol": symbol, "version": 1}
        item.update({key: info[key] for key in _PLAIN_FIELDS})
        item.update({key: info[key] for key in _OPTIONAL_FIELDS if key in info})
        return item

    def _details_json(self, account: Account, symbol: str) -> dict[str, Any]:
        """§7.4 Instrument Details: the account's order size limits (units) and status."""
        details = self._details(account, symbol)
        return {
            "account": account.code,
            "type": self._instrument(symbol)["type"],
            "symbol": symbol,
            "version": 1,
            "tradingStatus": details["tradingStatus"],
            **{key: details[key] for key in _DETAIL_FIELDS},
        }

    def _symbols(self, req: RecordedRequest) -> list[str]:
        pattern = req.query.get("symbols", "*")
        return [s for s in seed.DX_INSTRUMENTS if _symbol_matches(s, pattern)]

    def _of_type(self, kind: str) -> list[str]:
        return [s for s, info in seed.DX_INSTRUMENTS.items() if info["type"] == kind.upper()]

    def _instruments(self, req: RecordedRequest, _user: str) -> Response:
        items = [self._instrument_json(s) for s in self._symbols(req)]
        return json_response(200, {"instruments": items})

    def _instruments_type(self, _req: RecordedRequest, _user: str, kind: str) -> Response:
        items = [self._instrument_json(s) for s in self._of_type(kind)]
        return json_response(200, {"instruments": items})

    def _instrument_one(self, _req: RecordedRequest, _user: str, symbol: str) -> Response:
        if symbol not in seed.DX_INSTRUMENTS:
            raise not_found()
        return json_response(200, {"instruments": [self._instrument_json(symbol)]})

    def _details_query(self, req: RecordedRequest, user: str, code: str) -> Response:
        """Wrapper key ``instruments`` like the plain list (§7.4: presumed)."""
        account = self._account(user, code)
        items = [self._details_json(account, s) for s in self._symbols(req)]
        return json_response(200, {"instruments": items})

    def _details_type(self, _req: RecordedRequest, user: str, code: str, kind: str) -> Response:
        account = self._account(user, code)
        items = [self._details_json(account, s) for s in self._of_type(kind)]
        return json_response(200, {"instruments": items})

    def _details_one(self, _req: RecordedRequest, user: str, code: str, symbol: str) -> Response:
        account = self._account(user, code)
        if symbol not in seed.DX_INSTRUMENTS:
            raise not_found()
        return json_response(200, {"instruments": [self._details_json(account, symbol)]})

    # ------------------------------------------------------------------ market data (§7.7)

    def _marketdata(self, req: RecordedRequest, user: str) -> Response:
        """``POST /marketdata``: Quote and Candle events; ``{"events": [...]}``."""
        try:
            body = loads_exact(req.body)
        except ValueError:
            raise bad_request("malformed JSON body") from None
        if not isinstance(body, dict):
            raise bad_request("body must be a JSON object")
        if body.get("account") is not None:
            self._account(user, str(body["account"]))  # §7.7 errors: 404/2 (a guess)
        elif self.marketdata_requires_account:
            raise bad_param("account")
        symbols = body.get("symbols")
        if not isinstance(symbols, list) or not symbols:
            raise bad_param("symbols")
        for symbol in symbols:
            if symbol not in self._quotes:  # §12 item 16: unknown symbol → 400/32 (a guess)
                raise bad_param(f"symbols: {symbol}")
        kinds = body.get("eventTypes")
        if not isinstance(kinds, list) or not kinds:
            raise bad_param("eventTypes")
        events: list[dict[str, Any]] = []
        for kind in kinds:
            if not isinstance(kind, dict) or kind.get("type") not in ("Quote", "Candle"):
                raise bad_param("eventTypes.type")
            for symbol in symbols:
                if kind["type"] == "Quote":
                    events.append(self._quote_event(symbol))
                else:
                    events.extend(self._candles(symbol, kind))
        payload: dict[str, Any] = {"events": events}
        types = {k["type"] for k in kinds}
        if self.marketdata_events_type and len(types) == 1:  # §7.7: S1 models eventsType
            payload["eventsType"] = types.pop()
        return json_response(200, payload)

    def _quote_event(self, symbol: str) -> dict[str, Any]:
        """§7.7 Quote; ``time`` in whole seconds like the live Velotrade quote."""
        bid, ask, when = self._quotes[symbol]
        return {"type": "Quote", "symbol": symbol, "bid": bid, "ask": ask, "time": iso(when, False)}

    def _candles(self, symbol: str, kind: dict[str, Any]) -> list[dict[str, Any]]:
        """§7.7 Candle events: ``fromTime``/``toTime`` required (400/33, a guess), a
        ``candleType`` of ``m 5m 15m 30m h 2h 4h d w mo`` (else 400/32), ``count`` capped at
        ``candle_max_count`` (``candle_default_count`` when omitted). Candles whose start lies in
        [fromTime, toTime] and that are complete by now, the earliest ``count`` of them, in
        ``candle_order``; ``time`` = the candle's start, prices are bid prices."""
        candle_type = kind.get("candleType")
        if candle_type not in CANDLE_TYPES:
            raise bad_param(f"candleType: {candle_type}")
        if not kind.get("fromTime") or not kind.get("toTime"):
            raise bad_request("Candle requests need fromTime and toTime")
        start = parse_time(str(kind["fromTime"]), "fromTime")
        end = parse_time(str(kind["toTime"]), "toTime")
        count = kind.get("count", self.candle_default_count)
        if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
            raise bad_param("count")
        count = min(count, self.candle_max_count)
        now = time.time()
        candles = []
        for begin, finish in _candle_spans(candle_type, start, end):
            if finish > now or len(candles) >= count:
                break
            candles.append(self._candle(symbol, candle_type, begin, finish))
        if self.candle_order == "desc":
            candles.reverse()
        return candles

    def _candle(self, symbol: str, candle_type: str, begin: int, finish: int) -> dict[str, Any]:
        info = self._instrument(symbol)
        step: Decimal = info["priceIncrement"]
        base = float(info["bid"])

        def price(epoch: float) -> Decimal:
            return Decimal(repr(base * (1 + _wave(symbol, epoch)))).quantize(step)

        open_, close, middle = price(begin), price(finish), price((begin + finish) / 2)
        seed_bytes = hashlib.sha1(f"{symbol}/{candle_type}/{begin}".encode()).digest()
        wick = step * (1 + seed_bytes[0] % 7)
        return {
            "type": "Candle",
            "candleType": candle_type,
            "symbol": symbol,
            "open": open_,
            "high": max(open_, close, middle) + wick,
            "low": min(open_, close, middle) - wick,
            "close": close,
            "volume": 100 + int.from_bytes(seed_bytes[1:3], "big") % 900,
            "time": iso(begin, self.marketdata_millis),
        }

    # ------------------------------------------------------------------ conversion rates (§7.8)

    def _usd_value(self, currency: str) -> Decimal:
        """One unit of ``currency`` in USD, from the mid quote of its USD instrument."""
        if currency == "USD":
            return Decimal(1)
        for symbol, info in seed.DX_INSTRUMENTS.items():
            base = info.get("firstCurrency") or info.get("underlying")
            if base == currency and info["currency"] == "USD":
                bid, ask = self._quote(symbol)
                return (bid + ask) / 2
        raise bad_param(f"currency: {currency}")

    def _conversion(self, req: RecordedRequest, _user: str) -> Response:
        """§7.8 ``/conversionRates`` (GET or POST, query or JSON body): ``toCurrency`` required,
        ``fromCurrency`` optional → ``{"conversionRates": [...]}``; ``conversion_single`` sends a
        single object for one pair; ``conversion_post_405``: POST → 405 ``Allow: GET``."""
        if req.method == "POST" and self.conversion_post_405:
            return method_not_allowed(["GET"])
        params = self._params(req)
        to = (params.get("toCurrency") or "").upper()
        if not to:
            raise bad_param("toCurrency")
        target = self._usd_value(to)
        sources = csv(params.get("fromCurrency")) or self._currencies()
        rates = [
            {
                "fromCurrency": source.upper(),
                "toCurrency": to,
                "convRate": (self._usd_value(source.upper()) / target).quantize(Decimal("1e-8")),
            }
            for source in sources
            if source.upper() != to or params.get("fromCurrency")
        ]
        if self.conversion_single and len(rates) == 1:
            return json_response(200, rates[0])
        return json_response(200, {"conversionRates": rates})

    def _currencies(self) -> list[str]:
        found = ["USD"]
        for info in seed.DX_INSTRUMENTS.values():
            base = info.get("firstCurrency") or info.get("underlying")
            if base and info["currency"] == "USD" and base not in found:
                found.append(base)
        return found
