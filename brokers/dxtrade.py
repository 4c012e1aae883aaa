"""DXtrade (Devexperts DXSCA REST API under ``/dxsca-web``).

>>> from brokers import DXTrade
>>> with DXTrade("https://dxtrade.example.com", "1210001", "secret") as client:
...     client.get_balance()
Balance(broker='dxtrade', account='default:1210001', currency='USD', ...)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from .base import BrokerClient, check_base_url, replace_error
from .config import load_settings, pick
from .exceptions import (
    AccessDeniedError,
    AccountLockedError,
    AuthenticationError,
    BotProtectionError,
    BrokerError,
    ConfigurationError,
    ResponseError,
)
from .models import Account, Balance
from .parsing import mapping, mapping_list, money, required_money, text
from .redaction import Secret
from .throttle import Rate

API = "/dxsca-web"
LOGIN_PATH = f"{API}/login"
DEFAULT_IDLE_TIMEOUT = 30 * 60.0
_LOCKED_WORDS = re.compile(r"lock|block|disabl|suspend|terminat|expired", re.IGNORECASE)
_HMS = re.compile(r"^(?:(\d+)[.:])?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$")
_ISO = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_session_timeout(value: Any) -> float | None:
    """Seconds from a login ``timeout`` in any documented form, ``None`` when unusable.

    ``"00:30:00"``, ``"PT30M"``, ``1800`` (seconds) and ``1800000`` (milliseconds) all give
    ``1800.0``. Numbers above a day are taken as milliseconds.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    if isinstance(value, (int, float, Decimal)):
        seconds = float(value)
        return seconds / 1000 if seconds > 86400 else (seconds if seconds > 0 else None)
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


def parse_accounts(data: Any) -> list[Account]:
    """Accounts from a ``GET /users`` answer."""
    users = mapping_list(mapping(data, "users").get("userDetails", []), "users")
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
        self.idle_timeout = float(idle_timeout)
        self._password = Secret(password)
        self._token: Secret | None = None
        self._session_timeout = self.idle_timeout
        self._accounts: list[Account] | None = None

    @classmethod
    def from_env(cls, env_file: str | os.PathLike[str] | None = None, **kwargs: Any) -> DXTrade:
        """A client configured from ``DXTRADE_*`` variables (arguments given here win)."""
        settings = load_settings(env_file)
        names = {
            "base_url": ("DXTRADE_BASE_URL", True),
            "username": ("DXTRADE_USERNAME", True),
            "password": ("DXTRADE_PASSWORD", True),
            "domain": ("DXTRADE_DOMAIN", False),
            "account": ("DXTRADE_ACCOUNT", False),
        }
        for param, (var, required) in names.items():
            kwargs[param] = pick(kwargs.get(param), settings, var, required=required)
        kwargs["domain"] = kwargs["domain"] or "default"
        return cls(**kwargs)

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
        self._session_timeout = timeout or self.idle_timeout
        self._last_activity = self._clock()

    def _session_is_stale(self) -> bool:
        # The platform ends a session idle for `timeout`; log in again a little before that
        # instead of spending a request on a certain 401.
        slack = min(10.0, self._session_timeout * 0.1)
        return self._clock() - self._last_activity >= self._session_timeout - slack

    def _auth_headers(self, account: str | None) -> dict[str, str]:
        return {"Authorization": f"DXAPI {self._token.reveal()}"} if self._token else {}

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
            reply = self._call("GET", path)
            with self._parsing("GET", path):
                self._accounts = parse_accounts(reply.data)
        return list(self._accounts)

    def _resolve(self, account: str | None) -> tuple[str, str | None]:
        """The account code to use and its currency (from /users unless configured)."""
        code = account or self.account
        if code is not None and code == self.account and self.currency:
            return code, self.currency
        known = self.accounts()
        if code is None:
            if not known:
                raise ConfigurationError(f"the login {self._user_label} has no accounts")
            return known[0].id, known[0].currency
        for item in known:
            if item.id == code:
                return code, item.currency
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
            missing = [code for code, _ in wanted if code not in by_code]
            if missing:
                raise ResponseError(f"the metrics answer lacks accounts {', '.join(missing)}")
            return [metrics_to_balance(by_code[code], code, ccy) for code, ccy in wanted]

    def _all_accounts(self) -> list[tuple[str, str | None]]:
        return [(a.id, a.currency) for a in self.accounts()]
