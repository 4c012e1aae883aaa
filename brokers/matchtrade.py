"""Match-Trader (the Platform API: ``/manager/...`` login, ``/mtr-api/{systemUuid}/...``).

>>> from brokers import MatchTrade
>>> with MatchTrade("https://mtr.example.com", "me@example.com", "secret", broker_id="2") as c:
...     c.get_balance()
Balance(broker='matchtrade', account='700001', currency='USD', balance=Decimal('10000.00'), ...)
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, cast

from requests.cookies import remove_cookie_by_name

from . import orders as checks
from .base import BrokerClient, Reply, answer_lost, log, replace_error
from .exceptions import (
    AccessDeniedError,
    AccountLockedError,
    AuthenticationError,
    BotProtectionError,
    BrokerError,
    ConfigurationError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    RequestRejectedError,
    ResponseError,
)
from .matchtrade_market import MTMarketData
from .matchtrade_wire import (
    DEFAULT_TOKEN_LIFETIME,
    TradingAccount,
    operation_status,
    parse_balance,
    parse_candles,
    parse_closed,
    parse_instruments,
    parse_login,
    parse_orders,
    parse_positions,
    parse_quotations,
    parse_trading_account,
    shows,
    token_lifetime,
)
from .models import (
    Account,
    Balance,
    Instrument,
    Order,
    OrderResult,
    Position,
    Records,
)
from .parsing import jwt_claim, jwt_expiry, money, text
from .redaction import Secret
from .throttle import Rate
from .token_cache import dump_account, load_account, number

__all__ = [  # the client, and the wire parsers it re-exports from brokers.matchtrade_wire
    "MatchTrade",
    "TradingAccount",
    "jwt_claim",
    "jwt_expiry",
    "operation_status",
    "parse_balance",
    "parse_candles",
    "parse_closed",
    "parse_instruments",
    "parse_login",
    "parse_orders",
    "parse_positions",
    "parse_quotations",
    "parse_trading_account",
    "token_lifetime",
]

LOGIN_PATHS = ("/manager/co-login", "/manager/mtr-login")
REFRESH_PATH = "/manager/refresh-token"
REFRESHES_PER_HOUR = 4
_LOCKED_WORDS = re.compile(r"lock|block|disabl|suspend|banned", re.IGNORECASE)


class MatchTrade(MTMarketData, BrokerClient):
    """A Match-Trader login (e-mail, password, broker id) and its trading accounts.

    ``account`` is a ``tradingAccountId`` (default: the account the login answer selects,
    else the first). ``login_path`` forces ``/manager/co-login`` or ``/manager/mtr-login``
    (default: co-login, then mtr-login when co-login answers 404). The session token is
    renewed ``renew_before`` seconds before it expires. ``history_page_size``: the most
    operations this broker returns per closed-positions answer, where it caps them silently (the
    Platform API documents no cap and no paging): an answer that full makes :meth:`history` ask
    again from its last close time, so no trade is lost. Other options: see
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
        "modify_order": "pending-order/edit: price, size, stop loss, take profit",
        "set_protection": "position/edit: both levels sent, 0 removes one",
        "history": "closed-positions: one trade per closing operation (partial closes apart)",
        "order_history": False,
        "quotes": "one request for many symbols",
        "candles": "1m 5m 15m 30m 1h 4h 1d 1w 1M",
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
        history_page_size: int | None = None,
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
        self.history_page_size = checks.count(history_page_size, "history_page_size")
        self._password = Secret(password, password=True)  # a short password must not leak
        self._token: Secret | None = None
        self._refresh_token: Secret | None = None
        self._expires_at = 0.0
        self._lifetime = DEFAULT_TOKEN_LIFETIME
        self._trading: dict[str, TradingAccount] = {}
        self._default_id: str | None = None
        self._selected_id: str | None = None  # the login answer's pick, for the token cache
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
        self._trading, self._selected_id = trading, selected
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

    def _session_state(self) -> dict[str, Any] | None:
        """For the token cache: the session token and its expiry, and the trading accounts
        with their API tokens and system UUIDs. Not the refresh token: a restored session
        that expires logs in again (the 4-an-hour refresh limit cannot be shared safely
        between processes)."""
        token = self._token
        if token is None:
            return None
        accounts = [
            {
                **dump_account(t.account),
                "trading_token": t.token.reveal() if t.token else None,
                "system": t.system,
            }
            for t in self._trading.values()
        ]
        return {
            "token": token.reveal(),
            "expires_at": self._expires_at,
            "lifetime": self._lifetime,
            "broker_id": self.broker_id,
            "login_path": self.login_path,
            "selected": self._selected_id,
            "accounts": accounts,
        }

    def _restore_session_state(self, state: Mapping[str, Any]) -> bool:
        """Take a cached session of this broker id unless it is malformed or expired."""
        try:
            token, selected, path = state["token"], state.get("selected"), state.get("login_path")
            expires_at, lifetime = number(state, "expires_at"), number(state, "lifetime")
            trading = {}
            for item in state["accounts"]:
                secret, system = item.get("trading_token"), item.get("system")
                if not all(v is None or isinstance(v, str) for v in (secret, system)):
                    return False
                account = load_account(item, self.broker)
                trading[account.id] = TradingAccount(
                    account, Secret(secret) if secret else None, system
                )
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
        if state.get("broker_id") != self.broker_id or not isinstance(token, str) or not token:
            return False
        if (path is not None and not isinstance(path, str)) or lifetime <= 0:
            return False
        previous = self._expires_at, self._lifetime
        self._expires_at, self._lifetime = expires_at, lifetime
        if self._session_is_stale():
            self._expires_at, self._lifetime = previous
            return False
        self._token, self._trading = Secret(token), trading
        self.login_path = self.login_path or path
        self._selected_id = selected if isinstance(selected, str) and selected in trading else None
        if self._default_id is None and trading:
            self._default_id = self.account or self._selected_id or next(iter(trading))
        return True

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

    def accounts(self) -> Records[Account]:
        """The login's trading accounts (from the login answer)."""
        self._ensure_session()
        return Records(t.account for t in self._trading.values())

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

    def get_balances(self, accounts: list[str] | None = None) -> Records[Balance]:
        """The balances of ``accounts`` (default: every account of the login).

        Match-Trader has no multi-account balance call: one request per account."""
        self._ensure_session()
        return Records(self.get_balance(a) for a in (accounts or list(self._trading)))

    # -------------------------------------------------------------- trading

    def _read(self, account: str | None, endpoint: str, parse: Any) -> Any:
        trading = self._resolve(account)
        path = self._trading_path(trading, endpoint)
        reply = self._call("GET", path, account=trading.account.id)
        with self._parsing("GET", path):
            return parse(reply.data, trading.account.id)

    def positions(self, account: str | None = None) -> Records[Position]:
        """Open positions of ``account`` (volumes in lots)."""
        return Records(self._read(account, "open-positions", parse_positions))

    def orders(self, account: str | None = None) -> Records[Order]:
        """Pending (limit and stop) orders of ``account``."""
        return Records(self._read(account, "active-orders", parse_orders))

    def instruments(self, account: str | None = None) -> Records[Instrument]:
        """The symbols ``account`` can trade, spelled as the broker wants (e.g. ``EURUSD.``)."""
        found = self._read(
            account, "effective-instruments", lambda data, _: parse_instruments(data)
        )
        return Records(found)

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
        ref = self._position_ref(position_id)
        if isinstance(ref, Position):
            position, account = ref, account or ref.account
        else:
            position = self._find(self.positions(account), ref, "position", account)
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
            result = self._mutate(
                account,
                "position/close-partially",
                {**body, "volume": amount, "isMobile": False},
                position_quantity=position.quantity,
            )
        else:
            result = self._close_whole(account, body, position.quantity)
        return replace(result, position_id=position.id)

    def _close_whole(self, account: str | None, body: dict[str, Any], quantity: Any) -> OrderResult:
        body = {**body, "volume": str(quantity)}  # a string here, as the platform documents
        try:
            return self._mutate(account, "position/close", body)
        except BrokerError as exc:
            if exc.status != 404:
                raise
        return self._mutate(account, "positions/close", [body])  # the older, array form

    def cancel_order(self, order_id: str | Order, *, account: str | None = None) -> OrderResult:
        """Cancel a pending order. Pass the :class:`~brokers.Order` itself (from
        :meth:`orders`) to save the request that looks it up by id."""
        ref = self._order_ref(order_id)
        if isinstance(ref, Order):
            order, account = ref, account or ref.account
        else:
            order = self._find(self.orders(account), ref, "order", account)
        body = {
            "instrument": order.symbol,
            "id": order.id,
            "orderSide": order.side,
            "type": order.type,
            "isMobile": False,
        }
        return self._mutate(account, "pending-order/cancel", body)

    # ------------------------------------------------------------ modifications

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
        """Change a pending order through ``pending-order/edit``.

        ``price`` and ``quantity`` (lots): ``None`` keeps them. ``stop_loss`` / ``take_profit``:
        left out keeps, ``None`` removes, a price sets. The platform wants the whole order in
        every edit, so the rest is filled from ``order`` (pass the :class:`~brokers.Order`
        from :meth:`orders` to save the request that looks it up). Sent exactly once: a lost
        answer is :class:`~brokers.OrderOutcomeUnknownError`, and :meth:`reconcile` then says
        whether the order shows the change.
        """
        new_price = checks.amount(price, "price", required=False)
        new_quantity = checks.amount(quantity, "quantity", required=False)
        levels = self._levels(stop_loss, take_profit)
        if new_price is None and new_quantity is None and not levels:
            raise ConfigurationError(
                "modify_order needs a price, quantity, stop_loss or take_profit"
            )
        ref = self._order_ref(order)
        if isinstance(ref, Order):
            current, account = ref, account or ref.account
        else:
            current = self._find(self.orders(account), ref, "order", account)
        want = {
            "price": new_price or current.price,
            "quantity": new_quantity or current.quantity,
            "stop_loss": levels.get("stop_loss", current.stop_loss),
            "take_profit": levels.get("take_profit", current.take_profit),
        }
        side = current.side or ""
        checks.check_protection_sides(side, want["price"], want["stop_loss"], want["take_profit"])
        body = {
            "id": current.id,
            "instrument": current.symbol,
            "orderSide": side,
            "volume": want["quantity"],
            "type": current.type,
            "priceOrder": want["price"],  # the edit's name for the price (sheet §4.2)
            "slPrice": want["stop_loss"] or 0,  # 0 = none
            "tpPrice": want["take_profit"] or 0,
            "isMobile": False,
        }
        result = self._mutate(account, "pending-order/edit", body, empty_ok=True, want=want)
        if result.status == "SENT":  # a 2xx without an operation answer: confirm by reading
            unknown = self._unknown("pending-order/edit", result.account, body, want)
            if not self.reconcile(unknown):
                raise unknown
            return replace(result, order_id=current.id, status="OK")
        return result

    def set_protection(
        self,
        position: str | Position,
        *,
        stop_loss: Any = checks.UNSET,
        take_profit: Any = checks.UNSET,
        account: str | None = None,
    ) -> OrderResult:
        """Set, move or remove a position's stop loss and take profit (``position/edit``).

        A price sets or moves a level, ``None`` removes it, leaving the argument out keeps it.
        Both levels travel in every edit, so a kept one is resent from ``position`` (pass the
        :class:`~brokers.Position` from :meth:`positions` to save the request that looks it
        up). Sent once; a lost answer is :class:`~brokers.OrderOutcomeUnknownError`, after
        which :meth:`reconcile` says whether the position shows the change.
        """
        levels = self._levels(stop_loss, take_profit)
        if not levels:
            raise ConfigurationError("set_protection needs stop_loss or take_profit")
        ref = self._position_ref(position)
        if isinstance(ref, Position):
            current, account = ref, account or ref.account
        else:
            current = self._find(self.positions(account), ref, "position", account)
        want = {
            "stop_loss": levels.get("stop_loss", current.stop_loss),
            "take_profit": levels.get("take_profit", current.take_profit),
        }
        # The price the position would close at now, where the answer gave it.
        market = money(current.raw, "currentPrice") if current.raw else None
        checks.check_protection_sides(current.side, market, *want.values())
        body = {
            "id": current.id,
            "instrument": current.symbol,
            "orderSide": current.side,  # the position's own side (sheet §4.2)
            "volume": current.quantity,
            "slPrice": want["stop_loss"] or 0,  # 0 = none
            "tpPrice": want["take_profit"] or 0,
            "isMobile": False,
        }
        result = self._mutate(account, "position/edit", body, want=want)
        return replace(result, position_id=current.id)

    @staticmethod
    def _levels(stop_loss: Any, take_profit: Any) -> dict[str, Decimal | None]:
        """The protection levels to change: a price, or ``None`` to remove; kept ones absent."""
        levels = {
            "stop_loss": checks.protection(stop_loss, "stop_loss"),
            "take_profit": checks.protection(take_profit, "take_profit"),
        }
        return {k: cast("Decimal | None", v) for k, v in levels.items() if v is not checks.UNSET}

    def _unknown(
        self, endpoint: str, account: str, body: Any, want: Mapping[str, Any]
    ) -> OrderOutcomeUnknownError:
        return OrderOutcomeUnknownError(
            f"{endpoint} answered without saying whether it took effect, and the "
            "change does not show yet",
            sent={"account": account, "endpoint": endpoint, "body": body, "want": dict(want)},
            broker=self.broker,
            method="POST",
        )

    def _find(self, items: list[Any], item_id: str, what: str, account: str | None) -> Any:
        found = next((i for i in items if i.id == str(item_id)), None)
        if found is None:
            label = account or self._resolve(None).account.id
            raise self._not_open(what, item_id, label, [i.id for i in items])
        return found

    def _mutate(
        self,
        account: str | None,
        endpoint: str,
        body: Any,
        *,
        empty_ok: bool = False,
        **before: Any,
    ) -> OrderResult:
        """Send a state-changing request exactly once and read its operation answer.

        ``before`` (what the account held before it, or the state asked for) goes into an
        :class:`~brokers.OrderOutcomeUnknownError`, for :meth:`reconcile`. ``empty_ok``: a 2xx
        without a body is a valid answer (status ``"SENT"``: the caller confirms it)."""
        trading = self._resolve(account)
        path = self._trading_path(trading, endpoint)
        sent = {"account": trading.account.id, "endpoint": endpoint, "body": body, **before}
        try:
            reply = self._call("POST", path, json=body, account=trading.account.id, write=True)
            if empty_ok and reply.data is None:
                return OrderResult(self.broker, trading.account.id, None, status="SENT")
            with self._parsing("POST", path):
                status = operation_status(reply.data, reply.status, endpoint)
        except BrokerError as exc:
            if answer_lost(exc):
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
        ``False`` when nothing changed. For :meth:`modify_order` and :meth:`set_protection`:
        ``True`` when the order or position now shows every value asked for, ``False`` when it
        does not (or is no longer open).
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
        if endpoint in ("pending-order/edit", "position/edit"):
            edited = self.orders(account) if endpoint == "pending-order/edit" else None
            items = self.positions(account) if edited is None else edited
            now = next((i for i in items if i.id == body["id"]), None)
            return now is not None and shows(now, sent.get("want", {}))
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
