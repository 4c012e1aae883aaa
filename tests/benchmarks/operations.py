"""Section 7: requests per trading operation on a warm (logged-in) client, every platform
(issue 12: "history of N pages = N requests, no more").

Each platform's client logs in to a flat seed account first; then every operation runs once
and the sandbox counts its requests. The target of each row is the fewest requests the
platform's API allows for that operation with the library's guarantees (a write sent once and
reconcilable, a bad level refused before sending); :data:`WHY` says why, row by row, and the
printed notes repeat it. History spans several pages: the sandbox's page sizes are lowered
through its settings route before the run and restored (``/_sandbox/reset``) after it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import brokers
from brokers.sandbox import (
    DX_DOMAIN,
    DX_PASSWORD,
    MT_BROKER_ID,
    MT_PASSWORD,
    PX_API_KEY,
    TL_PASSWORD,
    TL_SERVER,
)

from .clients import Counts, Meter, unpaced
from .report import Section
from .sandbox_process import SandboxProcess

DX_PAGE = 4  # DXtrade orders per history answer (sandbox default 50)
MT_PAGE = 5  # Match-Trader closed operations per answer (no cap by default)
TL_CAP = 2  # TradeLocker MAX_ORDERS_COUNT_IN_HISTORY (10,000 on real servers)
HISTORY_DAYS = 90

Target = Callable[[list[Any]], int]


@dataclass(frozen=True)
class Platform:
    """One platform's client, instruments and prices for the run of operations."""

    name: str
    make: Callable[[SandboxProcess], brokers.BrokerClient]
    historian: Callable[[SandboxProcess], brokers.BrokerClient]
    symbol: str
    other: str
    quantity: Any
    stop: Decimal
    moved_stop: Decimal
    target: Decimal
    limit: Decimal
    moved_limit: Decimal
    settings: dict[str, Any] = field(default_factory=dict)


def _dx(sb: SandboxProcess, user: str) -> brokers.BrokerClient:
    return brokers.DXTrade(sb.dxtrade_url, user, DX_PASSWORD, DX_DOMAIN)


def _mt(sb: SandboxProcess, email: str) -> brokers.BrokerClient:
    return brokers.MatchTrade(
        sb.url, email, MT_PASSWORD, MT_BROKER_ID, history_page_size=MT_PAGE, throttle=unpaced()
    )


def _tl(sb: SandboxProcess) -> brokers.BrokerClient:
    # Its throttle would follow /trade/config (history 1 request a second): counts only here.
    return brokers.TradeLocker(
        sb.url, "solo@example.com", TL_PASSWORD, TL_SERVER["demo"], throttle=unpaced()
    )


def _px(sb: SandboxProcess) -> brokers.BrokerClient:
    return brokers.ProjectX(sb.url, "solo@example.com", PX_API_KEY)


PLATFORMS = (
    Platform(
        "DXtrade",
        lambda sb: _dx(sb, "1210003"),
        lambda sb: _dx(sb, "1210001"),  # five closed trades in its history
        "EUR/USD",
        "GBP/USD",
        10_000,
        *map(Decimal, ("1.07", "1.075", "1.10", "1.05", "1.06")),
        settings={"dxtrade": {"history_page_size": DX_PAGE}},
    ),
    Platform(
        "Match-Trader",
        lambda sb: _mt(sb, "solo@example.com"),
        lambda sb: _mt(sb, "trader@example.com"),  # 700001: twelve closed operations
        "EURUSD.",
        "GBPUSD.",
        "0.1",
        *map(Decimal, ("1.07", "1.075", "1.10", "1.05", "1.06")),
        settings={"matchtrade": {"closed_page_size": MT_PAGE}},
    ),
    Platform(
        "TradeLocker",
        _tl,
        _tl,  # the orders this run placed and closed are its history
        "EURUSD",
        "GBPUSD",
        "0.1",
        *map(Decimal, ("1.07", "1.075", "1.10", "1.05", "1.06")),
    ),
    Platform(
        "ProjectX",
        _px,
        _px,
        "CON.F.US.MNQ.H25",
        "CON.F.US.MES.H25",
        1,
        *map(Decimal, ("21500", "21550", "21700", "21000", "21100")),
    ),
)

# Why each target is the fewest requests: (platform or "*", operation) -> (target, why).
WHY: dict[tuple[str, str], tuple[int, str]] = {
    ("*", "place market, next order"): (1, "the order POST"),
    ("DXtrade", "place market, first order of a symbol"): (
        2,
        "the symbol's size limits (Instrument Details, read once per symbol) + the POST",
    ),
    ("Match-Trader", "place market, first order of a symbol"): (
        2,
        "no client order id: the open positions before the POST let reconcile() tell the new one",
    ),
    ("Match-Trader", "place market, next order"): (2, "the same: snapshot + POST, every order"),
    ("TradeLocker", "place market, first order of a symbol"): (
        2,
        "the account's instruments (symbol -> tradableInstrumentId, TRADE route; once) + POST",
    ),
    ("ProjectX", "place market, first order of a symbol"): (
        1,
        "the POST (contract ids are symbols)",
    ),
    ("*", "place market with stop loss + take profit"): (
        1,
        "one POST (DXtrade: an IF-THEN group; the others take both levels with the order)",
    ),
    ("Match-Trader", "place market with stop loss + take profit"): (2, "snapshot + POST"),
    ("ProjectX", "place market with stop loss + take profit"): (
        3,
        "brackets are ticks from the price: the contract's tick size (once per symbol) and "
        "the last bar's price, then the POST",
    ),
    ("*", "set_protection (move the stop loss)"): (1, "the position edit"),
    ("DXtrade", "set_protection (move the stop loss)"): (
        3,
        "a quote (the level's side is checked before sending), the open orders (the "
        "protective orders and their ETag), the PUT",
    ),
    ("ProjectX", "set_protection (move the stop loss)"): (
        2,
        "the open orders (positions do not name their bracket legs), then the modify",
    ),
    ("*", "close (the Position)"): (1, "the close request"),
    ("ProjectX", "close (the Position)"): (
        4,
        "the open orders, the close, and a cancel per bracket leg (closing leaves them "
        "working, sheet §7): 2 legs here",
    ),
    ("*", "place limit"): (1, "the order POST"),
    ("Match-Trader", "place limit"): (2, "the open orders before the POST (reconcile), + POST"),
    ("*", "modify_order (price)"): (1, "the edit"),
    ("DXtrade", "modify_order (price)"): (
        2,
        "a fresh GET of the open orders (complete order + If-Match ETag), then the PUT",
    ),
    ("*", "cancel_order"): (1, "the cancel"),
    ("DXtrade", "cancel_order"): (2, "the open orders (ETag for If-Match, group members) + DELETE"),
    ("*", "quotes of 2 symbols"): (1, "one request names both symbols"),
    ("TradeLocker", "quotes of 2 symbols"): (2, "one instrument per /trade/quotes request"),
    ("*", "candles 1h, last 50"): (1, "50 bars fit in one answer"),
}


def why(platform: str, operation: str) -> tuple[int, str]:
    return WHY.get((platform, operation)) or WHY[("*", operation)]


def pages_with_cursor(records: int, page: int) -> int:
    """Answers for ``records`` when each answer says where the next starts (DXtrade's
    ``nextPageTransactionTime``: the first order left out, so nothing repeats)."""
    return max(1, math.ceil(records / page))


def pages_by_time(records: int, page: int) -> int:
    """Answers for ``records`` with a silent cap of ``page`` and inclusive time bounds
    (Match-Trader): the next ask starts at the last close time, so its first operation
    repeats; the run ends on the first answer that is not full."""
    if records < page:
        return 1
    return (records - page) // (page - 1) + 2


Judge = Callable[[Any], tuple[str, int, str]]  # result -> (label, target, why)


@dataclass
class Run:
    """Counts one platform's operations into the section."""

    section: Section
    sb: SandboxProcess
    platform: Platform
    figures: dict[str, Any] = field(default_factory=dict)
    meter: Meter | None = None

    def start(self) -> None:
        """Count from here: connections opened after this are new to the next operation."""
        self.meter = Meter(self.sb)

    def measure(self, operation: str, call: Callable[[], Any], judge: Judge | None = None) -> Any:
        """Run ``call`` and add its row; ``judge`` gives the label and target from the result
        (default: :data:`WHY` for ``operation``)."""
        assert self.meter is not None, "start() the run before the client logs in"
        self.meter.mark()
        result = call()
        counts = self.meter.mark()
        if judge is None:
            label, (target, why_) = operation, why(self.platform.name, operation)
        else:
            label, target, why_ = judge(result)
        self.add(label, counts, target, why_)
        return result

    def add(self, operation: str, counts: Counts, target: int, why_: str) -> None:
        met = counts.requests <= target and counts.connections == 0
        label = f"{self.platform.name} {operation}"
        self.section.add(label, counts.text(), f"<= {target} req, 0 new", met)
        self.figures[operation] = {**counts.to_dict(), "target": target, "why": why_}


def _since() -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=HISTORY_DAYS)


def trading(run: Run, client: brokers.BrokerClient) -> None:
    """Place, protect, close, place a limit, modify and cancel it, quotes and candles."""
    p = run.platform
    run.measure(
        "place market, first order of a symbol",
        lambda: client.place_order(p.symbol, "BUY", p.quantity),
    )
    run.measure("place market, next order", lambda: client.place_order(p.symbol, "BUY", p.quantity))
    before = {x.id for x in client.positions()}
    run.measure(
        "place market with stop loss + take profit",
        lambda: client.place_order(
            p.symbol, "BUY", p.quantity, stop_loss=p.stop, take_profit=p.target
        ),
    )
    now = client.positions()  # ProjectX nets per contract: then the position is the same one
    position = next((x for x in now if x.id not in before), None) or next(
        x for x in now if x.symbol == p.symbol
    )
    run.measure(
        "set_protection (move the stop loss)",
        lambda: client.set_protection(position, stop_loss=p.moved_stop),
    )
    run.measure("close (the Position)", lambda: client.close_position(position))
    limit = run.measure(
        "place limit", lambda: client.place_order(p.symbol, "BUY", p.quantity, "LIMIT", p.limit)
    )
    order = next(o for o in client.orders() if o.id == limit.order_id)
    run.measure("modify_order (price)", lambda: client.modify_order(order, price=p.moved_limit))
    order = next(o for o in client.orders() if o.id == limit.order_id)
    run.measure("cancel_order", lambda: client.cancel_order(order))
    if client.capabilities.get("quotes") is not False:
        run.measure("quotes of 2 symbols", lambda: client.quotes([p.symbol, p.other]))
    else:
        run.section.add(f"{p.name} quotes of 2 symbols", "not offered by the API")
    run.measure("candles 1h, last 50", lambda: client.candles(p.symbol, "1h", count=50))


def history(run: Run, sb: SandboxProcess) -> None:
    """History over several pages: N answers = N requests, and nothing else."""
    p = run.platform
    run.start()
    with p.historian(sb) as client:
        client.get_balance()
        client.instruments()  # symbols are resolved once per session: not counted here
        if p.name == "TradeLocker":
            _tradelocker_history(run, sb, client)
        else:
            run.measure("history", lambda: client.history(since=_since()), _history_judge(p.name))


def _history_judge(name: str) -> Judge:
    def judge(trades: list[Any]) -> tuple[str, int, str]:
        label = f"history, {len(trades)} trade(s)"
        if name == "DXtrade":
            orders = 2 * len(trades)
            return (
                label,
                pages_with_cursor(orders, DX_PAGE),
                (
                    f"{orders} completed orders (an OPEN and a CLOSE per trade) in answers of "
                    f"{DX_PAGE}, each naming where the next starts"
                ),
            )
        if name == "Match-Trader":
            return (
                label,
                pages_by_time(len(trades), MT_PAGE),
                (
                    f"{len(trades)} operations in answers of at most {MT_PAGE}: each next range "
                    "starts at the last close time (inclusive), so one operation repeats"
                ),
            )
        return label, 1, "Trade/search has no paging: one answer"

    return judge


def _tradelocker_history(run: Run, sb: SandboxProcess, client: brokers.BrokerClient) -> None:
    """Under the server's cap one request; with the cap lowered, however the client splits."""
    since = _since()
    run.measure(
        "history",
        lambda: client.history(since=since),
        lambda trades: (
            f"history, {len(trades)} trade(s), under the cap",
            1,
            "one /ordersHistory answer while under MAX_ORDERS_COUNT_IN_HISTORY",
        ),
    )
    rows = len(client.order_history(since=since))
    limits = {"QUOTES_HISTORY_BARS": 50_000, "MAX_ORDERS_COUNT_IN_HISTORY": TL_CAP}
    sb.settings("tradelocker", limits=limits)
    run.start()
    with _tl(sb) as capped:
        capped.get_balance()
        capped.instruments()
        run.measure(
            "history, capped",
            lambda: capped.history(since=since),
            lambda _: (
                f"history, {rows} orders, server cap {TL_CAP} per answer",
                2 * math.ceil(rows / TL_CAP) + 1,
                "no cursor: after a capped answer its rows' time span leaves at most two "
                "ranges to ask (before and after it); orders placed milliseconds apart",
            ),
        )


def requests_per_trading_operation(sb: SandboxProcess) -> Section:
    """Section 7."""
    section = Section(
        "trading_requests", "7. Requests per trading operation (warm client, every platform)"
    )
    sb.reset()
    try:
        for platform in PLATFORMS:
            for state, values in platform.settings.items():
                sb.settings(state, **values)
            run = Run(section, sb, platform)
            run.start()
            with platform.make(sb) as client:
                client.get_balance()  # log in: only the operations are counted
                trading(run, client)
            history(run, sb)
            section.data[platform.name] = run.figures
    finally:
        sb.reset()
    section.notes += [
        "warm = the client has logged in (get_balance()) before; 'new' = new TCP connections",
        "target = the fewest requests the platform's API allows with the library's "
        "guarantees; why, per row, in results.json (sections.trading_requests.data)",
        f"history pages: DXtrade history_page_size={DX_PAGE}, Match-Trader closed_page_size="
        f"{MT_PAGE} (client history_page_size={MT_PAGE}), TradeLocker "
        f"MAX_ORDERS_COUNT_IN_HISTORY={TL_CAP} in the capped row; ProjectX has no paging",
        "the sandbox is reset before and after (its seed data and default settings); "
        "Match-Trader and TradeLocker clients use a throttle that never waits (counts only)",
    ]
    return section
