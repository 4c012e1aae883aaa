"""DXtrade emulator: order history, cash transfers and account events (§7.6).

A mixin of :class:`brokers.sandbox.dxtrade.DXtradeState`. Section numbers (§) refer to
``shared/reference/dxtrade-api.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .dxtrade_model import (
    Account,
    AccountEvent,
    Order,
    Transfer,
    bad_param,
    csv,
    etag_of,
    iso,
    parse_time,
)
from .wire import RecordedRequest, Response, json_response, loads_plain, to_decimal

DAY = 86400.0
PERIODS = ("today", "previous-day", "week", "previous-week")  # §7.1/§7.6 ``period``

# §7.1 filters on a value of the order: comma-separated values are OR-ed (§7.6).
_VALUE_FILTERS: dict[str, Callable[[Order], str]] = {
    "with-client-id": lambda o: o.client_code,
    "with-order-id": lambda o: str(o.order_id),
    "in-status": lambda o: o.status,
    "of-type": lambda o: o.type,  # the spec writes "market, limit, stop": case-insensitive
    "side": lambda o: o.side,
    "for-instrument": lambda o: o.instrument,
}
# §7.1 time filters (inclusive, UTC): parameter stem → the order's time.
_TIME_FILTERS: dict[str, Callable[[Order], float | None]] = {
    "issued": lambda o: o.issue_time,
    "completed": lambda o: o.final_time,
    "transaction": lambda o: o.transaction_time,
}


def _ms(epoch: float) -> int:
    return round(epoch * 1000)


def _period(name: str, now: float) -> tuple[float, float]:
    """§7.6 ``period``: calendar UTC days and Monday-based weeks (the spec counts business days
    and trading weeks; the sandbox simplifies, a choice)."""
    today = now - now % DAY
    monday = today - ((int(today // DAY) + 3) % 7) * DAY  # 1970-01-01 was a Thursday
    spans = {
        "today": (today, today + DAY - 0.001),
        "previous-day": (today - DAY, today - 0.001),
        "week": (monday, monday + 7 * DAY - 0.001),
        "previous-week": (monday - 7 * DAY, monday - 0.001),
    }
    if name not in spans:
        raise bad_param("period")
    return spans[name]


def _int_param(params: dict[str, str], name: str, minimum: int) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if not str(raw).isdigit() or int(raw) < minimum:
        raise bad_param(name)
    return int(raw)


def _window(params: dict[str, str], start: str, end: str) -> tuple[int | None, int | None]:
    low = params.get(start)
    high = params.get(end)
    return (
        _ms(parse_time(low, start)) if low else None,
        _ms(parse_time(high, end)) if high else None,
    )


def _inside(value: float | None, window: tuple[int | None, int | None]) -> bool:
    low, high = window
    if low is None and high is None:
        return True
    if value is None:
        return False
    ms = _ms(value)
    return (low is None or ms >= low) and (high is None or ms <= high)


class HistoryMixin:
    """Order history, transfers and events for :class:`DXtradeState`."""

    # ------------------------------------------------------------------ order history

    @staticmethod
    def _params(req: RecordedRequest) -> dict[str, str]:
        """Query parameters; a POST may carry them as a JSON object too (S1; §7.6 [?])."""
        params = dict(req.query)
        body = loads_plain(req.body) if req.method == "POST" else None
        if isinstance(body, dict):
            for key, value in body.items():
                text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
                params[str(key)] = text
        return params

    def _history_answer(self, req: RecordedRequest, accounts: list[Account]) -> Response:
        """§7.6 Historic Order List: every order of the accounts (open ones too, a choice),
        filtered (§7.1), newest first, ``page``/``page-size`` then ``limit``, capped at
        ``history_page_size`` with ``nextPageTransactionTime`` = the first order left out."""
        params = self._params(req)
        orders = [o for a in accounts for o in a.orders]
        for name, value_of in _VALUE_FILTERS.items():
            wanted = {v.upper() for v in csv(params.get(name))}
            if wanted:
                orders = [o for o in orders if value_of(o).upper() in wanted]
        for stem, time_of in _TIME_FILTERS.items():
            window = _window(params, f"{stem}-from", f"{stem}-to")
            orders = [o for o in orders if _inside(time_of(o), window)]
        if params.get("period"):
            low, high = _period(params["period"], time.time())
            orders = [o for o in orders if _inside(o.transaction_time, (_ms(low), _ms(high)))]
        least = _int_param(params, "at-least-version", 0)
        most = _int_param(params, "at-most-version", 0)
        orders = [
            o
            for o in orders
            if (least is None or o.version >= least) and (most is None or o.version <= most)
        ]
        orders.sort(key=lambda o: (o.transaction_time, o.order_id), reverse=True)
        page, size = _int_param(params, "page", 1), _int_param(params, "page-size", 1)
        if page is not None or size is not None:  # §7.6 virtual pages (from 1)
            size = size or self.history_page_size
            orders = orders[((page or 1) - 1) * size :][:size]
        limit = _int_param(params, "limit", 0)
        if limit is not None:
            orders = orders[:limit]
        shown, left = orders[: self.history_page_size], orders[self.history_page_size :]
        if self.history_oldest_first:  # the direction is [C1] (S4): the other as a setting
            shown.reverse()
        payload: dict[str, Any] = {"orders": [self._order_json(o, history=True) for o in shown]}
        if left:  # §7.6: the transactionTime of the first order left out
            payload["nextPageTransactionTime"] = iso(left[0].transaction_time)
        elif self.history_last_page != "absent":  # §11: "", null or absent = last page
            payload["nextPageTransactionTime"] = None if self.history_last_page == "null" else ""
        return json_response(200, payload)

    def _history_one(self, req: RecordedRequest, user: str, code: str) -> Response:
        return self._history_answer(req, [self._account(user, code)])

    def _history_multi(self, req: RecordedRequest, user: str) -> Response:
        return self._history_answer(req, self._accounts_param(req, user))

    # ------------------------------------------------------------------ cash transfers

    def _transfer_json(self, account: Account, transfer: Transfer, kinds: set[str]) -> Any:
        cash = [c for c in transfer.cash if not kinds or c.type in kinds]
        if not cash:
            return None
        item: dict[str, Any] = {"account": account.code, "version": transfer.version}
        if transfer.code is not None:  # §7.6: absent when the transfer comes from a trade
            item["transferCode"] = transfer.code
        if transfer.comment is not None:
            item["comment"] = transfer.comment
        item["transactionTime"] = iso(transfer.time)
        item["cashTransactions"] = [self._cash_json(c) for c in cash]
        return item

    def _transfers_answer(self, req: RecordedRequest, accounts: list[Account]) -> Response:
        """§7.6 ``{"cashTransfers": [...]}`` oldest first (a choice): ``of-type``,
        ``time-from``/``time-to``, ``period``, ``start-from`` (offset from 0), ``limit``."""
        params = self._params(req)
        kinds = {k.upper() for k in csv(params.get("of-type"))}
        window = _window(params, "time-from", "time-to")
        if params.get("period"):
            low, high = _period(params["period"], time.time())
            window = (_ms(low), _ms(high))
        items = []
        pairs = sorted(((a, t) for a in accounts for t in a.transfers), key=lambda p: p[1].time)
        for account, transfer in pairs:
            item = self._transfer_json(account, transfer, kinds)
            if item is not None and _inside(transfer.time, window):
                items.append(item)
        return json_response(200, {"cashTransfers": self._slice(params, items)})

    def _slice(self, params: dict[str, str], items: list[Any]) -> list[Any]:
        """``start-from`` (offset) and ``limit`` (the server maximum ``list_max`` applies)."""
        start = _int_param(params, "start-from", 0) or 0
        limit = _int_param(params, "limit", 0)
        limit = self.list_max if limit is None else min(limit, self.list_max)
        return items[start : start + limit]

    def _transfers_one(self, req: RecordedRequest, user: str, code: str) -> Response:
        return self._transfers_answer(req, [self._account(user, code)])

    def _transfers_multi(self, req: RecordedRequest, user: str) -> Response:
        return self._transfers_answer(req, self._accounts_param(req, user))

    # ------------------------------------------------------------------ account events

    def _events_answer(self, req: RecordedRequest, accounts: list[Account]) -> Response:
        """§7.6 ``{"accountEvents": [...]}`` with an ETag; no timestamps in the items. Time
        window ``from-time``/``to-time`` (S2) or ``time-from``/``time-to`` (S1): both unless
        ``events_time_spelling`` names one (the other → 400/32)."""
        params = self._params(req)
        spellings = {"from-time": ("from-time", "to-time"), "time-from": ("time-from", "time-to")}
        window: tuple[int | None, int | None] = (None, None)
        for name, (start, end) in spellings.items():
            if params.get(start) or params.get(end):
                if self.events_time_spelling not in ("both", name):
                    raise bad_param(start)
                window = _window(params, start, end)
        if params.get("period"):
            low, high = _period(params["period"], time.time())
            window = (_ms(low), _ms(high))
        kinds = {k.upper() for k in csv(params.get("of-type"))}
        pairs = [(a, e) for a in accounts for e in sorted(a.events, key=lambda e: e.time)]
        items = [
            {
                "account": account.code,
                "eventType": event.type,
                "riskLevelThreshold": event.threshold,
                "actualRiskLevel": event.actual,
            }
            for account, event in pairs
            if (not kinds or event.type in kinds) and _inside(event.time, window)
        ]
        payload = {"accountEvents": self._slice(params, items)}
        etag = etag_of([f"events/{a.code}/{len(a.events)}" for a in accounts])
        return self._conditional(req, etag, payload)

    def _events_one(self, req: RecordedRequest, user: str, code: str) -> Response:
        return self._events_answer(req, [self._account(user, code)])

    def _events_multi(self, req: RecordedRequest, user: str) -> Response:
        return self._events_answer(req, self._accounts_param(req, user))

    def add_account_event(self, account: str, event_type: str, threshold: Any, actual: Any) -> None:
        """Record a ``MARGIN_CALL`` or ``LIQUIDATION`` event for ``account`` (now)."""
        with self.lock:
            self._accounts[account].events.append(
                AccountEvent(event_type, to_decimal(threshold), to_decimal(actual), self._now())
            )
