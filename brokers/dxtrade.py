"""DXtrade (Devexperts DXSCA REST API under ``/dxsca-web``).

>>> from brokers import DXTrade
>>> with DXTrade("https://dxtrade.example.com", "1210001", "secret") as client:
...     client.get_balance()
Balance(broker='dxtrade', account='default:1210001', currency='USD', ...)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from . import orders as checks
from .base import BrokerClient, Reply, check_base_url, log, replace_error
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
from .parsing import mapping, mapping_list, money, required_money, text, to_datetime
from .redaction import Secret
from .throttle import Rate

API = "/dxsca-web"
LOGIN_PATH = f"{API}/login"
DEFAULT_IDLE_TIMEOUT = 30 * 60.0
# A bare number above 10 hours is taken as milliseconds: idle timeouts are minutes to hours,
# so 60000 is far likelier one minute in ms than 16.7 hours in seconds.
MS_THRESHOLD = 10 * 3600
SESSION_CODE_PREFIX = "dxsca-integration-session-code:"  # seen on order codes in history
_LOCKED_WORDS = re.compile(r"lock|block|disabl|suspend|terminat|expired", re.IGNORECASE)
_HMS = re.compile(r"^(?:(\d+)[.:])?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$")
_ISO = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_session_timeout(value: Any) -> float | None:
    """Seconds from a login ``timeout`` in any documented form, ``None`` when unusable.

    ``"00:30:00"``, ``"PT30M"``, ``1800`` (seconds) and ``1800000`` (milliseconds) all give
    ``1800.0``. Numbers above ten hours are taken as milliseconds.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    if isinstance(value, (int, float, Decimal)):
        try:
            seconds = float(value)
        except OverflowError:  # an absurd integer
            return None
        if seconds > MS_THRESHOLD:
            return seconds / 1000
        return seconds if seconds > 0 else None
    if not isinstance(value, str):
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return parse_session_timeout(Decimal(value))
    if m := _HMS.match(value):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
        total = days * 86400 + hours * 3600 + minutes * 60 + seconds
        return total or None
    if (m := _ISO.match(value)) and any(m.groups()):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
        total = days * 86400 + hours * 3600 + minutes * 60 + seconds
        return total or None
    return None


def parse_accounts(data: Any, login: str | None = None) -> list[Account]:
    """Accounts from a ``GET /users`` answer: those of ``login`` (``"1210001"`` or
    ``"1210001@default"``) when the answer lists that user, else every user's."""
    users = mapping_list(mapping(data, "users").get("userDetails", []), "users")
    own = [u for u in users if login and login in (text(u.get("login")), text(u.get("username")))]
    users = own or users
    accounts = []
    for user in users:
        for item in mapping_list(user.get("accounts") or [], "users"):
            code = text(item.get("account"))
            if code:
                accounts.append(
                    Account(
                        broker="dxtrade",
                        id=code,
                        currency=text(item.get("baseCurrency")),
                        status=text(item.get("accountStatus")),
                        raw=dict(item),
                    )
                )
    return accounts


def parse_metrics(data: Any, code: str, currency: str | None) -> Balance:
    """A :class:`Balance` from a metrics answer (the item for ``code``, else the first)."""
    items = mapping_list(mapping(data, "metrics").get("metrics"), "metrics")
    if not items:
        raise ResponseError(f"the metrics answer holds no metrics for account {code!r}")
    item = next((m for m in items if m.get("account") == code), items[0])
    return metrics_to_balance(item, code, currency)


def parse_portfolio_currency(data: Any, code: str) -> str | None:
    """The currency of ``code``'s balance in a portfolio answer (``None`` when absent)."""
    portfolios = mapping_list(mapping(data, "portfolio").get("portfolios") or [], "portfolio")
    for portfolio in portfolios:
        if text(portfolio.get("account")) in (None, code):
            for item in mapping_list(portfolio.get("balances") or [], "portfolio"):
                if text(item.get("currency")):
                    return text(item.get("currency"))
    return None


def metrics_to_balance(item: Mapping[str, Any], code: str, currency: str | None) -> Balance:
    credit = money(item, "credit")
    return Balance(
        broker="dxtrade",
        account=text(item.get("account")) or code,
        currency=currency,
        balance=required_money(item, "balance", "metrics"),
        equity=money(item, "equity"),
        available=money(item, "availableFunds"),
        margin=money(item, "margin", "maintenanceMargin"),
        profit=money(item, "openPL", "openPl"),
        # A metrics item without credit means the account has none (reference: real payloads).
        credit=Decimal(0) if credit is None else credit,
        raw=dict(item),
    )


def _side(item: Mapping[str, Any]) -> str | None:
    return text(item.get("side"))


def parse_positions(data: Any, code: str) -> list[Position]:
    """Positions from ``GET /accounts/{acct}/positions``."""
    items = mapping_list(mapping(data, "positions").get("positions") or [], "positions")
    return [
        Position(
            broker="dxtrade",
            account=text(item.get("account")) or code,
            id=text(item.get("positionCode")) or "",
            symbol=text(item.get("symbol")) or "",
            side=_side(item) or ("SELL" if (money(item, "quantity") or 0) < 0 else "BUY"),
            quantity=abs(required_money(item, "quantity", "positions")),
            open_price=money(item, "openPrice"),
            profit=money(item, "fpl"),
            stop_loss=money(item, "stopLossPrice"),
            take_profit=money(item, "takeProfitPrice"),
            open_time=to_datetime(item.get("openTime")),
            raw=dict(item),
        )
        for item in items
    ]


def order_code(value: Any) -> str | None:
    """An order's client code without the prefix some brokers add in history."""
    code = text(value)
    return (
        code[len(SESSION_CODE_PREFIX) :] if code and code.startswith(SESSION_CODE_PREFIX) else code
    )


def parse_order(item: Mapping[str, Any], code: str) -> Order:
    legs = item.get("legs") if isinstance(item.get("legs"), list) else []
    leg = legs[0] if legs and isinstance(legs[0], Mapping) else {}
    return Order(
        broker="dxtrade",
        account=text(item.get("account")) or code,
        id=text(item.get("orderId")) or order_code(item.get("orderCode")) or "",
        symbol=text(item.get("instrument")) or text(leg.get("instrument")) or "",
        side=_side(item) or _side(leg),
        quantity=money(leg, "quantity") or money(item, "quantity"),
        type=text(item.get("type")),
        price=money(leg, "price") or money(item, "limitPrice", "stopPrice"),
        status=text(item.get("status")),
        client_order_id=order_code(item.get("orderCode")),
        raw=dict(item),
    )


def parse_orders(data: Any, code: str) -> list[Order]:
    """Orders from ``GET /accounts/{acct}/orders`` or the order history."""
    items = mapping_list(mapping(data, "orders").get("orders") or [], "orders")
    return [parse_order(item, code) for item in items]


def parse_instruments(data: Any) -> list[Instrument]:
    """Instruments from ``GET /instruments/query``."""
    payload = data if isinstance(data, list) else mapping(data, "instruments").get("instruments")
    return [
        Instrument(
            broker="dxtrade",
            symbol=text(item.get("symbol")) or "",
            description=text(item.get("description")),
            type=text(item.get("type")),
            currency=text(item.get("currency")),
            min_quantity=money(item, "minQuantity", "lotSize"),
            quantity_step=money(item, "quantityIncrement", "lotSize"),
            raw=dict(item),
        )
        for item in mapping_list(payload or [], "instruments")
    ]


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
        """Open (working) orders of ``account``."""
        code, _ = self._resolve(account)
        return self._read(self._account_path(code, "/orders"), parse_orders, code)

    def instruments(self) -> list[Instrument]:
        """The tradable instruments (symbols as ``place_order`` wants them, e.g. ``EUR/USD``)."""
        return self._read(f"{API}/instruments/query", parse_instruments)

    def find_order(self, client_order_id: str, account: str | None = None) -> Order | None:
        """The order placed with ``client_order_id`` (its ``orderCode``), open or done."""
        code, _ = self._resolve(account)
        params = {"with-client-id": client_order_id}
        history = self._read(
            self._account_path(code, "/orders/history"), parse_orders, code, params=params
        )
        for order in history + self.orders(code):
            if order.client_order_id == client_order_id:
                return order
        return None

    def reconcile(self, error: OrderOutcomeUnknownError) -> Order | None:
        """After :class:`~brokers.OrderOutcomeUnknownError`: the order if it was placed."""
        if not isinstance(error, OrderOutcomeUnknownError) or not error.client_order_id:
            raise ConfigurationError("this error holds no DXtrade order to reconcile")
        return self.find_order(error.client_order_id, error.sent.get("account"))

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

        Every order carries ``client_order_id`` (DXtrade's ``orderCode``; generated when not
        given). If the answer is lost, the same order is sent once more with the same code:
        DXtrade refuses a duplicate code, so the order is placed at most once. A stop loss or
        take profit makes it an IF-THEN group with protective CLOSE orders.
        """
        code, _ = self._resolve(account)
        kind = checks.order_type(type)
        order_side = checks.side(side)
        order = {
            "account": code,
            "orderCode": checks.client_order_id(client_order_id) or checks.new_client_order_id(),
            "type": kind,
            "instrument": checks.symbol(symbol),
            "quantity": checks.amount(quantity, "quantity"),
            "positionEffect": "OPEN",
            "side": order_side,
            "tif": "GTC",
        }
        limit = checks.check_price(kind, price)
        if limit is not None:
            order["limitPrice" if kind == "LIMIT" else "stopPrice"] = limit
        protect = self._protective_orders(order, stop_loss, take_profit)
        if protect:
            body = {"orders": [order, *protect], "contingencyType": "IF-THEN"}
            return self._submit(code, self._account_path(code, "/orders/group"), body, order)
        return self._submit(code, self._account_path(code, "/orders"), order, order)

    @staticmethod
    def _protective_orders(
        order: dict[str, Any], stop_loss: Any, take_profit: Any
    ) -> list[dict[str, Any]]:
        children = []
        for kind, field, price in (
            ("STOP", "stopPrice", stop_loss),
            ("LIMIT", "limitPrice", take_profit),
        ):
            value = checks.amount(
                price, "stop_loss" if kind == "STOP" else "take_profit", required=False
            )
            if value is not None:
                children.append(
                    {
                        "account": order["account"],
                        "orderCode": f"{order['orderCode']}-{'sl' if kind == 'STOP' else 'tp'}",
                        "type": kind,
                        "instrument": order["instrument"],
                        "positionEffect": "CLOSE",
                        "side": checks.opposite(order["side"]),
                        field: value,
                        "tif": "GTC",
                    }
                )
        return children

    def close_position(
        self, position_id: str | Position, quantity: Any = None, *, account: str | None = None
    ) -> OrderResult:
        """Close a position (or ``quantity`` units of it) with a CLOSE market order.

        Pass the :class:`~brokers.Position` itself (from :meth:`positions`) to save the
        request that looks it up by id."""
        if isinstance(position_id, Position):
            position: Position | None = position_id
            code, _ = self._resolve(account or position_id.account)
        else:
            code, _ = self._resolve(account)
            position = next((p for p in self.positions(code) if p.id == str(position_id)), None)
        if position is None:
            raise OrderRejectedError(
                f"position {position_id} is not open on {code}", broker=self.broker
            )
        amount = checks.amount(quantity, "quantity", required=False) or position.quantity
        if amount > position.quantity:
            raise ConfigurationError(
                f"quantity {amount} exceeds the position's {position.quantity}"
            )
        order = {
            "account": code,
            "orderCode": checks.new_client_order_id(),
            "type": "MARKET",
            "instrument": position.symbol,
            "quantity": amount,
            "positionEffect": "CLOSE",
            "positionCode": position.id,
            "side": checks.opposite(position.side),
            "tif": "GTC",
        }
        return self._submit(code, self._account_path(code, "/orders"), order, order)

    def cancel_order(self, order_id: str | Order, *, account: str | None = None) -> OrderResult:
        """Cancel a working order (by order id, client order id or the
        :class:`~brokers.Order`), with its ETag as ``If-Match`` as the platform asks."""
        if isinstance(order_id, Order):
            account = account or order_id.account
            order_id = order_id.client_order_id or order_id.id
        code, _ = self._resolve(account)
        path = self._account_path(code, f"/orders/{quote(str(order_id), safe='')}")
        etag = self._call("GET", path).headers.get("ETag")
        try:
            reply = self._call(
                "DELETE", path, headers={"If-Match": etag} if etag else None, write=True
            )
        except BrokerError as exc:
            if _lost(exc):
                raise OrderOutcomeUnknownError(
                    f"the answer to cancelling order {order_id} was lost",
                    sent={"account": code, "cancel": str(order_id)},
                    broker=self.broker,
                    method="DELETE",
                    path=path,
                ) from exc
            raise
        return self._result(code, {"orderCode": str(order_id)}, reply, status="CANCELED")

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
        result = self._result(code, order, reply)
        if result.order_id is None:
            raise ResponseError(
                "the order answer holds no orderId",
                broker=self.broker,
                status=reply.status,
                method="POST",
                path=path,
            )
        return result

    def _wait_before_resend(self, lost: BrokerError) -> None:
        # After a 429 (or a 5xx that says when), give the platform the time it asks for.
        if isinstance(lost, (RateLimitError, ServerError)):
            self.retry.sleep(self.retry.wait_for(1, lost))

    @staticmethod
    def _summary(body: dict[str, Any]) -> dict[str, Any]:
        orders = body.get("orders", [body])
        return {"account": orders[0].get("account"), "orders": [dict(o) for o in orders]}

    def _result(
        self, code: str, order: dict[str, Any], reply: Reply, status: str = "ACCEPTED"
    ) -> OrderResult:
        data = reply.data if isinstance(reply.data, Mapping) else {}
        responses = data.get("orderResponses")
        first = responses[0] if isinstance(responses, list) and responses else data
        first = first if isinstance(first, Mapping) else {}
        return OrderResult(
            broker=self.broker,
            account=code,
            order_id=text(first.get("orderId")),
            client_order_id=order.get("orderCode"),
            status=status,
            raw=dict(data),
        )
