"""DXtrade orders: place, close, cancel, modify, protection and reconcile.

The trading half of :class:`~brokers.DXTrade` (sheet §7.2 to §7.5): a mixin that uses the
client's ``_call``, ``_resolve``, ``_open_orders`` and ``_parsing``. Writes are sent once;
a placement whose answer was lost is resent once with the same ``orderCode``, which the
platform deduplicates (409/100).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from . import orders as checks
from .base import Reply, answer_lost, log
from .dxtrade_wire import (
    client_code,
    first_leg,
    group_children,
    has_code,
    order_items,
    order_price,
    order_responses,
    order_side,
    parse_instrument_limits,
    parse_order,
    position_code,
    position_effect,
    system_code,
)
from .exceptions import (
    BrokerError,
    ConfigurationError,
    OrderOutcomeUnknownError,
    RateLimitError,
    RequestRejectedError,
    ResponseError,
    ServerError,
)
from .models import (
    Order,
    OrderResult,
    Position,
)
from .orders import UNSET
from .parsing import money, text

API = "/dxsca-web"


def _duplicate(exc: BaseException) -> bool:
    """DXtrade's "Order with this id already exists": the order code is taken (409/100)."""
    return isinstance(exc, RequestRejectedError) and exc.status == 409 and exc.code == "100"


def _stands_as_sent(items: list[Mapping[str, Any]], body: Mapping[str, Any]) -> bool:
    """True when every order of a PUT body is open with the body's price and quantity."""
    for member in body.get("orders", [body]):
        item = next((i for i in items if has_code(i, member["orderCode"])), None)
        if item is None:
            return False
        price = member.get("limitPrice", member.get("stopPrice"))
        if price is not None and order_price(item) != price:
            return False
        if member.get("quantity") and money(first_leg(item), "quantity") != member["quantity"]:
            return False
    return True


class DXOrders:
    """Order operations of a DXtrade account (mixed into :class:`~brokers.DXTrade`)."""

    broker: str
    retry: Any
    _limits: dict[tuple[str, str], Mapping[str, Any] | None]
    _call: Any
    _resolve: Any
    _parsing: Any
    _read: Any
    _open_orders: Any
    _account_path: Any
    _position_ref: Any
    _order_ref: Any
    _not_open: Any
    positions: Any
    quote: Any

    def _size_limits(self, code: str, symbol: str) -> Mapping[str, Any] | None:
        """The account's order size limits for ``symbol`` (asked once per session), or
        ``None`` where the platform gives none."""
        key = (code, symbol)
        if key not in self._limits:
            path = self._account_path(code, f"/instruments/{quote(symbol, safe='')}")
            try:
                self._limits[key] = self._read(path, parse_instrument_limits).get(symbol)
            except (RequestRejectedError, ResponseError) as exc:
                log.info("%s: no size limits for %s: %s", self.broker, symbol, exc)
                self._limits[key] = None
        return self._limits[key]

    def _check_size(self, code: str, symbol: str, quantity: Decimal) -> None:
        """Refuse a quantity outside the account's size limits before sending it: DXtrade
        counts units, and a size in lots (0.1) is the usual mistake."""
        limits = self._size_limits(code, symbol)
        if not limits:
            return
        with self._parsing("GET", "instrument details"):
            low = money(limits, "minOrderSize")
            high = money(limits, "maxOrderSize")
            step = money(limits, "minOrderSizeIncrement")
        problem = None
        if low is not None and quantity < low:
            problem = f"below the minimum order size {low}"
        elif high is not None and quantity > high:
            problem = f"above the maximum order size {high}"
        elif step and quantity % step:
            problem = f"not a multiple of the size step {step}"
        if problem:
            raise ConfigurationError(
                f"quantity {quantity} of {symbol} is {problem} on {code}",
                broker=self.broker,
                hint="DXtrade counts quantity in units, not lots (0.1 lot of EUR/USD = 10000)",
            )

    def find_order(self, client_order_id: str, account: str | None = None) -> Order | None:
        """The order placed with ``client_order_id``, open or done (the history filter
        ``with-client-id``, then the open orders)."""
        code, _ = self._resolve(account)
        path = self._account_path(code, "/orders/history")
        reply = self._call("GET", path, params={"with-client-id": client_order_id})
        with self._parsing("GET", path):
            items = order_items(reply.data)
        found = [item for item in items if has_code(item, client_order_id)]
        if not found:
            items, _ = self._open_orders(code)
            found = [item for item in items if has_code(item, client_order_id)]
        return parse_order(found[0], code) if found else None

    def reconcile(self, error: OrderOutcomeUnknownError) -> Order | bool | None:
        """After :class:`~brokers.OrderOutcomeUnknownError`: whether the change took effect.

        - a placement or a close: the :class:`~brokers.Order` if it was placed, else ``None``;
        - a cancel: ``True`` if the order is no longer open, ``False`` if it still is;
        - a modification or ``set_protection``: ``True`` if the orders now stand as asked.
        """
        if not isinstance(error, OrderOutcomeUnknownError) or error.broker != self.broker:
            raise ConfigurationError("this error holds no DXtrade change to reconcile")
        sent, action = error.sent, error.sent.get("action")
        if action in ("cancel", "modify", "protect"):
            items, _ = self._open_orders(sent["account"])
            if action == "cancel":
                return not any(has_code(i, c) for i in items for c in sent["order_codes"])
            if action == "modify":
                return _stands_as_sent(items, sent["bodies"][-1])
            return self._protection_stands(items, sent["position"], sent["want"])
        if not error.client_order_id:
            raise ConfigurationError("this error holds no DXtrade change to reconcile")
        return self.find_order(error.client_order_id, sent.get("account"))

    @staticmethod
    def _protection_stands(
        items: list[Mapping[str, Any]], position_id: str, want: dict[str, Any]
    ) -> bool:
        now: dict[str, Decimal | None] = {"STOP": None, "LIMIT": None}
        for item in items:
            if position_effect(item) == "CLOSE" and position_code(item) == position_id:
                now[text(item.get("type")) or ""] = order_price(item)
        return all(now[kind] == price for kind, price in want.items() if price is not UNSET)

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
        """Place an order; ``quantity`` is in **units** (10000 = 0.1 lot of EUR/USD).

        Every order carries ``client_order_id`` (sent as ``orderCode``; generated when not
        given). If the answer is lost, the same order is sent once more with the same code:
        DXtrade refuses a duplicate code, so the order is placed at most once. A stop loss or
        take profit makes it an IF-THEN group with protective CLOSE orders, placed in the
        same request. The first order of a symbol reads its size limits once.
        """
        code, _ = self._resolve(account)
        kind = checks.order_type(type)
        order_side = checks.side(side)
        instrument = checks.symbol(symbol)
        amount = checks.amount(quantity, "quantity")
        limit = checks.check_price(kind, price)
        stop = checks.amount(stop_loss, "stop_loss", required=False)
        target = checks.amount(take_profit, "take_profit", required=False)
        checks.check_protection_sides(order_side, limit, stop, target)
        order = {
            "account": code,
            "orderCode": checks.client_order_id(client_order_id) or checks.new_client_order_id(),
            "type": kind,
            "instrument": instrument,
            "quantity": amount,
            "positionEffect": "OPEN",
            "side": order_side,
            "tif": "GTC",
        }
        if limit is not None:
            order["limitPrice" if kind == "LIMIT" else "stopPrice"] = limit
        self._check_size(code, instrument, amount)
        protect = self._protective_orders(order, stop, target)
        # A group goes to the same resource as a single order (spec; sheet §7.2).
        body = {"orders": [order, *protect], "contingencyType": "IF-THEN"} if protect else order
        return self._submit(code, self._account_path(code, "/orders"), body, order)

    @staticmethod
    def _protective_orders(
        order: dict[str, Any], stop_loss: Decimal | None, take_profit: Decimal | None
    ) -> list[dict[str, Any]]:
        """The THEN orders of an IF-THEN group: CLOSE, opposite side, no quantity, GTC."""
        children = []
        for kind, field, price, tag in (
            ("STOP", "stopPrice", stop_loss, "sl"),
            ("LIMIT", "limitPrice", take_profit, "tp"),
        ):
            if price is not None:
                children.append(
                    {
                        "account": order["account"],
                        "orderCode": f"{order['orderCode']}-{tag}",
                        "type": kind,
                        "instrument": order["instrument"],
                        "positionEffect": "CLOSE",
                        "side": checks.opposite(order["side"]),
                        field: price,
                        "tif": "GTC",
                    }
                )
        return children

    def close_position(
        self, position_id: str | Position, quantity: Any = None, *, account: str | None = None
    ) -> OrderResult:
        """Close a position, or ``quantity`` units of it, with a CLOSE market order.

        A full close names no quantity (the platform then closes the whole position, as the
        spec says); the platform cancels the position's protective orders with it. Pass the
        :class:`~brokers.Position` itself (from :meth:`positions`) to save the request that
        looks it up by id."""
        ref = self._position_ref(position_id)
        if isinstance(ref, Position):
            position = ref
            code, _ = self._resolve(account or ref.account)
        else:
            code, _ = self._resolve(account)
            open_positions = self.positions(code)
            found = next((p for p in open_positions if p.id == ref), None)
            if found is None:
                raise self._not_open("position", ref, code, [p.id for p in open_positions])
            position = found
        amount = checks.amount(quantity, "quantity", required=False)
        if amount is not None and amount > position.quantity:
            raise ConfigurationError(
                f"quantity {amount} exceeds the position's {position.quantity}"
            )
        order: dict[str, Any] = {
            "account": code,
            "orderCode": checks.new_client_order_id(),
            "type": "MARKET",
            "instrument": position.symbol,
            "positionEffect": "CLOSE",
            "positionCode": position.id,
            "side": checks.opposite(position.side),
            "tif": "GTC",
        }
        if amount is not None and amount < position.quantity:
            order["quantity"] = amount
        result = self._submit(code, self._account_path(code, "/orders"), order, order)
        return replace(result, position_id=position.id)

    def cancel_order(self, order_id: str | Order, *, account: str | None = None) -> OrderResult:
        """Cancel a working order (by order id, client order id, or the
        :class:`~brokers.Order`), with the open-orders ETag as ``If-Match``.

        An order of an IF-THEN group (an entry with its stop loss / take profit) is cancelled
        with its whole group, so no protective order is left working alone."""
        ref = self._order_ref(order_id)
        if isinstance(ref, Order):
            account = account or ref.account
            ref = ref.id
        code, _ = self._resolve(account)
        items, etag, index = self._locate(code, ref)
        members = self._group_members(items, index)
        codes = [client_code(items[i]) or system_code(items[i]) or "" for i in members]
        if len(members) > 1:
            path = self._account_path(code, "/orders/group")
            params: dict[str, str] | None = {
                "order-codes": ",".join(codes),
                "contingency-type": "IF-THEN",
            }
        else:
            path = self._account_path(code, f"/orders/{quote(codes[0], safe='')}")
            params = None
        try:
            reply = self._call(
                "DELETE", path, params=params, headers={"If-Match": etag}, write=True
            )
        except BrokerError as exc:
            if answer_lost(exc):
                raise OrderOutcomeUnknownError(
                    f"the answer to cancelling order {ref} was lost",
                    sent={"action": "cancel", "account": code, "order_codes": codes},
                    client_order_id=codes[0],
                    broker=self.broker,
                    method="DELETE",
                    path=path,
                ) from exc
            raise
        target = items[index]
        return OrderResult(
            broker=self.broker,
            account=code,
            order_id=text(target.get("orderId")),
            client_order_id=client_code(target),
            status="CANCELED",
            raw=dict(reply.data) if isinstance(reply.data, Mapping) else {},
        )

    def _locate(self, code: str, ref: str) -> tuple[list[Mapping[str, Any]], str, int]:
        """The open orders, their ETag, and where the order named ``ref`` stands in them."""
        items, etag = self._open_orders(code)
        index = self._index_of(items, ref)
        if index is None:
            known = [text(i.get("orderId")) or "" for i in items]
            raise self._not_open("order", ref, code, known)
        return items, etag, index

    @staticmethod
    def _index_of(items: list[Mapping[str, Any]], ref: str) -> int | None:
        """Where the order named ``ref`` (its ``orderId`` or a code) stands in ``items``."""
        for match in (lambda item: ref == text(item.get("orderId")), lambda i: has_code(i, ref)):
            for index, item in enumerate(items):
                if match(item):
                    return index
        return None

    @staticmethod
    def _group_members(items: list[Mapping[str, Any]], index: int) -> list[int]:
        """The IF-THEN group ``items[index]`` belongs to, parent first (just itself if none)."""
        for parent, children in group_children(items).items():
            if index == parent or index in children:
                return [parent, *children]
        return [index]

    # ------------------------------------------------------- order plumbing

    def _submit(
        self, code: str, path: str, body: dict[str, Any], order: dict[str, Any]
    ) -> OrderResult:
        """POST an order; after a lost answer, send it once more with the same orderCode.

        The platform refuses a second order with the same code (409/100), so the resend
        cannot double the order. Whatever the resend meets other than an answer or that
        refusal, the first may have been executed: the outcome is unknown."""
        try:
            return self._placed(code, order, path, self._call("POST", path, json=body, write=True))
        except BrokerError as exc:
            if _duplicate(exc):  # the caller's own client_order_id, already used: placed
                return self._already_placed(code, order["orderCode"])
            if not answer_lost(exc):
                raise
            lost = exc
        self._wait_before_resend(lost)
        try:
            return self._placed(code, order, path, self._call("POST", path, json=body, write=True))
        except Exception as exc:  # whatever happens now, the first may have been executed
            if _duplicate(exc):
                return self._already_placed(code, order["orderCode"])
            raise OrderOutcomeUnknownError(
                f"the answer to order {order['orderCode']} was lost ({type(lost).__name__}) "
                f"and resending it with the same code gave {type(exc).__name__}: "
                f"{exc.message if isinstance(exc, BrokerError) else 'an unexpected error'}",
                sent=self._summary(body),
                client_order_id=order["orderCode"],
                broker=self.broker,
                method="POST",
                path=path,
            ) from exc

    def _already_placed(self, code: str, order_code: str) -> OrderResult:
        """The platform says ``order_code`` exists: the result, looked up when possible."""
        try:
            placed = self.find_order(order_code, code)
        except BrokerError as exc:  # it is placed all the same; say so without the details
            log.warning(
                "%s: order %s is placed but its lookup failed: %s", self.broker, order_code, exc
            )
            placed = None
        return OrderResult(
            broker=self.broker,
            account=code,
            order_id=placed.id if placed else None,
            client_order_id=order_code,
            status=placed.status if placed else None,
            already_placed=True,
            raw=dict(placed.raw) if placed else {},
        )

    def _placed(self, code: str, order: dict[str, Any], path: str, reply: Reply) -> OrderResult:
        """The result of a placement; an answer without an order id counts as lost."""
        responses = order_responses(reply.data)
        order_id = text(responses[0].get("orderId")) if responses else None
        if order_id is None:
            raise ResponseError(
                "the order answer holds no orderId",
                broker=self.broker,
                status=reply.status,
                method="POST",
                path=path,
            )
        return OrderResult(
            broker=self.broker,
            account=code,
            order_id=order_id,
            client_order_id=order["orderCode"],
            status="ACCEPTED",
            raw={"orderResponses": [dict(r) for r in responses]},
        )

    def _wait_before_resend(self, lost: BrokerError) -> None:
        # After a 429 (or a 5xx that says when), give the platform the time it asks for.
        if isinstance(lost, (RateLimitError, ServerError)):
            self.retry.sleep(self.retry.wait_for(1, lost))

    @staticmethod
    def _summary(body: dict[str, Any]) -> dict[str, Any]:
        orders = body.get("orders", [body])
        closing = orders[0].get("positionEffect") == "CLOSE"
        return {
            "action": "close" if closing else "place",
            "account": orders[0].get("account"),
            "orders": [dict(o) for o in orders],
        }

    # ------------------------------------------------ modify and protection

    def modify_order(
        self,
        order: str | Order,
        *,
        price: Any = None,
        quantity: Any = None,
        stop_loss: Any = UNSET,
        take_profit: Any = UNSET,
        account: str | None = None,
    ) -> OrderResult:
        """Change a working order with ``PUT /orders`` (the complete order, ``If-Match``).

        ``price`` and ``quantity`` (units) replace the order's own; ``stop_loss`` and
        ``take_profit`` set, move (a price) or remove (``None``) its IF-THEN protection,
        left out they stay. A protected entry is replaced as a whole group, so its protection
        survives. A stale ETag (412) reads the order again and tries once more."""
        ref = self._order_ref(order)
        if isinstance(ref, Order):
            account, ref = account or ref.account, ref.id
        new_price = checks.amount(price, "price", required=False)
        new_quantity = checks.amount(quantity, "quantity", required=False)
        stop = checks.protection(stop_loss, "stop_loss")
        target = checks.protection(take_profit, "take_profit")
        code, _ = self._resolve(account)
        want = {"price": new_price, "quantity": new_quantity, "STOP": stop, "LIMIT": target}
        return self._replace(code, ref, want)

    def _replace(self, code: str, ref: str, want: dict[str, Any]) -> OrderResult:
        """PUT the order ``ref`` as ``want`` says, re-reading once on a stale ETag."""
        for attempt in (1, 2):
            items, etag, index = self._locate(code, ref)
            bodies = self._replacement(code, items, index, want)
            try:
                return self._put_all(code, items[index], bodies, etag, want)
            except RequestRejectedError as exc:
                if exc.status != 412 or attempt == 2:
                    raise
                log.info("%s: the order changed meanwhile (412); reading it again", self.broker)
        raise AssertionError("unreachable")  # pragma: no cover

    def _replacement(
        self, code: str, items: list[Mapping[str, Any]], index: int, want: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The PUT bodies that make ``items[index]`` what ``want`` says (sheet §7.5).

        A protective order alone gets a single-order PUT. An entry is PUT with its children
        as one IF-THEN group (a single order may become a group and back in one PUT); one
        request cannot add or remove members of a group that stays one (spec), so that
        takes two PUTs: the entry alone, then the new group."""
        members = self._group_members(items, index)
        entry = items[members[0]]
        if index != members[0] or position_effect(entry) == "CLOSE":
            if want["STOP"] is not UNSET or want["LIMIT"] is not UNSET:
                raise ConfigurationError(
                    "this is a protective order: change its price, or use set_protection() "
                    "on its position"
                )
            return [self._member_body(code, items[index], want["price"], want["quantity"])]
        current = {text(items[c].get("type")): items[c] for c in members[1:]}
        desired = {}
        for kind in ("STOP", "LIMIT"):
            if want[kind] is UNSET and kind in current:
                desired[kind] = order_price(current[kind])
            elif want[kind] not in (UNSET, None):
                desired[kind] = want[kind]
        checks.check_protection_sides(
            order_side(entry) or "BUY",
            want["price"] or order_price(entry),
            desired.get("STOP"),
            desired.get("LIMIT"),
        )
        main = self._member_body(code, entry, want["price"], want["quantity"])
        if set(desired) == set(current):  # the same members: one PUT of the whole group
            children = [self._member_body(code, current[k], desired[k], None) for k in desired]
            if children:  # group members are complete Single Order Requests, type included
                children = [{**c, "type": k} for c, k in zip(children, desired, strict=True)]
        else:  # new members get new codes: a cancelled member's code cannot be used again
            fresh = {**main, "orderCode": checks.new_client_order_id()}
            children = self._protective_orders(fresh, desired.get("STOP"), desired.get("LIMIT"))
        typed = {**main, "type": text(entry.get("type"))}
        group = {"orders": [typed, *children], "contingencyType": "IF-THEN"}
        if not children:
            return [main]
        if not current or set(desired) == set(current):
            return [group]
        return [main, group]  # remove first, then add

    def _member_body(
        self, code: str, item: Mapping[str, Any], price: Decimal | None, quantity: Decimal | None
    ) -> dict[str, Any]:
        """A complete Single Order Request rebuilt from the current Order, ``type`` left out
        (not editable), then the changes (sheet §7.5)."""
        leg = first_leg(item)
        kind = text(item.get("type"))
        closing = position_effect(item) == "CLOSE"
        body: dict[str, Any] = {
            "account": code,
            "orderCode": client_code(item) or system_code(item),
            "instrument": text(item.get("instrument")) or text(leg.get("instrument")),
            "side": order_side(item),
            "positionEffect": position_effect(item) or "OPEN",
            "tif": text(item.get("tif")) or "GTC",
        }
        if closing and position_code(item):
            body["positionCode"] = position_code(item)
        if item.get("expireDate"):
            body["expireDate"] = item["expireDate"]
        size = quantity or money(leg, "quantity")
        if not (closing and kind in ("STOP", "LIMIT")) and size:
            body["quantity"] = size  # protective CLOSE orders carry none (spec, §7.5)
        level = price or order_price(item)
        if kind in ("LIMIT", "STOP") and level is not None:
            body["limitPrice" if kind == "LIMIT" else "stopPrice"] = level
        return body

    def _put_all(
        self,
        code: str,
        target: Mapping[str, Any],
        bodies: list[dict[str, Any]],
        etag: str,
        want: dict[str, Any],
    ) -> OrderResult:
        """Send each replacement once; a lost answer is an OrderOutcomeUnknownError."""
        path = self._account_path(code, "/orders")
        reply = None
        for number, body in enumerate(bodies):
            try:
                reply = self._call("PUT", path, json=body, headers={"If-Match": etag}, write=True)
            except BrokerError as exc:
                if number == 0 and not answer_lost(exc):
                    raise  # refused (a 412 goes back to the caller to re-read): nothing changed
                raise OrderOutcomeUnknownError(
                    f"the answer to modifying order {client_code(target)} was lost"
                    if answer_lost(exc)
                    else f"modifying order {client_code(target)} stopped half-way: {exc.message}",
                    sent={"action": "modify", "account": code, "bodies": bodies},
                    client_order_id=client_code(target),
                    broker=self.broker,
                    method="PUT",
                    path=path,
                ) from exc
            if number + 1 < len(bodies):  # the next PUT needs the ETag this one made
                etag = reply.headers.get("ETag") or self._open_orders(code)[1]
        responses = order_responses(reply.data if reply else None)
        return OrderResult(
            broker=self.broker,
            account=code,
            order_id=text(target.get("orderId")),
            client_order_id=client_code(target),
            status="MODIFIED",
            position_id=position_code(target) if position_effect(target) == "CLOSE" else None,
            raw={"orderResponses": [dict(r) for r in responses]},
        )

    def set_protection(
        self,
        position: str | Position,
        *,
        stop_loss: Any = UNSET,
        take_profit: Any = UNSET,
        account: str | None = None,
    ) -> OrderResult:
        """Set, move or remove a position's stop loss and take profit.

        Each level is a working CLOSE order of the position (STOP = stop loss, LIMIT = take
        profit): an existing one is moved with a PUT, a missing one placed (no quantity: it
        covers the whole position), ``None`` cancels it; left out, it stays. The levels are
        checked against the current quote first, so a stop that would fill at once is refused."""
        stop = checks.protection(stop_loss, "stop_loss")
        target = checks.protection(take_profit, "take_profit")
        ref = self._position_ref(position)
        code, _ = self._resolve(account or (ref.account if isinstance(ref, Position) else None))
        if isinstance(ref, str):
            open_positions = self.positions(code)
            found = next((p for p in open_positions if p.id == ref), None)
            if found is None:
                raise self._not_open("position", ref, code, [p.id for p in open_positions])
            ref = found
        self._check_levels(code, ref, stop, target)
        result = None
        for kind, price in (("STOP", stop), ("LIMIT", target)):
            if price is not UNSET:
                result = self._protect(code, ref, kind, price, {"STOP": stop, "LIMIT": target})
        return result or OrderResult(
            broker=self.broker, account=code, order_id=None, status="UNCHANGED", position_id=ref.id
        )

    def _check_levels(self, code: str, position: Position, stop: Any, target: Any) -> None:
        """A long's stop below the bid and target above it (mirrored for a short)."""
        if not isinstance(stop, Decimal) and not isinstance(target, Decimal):
            return
        quote = self.quote(position.symbol, account=code)
        reference = quote.bid if position.side == "BUY" else quote.ask
        checks.check_protection_sides(
            position.side,
            reference,
            stop if isinstance(stop, Decimal) else None,
            target if isinstance(target, Decimal) else None,
        )

    def _protect(
        self, code: str, position: Position, kind: str, price: Decimal | None, want: dict
    ) -> OrderResult | None:
        """Make the position's ``kind`` (STOP/LIMIT) protective order stand at ``price``."""
        items, etag = self._open_orders(code)
        existing = next(
            (
                i
                for i, item in enumerate(items)
                if position_effect(item) == "CLOSE"
                and position_code(item) == position.id
                and text(item.get("type")) == kind
            ),
            None,
        )
        sent = {"action": "protect", "account": code, "position": position.id, "want": want}
        if existing is None and price is None:
            return None
        if existing is None:
            body = self._protective_orders(
                {
                    "account": code,
                    "orderCode": checks.new_client_order_id(),
                    "instrument": position.symbol,
                    "side": position.side,
                },
                price if kind == "STOP" else None,
                price if kind == "LIMIT" else None,
            )[0]
            body["positionCode"] = position.id
            path, method, headers, params = self._account_path(code, "/orders"), "POST", None, None
        elif price is None:
            item = items[existing]
            order_code = client_code(item) or system_code(item) or ""
            path = self._account_path(code, f"/orders/{quote(order_code, safe='')}")
            method, body, headers, params = "DELETE", None, {"If-Match": etag}, None
        else:
            body = self._member_body(code, items[existing], price, None)
            path, method, headers, params = self._account_path(code, "/orders"), "PUT", None, None
            headers = {"If-Match": etag}
        try:
            reply = self._call(method, path, json=body, headers=headers, params=params, write=True)
        except BrokerError as exc:
            if answer_lost(exc):
                raise OrderOutcomeUnknownError(
                    f"the answer to setting the {kind.lower()} protection of position "
                    f"{position.id} was lost",
                    sent=sent,
                    broker=self.broker,
                    method=method,
                    path=path,
                ) from exc
            raise
        responses = order_responses(reply.data)
        return OrderResult(
            broker=self.broker,
            account=code,
            order_id=text(responses[0].get("orderId")) if responses else None,
            client_order_id=body["orderCode"] if body else None,
            status="CANCELED" if method == "DELETE" else "ACCEPTED",
            position_id=position.id,
            raw={"orderResponses": [dict(r) for r in responses]},
        )
