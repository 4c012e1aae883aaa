"""DXtrade (Devexperts DXSCA REST API under ``/dxsca-web``).

>>> from brokers import DXTrade
>>> with DXTrade("https://dxtrade.example.com", "1210001", "secret") as client:
...     client.get_balance()
Balance(broker='dxtrade', account='default:1210001', currency='USD', ...)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from . import orders as checks
from .base import BrokerClient, check_base_url, log, path_segment, replace_error
from .dxtrade_market import DXMarketData
from .dxtrade_orders import DXOrders
from .dxtrade_wire import (
    metrics_to_balance,
    order_items,
    parse_accounts,
    parse_candles,
    parse_history,
    parse_instrument_limits,
    parse_instruments,
    parse_metrics,
    parse_orders,
    parse_portfolio_currency,
    parse_positions,
    parse_quotes,
    parse_session_timeout,
)
from .exceptions import (
    AccessDeniedError,
    AccountLockedError,
    AuthenticationError,
    BotProtectionError,
    BrokerError,
    ConfigurationError,
    OrderRejectedError,
    RequestRejectedError,
    ResponseError,
)
from .models import (
    Account,
    Balance,
    Instrument,
    Order,
    Position,
    Records,
)
from .parsing import mapping, mapping_list, text
from .redaction import Secret
from .throttle import Rate
from .token_cache import dump_account, load_account, number

# The wire parsers are part of this module's face: users and tests parse payloads with them.
__all__ = [
    "DXTrade",
    "parse_accounts",
    "parse_candles",
    "parse_history",
    "parse_instruments",
    "parse_metrics",
    "parse_orders",
    "parse_positions",
    "parse_quotes",
    "parse_session_timeout",
]

API = "/dxsca-web"
LOGIN_PATH = f"{API}/login"
DEFAULT_IDLE_TIMEOUT = 30 * 60.0
_LOCKED_WORDS = re.compile(r"lock|block|disabl|suspend|terminat|expired", re.IGNORECASE)


class DXTrade(DXOrders, DXMarketData, BrokerClient):
    """A DXtrade account, logged in with username, password and domain.

    ``base_url`` is the broker's address, with or without ``/dxsca-web``. ``account`` is an
    account code such as ``default:1210001`` (default: the login's first account).
    ``currency`` (optional) is that account's currency: with both given, a cold balance
    read skips the ``/users`` request. ``idle_timeout`` is used when the platform does not
    say how long an idle session lives. Other options: see :class:`~brokers.BrokerClient`.
    """

    broker = "dxtrade"
    # the documented login limit (1 per second) and read limit for history pages (2 per second)
    default_rates = {"login": Rate(1, 1.0), "history": Rate(2, 1.0)}
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
        "close_position": "a CLOSE order; the platform cancels its protection",
        "cancel_order": "an IF-THEN entry with its whole group",
        "modify_order": "PUT of the complete order or group, If-Match",
        "set_protection": "protective CLOSE orders moved, placed or cancelled",
        "history": "derived from the order history (no trades resource)",
        "order_history": True,
        "quotes": "many symbols in one request",
        "candles": "1m 5m 15m 30m 1h 2h 4h 1d 1w 1M",
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
        # account argument -> (account code, currency): the same on every read once known
        self._resolved: dict[str | None, tuple[str, str | None]] = {}
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

    def _session_state(self) -> dict[str, Any] | None:
        """For the token cache: the token, its idle timeout and last use (the platform
        times the session from the last request), the accounts and their currencies."""
        token = self._token
        if token is None:
            return None
        accounts = self._accounts
        return {
            "token": token.reveal(),
            "timeout": self._session_timeout,
            "last_activity": self._last_activity,
            "accounts": None if accounts is None else [dump_account(a) for a in accounts],
            "currencies": dict(self._portfolio_currencies),
        }

    def _restore_session_state(self, state: Mapping[str, Any]) -> bool:
        """Take a cached session unless it is malformed or idle past its timeout."""
        try:
            token = state["token"]
            timeout, last = number(state, "timeout"), number(state, "last_activity")
            listed = state.get("accounts")
            accounts = None if listed is None else [load_account(a, self.broker) for a in listed]
            currencies = dict(state.get("currencies") or {})
        except (KeyError, TypeError, ValueError):
            return False
        if not isinstance(token, str) or not token or timeout <= 0:
            return False
        if not all(isinstance(c, str) for c in currencies.values() if c is not None):
            return False
        previous = self._session_timeout, self._last_activity
        self._session_timeout, self._last_activity = timeout, last
        if self._session_is_stale():
            self._session_timeout, self._last_activity = previous
            return False
        self._token = Secret(token)
        self._accounts = self._accounts if accounts is None else accounts
        self._portfolio_currencies.update(currencies)
        self._resolved.clear()
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

    def accounts(self) -> Records[Account]:
        """The login's accounts (``GET /users``), fetched once and kept."""
        if self._accounts is None:
            self._ensure_session()  # a session from the token cache brings the list along
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
        return Records(self._accounts)

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
        """The account code to use and its currency (from /users unless configured); worked
        out once per account and kept, as the accounts list is."""
        found = self._resolved.get(account)
        if found is None:
            found = self._resolved[account] = self._resolve_once(account)
        return found

    def _resolve_once(self, account: str | None) -> tuple[str, str | None]:
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
        path = f"{API}/accounts/{path_segment(code)}/metrics"
        reply = self._call("GET", path, account=code)
        with self._parsing("GET", path):
            return parse_metrics(reply.data, code, currency)

    def get_balances(self, accounts: list[str] | None = None) -> Records[Balance]:
        """The balances of ``accounts`` (default: every account of the login) in one request
        (``GET /accounts/metrics?accounts=a,b``), in the order asked."""
        wanted = [self._resolve(a) for a in accounts] if accounts else self._all_accounts()
        if not wanted:
            return Records()
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
            return Records(metrics_to_balance(by_code[code], code, ccy) for code, ccy in wanted)

    def _all_accounts(self) -> list[tuple[str, str | None]]:
        return [(a.id, self._currency(a.id, a.currency)) for a in self.accounts()]

    # -------------------------------------------------------------- trading

    def _account_path(self, code: str, tail: str = "") -> str:
        return f"{API}/accounts/{path_segment(code)}{tail}"

    def _read(self, path: str, parse: Any, *args: Any, params: Any = None) -> Any:
        reply = self._call("GET", path, params=params)
        with self._parsing("GET", path):
            return parse(reply.data, *args)

    def positions(self, account: str | None = None) -> Records[Position]:
        """Open positions of ``account`` (quantities in units)."""
        code, _ = self._resolve(account)
        return Records(self._read(self._account_path(code, "/positions"), parse_positions, code))

    def orders(self, account: str | None = None) -> Records[Order]:
        """Open (working) orders of ``account``; an order with IF-THEN protection shows its
        stop loss and take profit prices."""
        code, _ = self._resolve(account)
        return Records(self._read(self._account_path(code, "/orders"), parse_orders, code))

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

    def instruments(self, account: str | None = None) -> Records[Instrument]:
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
        return Records(self._read(f"{API}/instruments/query", parse_instruments, limits))
