"""TradeLocker emulator: place, modify, cancel and close (``tradelocker-api.md`` §10, §11).

Business rejections answer HTTP 200 ``{"s": "error", "errmsg": ...}`` (§10.1, §17.9); a body
that is not an order at all answers 400. There is no idempotency key and a repeated
``strategyId`` is accepted (§11, §17.9). Protective stop-loss / take-profit orders are separate
working orders whose ids the position row carries (``stopLossId`` / ``takeProfitId``, §7).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from .tradelocker_model import (
    ZERO,
    Account,
    Order,
    Position,
    TLError,
    instrument,
    rejected,
)
from .tradelocker_seed import TL_INSTRUMENTS, TL_LEVERAGE
from .wire import RecordedRequest, Response, loads_exact, to_decimal

STRATEGY_ID_MAX = 31  # §10.1
SL_TYPES = ("absolute", "offset", "trailingOffset")
TP_TYPES = ("absolute", "offset")
ATTRS = {"stopLoss": "stop_loss", "takeProfit": "take_profit"}


def _body(req: RecordedRequest, required: bool = True) -> dict[str, Any]:
    if not req.body.strip():
        if required:
            raise TLError(400, "Request body is required")
        return {}
    try:
        body = loads_exact(req.body)
    except ValueError:
        raise TLError(400, "Malformed JSON body") from None
    if not isinstance(body, dict):
        raise TLError(400, "Request body must be a JSON object")
    return body


def _int(value: Any, name: str) -> int:
    text = str(value).strip() if value is not None and not isinstance(value, bool) else ""
    if not text.isdigit():
        raise TLError(400, f"{name} must be a number")
    return int(text)


def _decimal(value: Any, name: str) -> Decimal:
    number = to_decimal(value)
    if number is None:
        raise TLError(400, f"{name} must be a number")
    return number


class TradingMixin:
    """The write routes of :class:`~brokers.sandbox.tradelocker.TradeLockerState`."""

    reject_orders: str | None
    fill_delay: float

    def _new_id(self) -> int:
        raise NotImplementedError

    def _ok(self, data: Any = None) -> Response:
        raise NotImplementedError

    @staticmethod
    def _now_ms() -> int:
        return int(time.time() * 1000)

    # ------------------------------------------------------------------ checks

    @staticmethod
    def _qty(value: Any, tid: int, name: str = "qty") -> Decimal:
        qty = _decimal(value, name)
        seed = instrument(tid)
        if qty < seed.min_lot:
            raise rejected(f"Quantity {qty} is below the minimum lot {seed.min_lot}")
        if qty > seed.max_lot:
            raise rejected(f"Quantity {qty} is above the maximum lot {seed.max_lot}")
        if qty % seed.lot_step:
            raise rejected(f"Quantity {qty} is not a multiple of the lot step {seed.lot_step}")
        return qty

    @staticmethod
    def _price(value: Any, tid: int, name: str) -> Decimal:
        price = _decimal(value, name)
        if price <= 0:
            raise rejected(f"{name} must be positive")
        if price % instrument(tid).tick:
            raise rejected(f"{name} {price} is not a multiple of the tick size")
        return price

    def _protection(self, body: dict[str, Any]) -> dict[str, Any]:
        """``stop_loss``/``take_profit`` (+ ``_type``) from the body's ``stopLoss``/``takeProfit``
        and their types; a value without its type is refused (§10.1). Null or 0: absent."""
        found: dict[str, Any] = {}
        for key, types in (("stopLoss", SL_TYPES), ("takeProfit", TP_TYPES)):
            value, kind = body.get(key), body.get(key + "Type")
            if value in (None, 0, "0", ""):
                continue
            if kind not in types:
                raise rejected(f"{key}Type must be one of {', '.join(types)}")
            price = _decimal(value, key)
            if price <= 0:
                raise rejected(f"{key} must be positive")
            attr = ATTRS[key]
            found[attr], found[attr + "_type"] = price, kind
        return found

    @staticmethod
    def _absolute(order_side: str, fill: Decimal, key: str, value: Decimal, kind: str) -> Decimal:
        """An offset (in price units) turned into the price it means for this fill."""
        if kind == "absolute":
            return value
        below = (key == "stopLoss") == (order_side == "buy")
        return fill - value if below else fill + value

    # ------------------------------------------------------------------ place

    def _place(self, req: RecordedRequest, account: Account, _params: dict[str, str]) -> Response:
        body = _body(req)
        missing = [
            k
            for k in ("qty", "routeId", "side", "validity", "type", "tradableInstrumentId")
            if body.get(k) in (None, "")
        ]
        if missing:
            raise TLError(400, f"Missing required fields: {', '.join(missing)}")
        tid = _int(body["tradableInstrumentId"], "tradableInstrumentId")
        if tid not in TL_INSTRUMENTS:
            raise rejected(f"Unknown instrument {tid}")
        if self.reject_orders:
            raise rejected(self.reject_orders)
        route = _int(body["routeId"], "routeId")
        if route != instrument(tid).trade_route:
            raise rejected(f"Route {route} is not a TRADE route of instrument {tid}")
        side, kind = str(body["side"]), str(body["type"])
        if side not in ("buy", "sell"):
            raise rejected("side must be buy or sell")
        if kind not in ("market", "limit", "stop"):
            raise rejected("type must be market, limit or stop")
        validity = str(body["validity"])
        if validity != ("IOC" if kind == "market" else "GTC"):  # §10.1
            raise rejected(f"TimeInForce {validity} is not allowed for {kind} orders")
        strategy = body.get("strategyId")
        if strategy is not None and (
            not isinstance(strategy, str) or len(strategy) > STRATEGY_ID_MAX
        ):
            raise rejected(f"strategyId must be text of at most {STRATEGY_ID_MAX} characters")
        now = self._now_ms()
        order = Order(
            id=self._new_id(),
            tid=tid,
            side=side,
            qty=self._qty(body["qty"], tid),
            type=kind,
            validity=validity,
            created_ms=now,
            strategy_id=strategy or None,
            **self._protection(body),
        )
        if kind == "limit":
            order.price = self._price(body.get("price"), tid, "price")
        elif kind == "stop":
            order.stop_price = self._price(body.get("stopPrice"), tid, "stopPrice")
        else:
            self._check_margin(account, order)
            if self.fill_delay > 0:
                order.fill_at = time.monotonic() + self.fill_delay
        account.orders[order.id] = order
        if kind == "market" and order.fill_at is None:
            self._fill(account, order)
        return self._ok({"orderId": str(order.id)})

    @staticmethod
    def _check_margin(account: Account, order: Order) -> None:
        seed = instrument(order.tid)
        price = seed.ask if order.side == "buy" else seed.bid
        need = order.qty * seed.lot_size * price / TL_LEVERAGE
        used = sum((p.margin for p in account.positions.values()), ZERO)
        equity = account.balance + sum((p.pnl() for p in account.positions.values()), ZERO)
        if need > equity - used:
            raise rejected("Not enough money")

    def _process_fills(self, account: Account) -> None:
        """Fill the delayed market orders whose time has come (§17.9 fill delay)."""
        now = time.monotonic()
        for order in list(account.orders.values()):
            if order.fill_at is not None and order.fill_at <= now:
                self._fill(account, order)

    def _fill(self, account: Account, order: Order) -> None:
        """Execute a market order: a new position (positionId ≠ orderId, §8), or a close."""
        seed = instrument(order.tid)
        price = seed.ask if order.side == "buy" else seed.bid
        now = self._now_ms()
        account.orders.pop(order.id, None)
        order.status, order.filled_qty, order.avg_price = "Filled", order.qty, price
        order.modified_ms, order.fill_at = now, None
        if order.position_id is None:
            position = Position(
                id=self._new_id(),
                tid=order.tid,
                side=order.side,
                qty=order.qty,
                avg_price=price,
                open_ms=now,
                strategy_id=order.strategy_id,
            )
            account.positions[position.id] = position
            order.position_id = position.id
            for key, attr in ATTRS.items():
                value = getattr(order, attr)
                if value is not None:
                    kind = getattr(order, attr + "_type")
                    target = self._absolute(order.side, price, key, value, kind)
                    self._protect(account, position, key, target)
        account.history.append(order)
        account.executions.append(
            {
                "id": self._new_id(),
                "price": price,
                "side": order.side,
                "createdDate": now,
                "qty": order.qty,
                "orderId": order.id,
                "positionId": order.position_id,
                "tradableInstrumentId": order.tid,
            }
        )
        account.today_volume += order.qty
        account.today_trades += 1

    # ------------------------------------------------------------------ protection orders

    def _protect(self, account: Account, position: Position, key: str, price: Decimal) -> None:
        """Attach (or move) the protective order of ``key`` to ``position``."""
        attr = "stop_loss_id" if key == "stopLoss" else "take_profit_id"
        existing = account.orders.get(getattr(position, attr) or 0)
        if existing is not None:
            if key == "stopLoss":
                existing.stop_price = price
            else:
                existing.price = price
            existing.modified_ms = self._now_ms()
            return
        order = Order(
            id=self._new_id(),
            tid=position.tid,
            side="sell" if position.side == "buy" else "buy",
            qty=position.qty,
            type="stop" if key == "stopLoss" else "limit",
            validity="GTC",
            created_ms=self._now_ms(),
            is_open=False,
            position_id=position.id,
            strategy_id=position.strategy_id,
        )
        if key == "stopLoss":
            order.stop_price = price
        else:
            order.price = price
        account.orders[order.id] = order
        setattr(position, attr, order.id)

    def _unprotect(self, account: Account, position: Position, key: str) -> None:
        attr = "stop_loss_id" if key == "stopLoss" else "take_profit_id"
        order = account.orders.get(getattr(position, attr) or 0)
        if order is not None:
            self._finish(account, order, "Cancelled")
        setattr(position, attr, None)

    def _finish(self, account: Account, order: Order, status: str) -> None:
        account.orders.pop(order.id, None)
        order.status, order.modified_ms = status, self._now_ms()
        account.history.append(order)

    # ------------------------------------------------------------------ modify / cancel

    def _find_order(self, account: Account, order_id: str) -> Order:
        """A working order of this account; a final one is a 200 rejection (§10.2)."""
        key = int(order_id) if order_id.isdigit() else -1
        order = account.orders.get(key)
        if order is not None:
            return order
        if any(o.id == key for o in account.history):
            raise rejected(f"Order {order_id} is already final")
        raise TLError(404, f"Order {order_id} not found")

    def _modify_order(
        self, req: RecordedRequest, account: Account, params: dict[str, str]
    ) -> Response:
        order = self._find_order(account, params["id"])
        body = _body(req)
        if "qty" in body:
            order.qty = self._qty(body["qty"], order.tid)
        if "price" in body and order.type == "limit":
            order.price = self._price(body["price"], order.tid, "price")
        if "stopPrice" in body and order.type == "stop":
            order.stop_price = self._price(body["stopPrice"], order.tid, "stopPrice")
        if "validity" in body and body["validity"] != order.validity:
            raise rejected(f"TimeInForce {body['validity']} is not allowed for this order")
        if "expireDate" in body:
            order.expire_ms = None if body["expireDate"] is None else _int(body["expireDate"], "e")
        protection = self._protection(body)
        for key, attr in ATTRS.items():
            if key in body:
                setattr(order, attr, protection.get(attr))
                setattr(order, attr + "_type", protection.get(attr + "_type"))
        order.modified_ms = self._now_ms()
        return self._ok()

    def _cancel_order(
        self, _req: RecordedRequest, account: Account, params: dict[str, str]
    ) -> Response:
        order = self._find_order(account, params["id"])
        self._finish(account, order, "Cancelled")
        for position in account.positions.values():  # a cancelled protective order detaches
            if position.stop_loss_id == order.id:
                position.stop_loss_id = None
            if position.take_profit_id == order.id:
                position.take_profit_id = None
        return self._ok()

    def _cancel_all(
        self, req: RecordedRequest, account: Account, _params: dict[str, str]
    ) -> Response:
        tid = req.query.get("tradableInstrumentId")
        for order in list(account.orders.values()):
            if order.is_open and (not tid or str(order.tid) == tid):
                self._finish(account, order, "Cancelled")
        return self._ok()

    # ------------------------------------------------------------------ positions

    def _find_position(self, account: Account, position_id: str) -> Position:
        key = int(position_id) if position_id.isdigit() else -1
        position = account.positions.get(key)
        if position is None:
            raise TLError(404, f"Position {position_id} not found")
        return position

    def _modify_position(
        self, req: RecordedRequest, account: Account, params: dict[str, str]
    ) -> Response:
        position = self._find_position(account, params["id"])
        body = _body(req)
        protection = self._protection(body)
        for key, attr in ATTRS.items():
            if key not in body:
                continue
            if attr in protection:
                value, kind = protection[attr], protection[attr + "_type"]
                price = self._absolute(position.side, position.avg_price, key, value, kind)
                self._protect(account, position, key, price)
            else:  # null / 0: remove the protection
                self._unprotect(account, position, key)
        return self._ok()

    def _close_position(
        self, req: RecordedRequest, account: Account, params: dict[str, str]
    ) -> Response:
        position = self._find_position(account, params["id"])
        qty = _body(req, required=False).get("qty")  # §10.2: "0" or absent = close fully
        amount = position.qty if qty in (None, "", 0) or to_decimal(qty) == 0 else None
        if amount is None:
            amount = self._qty(qty, position.tid)
            if amount > position.qty:
                raise rejected(f"Quantity {amount} exceeds the position's {position.qty}")
        self._close(account, position, amount)
        return self._ok()

    def _close(self, account: Account, position: Position, qty: Decimal) -> None:
        order = Order(
            id=self._new_id(),
            tid=position.tid,
            side="sell" if position.side == "buy" else "buy",
            qty=qty,
            type="market",
            validity="IOC",
            created_ms=self._now_ms(),
            is_open=False,
            position_id=position.id,
            strategy_id=position.strategy_id,
        )
        realised = position.pnl(qty)
        account.balance += realised
        account.today_net += realised
        self._fill(account, order)
        if qty >= position.qty:
            for key in ("stopLoss", "takeProfit"):
                self._unprotect(account, position, key)
            del account.positions[position.id]
            return
        position.qty -= qty
        for order_id in (position.stop_loss_id, position.take_profit_id):
            if order_id in account.orders:
                account.orders[order_id].qty = position.qty

    def _close_all(
        self, req: RecordedRequest, account: Account, _params: dict[str, str]
    ) -> Response:
        tid = req.query.get("tradableInstrumentId")
        for position in list(account.positions.values()):
            if not tid or str(position.tid) == tid:
                self._close(account, position, position.qty)
        return self._ok()
