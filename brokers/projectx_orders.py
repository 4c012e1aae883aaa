"""ProjectX orders: place, close, cancel, modify, protection and reconcile.

The trading half of :class:`~brokers.ProjectX` (sheet §6, §7): a mixin that uses the
client's ``_write``, ``_read``, ``_resolve``, ``_contract``, ``_last_price`` and
``_search_orders``. Writes are sent once, tagged (placements) with a unique ``customTag``;
closing a position also cancels the protective orders the platform leaves working.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from . import orders as checks
from .base import replace_error
from .exceptions import (
    BrokerError,
    ConfigurationError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    ResponseError,
)
from .models import Order, OrderResult, Position
from .parsing import mapping, text
from .projectx_wire import (
    ORDER_TYPE_CODES,
    PROTECTIVE_TYPES,
    SIDE_CODES,
    WORKING,
    WRITES,
    parse_order,
    wire_time,
)

API = "/api/"
_CLOSES = ("Position/closeContract", "Position/partialCloseContract")


def contracts(value: Any, name: str = "quantity") -> int:
    """A quantity in whole contracts (sheet §6.3: ``size`` is an integer)."""
    number = checks.amount(value, name)
    assert number is not None  # required
    if number != number.to_integral_value():
        raise ConfigurationError(f"{name} {value!r} is not a whole number of contracts")
    return int(number)


def on_grid(price: Decimal, tick: Decimal | None, name: str) -> Decimal:
    """``price`` if it is a multiple of the contract's tick size, else ConfigurationError."""
    if tick is None or tick <= 0:
        raise ResponseError("the contract has no usable tickSize")
    if price % tick:
        step = tick.normalize()  # the wire's 0.250000000 reads as 0.25
        below = (price - price % tick).normalize()
        above = (below + tick).normalize()
        raise ConfigurationError(
            f"{name} {price} is not on the contract's tick grid (tick size {step})",
            hint=f"use a multiple of {step}, e.g. {below} or {above}",
        )
    return price


class PXOrders:
    """Order operations of a ProjectX account (mixed into :class:`~brokers.ProjectX`)."""

    broker: str
    _clock: Any
    _write: Any
    _read: Any
    _resolve: Any
    _contract: Any
    _last_price: Any
    _search_orders: Any
    find_order: Any
    orders: Any
    positions: Any

    def place_order(
        self,
        symbol: str,
        side: str,
        quantity: Any,
        type: str = "MARKET",
        price: Any = None,
        stop_loss: Any = None,
        take_profit: Any = None,
        client_order_id: str | None = None,
        *,
        account: str | int | None = None,
    ) -> OrderResult:
        """Place an order of ``quantity`` whole contracts of a contract id.

        ``stop_loss`` / ``take_profit`` are prices on the contract's tick grid (else
        :class:`~brokers.ConfigurationError`); they travel as OCO brackets in signed ticks
        from the entry: from ``price`` for a LIMIT or STOP order, and from the last traded
        price for a MARKET order (so the legs sit that many ticks from the actual fill).

        The order is sent **once**, tagged with ``client_order_id`` (the platform's
        ``customTag``, unique per account; generated when not given). A lost or "pending" /
        "unknown error" answer raises :class:`~brokers.OrderOutcomeUnknownError`:
        :meth:`reconcile` finds the order by its tag.
        """
        account_id, item = self._resolve(account)
        kind, order_side = checks.order_type(type), checks.side(side)
        size = contracts(quantity)
        limit = checks.check_price(kind, price)
        sl = checks.amount(stop_loss, "stop_loss", required=False)
        tp = checks.amount(take_profit, "take_profit", required=False)
        tag = checks.client_order_id(client_order_id) or checks.new_client_order_id()
        contract_id = checks.symbol(symbol)
        body: dict[str, Any] = {
            "accountId": account_id,
            "contractId": contract_id,
            "type": ORDER_TYPE_CODES[kind],
            "side": SIDE_CODES[order_side],
            "size": size,
            "customTag": tag,
        }
        if limit is not None or sl is not None or tp is not None:
            tick = self._contract(contract_id, item).tick_size
            if limit is not None:
                body["limitPrice" if kind == "LIMIT" else "stopPrice"] = on_grid(
                    limit, tick, "price"
                )
            if sl is not None or tp is not None:
                reference = limit if limit is not None else self._last_price(contract_id, item)
                body.update(self._brackets(order_side, reference, sl, tp, tick))
        sent = {"account": str(account_id), "client_order_id": tag, "time": wire_time(self._now())}
        data = self._write("Order/place", body, sent)
        order_id = text(data.get("orderId"))
        if not order_id:  # sheet §6.3: success without an id is not a success
            raise OrderOutcomeUnknownError(
                "Order/place answered success without an orderId",
                sent={"endpoint": "Order/place", "body": body, **sent},
                client_order_id=tag,
                broker=self.broker,
                method="POST",
                path=API + "Order/place",
            )
        return OrderResult(
            broker=self.broker,
            account=str(account_id),
            order_id=order_id,
            client_order_id=tag,
            status="ACCEPTED",  # accepted, not filled (sheet §6.3)
            raw=dict(data),
        )

    @staticmethod
    def _brackets(
        side: str, reference: Decimal, sl: Decimal | None, tp: Decimal | None, tick: Any
    ) -> dict[str, Any]:
        """Signed ticks from ``reference`` (long: stop below, target above), sheet §6.3."""
        checks.check_protection_sides(side, reference, sl, tp)
        legs: dict[str, Any] = {}
        if sl is not None:
            ticks = (on_grid(sl, tick, "stop_loss") - reference) / tick
            legs["stopLossBracket"] = {"ticks": int(ticks), "type": ORDER_TYPE_CODES["STOP"]}
        if tp is not None:
            ticks = (on_grid(tp, tick, "take_profit") - reference) / tick
            legs["takeProfitBracket"] = {"ticks": int(ticks), "type": ORDER_TYPE_CODES["LIMIT"]}
        return legs

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), timezone.utc)

    def _protective(self, account_id: int, position: Position) -> list[Order]:
        """The working orders that would close ``position``: same contract, opposite side,
        limit / stop / trailing stop (its bracket legs and any stop or target set by hand)."""
        opposite = checks.opposite(position.side)
        return [
            o
            for o in self.orders(account_id)
            if o.symbol == position.symbol
            and o.side == opposite
            and o.type in PROTECTIVE_TYPES
            and o.status in WORKING
        ]

    def close_position(
        self,
        position_id: str | Position,
        quantity: Any = None,
        *,
        account: str | int | None = None,
    ) -> OrderResult:
        """Close a position (a :class:`~brokers.Position`, its id or its contract id), or
        ``quantity`` contracts of it, with a market order.

        **Its protective orders go too.** On this platform closing a position leaves its
        stop-loss and take-profit orders working (sheet §7), where they could later open a
        new position. So a full close cancels every working limit / stop order on the
        opposite side of that contract, and a partial close cuts those larger than what is
        left down to it. Should that clean-up fail, the error says the position was closed
        and which orders are still working.
        """
        if isinstance(position_id, Position):
            position, account = position_id, account or position_id.account
        else:
            wanted = str(position_id)
            position = next(
                (p for p in self.positions(account) if wanted in (p.id, p.symbol)), None
            )
            if position is None:
                raise OrderRejectedError(f"position {wanted} is not open", broker=self.broker)
        account_id, _ = self._resolve(account)
        amount = None if quantity is None else contracts(quantity)
        if amount is not None and amount > position.quantity:
            raise ConfigurationError(
                f"quantity {amount} exceeds the position's {position.quantity} contracts"
            )
        protective = self._protective(account_id, position)
        body: dict[str, Any] = {"accountId": account_id, "contractId": position.symbol}
        endpoint = _CLOSES[0]
        if amount is not None and amount < position.quantity:
            endpoint, body["size"] = _CLOSES[1], amount
        sent = {
            "account": str(account_id),
            "position_quantity": str(position.quantity),
            "protective": [o.id for o in protective],
        }
        data = self._write(endpoint, body, sent)
        left = position.quantity - (amount or position.quantity)
        self._tidy(account_id, protective, left)
        return OrderResult(
            broker=self.broker,
            account=str(account_id),
            order_id=None,  # the platform does not say which order closed it
            status="CLOSED" if not left else "REDUCED",
            position_id=position.id,
            raw=dict(data),
        )

    def _tidy(self, account_id: int, protective: list[Order], left: Decimal) -> None:
        """Cancel (nothing left) or shrink (to ``left``) the closed position's protection."""
        for order in protective:
            if left and order.quantity is not None and order.quantity <= left:
                continue
            action = "cancelled" if not left else f"cut to {left} contracts"
            try:
                if not left:
                    self.cancel_order(order, account=str(account_id))
                else:
                    self.modify_order(order, quantity=left, account=str(account_id))
            except BrokerError as exc:
                # the same error class (an unknown outcome keeps what reconcile() needs)
                extra = {"sent": exc.sent} if isinstance(exc, OrderOutcomeUnknownError) else {}
                raise replace_error(
                    exc,
                    type(exc),
                    message=f"the position was closed, but its protective order {order.id} "
                    f"could not be {action}: {exc.message}",
                    hint=f"it may still be working: check orders() and cancel order {order.id}",
                    **extra,
                ) from exc

    def _order_id(self, order: str | Order) -> int:
        value = order.id if isinstance(order, Order) else order
        try:
            return int(str(value))
        except ValueError:
            raise ConfigurationError(f"order id {value!r} is not a number") from None

    def cancel_order(
        self, order_id: str | Order, *, account: str | int | None = None
    ) -> OrderResult:
        """Cancel a working order (its id, or the :class:`~brokers.Order`). Some firms allow
        cancelling only on simulated accounts (code 6 otherwise, sheet §6.5)."""
        if isinstance(order_id, Order):
            account = account or order_id.account
        account_id, _ = self._resolve(account)
        body = {"accountId": account_id, "orderId": self._order_id(order_id)}
        data = self._write("Order/cancel", body, {"account": str(account_id)})
        return OrderResult(
            broker=self.broker,
            account=str(account_id),
            order_id=str(body["orderId"]),
            status="CANCELLED",
            raw=dict(data),
        )

    def _get_order(self, account_id: int, order_id: int) -> Order:
        body = {"accountId": account_id, "orderId": order_id}
        return self._read(
            "Order/searchById",
            body,
            lambda data: parse_order(
                mapping(mapping(data, "order").get("order"), "order"), str(account_id)
            ),
        )

    def modify_order(
        self,
        order: str | Order,
        *,
        price: Any = None,
        quantity: Any = None,
        stop_loss: Any = checks.UNSET,
        take_profit: Any = checks.UNSET,
        account: str | int | None = None,
    ) -> OrderResult:
        """Change a working order's ``price`` (on the tick grid) or ``quantity`` (whole
        contracts); move (a price) or remove (``None``) its bracket legs. A bracket the
        order was placed without cannot be added afterwards (the API has no such call)."""
        if isinstance(order, Order):
            account = account or order.account
        account_id, item = self._resolve(account)
        current = (
            order
            if isinstance(order, Order)
            else self._get_order(account_id, self._order_id(order))
        )
        body: dict[str, Any] = {"accountId": account_id, "orderId": self._order_id(current)}
        if quantity is not None:
            body["size"] = contracts(quantity)
        if price is not None:
            value = checks.amount(price, "price")
            assert value is not None
            tick = self._contract(current.symbol, item).tick_size
            body["limitPrice" if current.type == "LIMIT" else "stopPrice"] = on_grid(
                value, tick, "price"
            )
        result = None
        if len(body) > 2:
            data = self._write("Order/modify", body, {"account": str(account_id)})
            result = OrderResult(
                broker=self.broker,
                account=str(account_id),
                order_id=str(body["orderId"]),
                client_order_id=current.client_order_id,
                status="MODIFIED",
                raw=dict(data),
            )
        if stop_loss is not checks.UNSET or take_profit is not checks.UNSET:
            legs = [
                o
                for o in self._search_orders(
                    account_id, (current.time or self._now()) - timedelta(minutes=5), None
                )
                if text(o.raw.get("parentOrderId")) == current.id and o.status in WORKING
            ]
            self._move_legs(account_id, item, current.symbol, legs, stop_loss, take_profit)
        return result or OrderResult(
            broker=self.broker,
            account=str(account_id),
            order_id=current.id,
            client_order_id=current.client_order_id,
            status="MODIFIED",
        )

    def set_protection(
        self,
        position: str | Position,
        *,
        stop_loss: Any = checks.UNSET,
        take_profit: Any = checks.UNSET,
        account: str | int | None = None,
    ) -> OrderResult:
        """Move (a price on the tick grid) or remove (``None``) a position's stop-loss and
        take-profit orders. Adding one the position lacks is refused: over REST it could
        not be OCO with the other, and a lone leg can open a new position after the other
        fills; place the order with brackets instead."""
        if isinstance(position, Position):
            account = account or position.account
            found: Position | None = position
        else:
            found = next(
                (p for p in self.positions(account) if str(position) in (p.id, p.symbol)), None
            )
        if found is None:
            raise OrderRejectedError(f"position {position} is not open", broker=self.broker)
        account_id, item = self._resolve(account)
        legs = self._protective(account_id, found)
        self._move_legs(account_id, item, found.symbol, legs, stop_loss, take_profit)
        return OrderResult(
            broker=self.broker,
            account=str(account_id),
            order_id=None,
            status="MODIFIED",
            position_id=found.id,
        )

    def _move_legs(
        self,
        account_id: int,
        item: Mapping[str, Any],
        symbol: str,
        legs: list[Order],
        stop_loss: Any,
        take_profit: Any,
    ) -> None:
        for role, value, types in (
            ("stop_loss", stop_loss, ("STOP", "TRAILING_STOP")),
            ("take_profit", take_profit, ("LIMIT",)),
        ):
            if value is checks.UNSET:
                continue
            price = checks.protection(value, role)
            leg = next((o for o in legs if o.type in types), None)
            if leg is None:
                if price is None:
                    continue  # nothing to remove
                raise ConfigurationError(
                    f"there is no {role} order to move, and ProjectX cannot add one as an "
                    "OCO bracket afterwards",
                    hint="place the order with stop_loss / take_profit brackets",
                    broker=self.broker,
                )
            if price is None:
                self.cancel_order(leg, account=str(account_id))
            else:
                assert isinstance(price, Decimal)
                self.modify_order(leg, price=price, account=str(account_id))

    # ------------------------------------------------------------------ reconcile

    def reconcile(self, error: OrderOutcomeUnknownError) -> Order | bool | None:
        """After :class:`~brokers.OrderOutcomeUnknownError`, what the platform shows now.

        A placement: the order with that ``customTag`` (``None``: it was not placed, sending
        it again with the same ``client_order_id`` is safe). A close: ``True`` when it took
        effect (the position is gone, or smaller for a partial close). A cancel: ``True``
        when the order is no longer working. A modify: the order as it is now.
        """
        sent = error.sent if isinstance(error, OrderOutcomeUnknownError) else {}
        endpoint, body = sent.get("endpoint"), sent.get("body")
        if endpoint not in WRITES or not isinstance(body, Mapping):
            raise ConfigurationError("this error holds no ProjectX request to reconcile")
        account = sent.get("account")
        if endpoint == "Order/place":
            since = checks.utc_time(sent["time"], "time") - timedelta(days=1)  # clock skew
            return self.find_order(sent["client_order_id"], account, since=since)
        if endpoint in _CLOSES:
            now = next((p for p in self.positions(account) if p.symbol == body["contractId"]), None)
            return now is None or now.quantity < Decimal(sent["position_quantity"])
        order = self._get_order(int(body["accountId"]), int(body["orderId"]))
        return order if endpoint == "Order/modify" else order.status not in WORKING
