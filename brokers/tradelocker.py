"""TradeLocker (the public Trading API, ``{environment}/backend-api/...``).

>>> from brokers import TradeLocker
>>> with TradeLocker("demo", "me@example.com", "secret", "BROKER-DEMO") as client:
...     client.get_balance()
Balance(broker='tradelocker', account='1234567', currency='USD', balance=Decimal('25000.00'), ...)

The environment is ``"demo"`` or ``"live"`` (``https://demo.tradelocker.com`` /
``https://live.tradelocker.com``) or the origin of another deployment; ``/backend-api`` is
appended. Demo and live are separate: their accounts, ids and tokens never mix. ``server`` is
the broker name shown on the TradeLocker login screen. Quantities are in **lots**.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from . import orders as checks
from .base import answer_lost
from .exceptions import (
    BrokerError,
    ConfigurationError,
    OrderOutcomeUnknownError,
    ResponseError,
)
from .models import Order, OrderResult, Position
from .parsing import text
from .tradelocker_session import TradeLockerSession, api_url
from .tradelocker_wire import HISTORY, ORDER_NEEDS, ORDERS, POSITIONS, AccountRow, parse_order

__all__ = ["TradeLocker", "api_url"]

STRATEGY_ID_MAX = 31  # §10.1
RECONCILE_LOOKBACK_MS = 120_000  # history searched from this long before the placement


def new_strategy_id() -> str:
    """A unique tag for one placement, within the documented 31 characters."""
    return f"brk-{uuid.uuid4().hex[:24]}"


def _number(value: str) -> int | str:
    """An instrument or route id as the number the API documents (kept as text otherwise)."""
    return int(value) if value.isdigit() else value


class TradeLocker(TradeLockerSession):
    """A TradeLocker login (e-mail, password, server) in one environment, and its accounts.

    ``account`` is an ``accountId`` (the number after ``#`` in the account switcher; default:
    the first account). The matching ``accNum`` goes in a header by itself. The access token is
    refreshed ``renew_before`` seconds before its ``exp`` (at most half its life); a failed
    refresh logs in again. ``developer_api_key`` is sent as ``developer-api-key`` when given.
    Other options: see :class:`~brokers.BrokerClient`; the throttle follows the per-route
    limits the server publishes in ``/trade/config`` unless you pass your own.
    """

    broker = "tradelocker"
    env_variables = {
        "base_url": (("TRADELOCKER_BASE_URL", "TRADELOCKER_ENVIRONMENT"), True),
        "email": (("TRADELOCKER_EMAIL", "TRADELOCKER_USERNAME"), True),
        "password": (("TRADELOCKER_PASSWORD",), True),
        "server": (("TRADELOCKER_SERVER",), True),
        "account": (("TRADELOCKER_ACCOUNT",), False),
        "developer_api_key": (("TRADELOCKER_DEVELOPER_API_KEY",), False),
    }
    capabilities = {
        "balance": "one request per account",
        "positions": True,
        "orders": True,
        "instruments": "sizes from instrument(symbol)",
        "place_order": True,
        "client_order_id": "strategyId tag, no server de-duplication: sent once, "
        "reconcile() finds it",
        "close_position": True,
        "cancel_order": True,
        "modify_order": True,
        "set_protection": True,
        "history": "closing orders of the order history (no realised P/L per trade)",
        "order_history": True,
        "quotes": "one request per symbol",
        "candles": "1m 5m 15m 30m 1h 4h 1d 1w 1M",
    }

    # ---------------------------------------------------------------- writes

    def _write(
        self,
        row: AccountRow,
        method: str,
        path: str,
        body: Any,
        sent: dict[str, Any],
        kind: str = "request",
    ) -> Any:
        """Send a trading write exactly once (the server has no idempotency key, §11); a lost
        or unreadable answer is :class:`~brokers.OrderOutcomeUnknownError` for reconcile()."""
        try:
            _, data = self._trade(
                method, path, row, sent["action"], json=body, write=True, kind=kind
            )
            return data
        except BrokerError as exc:
            if answer_lost(exc):
                raise OrderOutcomeUnknownError(
                    f"the answer to {sent['action']} was lost ({type(exc).__name__}); it was "
                    "not sent again",
                    sent=sent,
                    broker=self.broker,
                    method=method,
                    path=path,
                    hint="call reconcile(error) to see what the platform holds now",
                ) from exc
            raise

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
        account: str | None = None,
    ) -> OrderResult:
        """Place a MARKET, LIMIT or STOP order of ``quantity`` **lots** on the instrument's
        TRADE route, tagged with ``client_order_id`` as its ``strategyId`` (default: a new
        unique tag, at most 31 characters). Sent exactly once: a lost answer raises
        :class:`~brokers.OrderOutcomeUnknownError` and :meth:`reconcile` finds the order or
        position by that tag. Accepted is not filled: read :meth:`positions` for the fill."""
        kind = checks.order_type(type)
        direction = checks.side(side)
        amount = checks.amount(quantity, "quantity")
        limit = checks.check_price(kind, price)
        sl = checks.amount(stop_loss, "stop_loss", required=False)
        tp = checks.amount(take_profit, "take_profit", required=False)
        checks.check_protection_sides(direction, limit, sl, tp)
        tag = checks.client_order_id(client_order_id) or new_strategy_id()
        if len(tag) > STRATEGY_ID_MAX:
            raise ConfigurationError(
                f"client_order_id {tag!r} is longer than TradeLocker's {STRATEGY_ID_MAX} "
                "characters (its strategyId)"
            )
        row = self._resolve(account)
        ref = self._ref(row, symbol)
        if not ref.trade_route:
            raise ResponseError(f"{ref.name} has no TRADE route", broker=self.broker)
        body: dict[str, Any] = {
            "tradableInstrumentId": _number(ref.tid),
            "routeId": _number(ref.trade_route),
            "qty": amount,
            "side": direction.lower(),
            "type": kind.lower(),
            "validity": "IOC" if kind == "MARKET" else "GTC",  # §10.1
            "price": limit if kind == "LIMIT" else 0,
            "strategyId": tag,
        }
        if kind == "STOP":
            body["stopPrice"] = limit
        for key, value in (("stopLoss", sl), ("takeProfit", tp)):
            if value is not None:
                body[key], body[key + "Type"] = value, "absolute"
        sent = {
            "account": row.account.id,
            "action": "place_order",
            "client_order_id": tag,
            "symbol": ref.name,
            "since_ms": int(self._clock() * 1000) - RECONCILE_LOOKBACK_MS,
        }
        path = f"/trade/accounts/{row.account.id}/orders"
        data = self._write(row, "POST", path, body, sent, kind="PLACE_ORDER")
        order_id = text(data.get("orderId")) if isinstance(data, Mapping) else None
        if not order_id:
            raise OrderOutcomeUnknownError(
                "the placement was answered 'ok' without an orderId",
                sent=sent,
                broker=self.broker,
                method="POST",
                path=path,
            )
        return OrderResult(
            broker=self.broker,
            account=row.account.id,
            order_id=order_id,
            client_order_id=tag,
            status="ACCEPTED",
            raw=dict(data),
        )

    def _position(self, position: Any, account: str | None) -> tuple[Position, str | None]:
        ref = self._position_ref(position)
        if isinstance(ref, Position):
            return ref, account or ref.account
        found = next((p for p in self.positions(account) if p.id == ref), None)
        if found is None:
            row = self._resolve(account)
            raise self._not_open(
                "position", ref, row.account.id, [p.id for p in self.positions(account)]
            )
        return found, account

    def _order(self, order: Any, account: str | None) -> tuple[Order, str | None]:
        ref = self._order_ref(order)
        if isinstance(ref, Order):
            return ref, account or ref.account
        listed = self.orders(account)
        found = next((o for o in listed if o.id == ref), None)
        if found is None:
            row = self._resolve(account)
            raise self._not_open("order", ref, row.account.id, [o.id for o in listed])
        return found, account

    def close_position(
        self, position_id: str | Position, quantity: Any = None, *, account: str | None = None
    ) -> OrderResult:
        """Close a position, or ``quantity`` lots of it. Pass the :class:`~brokers.Position`
        itself to save the request that looks it up. The server closes asynchronously
        ("ok" is not "closed", §10.2): read :meth:`positions` to confirm."""
        position, account = self._position(position_id, account)
        amount = checks.amount(quantity, "quantity", required=False)
        if amount is not None and amount > position.quantity:
            raise ConfigurationError(
                f"quantity {amount} exceeds the position's {position.quantity}"
            )
        partial = amount is not None and amount < position.quantity
        row = self._resolve(account)
        sent = {
            "account": row.account.id,
            "action": "close_position",
            "position_id": position.id,
            "quantity_before": str(position.quantity),
        }
        body = {"qty": str(amount) if partial else "0"}  # "0" closes it all (§10.2)
        data = self._write(row, "DELETE", f"/trade/positions/{position.id}", body, sent)
        return OrderResult(
            broker=self.broker,
            account=row.account.id,
            order_id=None,
            status="ACCEPTED",
            position_id=position.id,
            raw=dict(data) if isinstance(data, Mapping) else {},
        )

    def cancel_order(self, order_id: str | Order, *, account: str | None = None) -> OrderResult:
        """Cancel a working order. Pass the :class:`~brokers.Order` itself to save the
        request that looks it up. A final order cannot be cancelled:
        :class:`~brokers.OrderRejectedError`."""
        order, account = self._order(order_id, account)
        row = self._resolve(account)
        sent = {"account": row.account.id, "action": "cancel_order", "order_id": order.id}
        self._write(row, "DELETE", f"/trade/orders/{order.id}", None, sent)
        return OrderResult(
            broker=self.broker, account=row.account.id, order_id=order.id, status="CANCELLED"
        )

    @staticmethod
    def _protection_body(stop_loss: Any, take_profit: Any) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key, value in (("stopLoss", stop_loss), ("takeProfit", take_profit)):
            price = checks.protection(value, "stop_loss" if key == "stopLoss" else "take_profit")
            if price is checks.UNSET:
                continue
            body[key] = price  # None (JSON null) removes it
            body[key + "Type"] = "absolute" if price is not None else None
        return body

    def modify_order(
        self,
        order: str | Order,
        *,
        price: Any = None,
        quantity: Any = None,
        stop_loss: Any = checks.UNSET,
        take_profit: Any = checks.UNSET,
        account: str | None = None,
    ) -> OrderResult:
        """Change a working order's price (the limit price, or a stop order's trigger), its
        quantity in lots, or its stop loss / take profit (``None`` removes them)."""
        found, account = self._order(order, account)
        body = self._protection_body(stop_loss, take_profit)
        new_price = checks.amount(price, "price", required=False)
        if new_price is not None:
            if found.type not in ("LIMIT", "STOP"):
                raise ConfigurationError(f"order {found.id} is a {found.type} order: no price")
            body["stopPrice" if found.type == "STOP" else "price"] = new_price
        amount = checks.amount(quantity, "quantity", required=False)
        if amount is not None:
            body["qty"] = amount
        if not body:
            raise ConfigurationError("modify_order() was given nothing to change")
        if found.side:
            reference = new_price or found.price
            checks.check_protection_sides(
                found.side, reference, body.get("stopLoss"), body.get("takeProfit")
            )
        row = self._resolve(account)
        sent = {"account": row.account.id, "action": "modify_order", "order_id": found.id}
        self._write(row, "PATCH", f"/trade/orders/{found.id}", body, sent, kind="MODIFY_ORDER")
        return OrderResult(
            broker=self.broker, account=row.account.id, order_id=found.id, status="ACCEPTED"
        )

    def set_protection(
        self,
        position: str | Position,
        *,
        stop_loss: Any = checks.UNSET,
        take_profit: Any = checks.UNSET,
        account: str | None = None,
    ) -> OrderResult:
        """Set, move or remove (``None``) a position's stop loss and take profit (absolute
        prices); leaving one out keeps it."""
        body = self._protection_body(stop_loss, take_profit)
        if not body:
            raise ConfigurationError("set_protection() was given nothing to change")
        found, account = self._position(position, account)
        row = self._resolve(account)
        sent = {"account": row.account.id, "action": "set_protection", "position_id": found.id}
        path = f"/trade/positions/{found.id}"
        self._write(row, "PATCH", path, body, sent, kind="MODIFY_POSITION")
        return OrderResult(
            broker=self.broker,
            account=row.account.id,
            order_id=None,
            status="ACCEPTED",
            position_id=found.id,
        )

    # ------------------------------------------------------------- reconcile

    def reconcile(self, error: OrderOutcomeUnknownError) -> Position | Order | bool | None:
        """After :class:`~brokers.OrderOutcomeUnknownError`, what the platform holds now.

        - A placement: the position (filled market order) or order (working, or final:
          filled, rejected, cancelled) tagged with its ``strategyId``, looked up in positions,
          then working orders, then the orders history since just before it; ``None`` when
          there is none (it was not placed: sending again is safe).
        - A close: ``True`` when the position is gone or smaller, ``False`` when unchanged.
        - A cancel: ``True`` when the order is no longer working.
        - A modification: the order or position as it is now (``None`` if it is gone).
        """
        sent = error.sent if isinstance(error, OrderOutcomeUnknownError) else {}
        action, account = sent.get("action"), sent.get("account")
        handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "place_order": self._reconcile_placement,
            "close_position": lambda s: self._reconcile_close(s),
            "cancel_order": lambda s: all(o.id != s["order_id"] for o in self.orders(account)),
            "modify_order": lambda s: next(
                (o for o in self.orders(account) if o.id == s["order_id"]), None
            ),
            "set_protection": lambda s: next(
                (p for p in self.positions(account) if p.id == s["position_id"]), None
            ),
        }
        if action not in handlers:
            raise ConfigurationError("this error holds no TradeLocker request to reconcile")
        return handlers[action](sent)

    def _reconcile_close(self, sent: dict[str, Any]) -> bool:
        now = next(
            (p for p in self.positions(sent["account"]) if p.id == sent["position_id"]), None
        )
        return now is None or now.quantity < Decimal(sent["quantity_before"])

    def _reconcile_placement(self, sent: dict[str, Any]) -> Position | Order | None:
        row = self._resolve(sent["account"])
        tag = sent["client_order_id"]
        layout = self._layout(row)
        for key, what in ((POSITIONS, "positions"), (ORDERS, "orders"), (HISTORY, "history")):
            layout.names(key, what, ("strategyId",))  # without the tag nothing can be found
        found_position = next(
            (p for p in self.positions(row.account.id) if p.raw.get("strategyId") == tag), None
        )
        if found_position is not None:
            return found_position
        working = [o for o in self.orders(row.account.id) if o.client_order_id == tag]
        if working:
            return working[0]
        end_ms = int(self._clock() * 1000) + RECONCILE_LOOKBACK_MS
        rows = self._history(row, int(sent["since_ms"]), end_ms, (*ORDER_NEEDS, "status"))
        symbols = self._symbols(row)
        final = [
            parse_order(r, row.account.id, symbols, final=True)
            for r in rows
            if r.get("strategyId") == tag and r.get("isOpen") not in (False, "false")
        ]
        return final[0] if final else None
