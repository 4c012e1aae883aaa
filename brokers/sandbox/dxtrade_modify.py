"""DXtrade emulator: cancel (single and group) and modify (``PUT /accounts/{acct}/orders``).

A mixin of :class:`brokers.sandbox.dxtrade.DXtradeState`. Section numbers (§) refer to
``shared/reference/dxtrade-api.md``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .dxtrade_model import (
    CONTINGENCIES,
    ZERO,
    Account,
    DXError,
    Order,
    bad_param,
    bad_request,
    csv,
)
from .dxtrade_orders import CLOSE_QTY_TEXT, _upper, order_body
from .wire import RecordedRequest, Response, empty_response, json_response, to_decimal


class ModifyMixin:
    """Cancel and modify for :class:`DXtradeState`."""

    # ------------------------------------------------------------------ conditions (§10)

    def _if_match(self, req: RecordedRequest) -> set[str]:
        """§10: ``If-Match`` is required on PUT/DELETE: missing → 403/99 (``require_if_match``)."""
        header = (req.header("if-match") or "").strip()
        if not header and self.require_if_match:
            raise DXError(403, "99", "Conditional header If-Match is required")
        return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}

    def _check_etag(self, tags: set[str], account: Account, orders: list[Order]) -> None:
        """§7.5: the ETag of the latest ``GET .../orders`` (the resource a PUT targets); the
        single-order GET's ETag too unless ``etag_sources`` leaves "order" out; ``*`` is any.
        Stale → 412 (errorCode 99, a choice)."""
        if not tags:
            return
        valid = set()
        if "list" in self.etag_sources:
            valid.add(self._list_etag(account.open_orders()))
        if "order" in self.etag_sources:
            valid.update(order.etag for order in orders)
        if "*" not in tags and not tags & valid:
            raise DXError(412, "99", "Precondition failed: If-Match does not match the ETag")

    def _answer_write(self, payload: Any, account: Account, list_answer: bool) -> Response:
        """An Order Response (or a list of them) with the new orders-list ETag (§7.5)."""
        etag = self._list_etag(account.open_orders()) if self.modify_etag else None
        if list_answer:
            return self._responses(payload, etag)
        return json_response(200, payload, [("ETag", etag)] if etag else None)

    # ------------------------------------------------------------------ cancel (§7.3)

    def _cancel(self, req: RecordedRequest, user: str, code: str, order_code: str) -> Response:
        """``DELETE /accounts/{acct}/orders/{orderCode}``: the client order id or the system
        ``orderCode`` — never the numeric ``orderId`` (404/2). Final → 409/1005. An IF-THEN
        parent takes its inactive children with it (the sheet is silent: a choice)."""
        account = self._account(user, code)
        tags = self._if_match(req)
        order = self._find_order(account, order_code)
        if order.final:
            raise DXError(409, "1005", "Reference order is closed")
        self._check_etag(tags, account, [order])
        self._cancel_order(account, order)
        if self.cancel_empty:  # §11: cancel response may be empty
            return empty_response(200)
        return self._answer_write(self._order_response(order), account, False)

    def _cancel_group(self, req: RecordedRequest, user: str, code: str) -> Response:
        """``DELETE /accounts/{acct}/orders/group?order-codes=a,b&contingency-type=...`` (§7.3):
        parent first; cancels every active member of the group the codes name."""
        account = self._account(user, code)
        codes = csv(req.query.get("order-codes"))
        contingency = (req.query.get("contingency-type") or "").upper()
        if not codes:
            raise bad_param("order-codes")
        if contingency not in CONTINGENCIES:
            raise bad_param("contingency-type")
        tags = self._if_match(req)
        named = [self._find_order(account, c) for c in codes]
        group = named[0].group
        if group is None or any(o.group != group for o in named):
            raise bad_param("order-codes: not one order group")
        if named[0].contingency != contingency:
            raise bad_param("contingency-type")
        if contingency == "IF-THEN" and named[0].parent is not None:
            raise bad_param("order-codes: the parent comes first")
        members = [o for o in account.orders if o.group == group]
        if all(o.final for o in members):
            raise DXError(409, "1005", "Reference order is closed")
        self._check_etag(tags, account, members)
        cancelled: list[Order] = []
        for order in members:
            cancelled += self._cancel_order(account, order)
        if self.cancel_empty:
            return empty_response(200)
        return self._answer_write([self._order_response(o) for o in cancelled], account, True)

    # ------------------------------------------------------------------ modify (§7.3, §7.5)

    def _modify(self, req: RecordedRequest, user: str, code: str) -> Response:
        """``PUT /accounts/{acct}/orders`` with the complete order (or group) and ``If-Match``."""
        account = self._account(user, code)
        tags = self._if_match(req)
        body = order_body(req)
        if "orders" in body or "contingencyType" in body:
            return self._modify_group(account, body, tags)
        order = self._find_order(account, str(body.get("orderCode") or ""))  # 404/2
        if order.final:  # the sheet: unknown for PUT; the cancel's 409/1005 (a choice)
            raise DXError(409, "1005", "Reference order is closed")
        self._check_etag(tags, account, [order])
        change = self._replacement(account, order, body)
        self._apply(account, order, change)
        drops = order.contingency == "IF-THEN" and order.parent is None
        if drops and self.single_put_drops_children:  # §7.5 case 1 (S4's reading of S2)
            for child in account.orders:
                if child.parent == order.client_code and child.active:
                    self._cancel_order(account, child)
            order.contingency = order.group = None
        self._run_triggers()
        return self._answer_write(self._order_response(order), account, False)

    def _modify_group(self, account: Account, body: dict[str, Any], tags: set[str]) -> Response:
        """§7.5 Groups: a PUT may carry the whole group; members cannot be added or removed in
        one request (409, as an immutable change); a single order may become a group."""
        items = body.get("orders")
        contingency = _upper(body, "contingencyType")
        if not isinstance(items, list) or not items or contingency not in CONTINGENCIES:
            raise bad_request("a group needs orders[] and contingencyType IF-THEN or OCO")
        if not all(isinstance(item, dict) for item in items):
            raise bad_request("every member of a group must be an order object")
        first = account.by_client_code(str(items[0].get("orderCode") or ""))
        new = [
            i for i in items[1:] if account.by_client_code(str(i.get("orderCode") or "")) is None
        ]
        if (
            first is not None
            and first.group is None
            and contingency == "IF-THEN"
            and new == items[1:]
        ):
            return self._single_to_group(account, first, items, tags)
        orders = [self._find_order(account, str(i.get("orderCode") or "")) for i in items]
        if all(o.final for o in orders):
            raise DXError(409, "1005", "Reference order is closed")
        group = orders[0].group
        members = {o.client_code for o in account.orders if o.group == group and o.active}
        same = group is not None and all(o.group == group for o in orders)
        if not same or {o.client_code for o in orders if o.active} != members:
            raise self._immutable("the members of an order group")
        if orders[0].contingency != contingency:
            raise self._immutable("contingencyType")
        if contingency == "IF-THEN" and orders[0].parent is not None:
            raise bad_request("the IF-THEN parent comes first")
        self._check_etag(tags, account, orders)
        changes = [
            (o, self._replacement(account, o, item))
            for o, item in zip(orders, items, strict=True)
            if o.active
        ]
        for order, change in changes:
            self._apply(account, order, change)
        self._run_triggers()
        responses = [self._order_response(o) for o, _ in changes]
        return self._answer_write(responses, account, True)

    def _single_to_group(
        self, account: Account, parent: Order, items: list[dict[str, Any]], tags: set[str]
    ) -> Response:
        """§7.5 Groups (S2): "a single order may be replaced by a group": the existing order
        first, the new THEN members after it (inactive until the parent fills, §12 item 8)."""
        if parent.final:
            raise DXError(409, "1005", "Reference order is closed")
        if parent.position_effect != "OPEN":
            raise bad_request("the IF-THEN parent must be an OPEN order")
        self._check_etag(tags, account, [parent])
        change = self._replacement(account, parent, items[0])
        children = self._build_children(account, parent, items[1:])
        self._apply(account, parent, change)
        group = self._new_id()
        parent.contingency, parent.group = "IF-THEN", group
        for child in children:
            child.contingency, child.group, child.parent = "IF-THEN", group, parent.client_code
            child.status = "ACCEPTED"
        self._store(account, children)
        self._execute_new(account, children)
        self._run_triggers()
        responses = [self._order_response(o) for o in (parent, *children)]
        return self._answer_write(responses, account, True)

    def _immutable(self, what: str) -> DXError:
        """§7.3/§7.5: an immutable field changed → 409 (code unknown: ``immutable_code``)."""
        return DXError(409, self.immutable_code, f"Incorrect request ({what} cannot be changed)")

    def _replacement(self, account: Account, order: Order, body: dict[str, Any]) -> dict[str, Any]:
        """Validate a complete replacement request (§7.5 Body) without changing anything."""
        for key, current in (
            ("type", order.type),
            ("side", order.side),
            ("instrument", order.instrument),
            ("positionEffect", order.position_effect),
        ):
            value = body.get(key)
            if value not in (None, "") and str(value).upper() != current.upper():
                raise self._immutable(key)  # §7.3: instrument, side, type → 409
        position_code = body.get("positionCode")
        moved = position_code not in (None, "") and str(position_code) != order.position_code
        if moved and order.position_effect == "CLOSE" and order.position_code is not None:
            raise self._immutable("positionCode")
        tif, expire = self._tif(body, order.type)
        limit, stop = self._prices(body, order.type)
        quantity = to_decimal(body.get("quantity"))
        if order.position_effect == "OPEN":
            if quantity is None or quantity <= 0:
                raise bad_request("quantity must be a positive number")
            probe = Order(**{**order.__dict__, "quantity": quantity})
            self._pre_trade(account, probe)  # §7.4 size limits apply to the new quantity
        else:
            if quantity not in (None, ZERO) and self.reject_close_quantity:
                raise bad_request(CLOSE_QTY_TEXT)  # §7.5: a protective order carries none
            quantity = None if quantity in (None, ZERO) else quantity
        return {"tif": tif, "expire": expire, "limit": limit, "stop": stop, "quantity": quantity}

    def _apply(self, account: Account, order: Order, change: dict[str, Any]) -> None:
        """Replace prices, quantity and tif; bump the version (new ETag) and report it."""
        order.tif, order.expire_date = change["tif"], change["expire"]
        order.limit_price, order.stop_price = change["limit"], change["stop"]
        quantity: Decimal | None = change["quantity"]
        order.quantity = quantity
        order.update_order_id = self._new_id()
        self._touch(account, order)
        self._report(order)
