"""ProjectX Gateway API (TopstepX and the other futures prop firms): one REST host per firm.

>>> from brokers import ProjectX
>>> with ProjectX("topstepx", "me@example.com", "my-api-key", account="EXAMPLE-50K-001") as c:
...     c.get_balance()
Balance(broker='projectx', account='10001', currency=None, balance=Decimal('50000.00'), ...)

Futures are not CFDs, and the models say so: quantities are whole contracts, symbols are
contract ids (``CON.F.US.MNQ.H25``, see :meth:`ProjectX.instruments`), and a balance is the
balance alone (REST has no equity, margin, open P/L or currency: those are ``None``).
Facts: ``shared/reference/projectx-api.md`` (cited as "sheet §n").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from . import orders as checks
from . import timeframes
from .base import BrokerClient, Reply, answer_lost, log, replace_error
from .exceptions import (
    AccessDeniedError,
    AuthenticationError,
    BrokerError,
    ConfigurationError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    RequestRejectedError,
    ResponseError,
    ServerError,
)
from .models import (
    Account,
    Balance,
    Candle,
    Instrument,
    Order,
    Position,
    Records,
    Trade,
)
from .parsing import mapping, text
from .projectx_orders import PXOrders
from .projectx_wire import (
    BAR_UNITS,
    FINAL,
    MAX_BARS,
    UNCERTAIN,
    WRITES,
    code_name,
    items,
    parse_account,
    parse_balance,
    parse_balances,
    parse_bars,
    parse_contract,
    parse_contract_by_id,
    parse_orders,
    parse_positions,
    parse_trades,
    wire_time,
)
from .redaction import Secret
from .throttle import Rate

API = "/api/"
LOGIN = "Auth/loginKey"
TOKEN_LIFETIME = 24 * 3600.0  # sheet §3.2: session tokens live 24 hours
# Per-firm hosts (sheet §1); any other base URL works too: it is never derived.
FIRMS = {
    "topstepx": "https://api.topstepx.com",
    "alphaticks": "https://api.alphaticks.projectx.com",
    "blueguardianfutures": "https://api.blueguardianfutures.projectx.com",
    "blusky": "https://api.blusky.projectx.com",
    "e8": "https://api.e8.projectx.com",
    "fundingfutures": "https://api.fundingfutures.projectx.com",
    "thefuturesdesk": "https://api.thefuturesdesk.projectx.com",
    "futureselite": "https://api.futureselite.projectx.com",
    "fxifyfutures": "https://api.fxifyfutures.projectx.com",
    "goatfundedfutures": "https://api.goatfundedfutures.projectx.com",
    "tickticktrader": "https://api.tickticktrader.projectx.com",
    "toponefutures": "https://api.toponefutures.projectx.com",
    "tx3funding": "https://api.tx3funding.projectx.com",
}
_LOGIN_HINTS = {
    7: "sign the platform's agreements on the firm's dashboard first",
    9: "API access needs a ProjectX API subscription (on the ProjectX dashboard)",
    10: "API-key login is disabled for this user; enable it on the dashboard",
}


def firm_url(base_url: str) -> str:
    """The REST host of a firm preset (``"topstepx"``), or ``base_url`` as it is."""
    return FIRMS.get(str(base_url).strip().lower(), base_url)


class ProjectX(PXOrders, BrokerClient):
    """A ProjectX Gateway login: user name and API key (the key is a secret, like a
    password), on a firm's own host.

    ``base_url`` is the firm's REST host (``https://api.topstepx.com``) or a preset name from
    :data:`FIRMS` (``"topstepx"``, ``"e8"``, ...). ``account`` is an account id or its exact
    name; without it, the one account that can trade is used, and several are an error (never
    the first by chance: evaluation and funded accounts sit side by side). ``live`` picks
    real-time (``True``) or delayed/simulated (``False``) market data for contracts and bars;
    default: live only for an account the platform marks ``simulated: false``. The token
    (24 h) is renewed with ``Auth/validate`` ``renew_before`` seconds before it expires.

    Every call is a POST, so which are safe to repeat is said per call: reads are retried
    under the retry policy; writes are sent exactly once. The client-side throttle follows
    the documented limits: 200 requests a minute, and bars 50 per 30 s on their own.
    """

    broker = "projectx"
    default_rates = {"request": Rate(200, 60.0), "bars": Rate(50, 30.0)}  # sheet §11
    env_variables = {
        "base_url": (("PROJECTX_BASE_URL",), True),
        "username": (("PROJECTX_USERNAME", "PROJECTX_USER_NAME", "PROJECTX_EMAIL"), True),
        "api_key": (("PROJECTX_API_KEY",), True),
        "account": (("PROJECTX_ACCOUNT",), False),
    }
    capabilities = {
        "balance": "balance only (no equity, margin or currency over REST); one request",
        "positions": True,
        "orders": "working orders (bracket legs of a resting order are not listed)",
        "instruments": "contracts, with tick size and tick value",
        "place_order": "stop loss / take profit as OCO brackets in ticks",
        "client_order_id": "customTag, unique per account: sent once, reconcile() finds it",
        "close_position": "cancels the position's protective orders too",
        "cancel_order": True,
        "modify_order": "price, size; moves or removes bracket legs",
        "set_protection": "moves or removes the position's stop / target orders",
        "history": "closing fills (half-turns with P/L)",
        "order_history": True,
        "quotes": False,  # only the real-time market hub has quotes
        "candles": "1m to 1M, up to 20000 bars a request",
    }

    def __init__(
        self,
        base_url: str,
        username: str,
        api_key: str,
        *,
        account: str | int | None = None,
        live: bool | None = None,
        renew_before: float = 3600.0,
        **options: Any,
    ) -> None:
        base_url = firm_url(base_url)
        super().__init__(base_url, account=None if account is None else str(account), **options)
        if self.base_url.lower().endswith("/api"):
            self.base_url = self.base_url[: -len("/api")]
        if not username or not api_key:
            raise ConfigurationError("ProjectX needs a user name and an API key")
        if live is not None and not isinstance(live, bool):
            raise ConfigurationError(f"live must be True, False or None, not {live!r}")
        self.username = str(username)
        self.live = live
        self.renew_before = checks.seconds(renew_before, "renew_before")
        self._api_key = Secret(api_key, password=True)  # a short key must not leak either
        self._token: Secret | None = None
        self._expires_at = 0.0
        self._accounts: dict[str, Mapping[str, Any]] = {}
        self._contracts: dict[str, Instrument] = {}

    @property
    def _user_label(self) -> str:
        return self.username

    # -------------------------------------------------------------- session (sheet §3)

    def _open_session(self) -> None:
        body = {"userName": self.username, "apiKey": self._api_key.reveal()}
        reply = self._send("POST", API + LOGIN, json=body, kind="login")
        self._adopt(self._envelope(LOGIN, reply), ("token",))

    def _adopt(self, data: Mapping[str, Any], names: tuple[str, ...]) -> None:
        token = next((text(data.get(n)) for n in names if text(data.get(n))), None)
        if not token:
            raise ResponseError("the answer has no token", broker=self.broker)
        self._token = Secret(token)
        self._expires_at = self._clock() + TOKEN_LIFETIME

    def _session_is_stale(self) -> bool:
        return self._clock() >= self._expires_at - self.renew_before

    def _renew_session(self) -> None:
        """``Auth/validate`` → ``newToken`` (or ``token``); any failure → one fresh login."""
        if self._token is not None:
            try:
                reply = self._send(
                    "POST", API + "Auth/validate", headers=self._auth_headers(None), kind="login"
                )
                self._adopt(self._envelope("Auth/validate", reply), ("newToken", "token"))
                return
            except BrokerError as exc:
                log.info("%s: token renewal failed (%s); logging in again", self.broker, exc)
        self._open_session()

    def _auth_headers(self, account: str | None) -> dict[str, str]:
        token = self._token  # read once: close() in another thread may clear it
        return {"Authorization": f"Bearer {token.reveal()}"} if token else {}

    def _close_session(self) -> None:
        self._send("POST", API + "Auth/logout", headers=self._auth_headers(None), idempotent=False)

    def _forget_session(self) -> None:
        super()._forget_session()
        self._token = None

    # ---------------------------------------------------------------- errors (sheet §12)

    def _error_details(self, data: Any) -> tuple[str | None, str | None]:
        if not isinstance(data, Mapping):
            return None, None
        if isinstance(data.get("errors"), Mapping):  # ASP.NET problem details (HTTP 400)
            fields = "; ".join(f"{k}: {v}" for k, v in data["errors"].items())
            return None, f"{text(data.get('title')) or 'invalid request'} ({fields})"
        return text(data.get("errorCode")), text(data.get("errorMessage"))

    def _refine_error(self, error: BrokerError, data: Any) -> BrokerError:
        if error.path == API + LOGIN and error.status in (400, 401, 403):
            return replace_error(
                error,
                AuthenticationError,
                message=f"login refused for {self.username}",
                hint="check the user name and the API key",
            )
        return error

    def _envelope(
        self, endpoint: str, reply: Reply, sent: dict[str, Any] | None = None
    ) -> Mapping[str, Any]:
        """The payload of a ``success: true`` answer, else the endpoint's typed error."""
        path = API + endpoint
        with self._parsing("POST", path):
            data = mapping(reply.data, endpoint)
        if data.get("success") is True:
            return data
        if "success" not in data:
            raise ResponseError(
                f"the {endpoint} answer has no 'success'",
                broker=self.broker,
                status=reply.status,
                method="POST",
                path=path,
            )
        raise self._failure(endpoint, data, reply.status, sent)

    def _failure(
        self, endpoint: str, data: Mapping[str, Any], status: int, sent: dict[str, Any] | None
    ) -> BrokerError:
        """HTTP 200 ``success: false``: the code means what this endpoint's table says."""
        code = data.get("errorCode")
        name = code_name(endpoint, code) if isinstance(code, int) else None
        said = text(data.get("errorMessage"))
        what = f"{endpoint} failed: {name or 'undocumented error code'}" + (
            f" ({said})" if said else ""
        )
        kw: dict[str, Any] = {
            "broker": self.broker,
            "status": status,
            "code": text(code),
            "method": "POST",
            "path": API + endpoint,
        }
        if endpoint == LOGIN:
            if code in _LOGIN_HINTS:
                return AccessDeniedError(what, hint=_LOGIN_HINTS[code], **kw)
            if code == 8:
                return ServerError(what, **kw)
            return AuthenticationError(
                f"login refused for {self.username}: {name or 'undocumented code'}",
                hint="check the user name and the API key",
                **kw,
            )
        if endpoint in WRITES:
            if name is None or code in UNCERTAIN[endpoint]:
                # Pending / unknown error / undocumented: the platform may have acted.
                return OrderOutcomeUnknownError(
                    what,
                    sent=sent,
                    client_order_id=(sent or {}).get("client_order_id"),
                    **kw,
                )
            if "orderId" in data and data["orderId"] is not None:
                what += f"; the rejected record has order id {data['orderId']}"
            return OrderRejectedError(what, **kw)
        hint = "check the account id (accounts() lists them)" if name == "AccountNotFound" else None
        return RequestRejectedError(what, hint=hint, **kw)

    # ------------------------------------------------------------------ calls

    def _post(self, endpoint: str, body: Any) -> Mapping[str, Any]:
        """A read: a POST that is safe to repeat, so marked as a read (and retried)."""
        # Bars have their own budget (sheet §11): the throttle draws on it as well.
        kind = "bars" if endpoint == "History/retrieveBars" else "request"
        reply = self._call("POST", API + endpoint, json=body, write=False, kind=kind)
        return self._envelope(endpoint, reply)

    def _write(self, endpoint: str, body: dict[str, Any], sent: dict[str, Any]) -> Mapping:
        """A write: sent exactly once; a lost or ambiguous answer is outcome-unknown."""
        sent = {"endpoint": endpoint, "body": body, **sent}
        try:
            reply = self._call("POST", API + endpoint, json=body, write=True)
        except BrokerError as exc:
            if answer_lost(exc):
                raise OrderOutcomeUnknownError(
                    f"the answer to {endpoint} was lost ({type(exc).__name__})",
                    sent=sent,
                    client_order_id=sent.get("client_order_id"),
                    broker=self.broker,
                    status=exc.status,
                    method="POST",
                    path=API + endpoint,
                ) from exc
            raise
        return self._envelope(endpoint, reply, sent)

    # ------------------------------------------------------------------ accounts (sheet §4)

    def _account_search(self) -> Mapping[str, Any]:
        """``Account/search`` (active accounts), remembered for resolving ``account=``."""
        data = self._post("Account/search", {"onlyActiveAccounts": True})
        with self._parsing("POST", API + "Account/search"):
            found = items(data, "accounts", "account search")
        self._accounts = {str(item.get("id")): item for item in found}
        if self.account and self.account not in self._accounts:  # a name: pin its id
            named = [k for k, v in self._accounts.items() if text(v.get("name")) == self.account]
            self.account = named[0] if len(named) == 1 else self.account
        return data

    def _resolve(self, account: str | int | None) -> tuple[int, Mapping[str, Any]]:
        """``(id, account item)`` of an id or exact name; default: the configured account,
        else the one account that can trade (several are an error, sheet §15)."""
        self._ensure_session()
        if not self._accounts:
            self._account_search()
        wanted = self.account if account in (None, "") else str(account)
        if wanted is None:
            tradable = [i for i in self._accounts.values() if i.get("canTrade") is True]
            if len(tradable) != 1:
                listed = ", ".join(
                    f"{i.get('id')} ({i.get('name')})" for i in self._accounts.values()
                )
                raise ConfigurationError(
                    f"this login has {len(tradable)} accounts that can trade; say which: "
                    + (listed or "(none)"),
                    hint="pass account= (an id or the exact name), or set PROJECTX_ACCOUNT",
                    broker=self.broker,
                )
            item = tradable[0]
        else:
            item = self._accounts.get(wanted) or next(
                (i for i in self._accounts.values() if text(i.get("name")) == wanted), None
            )
            if item is None:
                known = ", ".join(f"{k} ({v.get('name')})" for k, v in self._accounts.items())
                raise ConfigurationError(
                    f"account {wanted!r} is not one of this login's active accounts: "
                    + (known or "(none)"),
                    broker=self.broker,
                )
        account_id = item.get("id")
        if isinstance(account_id, bool) or not isinstance(account_id, int):
            raise ResponseError(f"account id {account_id!r} is not a number", broker=self.broker)
        return account_id, item

    def _use_live(self, item: Mapping[str, Any] | None) -> bool:
        if self.live is not None:
            return self.live
        return item is not None and item.get("simulated") is False

    def accounts(self) -> list[Account]:
        """The login's active accounts (``status`` ``TRADING`` where ``canTrade``)."""
        self._ensure_session()
        with self._parsing("POST", API + "Account/search"):
            data = self._account_search()
            return [parse_account(item) for item in items(data, "accounts", "account search")]

    def get_balance(self, account: str | int | None = None) -> Balance:
        """The balance of ``account``: ``balance`` only; ``equity``, ``available``,
        ``margin``, ``profit`` and ``currency`` are ``None`` (REST does not have them)."""
        self._ensure_session()
        self._account_search()
        item = self._resolve(account)[1]
        with self._parsing("POST", API + "Account/search"):
            return parse_balance(item)

    def get_balances(self, accounts: list[str] | None = None) -> list[Balance]:
        """The balances of ``accounts`` (default: every active account): one request."""
        self._ensure_session()
        data = self._account_search()
        with self._parsing("POST", API + "Account/search"):
            if not accounts:
                return parse_balances(data)
            return [parse_balance(self._resolve(a)[1]) for a in accounts]

    # ------------------------------------------------------------------ reads

    def _read(self, endpoint: str, body: dict[str, Any], parse: Callable[[Any], Any]) -> Any:
        data = self._post(endpoint, body)
        with self._parsing("POST", API + endpoint):
            return parse(data)

    def positions(self, account: str | int | None = None) -> list[Position]:
        """Open positions (quantities in contracts; one per contract, net)."""
        account_id, _ = self._resolve(account)
        return self._read(
            "Position/searchOpen",
            {"accountId": account_id},
            lambda data: parse_positions(data, str(account_id)),
        )

    def orders(self, account: str | int | None = None) -> list[Order]:
        """Working orders (``Order/searchOpen``). The bracket legs of an order that has not
        filled yet are Suspended and not listed by the platform here (sheet §6.2)."""
        account_id, _ = self._resolve(account)
        return self._read(
            "Order/searchOpen",
            {"accountId": account_id},
            lambda data: parse_orders(data, str(account_id)),
        )

    def instruments(
        self, search: str | None = None, *, account: str | int | None = None
    ) -> list[Instrument]:
        """Contracts: those available, or those matching ``search`` (the platform's fuzzy
        search: ``"NQ"`` also finds ``MNQ``; pick by ``symbol``). ``symbol`` is the contract
        id that orders take."""
        item = self._resolve(account)[1] if account is not None or self.account else None
        body: dict[str, Any] = {"live": self._use_live(item)}
        if search:
            body["searchText"] = str(search)
        found = self._read(
            "Contract/search" if search else "Contract/available",
            body,
            lambda data: [parse_contract(i) for i in items(data, "contracts", "contracts")],
        )
        self._contracts.update({c.symbol: c for c in found})
        return found

    def _contract(self, contract_id: str, item: Mapping[str, Any]) -> Instrument:
        """The contract (tick size), cached: it does not change while the contract trades."""
        symbol = checks.symbol(contract_id)
        if symbol not in self._contracts:
            body = {"contractId": symbol}  # no `live` here (sheet §9)
            try:
                self._contracts[symbol] = self._read(
                    "Contract/searchById", body, parse_contract_by_id
                )
            except RequestRejectedError as exc:
                if exc.code != "1":
                    raise
                raise ConfigurationError(
                    f"unknown contract {symbol!r}",
                    hint="use a contract id such as CON.F.US.MNQ.H25 (instruments('MNQ'))",
                    broker=self.broker,
                ) from None
        return self._contracts[symbol]

    def find_order(
        self, client_order_id: str, account: str | int | None = None, *, since: Any = None
    ) -> Order | None:
        """The order placed with ``client_order_id`` (its ``customTag``) since ``since``
        (default: the last 7 days), or ``None``."""
        account_id, _ = self._resolve(account)
        start = since or datetime.now(timezone.utc) - timedelta(days=7)
        found = self._search_orders(account_id, checks.utc_time(start, "since"), None)
        return next((o for o in found if o.client_order_id == client_order_id), None)

    def _search_orders(self, account_id: int, start: datetime, end: datetime | None) -> list:
        body: dict[str, Any] = {"accountId": account_id, "startTimestamp": wire_time(start)}
        if end is not None:
            body["endTimestamp"] = wire_time(end, end=True)
        return self._read("Order/search", body, lambda data: parse_orders(data, str(account_id)))

    def history(
        self, *, since: Any, until: Any = None, account: str | int | None = None
    ) -> Records[Trade]:
        """Closed trades: the closing fills (half-turns with a P/L), voided ones left out."""
        account_id, _ = self._resolve(account)
        start, end = checks.time_range(since, until, datetime.now(timezone.utc))
        body = {"accountId": account_id, "startTimestamp": wire_time(start)}
        body["endTimestamp"] = wire_time(end, end=True)
        return Records(self._read("Trade/search", body, lambda d: parse_trades(d, str(account_id))))

    def order_history(
        self, *, since: Any, until: Any = None, account: str | int | None = None
    ) -> Records[Order]:
        """Orders placed in the range that are filled, cancelled, expired or rejected."""
        account_id, _ = self._resolve(account)
        start, end = checks.time_range(since, until, datetime.now(timezone.utc))
        found = self._search_orders(account_id, start, end)
        return Records(o for o in found if o.status in FINAL)

    def candles(
        self,
        symbol: str,
        timeframe: str,
        *,
        since: Any = None,
        until: Any = None,
        count: int | None = None,
        account: str | int | None = None,
    ) -> Records[Candle]:
        """Bars of a contract, **oldest first** (the platform sends newest first), complete
        bars only. Without ``since``, the newest ``count`` (default 500); more than 20000 are
        fetched 20000 at a time."""
        name = timeframes.timeframe(timeframe, BAR_UNITS, self.broker)
        wanted = checks.count(count)
        item = self._resolve(account)[1] if account is not None or self.account else None
        now = datetime.now(timezone.utc)
        end = now if until is None else checks.utc_time(until, "until")
        if since is None:
            wanted = wanted or 500
            # wide enough for weekends and holidays; the platform returns the newest `limit`
            start = end - timedelta(seconds=max(timeframes.seconds(name) * wanted * 4, 7 * 86400))
        else:
            start, end = checks.time_range(since, end, now)
        unit, number = BAR_UNITS[name]
        body = {
            "contractId": checks.symbol(symbol),
            "live": self._use_live(item),
            "unit": unit,
            "unitNumber": number,
            "includePartialBar": False,
        }
        bars: dict[datetime, Candle] = {}
        while wanted is None or len(bars) < wanted:
            limit = MAX_BARS if wanted is None else min(MAX_BARS, wanted - len(bars))
            page = {
                **body,
                "startTime": wire_time(start),
                "endTime": wire_time(end),
                "limit": limit,
            }
            got = self._read("History/retrieveBars", page, lambda d: parse_bars(d, symbol, name))
            bars.update((c.time, c) for c in got)
            if len(got) < limit or got[0].time <= start:
                break
            end = got[0].time - timedelta(seconds=1)  # the next page ends before the oldest
        newest = sorted(bars.values(), key=lambda c: c.time)
        return Records(newest[-wanted:] if wanted else newest)

    def _last_price(self, symbol: str, item: Mapping[str, Any]) -> Decimal:
        """The last traded price: the close of the newest 1-minute bar, forming or not."""
        end = datetime.now(timezone.utc)
        body = {
            "contractId": symbol,
            "live": self._use_live(item),
            "startTime": wire_time(end - timedelta(days=7)),
            "endTime": wire_time(end, end=True),
            "unit": 2,
            "unitNumber": 1,
            "limit": 1,
            "includePartialBar": True,
        }
        bars = self._read("History/retrieveBars", body, lambda d: parse_bars(d, symbol, "1m"))
        if not bars:
            raise ConfigurationError(
                f"no recent price of {symbol} to count the bracket ticks from",
                hint="place a LIMIT or STOP order (its price is the reference), or no brackets",
                broker=self.broker,
            )
        return bars[-1].close
