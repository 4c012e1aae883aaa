"""DXtrade (Devexperts DXSCA REST API under ``/dxsca-web``).

>>> from brokers import DXTrade
>>> with DXTrade("https://dxtrade.example.com", "1210001", "secret") as client:
...     client.get_balance()
Balance(broker='dxtrade', account='default:1210001', currency='USD', ...)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from . import orders as checks
from .base import BrokerClient, Reply, check_base_url, log, replace_error
from .dxtrade_wire import (
    client_code,
    group_children,
    has_code,
    metrics_to_balance,
    order_items,
    order_responses,
    parse_accounts,
    parse_instrument_limits,
    parse_instruments,
    parse_metrics,
    parse_order,
    parse_orders,
    parse_portfolio_currency,
    parse_positions,
    parse_session_timeout,
    system_code,
)
from .exceptions import (
    AccessDeniedError,
    AccountLockedError,
    AuthenticationError,
    BotProtectionError,
    BrokerError,
    ConfigurationError,
    NetworkError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    RateLimitError,
    RequestRejectedError,
    ResponseError,
    ServerError,
)
from .models import Account, Balance, Instrument, Order, OrderResult, Position
from .parsing import mapping, mapping_list, money, text
from .redaction import Secret
from .throttle import Rate

API = "/dxsca-web"
LOGIN_PATH = f"{API}/login"
DEFAULT_IDLE_TIMEOUT = 30 * 60.0
_LOCKED_WORDS = re.compile(r"lock|block|disabl|suspend|terminat|expired", re.IGNORECASE)


def _duplicate(exc: BaseException) -> bool:
    """DXtrade's "Order with this id already exists": the order code is taken (409/100)."""
    return isinstance(exc, RequestRejectedError) and exc.status == 409 and exc.code == "100"


def _lost(exc: BrokerError) -> bool:
    """True when a write's answer was lost: it may or may not have been executed."""
    if isinstance(exc, (NetworkError, ServerError, RateLimitError)):
        return True
    return isinstance(exc, ResponseError) and exc.status is not None and 200 <= exc.status < 300


class DXTrade(BrokerClient):
    """A DXtrade account, logged in with username, password and domain.

    ``base_url`` is the broker's address, with or without ``/dxsca-web``. ``account`` is an
    account code such as ``default:1210001`` (default: the login's first account).
    ``currency`` (optional) is that account's currency: with both given, a cold balance
    read skips the ``/users`` request. ``idle_timeout`` is used when the platform does not
    say how long an idle session lives. Other options: see :class:`~brokers.BrokerClient`.
    """

    broker = "dxtrade"
    default_rates = {"login": Rate(1, 1.0)}  # the documented login limit: 1 per second
    env_variables = {
        "base_url": (("DXTRADE_BASE_URL",), True),
        "username": (("DXTRADE_USERNAME",), True),
        "password": (("DXTRADE_PASSWORD",), True),
        "domain": (("DXTRADE_DOMAIN",), False),
        "account": (("DXTRADE_ACCOUNT",), False),
        "currency": (("DXTRADE_CURRENCY",), False),
    }
    capabilities = {
        "balance": "every account in one request",
        "positions": True,
        "orders": True,
        "instruments": True,
        "place_order": "stop loss / take profit as an IF-THEN group",
        "client_order_id": "resent safely: the platform refuses a duplicate code",
        "close_position": True,
        "cancel_order": True,
    }

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        domain: str = "default",
        account: str | None = None,
        *,
        currency: str | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        **options: Any,
    ) -> None:
        root = check_base_url(base_url)
        if root.endswith(API):
            root = root[: -len(API)]
        super().__init__(root, account=account, **options)
        if not username or not password:
            raise ConfigurationError("DXtrade needs a username and a password")
        self.username = str(username)
        self.domain = domain or "default"
        self.currency = currency
        self.idle_timeout = checks.seconds(idle_timeout, "idle_timeout")
        self._password = Secret(password, password=True)  # a short password must not leak
        self._token: Secret | None = None
        self._session_timeout = self.idle_timeout
        self._accounts: list[Account] | None = None
        self._portfolio_currencies: dict[str, str | None] = {}
        self._limits: dict[tuple[str, str], Mapping[str, Any] | None] = {}

    @property
    def _user_label(self) -> str:
        return f"{self.username}@{self.domain}"

    # -------------------------------------------------------------- session

    def _open_session(self) -> None:
        body = {
            "username": self.username,
            "domain": self.domain,
            "password": self._password.reveal(),
        }
        reply = self._send("POST", LOGIN_PATH, json=body, kind="login")
        self._adopt_session(reply.data, LOGIN_PATH)

    def _adopt_session(self, data: Any, path: str) -> None:
        with self._parsing("POST", path):
            payload = mapping(data, "login")
            token = text(payload.get("sessionToken"))
            if not token:
                raise ResponseError("the login answer has no sessionToken")
        self._token = Secret(token)
        timeout = parse_session_timeout(payload.get("timeout"))
        if timeout is not None:
            self._session_timeout = timeout
        elif path == LOGIN_PATH:  # a ping without a timeout keeps the login's
            self._session_timeout = self.idle_timeout
        self._last_activity = self._clock()

    def _session_is_stale(self) -> bool:
        # The platform ends a session idle for `timeout`; log in again a little before that
        # instead of spending a request on a certain 401.
        slack = min(10.0, self._session_timeout * 0.1)
        return self._clock() - self._last_activity >= self._session_timeout - slack

    def _auth_headers(self, account: str | None) -> dict[str, str]:
        token = self._token  # read once: close() in another thread may clear it
        return {"Authorization": f"DXAPI {token.reveal()}"} if token else {}

    def _close_session(self) -> None:
        self._send("POST", f"{API}/logout", headers=self._auth_headers(None), idempotent=False)

    def _forget_session(self) -> None:
        super()._forget_session()
        self._token = None

    def ping(self) -> bool:
        """Keep the session alive (``POST /ping``); logs in first if needed."""
        reply = self._call("POST", f"{API}/ping")
        if isinstance(reply.data, Mapping) and reply.data.get("sessionToken"):
            with self._lock:
                self._adopt_session(reply.data, f"{API}/ping")
        return True

    # ---------------------------------------------------------------- errors

    def _error_details(self, data: Any) -> tuple[str | None, str | None]:
        if isinstance(data, Mapping):
            return text(data.get("errorCode")), text(data.get("description"))
        return None, None

    def _refine_error(self, error: BrokerError, data: Any) -> BrokerError:
        is_write = error.method in ("POST", "PUT", "DELETE") and "/orders" in (error.path or "")
        if type(error) is RequestRejectedError and is_write:
            return replace_error(error, OrderRejectedError)
        if type(error) is RequestRejectedError and error.status == 404 and error.code == "2":
            return replace_error(
                error,
                RequestRejectedError,
                hint="the account or order code is wrong, or this login may not use it",
            )
        if error.path != LOGIN_PATH or isinstance(error, BotProtectionError):
            return error
        if error.status == 401:
            if _LOCKED_WORDS.search(error.message):
                return replace_error(error, AccountLockedError)
            return replace_error(
                error,
                AuthenticationError,
                message=f"login refused for {self._user_label} ({error.message})",
                hint="the username, password or domain is wrong, or the account is locked "
                "or disabled: DXtrade reports all of these the same way",
            )
        if error.status == 403:
            return replace_error(
                error,
                AccessDeniedError,
                message=f"login refused for {self._user_label}: REST API access is disabled",
            )
        return error

    # ---------------------------------------------------------------- reads

    def accounts(self) -> list[Account]:
        """The login's accounts (``GET /users``), fetched once and kept."""
        if self._accounts is None:
            path = f"{API}/users"
            try:
                reply = self._call("GET", path)
            except RequestRejectedError as exc:
                if exc.status != 404:
                    raise
                # Some servers list only single users: /users/{login%40domain}.
                path = f"{API}/users/{quote(self._user_label, safe='')}"
                reply = self._call("GET", path)
            with self._parsing("GET", path):
                self._accounts = parse_accounts(reply.data, self.username)
        return list(self._accounts)

    def _currency(self, code: str, known: str | None) -> str | None:
        """``known``, else the account's currency from its portfolio (asked once): the
        metrics carry none, and some ``/users`` answers lack ``baseCurrency``."""
        if known is not None:
            return known
        if code not in self._portfolio_currencies:
            path = self._account_path(code, "/portfolio")
            try:
                reply = self._call("GET", path)
                with self._parsing("GET", path):
                    currency = parse_portfolio_currency(reply.data, code)
            except (RequestRejectedError, ResponseError) as exc:  # no portfolio: unknown
                log.info("%s: no currency for %s from its portfolio: %s", self.broker, code, exc)
                currency = None
            self._portfolio_currencies[code] = currency
        return self._portfolio_currencies[code]

    def _resolve(self, account: str | None) -> tuple[str, str | None]:
        """The account code to use and its currency (from /users unless configured)."""
        code = account or self.account
        if code is not None and code == self.account and self.currency:
            return code, self.currency
        known = self.accounts()
        if code is None:
            if not known:
                raise ConfigurationError(f"the login {self._user_label} has no accounts")
            return known[0].id, self._currency(known[0].id, known[0].currency)
        for item in known:
            if item.id == code:
                return code, self._currency(code, item.currency)
        raise ConfigurationError(
            f"account {code!r} is not one of this login's accounts: "
            + ", ".join(a.id for a in known),
            broker=self.broker,
        )

    def get_balance(self, account: str | None = None) -> Balance:
        """The balance of ``account`` (an account code; default: the client's account)."""
        code, currency = self._resolve(account)
        path = f"{API}/accounts/{quote(code, safe='')}/metrics"
        reply = self._call("GET", path, account=code)
        with self._parsing("GET", path):
            return parse_metrics(reply.data, code, currency)

    def get_balances(self, accounts: list[str] | None = None) -> list[Balance]:
        """The balances of ``accounts`` (default: every account of the login) in one request
        (``GET /accounts/metrics?accounts=a,b``), in the order asked."""
        wanted = [self._resolve(a) for a in accounts] if accounts else self._all_accounts()
        if not wanted:
            return []
        path = f"{API}/accounts/metrics"
        reply = self._call("GET", path, params={"accounts": ",".join(c for c, _ in wanted)})
        with self._parsing("GET", path):
            items = mapping_list(mapping(reply.data, "metrics").get("metrics"), "metrics")
            by_code = {text(item.get("account")): item for item in items}
            if len(wanted) == len(items) and not any(item.get("account") for item in items):
                by_code = {code: item for (code, _), item in zip(wanted, items, strict=True)}
            missing = [code for code, _ in wanted if code not in by_code]
            if missing:
                raise ResponseError(f"the metrics answer lacks accounts {', '.join(missing)}")
            return [metrics_to_balance(by_code[code], code, ccy) for code, ccy in wanted]

    def _all_accounts(self) -> list[tuple[str, str | None]]:
        return [(a.id, self._currency(a.id, a.currency)) for a in self.accounts()]

    # -------------------------------------------------------------- trading

    def _account_path(self, code: str, tail: str = "") -> str:
        return f"{API}/accounts/{quote(code, safe='')}{tail}"

    def _read(self, path: str, parse: Any, *args: Any, params: Any = None) -> Any:
        reply = self._call("GET", path, params=params)
        with self._parsing("GET", path):
            return parse(reply.data, *args)

    def positions(self, account: str | None = None) -> list[Position]:
        """Open positions of ``account`` (quantities in units)."""
        code, _ = self._resolve(account)
        return self._read(self._account_path(code, "/positions"), parse_positions, code)

    def orders(self, account: str | None = None) -> list[Order]:
        """Open (working) orders of ``account``; an order with IF-THEN protection shows its
        stop loss and take profit prices."""
        code, _ = self._resolve(account)
        return self._read(self._account_path(code, "/orders"), parse_orders, code)

    def _open_orders(self, code: str) -> tuple[list[Mapping[str, Any]], str]:
        """The open-orders list and its ETag, which PUT and DELETE must send as ``If-Match``
        (sheet §7.3, §7.5). Read again once when the ETag is missing; never go without it."""
        path = self._account_path(code, "/orders")
        for _ in range(2):
            reply = self._call("GET", path)
            etag = reply.headers.get("ETag")
            if etag and reply.data is not None:
                with self._parsing("GET", path):
                    return order_items(reply.data), etag
            log.info("%s: the open-orders answer had no ETag or body; reading again", self.broker)
        raise ResponseError(
            "the open-orders answer carries no ETag, so the change cannot be sent with the "
            "If-Match the platform requires",
            broker=self.broker,
            method="GET",
            path=path,
            hint="nothing was changed; try again later",
        )

    def instruments(self, account: str | None = None) -> list[Instrument]:
        """The tradable instruments (symbols as ``place_order`` wants them, e.g. ``EUR/USD``),
        with ``account``'s order size limits in units where the platform gives them
        (Instrument Details); ``lot_size`` is the units in one lot."""
        code, _ = self._resolve(account)
        path = self._account_path(code, "/instruments/query")
        try:
            limits = self._read(path, parse_instrument_limits)
        except (RequestRejectedError, ResponseError) as exc:  # no details here: limits unknown
            log.info("%s: no instrument details for %s: %s", self.broker, code, exc)
            limits = {}
        return self._read(f"{API}/instruments/query", parse_instruments, limits)

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
        - a cancel: ``True`` if the order is no longer open, ``False`` if it still is.
        """
        if not isinstance(error, OrderOutcomeUnknownError) or error.broker != self.broker:
            raise ConfigurationError("this error holds no DXtrade change to reconcile")
        sent = error.sent
        if sent.get("action") == "cancel":
            items, _ = self._open_orders(sent["account"])
            return not any(has_code(i, c) for i in items for c in sent["order_codes"])
        if not error.client_order_id:
            raise ConfigurationError("this error holds no DXtrade change to reconcile")
        return self.find_order(error.client_order_id, sent.get("account"))

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
        items, etag = self._open_orders(code)
        index = self._index_of(items, ref)
        if index is None:
            known = [text(i.get("orderId")) or "" for i in items]
            raise self._not_open("order", ref, code, known)
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
            if _lost(exc):
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
            if not _lost(exc):
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
