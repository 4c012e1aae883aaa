"""Match-Trader closed-position history for the emulator: seed operations and ``closed-positions``.

Every rule cites ``shared/reference/matchtrader-api.md`` (§4.1 "Closed positions", §7
"Variants", §8 "Emulator checklist" item 11). The sheet documents no paging for this route:
the request is ``{"from", "to"}`` only and "the server's maximum per answer is unknown" / "the
longest allowed span is not documented" (§4.1). The emulator therefore models the two ways a
server can bound one answer, each behind a switch (off by default, as documented):

- ``page_size``: at most this many operations per answer, the first ones in the answer's order,
  with nothing in the answer saying more exist (no cursor, no total: none is documented). A
  client pages by asking again from the last close time it received.
- ``max_span``: a range longer than this many seconds is refused with 400 (a guess).

Looked up beyond the sheet (search tool, 2026-12): StockSharp's connector
(``StockSharp/Connectors`` ``MatchTrader/Native/MatchTraderClient.cs``, ``GetClosedPositions``)
and ``anthony21/MatchTrader_API`` (``tests/fixtures/endpoints.json``, ``closed_positions``) both
send ``{"from", "to"}`` once and read ``operations``: no page, limit or cursor field; the stored
excerpts of the theneo Platform API pages showed none either.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from . import seed
from .matchtrade_market import BadRequest, parse_iso

CENT = Decimal("0.01")
TIME_FORMATS = ("Z", "offset", "naive")
ORDERS = ("asc", "desc")

# Seeded closing operations, per account: (days before today 00:00 UTC, close hour, hours held
# before the first close, symbol, side, lots, open price, close price, commission + swap, close
# reason, position key). Two entries with one key are one position closed in two operations
# (§4.1: a partial close is its own entry with CLOSE_REASON_PARTIAL and its own uid, same id).
# fmt: off
SEED_CLOSED: dict[str, list[tuple[Any, ...]]] = {
    "700001": [
        (55, 9, 5, "EURUSD.", "BUY", "0.10", "1.07950", "1.08210", "-0.70", "", 1),
        (51, 14, 26, "XAUUSD.", "SELL", "0.05", "2390.40", "2381.15", "-1.25", "", 2),
        (47, 10, 3, "GBPUSD.", "BUY", "0.20", "1.26810", "1.26655", "-1.40", "", 3),
        (40, 16, 49, "EURUSD.", "SELL", "0.30", "1.08820", "1.08455", "-2.30", "", 4),
        (33, 11, 2, "EURUSD.", "BUY", "0.10", "1.08400", "1.08390", "-0.70", "", 5),
        (29, 8, 6, "XAUUSD.", "BUY", "0.02", "2395.10", "2402.60", "-0.50", "PARTIAL", 6),
        (27, 15, 0, "XAUUSD.", "BUY", "0.03", "2395.10", "2388.00", "-0.75", "", 6),
        (20, 13, 4, "GBPUSD.", "SELL", "0.10", "1.27300", "1.27120", "-0.70", "", 7),
        (13, 9, 1, "EURUSD.", "BUY", "0.50", "1.08610", "1.08700", "-3.50", "", 8),
        (9, 17, 30, "GBPUSD.", "BUY", "0.05", "1.26900", "1.27005", "-0.35", "", 9),
        (4, 12, 3, "EURUSD.", "SELL", "0.20", "1.08550", "1.08610", "-1.40", "", 10),
        (1, 10, 20, "XAUUSD.", "SELL", "0.01", "2405.00", "2399.90", "-0.25", "", 11),
    ],
    "700002": [
        (30, 10, 8, "EURUSD.", "BUY", "0.05", "1.08100", "1.08240", "-0.35", "", 1),
        (16, 15, 72, "GBPUSD.", "SELL", "0.05", "1.26500", "1.26700", "-0.35", "", 2),
        (2, 9, 1, "EURUSD.", "SELL", "0.10", "1.08600", "1.08580", "-0.70", "", 3),
    ],
    "700003": [],
}
# fmt: on


def profit(symbol: str, side: str, volume: Decimal, opened: Decimal, closed: Decimal) -> Decimal:
    """Gross P/L of closing ``volume`` lots, in the quote currency (booked 1:1, no conversion)."""
    contract = seed.MT_INSTRUMENTS[symbol][5]
    sign = 1 if side == "BUY" else -1
    return ((closed - opened) * volume * contract * sign).quantize(CENT)


def operation(
    *,
    position_id: str,
    uid: str,
    closing_id: str,
    symbol: str,
    side: str,
    volume: Decimal,
    open_time: float,
    close_time: float,
    open_price: Decimal,
    close_price: Decimal,
    gross: Decimal,
    costs: Decimal,
    reason: str,
) -> dict[str, Any]:
    """One closing operation as stored: wire fields plus ``_open``/``_time`` epoch seconds.

    §4.1: ``id`` (the position), ``uid`` (this operation), ``closingOrderID``, ``volume`` = the
    lots closed here, ``side`` = the position's side, ``netProfit`` = ``profit`` + commission
    + swap (costs negative, §8.11); ``closeReason`` [C1].
    """
    return {
        "id": position_id,
        "uid": uid,
        "closingOrderID": closing_id,
        "symbol": symbol,
        "volume": volume.quantize(CENT),
        "side": side,
        "openPrice": open_price,
        "closePrice": close_price,
        "profit": gross,
        "netProfit": gross + costs,
        "closeReason": reason or "CLOSE_REASON_CLIENT",
        "_open": open_time,
        "_time": close_time,
    }


def seed_operations(account_id: str, now: float) -> list[dict[str, Any]]:
    """The seeded closed history of an account: operations over the weeks before ``now``."""
    midnight = now - now % 86400
    found = []
    for index, row in enumerate(SEED_CLOSED.get(account_id, [])):
        days, hour, _held, symbol, side, volume, opened, closed, costs, reason, key = row
        volume, opened, closed, costs = (Decimal(v) for v in (volume, opened, closed, costs))
        first = next(r for r in SEED_CLOSED[account_id] if r[10] == key)  # the position's opening
        position_id = f"W{int(account_id):08d}{key:08d}"
        found.append(
            operation(
                position_id=position_id,
                uid=f"{position_id}_close{index}",
                closing_id=f"W{int(account_id):08d}{900 + index:08d}",
                symbol=symbol,
                side=side,
                volume=volume,
                open_time=midnight - first[0] * 86400 + (first[1] - first[2]) * 3600,
                close_time=midnight - days * 86400 + hour * 3600,
                open_price=opened,
                close_price=closed,
                gross=profit(symbol, side, volume, opened, closed),
                costs=costs,
                reason=f"CLOSE_REASON_{reason}" if reason else "",
            )
        )
    return found


def _render_time(epoch: float, style: str) -> str:
    """§4.1/§7: ISO with ``Z`` (S1, default), with ``+00:00`` (S2), or without a zone (S1 warns)."""
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return {"Z": base + "Z", "offset": base + "+00:00"}.get(style, base)


def closed_positions(
    operations: list[dict[str, Any]],
    body: Any,
    *,
    page_size: int | None = None,
    max_span: float | None = None,
    order: str = "asc",
    time_format: str = "Z",
) -> dict[str, Any]:
    """The ``POST closed-positions`` answer ``{"operations": [...]}`` (§4.1, §8.11).

    ``body`` is the request's JSON body, ``{"from", "to"}`` as ISO-8601 (§4.1; a missing bound
    is open, a guess); ``symbols`` (S4 [C1]) filters when non-empty. Operations closed in
    ``[from, to]`` (both inclusive: undocumented, a guess) sorted by close time then ``uid``,
    oldest first (``order="desc"``: newest first; the sheet gives no order), cut to
    ``page_size``. Unreadable bounds, ``from`` after ``to`` or a span over ``max_span`` →
    :class:`BadRequest`.
    """
    body = body if isinstance(body, dict) else {}
    start = parse_iso(body["from"]) if body.get("from") else None
    end = parse_iso(body["to"]) if body.get("to") else None
    if (body.get("from") and start is None) or (body.get("to") and end is None):
        raise BadRequest("from and to must be ISO-8601 date-times")
    if start is not None and end is not None and start > end:
        raise BadRequest("from is after to")
    if max_span is not None and (start is None or end is None or end - start > max_span):
        raise BadRequest(f"The date range may span at most {max_span:g} seconds")
    symbols = body.get("symbols") if isinstance(body.get("symbols"), list) else []
    chosen = sorted(
        (
            item
            for item in operations
            if (start is None or item["_time"] >= start)
            and (end is None or item["_time"] <= end)
            and (not symbols or item["symbol"] in symbols)
        ),
        key=lambda item: (item["_time"], item["uid"]),
        reverse=order == "desc",
    )
    if page_size is not None:
        chosen = chosen[:page_size]
    rendered = []
    for item in chosen:
        wire = {k: v for k, v in item.items() if not k.startswith("_")}
        wire["openTime"] = _render_time(item["_open"], time_format)
        wire["time"] = _render_time(item["_time"], time_format)
        rendered.append(wire)
    return {"operations": rendered}
