"""Match-Trader (the Platform API: ``/manager/...`` login, ``/mtr-api/{systemUuid}/...``).

>>> from brokers import MatchTrade
>>> with MatchTrade("https://mtr.example.com", "me@example.com", "secret", broker_id="2") as c:
...     c.get_balance()
Balance(broker='matchtrade', account='700001', currency='USD', balance=Decimal('10000.00'), ...)
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from requests.cookies import remove_cookie_by_name

from . import orders as checks
from .base import BrokerClient, Reply, log, replace_error
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
from .redaction import Secret, redact
from .throttle import Rate

LOGIN_PATHS = ("/manager/co-login", "/manager/mtr-login")
REFRESH_PATH = "/manager/refresh-token"
DEFAULT_TOKEN_LIFETIME = 15 * 60.0  # when the token's own `exp` cannot be read
MIN_PLAUSIBLE_LIFETIME = 60.0  # a token "expiring" sooner means our clock is off
REFRESHES_PER_HOUR = 4
_LOCKED_WORDS = re.compile(r"lock|block|disabl|suspend|banned", re.IGNORECASE)


@dataclass(frozen=True)
class TradingAccount:
    """An account with what trading calls need: its API token and system UUID."""

    account: Account
    token: Secret | None
    system: str | None


def jwt_claim(token: str, name: str) -> float | None:
    """A numeric claim (``exp``, ``iat``) of a JWT, read without checking the signature."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        value = claims[name]
    except (IndexError, KeyError, TypeError, ValueError, RecursionError):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim (epoch seconds) of a JWT, read without checking the signature."""
    return jwt_claim(token, "exp")


def token_lifetime(token: str, now: float) -> float:
    """Seconds the session token lives, measured on the broker's clock where possible.

    ``exp - iat`` does not depend on our clock agreeing with the broker's; without ``iat``,
    ``exp - now``, unless a skewed clock makes that implausibly short: then the documented
    default, and a 401 renews the session if it dies sooner.
    """
    expiry, issued = jwt_claim(token, "exp"), jwt_claim(token, "iat")
    if expiry is not None and issued is not None and expiry > issued:
        return expiry - issued
    if expiry is not None and expiry - now > MIN_PLAUSIBLE_LIFETIME:
        return expiry - now
    return DEFAULT_TOKEN_LIFETIME


def parse_trading_account(item: Mapping[str, Any]) -> TradingAccount:
    account_id = text(item.get("tradingAccountId"))
    if not account_id:
        raise ResponseError("an account in the login answer has no tradingAccountId")
    offer: Mapping[str, Any] = item["offer"] if isinstance(item.get("offer"), Mapping) else {}
    system: Mapping[str, Any] = offer["system"] if isinstance(offer.get("system"), Mapping) else {}
    token = text(item.get("tradingApiToken"))
    return TradingAccount(
        account=Account(
            broker="matchtrade",
            id=account_id,
            currency=text(offer.get("currency")),
            status=None,
            raw=redact(dict(item)),
        ),
        token=Secret(token) if token else None,
        system=text(system.get("uuid")),
    )


def parse_login(data: Any) -> tuple[str | None, list[TradingAccount], str | None]:
    """``(token, accounts, selected id)`` from a co-login / mtr-login answer.

    Accepts ``tradingAccounts`` or ``accounts``, and a lone ``selectedTradingAccount`` /
    ``selectedAccount`` as the whole list.
    """
    payload = mapping(data, "login")
    selected = payload.get("selectedTradingAccount") or payload.get("selectedAccount")
    items = next(
        (payload[k] for k in ("tradingAccounts", "accounts") if isinstance(payload.get(k), list)),
        None,
    )
    if not items:
        items = [selected] if isinstance(selected, Mapping) else []
    accounts = [parse_trading_account(item) for item in mapping_list(items, "login")]
    selected_id = text(selected.get("tradingAccountId")) if isinstance(selected, Mapping) else None
    return text(payload.get("token")), accounts, selected_id


def parse_balance(data: Any, account_id: str, currency: str | None = None) -> Balance:
    """A :class:`Balance` from ``GET /mtr-api/{system}/balance``."""
    item = mapping(data, "balance")
    credit = money(item, "credit")
    return Balance(
        broker="matchtrade",
        account=account_id,
        currency=text(item.get("currency")) or currency,
        balance=required_money(item, "balance", "balance"),
        equity=money(item, "equity"),
        available=money(item, "freeMargin"),
        margin=money(item, "margin"),
        profit=money(item, "profit"),
        # A balance without credit means the account has none (reference: real payloads).
        credit=Decimal(0) if credit is None else credit,
        raw=dict(item),
    )


def _items(data: Any, key: str, what: str) -> list[Mapping[str, Any]]:
    """A top-level array, or the array under ``key`` (both shapes are in use)."""
    payload = data if isinstance(data, list) else mapping(data, what).get(key)
    return mapping_list(payload or [], what)


def _protection(item: Mapping[str, Any], name: str) -> Decimal | None:
    value = money(item, name)
    return None if value is None or value == 0 else value  # 0 means "none" on this platform


def parse_positions(data: Any, account_id: str) -> list[Position]:
    """Positions from ``GET /mtr-api/{system}/open-positions``."""
    return [
        Position(
            broker="matchtrade",
            account=account_id,
            id=text(item.get("id")) or "",
            symbol=text(item.get("symbol")) or "",
            side=text(item.get("side")) or "",
            quantity=required_money(item, "volume", "open positions"),
            open_price=money(item, "openPrice"),
            profit=money(item, "profit"),
            stop_loss=_protection(item, "stopLoss"),
            take_profit=_protection(item, "takeProfit"),
            open_time=to_datetime(item.get("openTime") or item.get("openTimeMillis")),
            raw=dict(item),
        )
        for item in _items(data, "positions", "open positions")
    ]


def parse_orders(data: Any, account_id: str) -> list[Order]:
    """Pending orders from ``GET /mtr-api/{system}/active-orders``."""
    return [
        Order(
            broker="matchtrade",
            account=account_id,
            id=text(item.get("id")) or "",
            symbol=text(item.get("symbol")) or "",
            side=text(item.get("side")),
            quantity=money(item, "volume"),
            type=text(item.get("type")),
            price=money(item, "activationPrice", "price"),
            status=text(item.get("status")) or "PENDING",
            stop_loss=_protection(item, "stopLoss"),
            take_profit=_protection(item, "takeProfit"),
            raw=dict(item),
        )
        for item in _items(data, "orders", "active orders")
    ]


def parse_instruments(data: Any) -> list[Instrument]:
    """Symbols from ``GET /mtr-api/{system}/effective-instruments``."""
    return [
        Instrument(
            broker="matchtrade",
            symbol=text(item.get("symbol")) or "",
            description=text(item.get("description")),
            type=text(item.get("type")),
            currency=text(item.get("quoteCurrency")),
            min_quantity=money(item, "volumeMin"),
            quantity_step=money(item, "volumeStep"),
            raw=dict(item),
        )
        for item in _items(data, "instruments", "instruments")
    ]


def operation_status(data: Any, http_status: int = 200, endpoint: str = "") -> str:
    """``OK``, ``REJECTED`` or another status from an operation answer (see the reference:
    ``status`` decides; an answer with only ``orderId`` is a success, and so is an empty
    204 to a pending-order cancel, the one call documented to give it)."""
    if data is None:
        if http_status == 204 and endpoint == "pending-order/cancel":
            return "OK"
        raise ResponseError("the operation answer is empty")
    payload = mapping(data, "operation")
    status = text(payload.get("status"))
    if status:
        return status.upper()
    if text(payload.get("orderId")):
        return "OK"
    raise ResponseError("the operation answer has neither status nor orderId")


class MatchTrade(BrokerClient):
    """A Match-Trader login (e-mail, password, broker id) and its trading accounts.

    ``account`` is a ``tradingAccountId`` (default: the account the login answer selects,
    else the first). ``login_path`` forces ``/manager/co-login`` or ``/manager/mtr-login``
    (default: co-login, then mtr-login when co-login answers 404). The session token is
    renewed ``renew_before`` seconds before it expires. Other options: see
    :class:`~brokers.BrokerClient`.
    """

    broker = "matchtrade"
    default_rates = {"request": Rate(500, 60.0)}  # the documented limit: 500 a minute
    env_variables = {
        "base_url": (("MATCHTRADE_BASE_URL",), True),
        "email": (("MATCHTRADE_EMAIL", "MATCHTRADE_USERNAME"), True),
        "password": (("MATCHTRADE_PASSWORD",), True),
        "broker_id": (("MATCHTRADE_BROKER_ID",), True),
        "account": (("MATCHTRADE_ACCOUNT",), False),
    }
    capabilities = {
        "balance": "one request per account",
        "positions": True,
        "orders": True,
        "instruments": True,
        "place_order": True,
        "client_order_id": "none: sent once, reconcile() finds the result",
        "close_position": True,
        "cancel_order": True,
    }

    def __init__(
        self,
        base_url: str,
        email: str,
        password: str,
        broker_id: str | int,
        account: str | None = None,
        *,
        login_path: str | None = None,
        renew_before: float = 180.0,
        **options: Any,
    ) -> None:
        super().__init__(base_url, account=account, **options)
        if not email or not password:
            raise ConfigurationError("Match-Trader needs an e-mail and a password")
        if broker_id is None or str(broker_id).strip() == "":
            raise ConfigurationError(
                "Match-Trader needs a broker id (the broker's partnerId)",
                hint="GET /manager/platform-details on the broker's site shows it",
            )
        self.email = str(email)
        self.broker_id = str(broker_id).strip()
        self.login_path = login_path
        self.renew_before = checks.seconds(renew_before, "renew_before")
        self._password = Secret(password, password=True)  # a short password must not leak
        self._token: Secret | None = None
        self._refresh_token: Secret | None = None
        self._expires_at = 0.0
        self._lifetime = DEFAULT_TOKEN_LIFETIME
        self._trading: dict[str, TradingAccount] = {}
        self._default_id: str | None = None
        self._refreshes: deque[float] = deque(maxlen=REFRESHES_PER_HOUR)

    @property
    def _user_label(self) -> str:
        return self.email

    # -------------------------------------------------------------- session

    def _open_session(self) -> None:
        body = {
            "email": self.email,
            "password": self._password.reveal(),
            "brokerId": self.broker_id,
        }
        paths = (self.login_path,) if self.login_path else LOGIN_PATHS
        for index, path in enumerate(paths):
            try:
                reply = self._send("POST", path, json=body, kind="login")
            except BrokerError as exc:
                if exc.status == 404 and index + 1 < len(paths):
                    continue  # this broker has no such login path: try the next one
                raise
            self.login_path = path  # renewals go straight to the path that worked
            self._adopt_login(reply, path)
            return

    def _adopt_login(self, reply: Reply, path: str) -> None:
        with self._parsing("POST", path):
            token, accounts, selected = parse_login(reply.data)
            token = token or reply.cookies.get("co-auth")
            if not token:
                raise ResponseError("the login answer has no token")
        trading = {t.account.id: t for t in accounts}
        pinned = self._default_id or self.account
        if pinned is not None and self._trading and pinned not in trading:
            raise ConfigurationError(
                f"account {pinned!r} is no longer in the login's account list: "
                + (", ".join(trading) or "(none)"),
                broker=self.broker,
            )
        self._trading = trading
        if self._default_id is None and accounts:
            self._default_id = self.account or (selected if selected in trading else None)
            self._default_id = self._default_id or accounts[0].account.id
        self._adopt_token(token, reply.cookies.get("rt"))

    def _adopt_token(self, token: str, refresh_token: str | None) -> None:
        self._token = Secret(token)
        if refresh_token:
            self._refresh_token = Secret(refresh_token)
        self._lifetime = token_lifetime(token, self._clock())
        self._expires_at = self._clock() + self._lifetime
        # The tokens travel in our own Cookie header; copies in the session's jar would only
        # cost CPU on every request (and keep secrets in one more place).
        for name in ("co-auth", "rt"):
            remove_cookie_by_name(self._http.cookies, name)

    def _session_is_stale(self) -> bool:
        margin = min(self.renew_before, self._lifetime * 0.2)
        return self._clock() >= self._expires_at - margin

    def _renew_session(self) -> None:
        if self._refresh_token is not None and self._may_refresh():
            try:
                self._refresh()
                return
            except BrokerError as exc:
                if isinstance(exc, BotProtectionError):
                    raise
                log.info("%s: token refresh failed (%s); logging in again", self.broker, exc)
        self._open_session()

    def _may_refresh(self) -> bool:
        # The platform allows 4 refreshes an hour; past that a full login is the way.
        return len(self._refreshes) < REFRESHES_PER_HOUR or (
            time.monotonic() - self._refreshes[0] > 3600
        )

    def _refresh(self) -> None:
        assert self._token is not None and self._refresh_token is not None  # see the caller
        self._refreshes.append(time.monotonic())
        cookie = f"co-auth={self._token.reveal()}; rt={self._refresh_token.reveal()}"
        reply = self._send("POST", REFRESH_PATH, headers={"Cookie": cookie}, kind="login")
        body = reply.data if isinstance(reply.data, Mapping) else {}
        token = text(body.get("token")) or reply.cookies.get("co-auth")
        if not token:
            raise ResponseError(
                "the refresh answer has no token", broker=self.broker, path=REFRESH_PATH
            )
        self._adopt_token(token, reply.cookies.get("rt"))

    def _auth_headers(self, account: str | None) -> dict[str, str]:
        token = self._token  # read once: close() in another thread may clear it
        headers = {"Cookie": f"co-auth={token.reveal()}"} if token else {}
        trading = self._trading.get(account or "") if account else None
        if trading is not None and trading.token is not None:
            headers["Auth-trading-api"] = trading.token.reveal()
        return headers

    def _forget_session(self) -> None:
        super()._forget_session()
        self._token = None

    # ---------------------------------------------------------------- errors

    def _error_details(self, data: Any) -> tuple[str | None, str | None]:
        if isinstance(data, Mapping):
            code = text(data.get("nativeCode")) or text(data.get("errorCode"))
            message = text(data.get("errorMessage")) or text(data.get("message"))
            return code, message
        return None, None

    def _refine_error(self, error: BrokerError, data: Any) -> BrokerError:
        rejected = isinstance(data, Mapping) and str(data.get("status")).upper() == "REJECTED"
        if rejected and error.method == "POST" and type(error) is RequestRejectedError:
            return replace_error(error, OrderRejectedError)  # a 4xx operation answer
        if error.path not in LOGIN_PATHS or isinstance(error, BotProtectionError):
            return error
        if error.status in (401, 403) and _LOCKED_WORDS.search(error.message):
            return replace_error(error, AccountLockedError)
        if error.status == 401:
            return replace_error(
                error,
                AuthenticationError,
                message=f"login refused for {self.email} at broker id {self.broker_id}",
                hint="the e-mail, password or broker id is wrong, or the account is blocked",
            )
        if error.status == 403:
            return replace_error(error, AccessDeniedError, message="login refused (HTTP 403)")
        return error

    # ---------------------------------------------------------------- reads

    def accounts(self) -> list[Account]:
        """The login's trading accounts (from the login answer)."""
        self._ensure_session()
        return [t.account for t in self._trading.values()]

    def _resolve(self, account: str | None) -> TradingAccount:
        self._ensure_session()
        account_id = str(account) if account else self._default_id
        trading = self._trading.get(account_id or "")
        if trading is None:
            raise ConfigurationError(
                f"account {account_id!r} is not one of this login's accounts: "
                + (", ".join(self._trading) or "(none)"),
                broker=self.broker,
            )
        if trading.token is None or not trading.system:
            raise ResponseError(
                f"the login answer lacks the trading API token or system UUID of {account_id}",
                broker=self.broker,
            )
        return trading

    def _trading_path(self, trading: TradingAccount, endpoint: str) -> str:
        return f"/mtr-api/{trading.system}/{endpoint}"

    def get_balance(self, account: str | None = None) -> Balance:
        """The balance of ``account`` (a ``tradingAccountId``; default: the client's account)."""
        trading = self._resolve(account)
        path = self._trading_path(trading, "balance")
        reply = self._call("GET", path, account=trading.account.id)
        with self._parsing("GET", path):
            return parse_balance(reply.data, trading.account.id, trading.account.currency)

    def get_balances(self, accounts: list[str] | None = None) -> list[Balance]:
        """The balances of ``accounts`` (default: every account of the login).

        Match-Trader has no multi-account balance call: one request per account."""
        self._ensure_session()
        return [self.get_balance(a) for a in (accounts or list(self._trading))]

    # -------------------------------------------------------------- trading

    def _read(self, account: str | None, endpoint: str, parse: Any) -> Any:
        trading = self._resolve(account)
        path = self._trading_path(trading, endpoint)
        reply = self._call("GET", path, account=trading.account.id)
        with self._parsing("GET", path):
            return parse(reply.data, trading.account.id)

    def positions(self, account: str | None = None) -> list[Position]:
        """Open positions of ``account`` (volumes in lots)."""
        return self._read(account, "open-positions", parse_positions)

    def orders(self, account: str | None = None) -> list[Order]:
        """Pending (limit and stop) orders of ``account``."""
        return self._read(account, "active-orders", parse_orders)

    def instruments(self, account: str | None = None) -> list[Instrument]:
        """The symbols ``account`` can trade, spelled as the broker wants (e.g. ``EURUSD.``)."""
        return self._read(account, "effective-instruments", lambda data, _: parse_instruments(data))

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
        """Open a position (MARKET) or place a pending LIMIT/STOP order.

        ``quantity`` is in **lots** (0.01 = a micro lot); ``symbol`` exactly as
        :meth:`instruments` spells it. Match-Trader has no client order id, so the request is
        sent exactly once: if its answer is lost, :class:`~brokers.OrderOutcomeUnknownError`
        is raised and :meth:`reconcile` tells whether it was executed.
        """
        if client_order_id is not None:
            raise ConfigurationError(
                "Match-Trader has no client order id; leave client_order_id unset"
            )
        kind = checks.order_type(type)
        body: dict[str, Any] = {
            "instrument": checks.symbol(symbol),
            "orderSide": checks.side(side),
            "volume": checks.amount(quantity, "quantity"),
            "slPrice": checks.amount(stop_loss, "stop_loss", required=False) or 0,
            "tpPrice": checks.amount(take_profit, "take_profit", required=False) or 0,
            "isMobile": False,
        }
        limit = checks.check_price(kind, price)
        # What exists before lets reconcile() tell a new position or order from an old one
        # exactly (no client order id here, and the broker's clock may differ from ours).
        if kind == "MARKET":
            known = [p.id for p in self.positions(account)]
            return self._mutate(account, "position/open", body, known_ids=known)
        body.update(type=kind, price=limit)
        known = [o.id for o in self.orders(account)]
        return self._mutate(account, "pending-order/create", body, known_ids=known)

    def close_position(
        self, position_id: str | Position, quantity: Any = None, *, account: str | None = None
    ) -> OrderResult:
        """Close a position, or ``quantity`` lots of it. Pass the :class:`~brokers.Position`
        itself (from :meth:`positions`) to save the request that looks it up by id."""
        if isinstance(position_id, Position):
            position, account = position_id, account or position_id.account
        else:
            position = self._find(self.positions(account), position_id, "position")
        amount = checks.amount(quantity, "quantity", required=False)
        if amount is not None and amount > position.quantity:
            raise ConfigurationError(
                f"quantity {amount} exceeds the position's {position.quantity}"
            )
        body: dict[str, Any] = {
            "positionId": position.id,
            "instrument": position.symbol,
            "orderSide": position.side,
        }
        if amount is not None and amount < position.quantity:
            return self._mutate(
                account,
                "position/close-partially",
                {**body, "volume": amount, "isMobile": False},
                position_quantity=position.quantity,
            )
        body["volume"] = str(position.quantity)  # a string here, as the platform documents
        try:
            return self._mutate(account, "position/close", body)
        except BrokerError as exc:
            if exc.status != 404:
                raise
        return self._mutate(account, "positions/close", [body])  # the older, array form

    def cancel_order(self, order_id: str | Order, *, account: str | None = None) -> OrderResult:
        """Cancel a pending order. Pass the :class:`~brokers.Order` itself (from
        :meth:`orders`) to save the request that looks it up by id."""
        if isinstance(order_id, Order):
            order, account = order_id, account or order_id.account
        else:
            order = self._find(self.orders(account), order_id, "pending order")
        body = {
            "instrument": order.symbol,
            "id": order.id,
            "orderSide": order.side,
            "type": order.type,
            "isMobile": False,
        }
        return self._mutate(account, "pending-order/cancel", body)

    def _find(self, items: list[Any], item_id: str, what: str) -> Any:
        found = next((i for i in items if i.id == str(item_id)), None)
        if found is None:
            raise OrderRejectedError(f"{what} {item_id} is not open", broker=self.broker)
        return found

    def _mutate(self, account: str | None, endpoint: str, body: Any, **before: Any) -> OrderResult:
        """Send a state-changing request exactly once and read its operation answer.

        ``before`` (what the account held before it) goes into an
        :class:`~brokers.OrderOutcomeUnknownError`, for :meth:`reconcile`."""
        trading = self._resolve(account)
        path = self._trading_path(trading, endpoint)
        sent = {"account": trading.account.id, "endpoint": endpoint, "body": body, **before}
        try:
            reply = self._call("POST", path, json=body, account=trading.account.id, write=True)
            with self._parsing("POST", path):
                status = operation_status(reply.data, reply.status, endpoint)
        except BrokerError as exc:
            if isinstance(exc, (NetworkError, ServerError, RateLimitError)) or (
                isinstance(exc, ResponseError) and (exc.status or 200) < 300
            ):
                raise OrderOutcomeUnknownError(
                    f"the answer to {endpoint} was lost ({type(exc).__name__})",
                    sent=sent,
                    broker=self.broker,
                    method="POST",
                    path=path,
                ) from exc
            raise
        data = reply.data if isinstance(reply.data, Mapping) else {}
        if status == "REJECTED":
            raise OrderRejectedError(
                text(data.get("errorMessage")) or f"{endpoint} was rejected",
                broker=self.broker,
                status=reply.status,
                code=text(data.get("nativeCode")) or text(data.get("errorCode")),
                method="POST",
                path=path,
            )
        if status != "OK":
            raise OrderOutcomeUnknownError(
                f"{endpoint} answered status {status}",
                sent=sent,
                broker=self.broker,
                method="POST",
                path=path,
            )
        return OrderResult(
            broker=self.broker,
            account=trading.account.id,
            order_id=text(data.get("orderId")),
            status=status,
            raw=dict(data),
        )

    def reconcile(self, error: OrderOutcomeUnknownError) -> Position | Order | bool | None:
        """After :class:`~brokers.OrderOutcomeUnknownError`, find out what happened.

        For an opened position or a pending order: the matching one (same symbol, side and
        volume) that was not there before the request, or ``None`` when there is none
        (nothing was executed; sending again is safe). For a close or cancel: ``True`` when
        it took effect (the position or order is gone, or a partial close reduced it),
        ``False`` when nothing changed.
        """
        sent = error.sent if isinstance(error, OrderOutcomeUnknownError) else {}
        account, endpoint, body = sent.get("account"), sent.get("endpoint"), sent.get("body")
        if not endpoint or not body:
            raise ConfigurationError("this error holds no Match-Trader request to reconcile")
        if endpoint == "position/close-partially":
            now = next((p for p in self.positions(account) if p.id == body["positionId"]), None)
            return now is None or now.quantity < sent["position_quantity"]
        if endpoint in ("position/close", "positions/close"):
            target = body[0] if isinstance(body, list) else body
            return all(p.id != target["positionId"] for p in self.positions(account))
        if endpoint == "pending-order/cancel":
            return all(o.id != body["id"] for o in self.orders(account))
        known = set(sent.get("known_ids", ()))
        items = self.positions(account) if endpoint == "position/open" else self.orders(account)
        matches = [
            item
            for item in items
            if item.id not in known
            and item.symbol == body["instrument"]
            and item.side == body["orderSide"]
            and item.quantity == body["volume"]
        ]
        return matches[-1] if matches else None
