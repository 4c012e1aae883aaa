"""DXtrade emulator: order JSON, open-order listing, placing (single and group), execution.

A mixin of :class:`brokers.sandbox.dxtrade.DXtradeState`. Section numbers (§) refer to
``shared/reference/dxtrade-api.md``. Fills happen at the current quote (buy at ask, sell at bid):
MARKET orders at once, STOP/LIMIT orders when the quote reaches their price (:meth:`set_quote`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .dxtrade_model import (
    CENT,
    CONTINGENCIES,
    ORDER_TYPES,
    TIFS,
    ZERO,
    Account,
    CashTx,
    DXError,
    Execution,
    Order,
    Position,
    Transfer,
    bad_param,
    bad_request,
    etag_of,
    iso,
    not_found,
    valid_client_code,
)
from .wire import RecordedRequest, Response, json_response, loads_exact, to_decimal

SESSION_PREFIX = "dxsca-integration-session-code:"  # §7.2/§11: seen on history order codes
CLOSE_QTY_TEXT = "Closing STOP/LIMIT orders should not have specified quantity"  # §7.2 (S5)


def order_body(req: RecordedRequest) -> dict[str, Any]:
    """The JSON object of a write; 400/33 when malformed (§7.2 errors)."""
    try:
        body = loads_exact(req.body)
    except ValueError:
        raise bad_request("malformed JSON body") from None
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return body


def _upper(body: dict[str, Any], key: str, default: str = "") -> str:
    value = body.get(key)
    return str(value).upper() if value not in (None, "") else default


class OrdersMixin:
    """Order listing, placement and execution for :class:`DXtradeState`."""

    # ------------------------------------------------------------------ rendering

    def _system_code(self, order: Order) -> str:
        """§7.1: the Order's own ``orderCode`` is the system's chain code, not the client's."""
        if self.order_code_style == "session":  # §7.2/§11 prefix variant
            return SESSION_PREFIX + order.client_code
        return order.system_code  # "<number>:<client code>" (§7.1, seen on demo.dx.trade)

    def _leg_quantity(self, account: Account, order: Order) -> Decimal | None:
        """A CLOSE order without quantity closes the whole position (§7.3, §7.5)."""
        if order.quantity is not None or order.position_effect != "CLOSE":
            return order.quantity
        if order.final:
            return order.filled
        position = account.positions.get(order.position_code or "")
        return position.quantity if position is not None else ZERO  # inactive THEN child: 0

    def _order_json(self, order: Order, *, history: bool = False) -> dict[str, Any]:
        """§7.1 Order: ``clientOrderId`` = the client's code, ``orderCode`` = the system's."""
        account = self._accounts[order.account]
        quantity = self._leg_quantity(account, order)
        remaining = ZERO if order.final else (quantity or ZERO) - order.filled
        position_code = order.position_code
        if position_code is None and order.position_effect == "OPEN":
            position_code = str(order.order_id)  # §7.6: OPEN legs carry the order's own id (S4)
        leg: dict[str, Any] = {
            "instrument": order.instrument,
            "positionEffect": order.position_effect,
            "positionCode": position_code,
            "side": order.side,
            "price": order.price,
            "legRatio": 1,
            "quantity": quantity,
            "filledQuantity": order.filled,
            "remainingQuantity": remaining,
            "averagePrice": order.average_price,
        }
        body: dict[str, Any] = {
            "account": order.account,
            "orderId": order.order_id,
            "orderCode": self._system_code(order),
            "clientOrderId": order.client_code,
            "version": order.version,
            "legCount": 1,
            "type": order.type,
            "instrument": order.instrument,
            "status": order.status,
            "finalStatus": order.final,
            "legs": [{k: v for k, v in leg.items() if v is not None}],
            "side": order.side,
            "tif": order.tif,
            "issueTime": iso(order.issue_time),
            "transactionTime": iso(order.transaction_time),
            "marginRate": self._instrument(order.instrument)["marginRate"],
        }
        if order.expire_date:
            body["expireDate"] = order.expire_date
        if history:  # §7.6: executions and cash transactions, never links
            body["executions"] = [self._execution_json(order, e) for e in order.executions]
            body["cashTransactions"] = [self._cash_json(c) for c in order.cash]
        else:
            links = self._links(account, order)
            if links:
                body["links"] = links
        return body

    def _links(self, account: Account, order: Order) -> list[dict[str, Any]]:
        """§7.1 ``links[]`` (PARENT|CHILD|OCO) of an active group member; ``linkedOrder`` is the
        linked order's system ``orderCode`` (a choice: the sheet gives no type)."""
        if order.group is None or order.final:
            return []
        links = []
        for other in account.orders:
            if other.group != order.group or other is order or other.final:
                continue
            if order.contingency == "OCO":
                kind = "OCO"
            elif other.client_code == order.parent:
                kind = "PARENT"
            elif other.parent == order.client_code:
                kind = "CHILD"
            else:
                continue
            links.append(
                {
                    "linkType": kind,
                    "linkedOrder": self._system_code(other),
                    "linkedClientOrderId": other.client_code,
                }
            )
        return links

    def _execution_json(self, order: Order, execution: Execution) -> dict[str, Any]:
        """§7.6 Execution; ``lastPrice`` only on fills, ``lastQuantity`` signed."""
        item: dict[str, Any] = {
            "account": order.account,
            "executionCode": execution.code,
            "orderCode": self._system_code(order),
            "clientOrderId": order.client_code,
            "updateOrderId": execution.update_order_id,
            "version": execution.version,
            "instrument": order.instrument,
            "status": execution.status,
            "finalStatus": execution.status in ("COMPLETED", "CANCELED", "REJECTED", "EXPIRED"),
            "filledQuantity": execution.filled,
            "remainingQuantity": execution.remaining,
            "lastQuantity": execution.last_quantity,
            "lastQuantityNotional": execution.last_quantity,
            "filledQuantityNotional": execution.filled,
            "transactionTime": iso(execution.time),
        }
        if execution.last_price is not None:
            item["lastPrice"] = execution.last_price
        if execution.average_price is not None:
            item["averagePrice"] = execution.average_price
        return item

    def _cash_json(self, cash: CashTx) -> dict[str, Any]:
        """§7.6 Cash Transaction; ``orderCode`` absent when not order-related."""
        item: dict[str, Any] = {
            "account": self._cash_account(cash),
            "transactionCode": cash.code,
            "version": cash.version,
            "type": cash.type,
            "value": cash.value,
            "currency": cash.currency,
            "transactionTime": iso(cash.time),
        }
        if cash.order is not None:
            item["orderCode"] = self._system_code(cash.order)
            item["clientOrderId"] = cash.order.client_code
        if cash.trade_code is not None:
            item["tradeCode"] = cash.trade_code
        if cash.position_code is not None:
            item["positionCode"] = cash.position_code
        return item

    def _cash_account(self, cash: CashTx) -> str:
        if cash.order is not None:
            return cash.order.account
        return next(a.code for a in self._accounts.values() for t in a.transfers if cash in t.cash)

    # ------------------------------------------------------------------ open orders (§7.1)

    @staticmethod
    def _list_etag(orders: list[Order]) -> str:
        return etag_of([f"{o.account}/{o.order_id}/{o.version}" for o in orders] or ["none"])

    def _orders_answer(self, req: RecordedRequest, accounts: list[Account]) -> Response:
        orders = [o for a in accounts for o in a.open_orders()]
        payload = {"orders": [self._order_json(o) for o in orders]}
        return self._conditional(req, self._list_etag(orders), payload)  # §12 item 7

    def _orders_one(self, req: RecordedRequest, user: str, code: str) -> Response:
        return self._orders_answer(req, [self._account(user, code)])

    def _orders_multi(self, req: RecordedRequest, user: str) -> Response:
        return self._orders_answer(req, self._accounts_param(req, user))

    def _find_order(self, account: Account, code: str, numeric: bool = False) -> Order:
        """§7.3: an order by its client code (``clientOrderId``) or the system ``orderCode``;
        the numeric ``orderId`` only where ``numeric`` (the single-order GET, a choice)."""
        for order in account.orders:
            if code in (order.client_code, order.system_code, SESSION_PREFIX + order.client_code):
                return order
            if numeric and code == str(order.order_id):
                return order
        raise not_found()

    def _order_one(self, req: RecordedRequest, user: str, code: str, order_code: str) -> Response:
        """``GET /accounts/{acct}/orders/{order}`` (§2): one Order with its own ETag (§7.5)."""
        order = self._find_order(self._account(user, code), order_code, numeric=True)
        return self._conditional(req, order.etag, self._order_json(order))

    # ------------------------------------------------------------------ place (§7.2)

    def _place(self, req: RecordedRequest, user: str, code: str) -> Response:
        """``POST /accounts/{acct}/orders``: a Single Order Request or an Order Group Request."""
        account = self._account(user, code)
        body = order_body(req)
        if "orders" in body or "contingencyType" in body:  # §7.2: groups share the resource
            return self._place_group(account, body)
        order = self._build(account, body)
        self._pre_trade(account, order)
        self._store(account, [order])
        self._execute_new(account, [order])
        return json_response(200, self._order_response(order))

    def _place_group(self, account: Account, body: dict[str, Any]) -> Response:
        """§7.2 Order Group Request ``{"orders": [...], "contingencyType": "IF-THEN"|"OCO"}``."""
        items = body.get("orders")
        contingency = _upper(body, "contingencyType")
        if contingency not in CONTINGENCIES:
            raise bad_request("contingencyType must be IF-THEN or OCO")
        if not isinstance(items, list) or len(items) < 2:
            raise bad_request("an order group needs two or more orders")
        if not all(isinstance(item, dict) for item in items):
            raise bad_request("every member of a group must be an order object")
        codes = [str(item.get("orderCode") or "") for item in items]
        if len(set(codes)) != len(codes):
            raise bad_request("the orderCodes of a group must differ")
        if contingency == "IF-THEN":
            orders = self._build_if_then(account, items)
        else:
            orders = self._build_oco(account, items)
        for order in orders:
            self._pre_trade(account, order)
        group = self._new_id()
        for order in orders:
            order.contingency, order.group = contingency, group
        if contingency == "IF-THEN":
            for child in orders[1:]:
                child.parent = orders[0].client_code
                child.status = "ACCEPTED"  # §12 item 8: inactive until the parent fills (choice)
        self._store(account, orders)
        self._execute_new(account, orders)
        return self._responses([self._order_response(o) for o in orders])

    def _build_if_then(self, account: Account, items: list[dict[str, Any]]) -> list[Order]:
        """§7.2 IF-THEN rules (S2): same account and instrument, position-based account; the
        first order is the parent (OPEN, nonzero quantity); the THEN children are CLOSE orders,
        opposite side, quantity 0 or omitted, GTC. Children must be STOP or LIMIT (a choice)."""
        parent_body, child_bodies = items[0], items[1:]
        if _upper(parent_body, "positionEffect", "OPEN") != "OPEN":
            raise bad_request("the IF-THEN parent must be an OPEN order")
        parent = self._build(account, parent_body)
        return [parent, *self._build_children(account, parent, child_bodies)]

    def _build_children(
        self, account: Account, parent: Order, child_bodies: list[dict[str, Any]]
    ) -> list[Order]:
        """The THEN orders of an IF-THEN group whose parent is ``parent`` (§7.2 rules)."""
        children = []
        for item in child_bodies:
            if _upper(item, "positionEffect") != "CLOSE":
                raise bad_request("IF-THEN children must be CLOSE orders")
            if str(item.get("instrument")) != parent.instrument:
                raise bad_request("the orders of an IF-THEN group must share the instrument")
            opposite = "SELL" if parent.side == "BUY" else "BUY"
            if _upper(item, "side", opposite) != opposite:
                raise bad_request("IF-THEN children must take the side opposite to the parent")
            if to_decimal(item.get("quantity")) not in (None, ZERO):
                raise bad_request("IF-THEN children must have quantity 0 or none")
            if _upper(item, "tif", "GTC") != "GTC":
                raise bad_request("IF-THEN children must be GTC")
            if _upper(item, "type") not in ("STOP", "LIMIT"):
                raise bad_request("IF-THEN children must be STOP or LIMIT orders")
            child = self._build(account, item, then_child=True)
            child.side = opposite
            children.append(child)
        return children

    def _build_oco(self, account: Account, items: list[dict[str, Any]]) -> list[Order]:
        """§7.2 OCO: both OPEN, equal nonzero quantity."""
        if len(items) != 2:
            raise bad_request("an OCO group has exactly two orders")
        if any(_upper(item, "positionEffect", "OPEN") != "OPEN" for item in items):
            raise bad_request("OCO orders must be OPEN orders")
        orders = [self._build(account, item) for item in items]
        if orders[0].quantity != orders[1].quantity:
            raise bad_request("OCO orders must have equal quantities")
        return orders

    def _build(self, account: Account, body: dict[str, Any], *, then_child: bool = False) -> Order:
        """Validate one Single Order Request and build the (not yet stored) order."""
        code, kind, instrument = body.get("orderCode"), body.get("type"), body.get("instrument")
        if not code or not kind or not instrument:  # §7.2: required orderCode, type, instrument
            raise bad_request("orderCode, type and instrument are required")
        code = str(code)
        if not valid_client_code(code):  # §7.2/§10: 400/101
            raise DXError(400, "101", f"Client-originated identifier is not valid ({code})")
        if account.by_client_code(code) is not None:  # §7.2: 409/100
            raise DXError(409, "100", f"Order with this id already exists ({code})")
        if body.get("account") not in (None, account.code):
            raise bad_request("account does not match the path")
        kind = str(kind).upper()
        if kind not in ORDER_TYPES:
            raise bad_request(f"unsupported order type {kind}")
        if str(instrument) not in self._quotes:  # §12 item 16 / §8: unknown symbol → 400/32
            raise bad_param(f"instrument: {instrument}")
        effect = _upper(body, "positionEffect", "OPEN")
        if effect not in ("OPEN", "CLOSE"):
            raise bad_request(f"unsupported positionEffect {effect}")
        side = _upper(body, "side")
        if side not in ("BUY", "SELL") and (side or effect == "OPEN"):
            raise bad_request("side must be BUY or SELL")
        tif, expire = self._tif(body, kind)
        now = self._now()
        order = Order(
            account=account.code,
            order_id=0,
            client_code=code,
            system_code="",
            type=kind,
            instrument=str(instrument),
            side=side,
            tif=tif,
            position_effect=effect,
            quantity=self._quantity(body, effect),
            issue_time=now,
            transaction_time=now,
            expire_date=expire,
        )
        order.limit_price, order.stop_price = self._prices(body, kind)
        if effect == "CLOSE" and not then_child:
            self._close_target(account, order, body)
        return order

    def _tif(self, body: dict[str, Any], kind: str) -> tuple[str, str | None]:
        """§7.2: tif DAY|GTC|IOC|FOK|GTD (GTC when omitted); GTD needs ``expireDate``; MARKET
        only with GTC per S4 — enforced only with ``market_gtc_only`` (S6 sends IOC)."""
        tif = _upper(body, "tif", "GTC")
        if tif not in TIFS:
            raise bad_request(f"invalid tif {tif}")
        expire = body.get("expireDate")
        if tif == "GTD" and not expire:
            raise bad_request("GTD orders need an expireDate")
        if kind == "MARKET" and tif != "GTC" and self.market_gtc_only:
            raise bad_request("MARKET orders must be GTC")
        return tif, str(expire) if tif == "GTD" else None

    @staticmethod
    def _quantity(body: dict[str, Any], effect: str) -> Decimal | None:
        """§7.2: quantity in units; OPEN needs one; CLOSE may omit it or send 0 (= none)."""
        raw = body.get("quantity")
        if raw is None:
            if effect == "OPEN":
                raise bad_request("quantity is required")
            return None
        quantity = to_decimal(raw)
        if quantity is None or quantity < 0 or (quantity == 0 and effect == "OPEN"):
            raise bad_request("quantity must be a positive number")
        return quantity or None

    @staticmethod
    def _prices(body: dict[str, Any], kind: str) -> tuple[Decimal | None, Decimal | None]:
        """§7.2/§8: a LIMIT needs ``limitPrice``, a STOP ``stopPrice`` (400/33 otherwise)."""
        limit = to_decimal(body.get("limitPrice")) if kind == "LIMIT" else None
        stop = to_decimal(body.get("stopPrice")) if kind == "STOP" else None
        if kind == "LIMIT" and (limit is None or limit <= 0):
            raise bad_request("LIMIT order requires a positive limitPrice")
        if kind == "STOP" and (stop is None or stop <= 0):
            raise bad_request("STOP order requires a positive stopPrice")
        return limit, stop

    def _close_target(self, account: Account, order: Order, body: dict[str, Any]) -> Position:
        """§7.2/§7.3 CLOSE rules: top-level ``positionCode`` required (400/33, S6); opposite
        side; STOP/LIMIT without quantity (400/33, S5, ``reject_close_quantity``); a MARKET close
        without quantity closes the whole position. Unknown position → 409/33 (a choice)."""
        code = body.get("positionCode")
        if code in (None, ""):
            raise bad_request("positionCode is required for CLOSE orders")
        position = account.positions.get(str(code))
        if position is None:
            raise DXError(409, "33", f"Incorrect request (position {code} not found)")
        if position.symbol != order.instrument:
            raise bad_request("instrument does not match the position")
        opposite = "SELL" if position.side == "BUY" else "BUY"
        if order.side not in ("", opposite):
            raise bad_request("a CLOSE order takes the side opposite to the position")
        if order.type != "MARKET" and order.quantity is not None and self.reject_close_quantity:
            raise bad_request(CLOSE_QTY_TEXT)
        if order.quantity is not None and order.quantity > position.quantity:
            raise bad_request("quantity exceeds the position quantity")
        order.side, order.position_code = opposite, position.code
        return position

    def _pre_trade(self, account: Account, order: Order) -> None:
        """§7.4/§12 item 8: trading status and the account's order size limits → 409 pre-trade
        rejection (the code is unknown per the sheet: ``pre_trade_code``, "29" by default)."""
        if self.reject_orders:
            raise DXError(409, self.pre_trade_code, self.reject_orders)
        details = self._details(account, order.instrument)
        status = details["tradingStatus"]
        if status == "NO" or (status == "CLOSE_ONLY" and order.position_effect == "OPEN"):
            raise DXError(409, self.pre_trade_code, f"Trading is not allowed ({status})")
        quantity = order.quantity
        if quantity is None:
            return
        low, high = details["minOrderSize"], details["maxOrderSize"]
        step = details["minOrderSizeIncrement"]
        if quantity < low:
            raise DXError(409, self.pre_trade_code, f"Order size {quantity} is below {low}")
        if quantity > high:
            raise DXError(409, self.pre_trade_code, f"Order size {quantity} is above {high}")
        if step and quantity % step != 0:
            raise DXError(409, self.pre_trade_code, f"Order size must be a multiple of {step}")

    def _store(self, account: Account, orders: list[Order]) -> None:
        for order in orders:
            order.order_id = self._new_id()
            order.update_order_id = order.order_id
            order.system_code = f"{self._new_chain()}:{order.client_code}"
            account.orders.append(order)
            self._report(order)
        account.version += 1

    def _execute_new(self, account: Account, orders: list[Order]) -> None:
        for order in orders:
            if order.type == "MARKET" and order.status == "WORKING":
                self._fill(account, order)
        self._run_triggers()

    @staticmethod
    def _order_response(order: Order) -> dict[str, Any]:
        """§7.2 Order Response."""
        return {"orderId": order.order_id, "updateOrderId": order.update_order_id}

    def _responses(self, items: list[dict[str, Any]], etag: str | None = None) -> Response:
        """§7.2: ``{"orderResponses": [...]}``, or a bare list with ``group_answer_list``."""
        payload: Any = items if self.group_answer_list else {"orderResponses": items}
        return json_response(200, payload, [("ETag", etag)] if etag else None)

    # ------------------------------------------------------------------ execution

    def _report(
        self, order: Order, last_quantity: Decimal = ZERO, price: Decimal | None = None
    ) -> None:
        """§7.6: every status change, replace, cancel and fill is an execution of the order."""
        quantity = order.quantity or order.filled
        remaining = ZERO if order.final else quantity - order.filled
        order.executions.append(
            Execution(
                code=f"{order.order_id}-E{len(order.executions) + 1}",
                status=order.status,
                filled=order.filled,
                remaining=remaining,
                last_quantity=last_quantity,
                time=order.transaction_time,
                update_order_id=order.update_order_id,
                version=order.version,
                last_price=price,
                average_price=order.average_price,
            )
        )

    def _touch(self, account: Account, order: Order, status: str | None = None) -> None:
        order.status = status or order.status
        order.version += 1
        order.transaction_time = self._now()
        if order.final:
            order.final_time = order.transaction_time
        account.version += 1

    def _fill(self, account: Account, order: Order) -> None:
        """Execute ``order`` at the current quote: open a position or close (part of) one."""
        bid, ask = self._quote(order.instrument)
        price = ask if order.side == "BUY" else bid
        if order.position_effect == "OPEN":
            quantity = order.quantity or ZERO
            self._open_position(account, order, price, quantity)
            realised = None
        else:
            position = account.positions.get(order.position_code or "")
            if position is None:  # its position is gone: nothing to close
                self._cancel_order(account, order)
                return
            quantity = min(order.quantity or position.quantity, position.quantity)
            realised = self._reduce_position(account, position, quantity, price, order)
        order.filled, order.average_price = quantity, price
        self._touch(account, order, "COMPLETED")
        signed = quantity if order.side == "BUY" else -quantity
        self._report(order, signed, price)
        trade_code = order.executions[-1].code
        cash = []
        if realised is not None:  # §7.6: SETTLEMENT of the realised P/L, account currency
            cash.append(("SETTLEMENT", realised))
        commission = (quantity * price * self.commission_rate).quantize(CENT)
        if commission:  # §7.6: optional COMMISSION, a cost
            cash.append(("COMMISSION", -commission))
        for kind, value in cash:
            self._book(account, order, kind, value, trade_code)
        self._after_fill(account, order)

    def _book(
        self, account: Account, order: Order | None, kind: str, value: Decimal, trade: str | None
    ) -> CashTx:
        """Book a cash movement into the balance, the order and a trade-originated transfer."""
        account.balance += value
        account.version += 1
        cash = CashTx(
            code=self._new_id(),
            type=kind,
            value=value,
            currency=account.currency,
            time=order.transaction_time if order else self._now(),
            version=account.version,
            order=order,
            trade_code=trade,
            position_code=order.position_code if order else None,
        )
        if order is not None:
            order.cash.append(cash)
        account.transfers.append(Transfer(None, None, cash.time, account.version, [cash]))
        return cash

    def _after_fill(self, account: Account, order: Order) -> None:
        """IF-THEN children become working protective orders of the new position (§7.5 case
        2); an OCO sibling is cancelled (§7.2)."""
        if order.group is None:
            return
        for other in account.orders:
            if other.group != order.group or other is order or other.final:
                continue
            if order.contingency == "OCO":
                self._cancel_order(account, other)
            elif other.parent == order.client_code:
                other.position_code = order.position_code
                self._touch(account, other, "WORKING")
                self._report(other)

    def _open_position(
        self, account: Account, order: Order, price: Decimal, quantity: Decimal
    ) -> None:
        """A position-based account opens one position per OPEN fill; its code is the opening
        order's ``orderId`` (§7.6: S4/S14 link, a choice)."""
        now = order.transaction_time
        rate = self._details(account, order.instrument)["marginRate"]
        position = Position(
            account=account.code,
            code=str(order.order_id),
            symbol=order.instrument,
            side=order.side,
            quantity=quantity,
            open_price=price,
            margin=(quantity * price * rate).quantize(CENT),
            margin_rate=rate,
            open_time=now,
            update_time=now,
        )
        account.positions[position.code] = position
        order.position_code = position.code
        account.version += 1

    def _reduce_position(
        self, account: Account, position: Position, quantity: Decimal, price: Decimal, by: Order
    ) -> Decimal:
        """Close ``quantity`` at ``price``; return the realised P/L (booked by the caller)."""
        realised = ((price - position.open_price) * quantity * position.sign).quantize(CENT)
        if quantity >= position.quantity:
            del account.positions[position.code]
            for order in account.orders:  # §7.2 (S5): protective orders die with the position
                if order.position_code == position.code and order.active and order is not by:
                    self._cancel_order(account, order)
        else:
            position.margin -= (position.margin * quantity / position.quantity).quantize(CENT)
            position.quantity -= quantity
            position.version += 1
            position.update_time = self._now()
        account.version += 1
        return realised

    def _cancel_order(self, account: Account, order: Order) -> list[Order]:
        """Cancel ``order``; an IF-THEN parent takes its inactive children with it (§12 item 8).
        Returns every order cancelled."""
        if order.final:
            return []
        order.update_order_id = self._new_id()
        self._touch(account, order, "CANCELED")
        self._report(order)
        cancelled = [order]
        for child in account.orders:
            if child.parent == order.client_code and child.status == "ACCEPTED":
                cancelled += self._cancel_order(account, child)
        return cancelled

    def _triggered(self, order: Order) -> bool:
        """§12 item 13: STOP/LIMIT orders trigger on the price (buy on ask, sell on bid)."""
        bid, ask = self._quote(order.instrument)
        market = ask if order.side == "BUY" else bid
        price = order.price
        if price is None or order.type == "MARKET":
            return False
        buy_side = order.side == "BUY"
        if order.type == "LIMIT":
            return market <= price if buy_side else market >= price
        return market >= price if buy_side else market <= price

    def _run_triggers(self) -> None:
        """Fill every working STOP/LIMIT order its quote has reached, until none is left."""
        changed = True
        while changed:
            changed = False
            for account in self._accounts.values():
                for order in list(account.orders):
                    if order.status == "WORKING" and self._triggered(order):
                        self._fill(account, order)
                        changed = True

    def set_quote(self, symbol: str, bid: Any, ask: Any) -> None:
        """Move ``symbol``'s quote: fills the STOP/LIMIT orders it triggers (closing positions
        hit by their stop-loss or take-profit, cancelling the sibling) and moves every P/L.
        Also ``POST /_sandbox/dxtrade/quote {"symbol", "bid", "ask"}``."""
        low, high = to_decimal(bid), to_decimal(ask)
        if symbol not in self._quotes:
            raise ValueError(f"unknown DXtrade symbol {symbol!r}")
        if low is None or high is None or low <= 0 or high < low:
            raise ValueError("bid and ask must be positive numbers with bid <= ask")
        with self.lock:
            self._quotes[symbol] = [low, high, float(int(self._now()))]
            for account in self._accounts.values():
                account.version += 1
            self._run_triggers()
