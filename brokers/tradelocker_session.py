"""TradeLocker session, requests and reads; :class:`brokers.TradeLocker` adds the writes.

The login (JWT access + refresh token), the account list with each ``accNum``, the
``/trade/config`` layouts, the instrument cache and the reads: balance, positions, orders,
instruments, quotes, candles and history (``tradelocker-api.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from . import orders as checks
from . import timeframes
from .base import BrokerClient, log, replace_error
from .exceptions import (
    AccessDeniedError,
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
    Candle,
    Instrument,
    Order,
    Position,
    Quote,
    Records,
    Trade,
)
from .parsing import jwt_expiry, mapping, text
from .redaction import Secret
from .tradelocker_wire import (
    HISTORY,
    ORDER_NEEDS,
    ORDERS,
    POSITION_NEEDS,
    POSITIONS,
    STATE,
    TRADE_NEEDS,
    AccountRow,
    InstrumentRef,
    Layout,
    brief_instrument,
    envelope,
    ident,
    is_final,
    order_price,
    parse_accounts,
    parse_balance,
    parse_bars,
    parse_config,
    parse_details,
    parse_instrument_list,
    parse_order,
    parse_position,
    parse_quote,
    parse_tokens,
    parse_trades,
    records,
    rows_of,
)

ENVIRONMENTS = {"demo": "https://demo.tradelocker.com", "live": "https://live.tradelocker.com"}
API_PATH = "/backend-api"
LOGIN_PATH = "/auth/jwt/token"
REFRESH_PATH = "/auth/jwt/refresh"
ACCOUNTS_PATH = "/auth/jwt/all-accounts"
DEFAULT_LIFETIME = 3600.0  # a token whose `exp` cannot be read (§16: assume 1 h)
# canonical timeframe -> TradeLocker resolution (minutes lower-case, months upper-case; §9)
TIMEFRAMES = {
    "1m": "1m",
    "5m": "5m",
    "15m": "15m",
    "30m": "30m",
    "1h": "1H",
    "4h": "4H",
    "1d": "1D",
    "1w": "1W",
    "1M": "1M",
}


def api_url(base_url_or_environment: str) -> tuple[str, str | None]:
    """``(API base URL, "demo" | "live" | None)`` from ``"demo"``, ``"live"`` or an origin
    (with or without ``/backend-api``)."""
    value = str(base_url_or_environment or "").strip()
    environment = value.lower() if value.lower() in ENVIRONMENTS else None
    origin = ENVIRONMENTS[environment] if environment else value.rstrip("/")
    if origin.endswith(API_PATH):
        origin = origin[: -len(API_PATH)]
    if environment is None:
        host = urlsplit(origin).hostname or ""
        environment = next((e for e in ENVIRONMENTS if host.startswith(e + ".")), None)
    return origin + API_PATH, environment


class TradeLockerSession(BrokerClient):
    """The session and reads of :class:`~brokers.TradeLocker` (see there)."""

    broker = "tradelocker"

    def __init__(
        self,
        base_url: str,
        email: str,
        password: str,
        server: str,
        account: str | None = None,
        *,
        developer_api_key: str | None = None,
        renew_before: float = 1800.0,
        **options: Any,
    ) -> None:
        url, self.environment = api_url(base_url)
        super().__init__(url, account=account, **options)
        if not email or not password:
            raise ConfigurationError("TradeLocker needs an e-mail and a password")
        if not server or not str(server).strip():
            raise ConfigurationError(
                "TradeLocker needs the server: the broker name on the TradeLocker login screen"
            )
        self.email = str(email)
        self.server = str(server).strip()
        self.renew_before = checks.seconds(renew_before, "renew_before")
        self._password = Secret(password, password=True)
        self._api_key = Secret(developer_api_key) if developer_api_key else None
        # Only the library's own throttle follows the server's published limits.
        self._adapt_throttle = options.get("throttle") in (None, True)
        self._access: Secret | None = None
        self._refresh_token: Secret | None = None
        self._expires_at = 0.0
        self._lifetime = DEFAULT_LIFETIME
        self._refresh_expires: float | None = None
        self._rows: dict[str, AccountRow] = {}
        self._default_id: str | None = None
        self._clear_caches()

    def _clear_caches(self) -> None:
        self._layouts: dict[str, Layout] = {}
        self._refs: dict[str, dict[str, InstrumentRef]] = {}
        self._info: dict[tuple[str, str], str] = {}
        self._details: dict[tuple[str, str], Instrument] = {}

    @property
    def _user_label(self) -> str:
        return self.email

    # -------------------------------------------------------------- session

    def _open_session(self) -> None:
        body = {"email": self.email, "password": self._password.reveal(), "server": self.server}
        reply = self._send("POST", LOGIN_PATH, json=body, headers=self._key_header(), kind="login")
        with self._parsing("POST", LOGIN_PATH):
            self._adopt_tokens(*parse_tokens(reply.data))
        headers = self._auth_headers(None)  # all-accounts takes no accNum (§4)
        reply = self._send("GET", ACCOUNTS_PATH, headers=headers, kind="login")
        with self._parsing("GET", ACCOUNTS_PATH):
            rows = {row.account.id: row for row in parse_accounts(reply.data)}
        pinned = self._default_id or self.account
        if pinned is not None and pinned not in rows:
            raise self._unknown_account(pinned, rows)
        if not rows:
            raise ConfigurationError(
                f"the login {self.email} has no accounts on {self._where}", broker=self.broker
            )
        self._rows = rows
        self._default_id = pinned or next(iter(rows))
        self._clear_caches()  # layouts, instruments and routes are read once per session

    @property
    def _where(self) -> str:
        return self.environment or self.base_url

    def _unknown_account(self, account_id: str, rows: Mapping[str, AccountRow]) -> BrokerError:
        listed = ", ".join(f"{i} (accNum {r.acc_num})" for i, r in rows.items()) or "none"
        by_num = next((i for i, r in rows.items() if r.acc_num == account_id), None)
        hint = (
            f"{account_id} is the accNum of account {by_num}: pass the accountId"
            if by_num
            else "demo and live are separate environments with their own account ids"
        )
        return ConfigurationError(
            f"account {account_id!r} is not an account of {self.email} on {self._where} "
            f"(accounts: {listed})",
            broker=self.broker,
            hint=hint,
        )

    def _adopt_tokens(self, access: str, refresh: str | None) -> None:
        now = self._clock()
        self._access = Secret(access)
        if refresh:  # both tokens rotate (§3.3): always keep the newest refresh token
            self._refresh_token = Secret(refresh)
            self._refresh_expires = jwt_expiry(refresh)
        expiry = jwt_expiry(access)
        self._lifetime = expiry - now if expiry and expiry - now > 60 else DEFAULT_LIFETIME
        self._expires_at = now + self._lifetime

    def _session_is_stale(self) -> bool:
        margin = min(self.renew_before, self._lifetime / 2)
        return self._clock() >= self._expires_at - margin

    def _renew_session(self) -> None:
        refresh = self._refresh_token
        if refresh is not None and (self._refresh_expires or float("inf")) > self._clock():
            try:
                reply = self._send(
                    "POST",
                    REFRESH_PATH,
                    json={"refreshToken": refresh.reveal()},
                    headers=self._key_header(),
                    kind="login",
                )
                with self._parsing("POST", REFRESH_PATH):
                    self._adopt_tokens(*parse_tokens(reply.data))
                return
            except BrokerError as exc:
                if isinstance(exc, BotProtectionError):
                    raise
                log.info("%s: token refresh failed (%s); logging in again", self.broker, exc)
        self._open_session()

    def _auth_headers(self, account: str | None) -> dict[str, str]:
        access = self._access  # read once: close() in another thread may clear it
        headers = {"Authorization": f"Bearer {access.reveal()}"} if access else {}
        row = self._rows.get(account) if account else None
        if row is not None:
            headers["accNum"] = row.acc_num  # every /trade/* call (§4)
        return {**headers, **self._key_header()}

    def _key_header(self) -> dict[str, str]:
        """The developer key, on every request as the official client sends it (sheet §3.2)."""
        return {"developer-api-key": self._api_key.reveal()} if self._api_key else {}

    def _forget_session(self) -> None:
        super()._forget_session()
        self._access = None
        self._refresh_token = None

    # ---------------------------------------------------------------- errors

    def _error_details(self, data: Any) -> tuple[str | None, str | None]:
        if isinstance(data, Mapping):
            return None, text(data.get("errmsg")) or text(data.get("message"))
        return None, None

    def _refine_error(self, error: BrokerError, data: Any) -> BrokerError:
        if isinstance(error, BotProtectionError):
            return error
        if error.path == LOGIN_PATH and error.status in (400, 401):
            return replace_error(
                error,
                AuthenticationError,
                message=f"login refused for {self.email} on server {self.server} ({self._where})",
                hint="the e-mail, password or server (the broker name on the login screen) is "
                "wrong, or the login belongs to the other environment (demo / live)",
            )
        if error.path == LOGIN_PATH and error.status == 403:
            return replace_error(error, AccessDeniedError, message="login refused (HTTP 403)")
        if error.method != "GET" and type(error) is RequestRejectedError:
            return replace_error(error, OrderRejectedError)  # a 4xx to a trading write
        return error

    # ------------------------------------------------------------- transport

    def _trade(
        self,
        method: str,
        path: str,
        row: AccountRow,
        what: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        write: bool = False,
        kind: str = "request",
    ) -> tuple[str, Any]:
        """One ``/trade/*`` call: ``(s, d)``. An HTTP 200 ``s: "error"`` is a failure like any
        other (§13): a write's is :class:`~brokers.OrderRejectedError`."""
        account = row.account.id
        reply = self._call(
            method, path, account=account, json=json, params=params, write=write, kind=kind
        )
        with self._parsing(method, path):
            status, data = envelope(reply.data, what)
        if status == "error":
            cls = OrderRejectedError if write else RequestRejectedError
            raise cls(data, broker=self.broker, status=reply.status, method=method, path=path)
        return status, data

    def _resolve(self, account: str | None) -> AccountRow:
        self._ensure_session()
        account_id = str(account).strip() if account else self._default_id or ""
        row = self._rows.get(account_id)
        if row is None:
            raise self._unknown_account(account_id, self._rows)
        return row

    def _layout(self, row: AccountRow, fresh: bool = False) -> Layout:
        """``/trade/config`` of an account: read once per session (per account) and reused."""
        layout = None if fresh else self._layouts.get(row.account.id)
        if layout is None:
            _, data = self._trade("GET", "/trade/config", row, "config")
            with self._parsing("GET", "/trade/config"):
                layout = parse_config(data)
            self._layouts[row.account.id] = layout
            if self._adapt_throttle:
                self.throttle.set_rates(layout.rates)
        return layout

    def _records(
        self,
        row: AccountRow,
        endpoint: str,
        config: str,
        what: str,
        needs: tuple[str, ...],
        kind: str,
        params: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of a positional list, as dicts by the config's column ids (§5)."""
        names = self._layout(row).names(config, what, needs)
        path = f"/trade/accounts/{row.account.id}/{endpoint}"
        status, data = self._trade("GET", path, row, what, params=params, kind=kind)
        if status == "no_data":
            return []
        with self._parsing("GET", path):
            rows = rows_of(data, endpoint, what)
            if isinstance(rows, list) and any(
                isinstance(r, list) and len(r) != len(names) for r in rows
            ):
                # The layout may have changed since it was read: read it again once (§5).
                names = self._layout(row, fresh=True).names(config, what, needs)
            return records(rows, names, what)

    # ---------------------------------------------------------------- reads

    def accounts(self) -> list[Account]:
        """The login's accounts in this environment (``raw`` holds each ``accNum``)."""
        self._ensure_session()
        return [row.account for row in self._rows.values()]

    def get_balance(self, account: str | None = None) -> Balance:
        """The balance of ``account`` (an accountId; default: the client's account)."""
        row = self._resolve(account)
        names = self._layout(row).names(STATE, "account state", ("balance",))
        path = f"/trade/accounts/{row.account.id}/state"
        _, data = self._trade("GET", path, row, "account state", kind="GET_ACCOUNTS_STATE")
        with self._parsing("GET", path):
            cells = mapping(data, "account state").get("accountDetailsData")
            (record,) = records([cells] if isinstance(cells, list) else cells, names, "state")
            return parse_balance(record, row.account)

    def get_balances(self, accounts: list[str] | None = None) -> list[Balance]:
        """The balances of ``accounts`` (default: every account of the login), one request
        each (and one ``/trade/config`` per account and session)."""
        self._ensure_session()
        return [self.get_balance(a) for a in (accounts or list(self._rows))]

    def _instrument_refs(self, row: AccountRow) -> dict[str, InstrumentRef]:
        refs = self._refs.get(row.account.id)
        if refs is None:
            path = f"/trade/accounts/{row.account.id}/instruments"
            _, data = self._trade("GET", path, row, "instruments", kind="GET_INSTRUMENTS")
            with self._parsing("GET", path):
                listed = parse_instrument_list(data)
            refs = {}
            for ref in listed:
                refs.setdefault(ref.name, ref)  # duplicate names: the first (§9)
            self._refs[row.account.id] = refs
        return refs

    def _symbols(self, row: AccountRow) -> dict[str, str]:
        return {ref.tid: name for name, ref in self._instrument_refs(row).items()}

    def _ref(self, row: AccountRow, symbol: Any) -> InstrumentRef:
        """The instrument a user types: its name (any case) or its tradableInstrumentId."""
        name = checks.symbol(symbol)
        refs = self._instrument_refs(row)
        found = refs.get(name) or next(
            (r for r in refs.values() if r.name.upper() == name.upper() or r.tid == name), None
        )
        if found is None:
            some = ", ".join(list(refs)[:10])
            raise ConfigurationError(
                f"{name!r} is not an instrument of account {row.account.id} (e.g. {some})",
                broker=self.broker,
                hint="list them with instruments()",
            )
        return found

    def positions(self, account: str | None = None) -> Records[Position]:
        """Open positions of ``account`` (lots); stop loss and take profit are read from the
        protective orders the position names (one more request, only when it has any)."""
        row = self._resolve(account)
        rows = self._records(
            row, "positions", POSITIONS, "positions", POSITION_NEEDS, "GET_POSITIONS"
        )
        protection: dict[str, Decimal | None] = {}
        if any(r.get("stopLossId") or r.get("takeProfitId") for r in rows):
            for order in self._records(row, "orders", ORDERS, "orders", ORDER_NEEDS, "GET_ORDERS"):
                protection[ident(order, "id") or ""] = order_price(order)
        symbols = self._symbols(row)
        with self._parsing("GET", f"/trade/accounts/{row.account.id}/positions"):
            return Records(parse_position(r, row.account.id, symbols, protection) for r in rows)

    def orders(self, account: str | None = None) -> Records[Order]:
        """Working orders of ``account`` (pending limit/stop orders and the stop-loss /
        take-profit orders protecting positions)."""
        row = self._resolve(account)
        rows = self._records(row, "orders", ORDERS, "orders", ORDER_NEEDS, "GET_ORDERS")
        symbols = self._symbols(row)
        with self._parsing("GET", f"/trade/accounts/{row.account.id}/orders"):
            return Records(parse_order(r, row.account.id, symbols) for r in rows)

    def instruments(self, account: str | None = None) -> Records[Instrument]:
        """The instruments ``account`` can trade (``id`` = tradableInstrumentId). The list has
        no sizes: :meth:`instrument` reads them for one symbol."""
        row = self._resolve(account)
        return Records(brief_instrument(ref) for ref in self._instrument_refs(row).values())

    def instrument(self, symbol: str, *, account: str | None = None) -> Instrument:
        """One instrument with its sizes: ``min_quantity`` / ``quantity_step`` /
        ``max_quantity`` in lots, ``lot_size`` (= ``contract_size``) the units in a lot."""
        row = self._resolve(account)
        ref = self._ref(row, symbol)
        key = (row.account.id, ref.tid)
        if key not in self._details:
            route, _ = self._info_route(row, ref)
            path = f"/trade/instruments/{ref.tid}"
            params = {"routeId": route, "locale": "en"}
            _, data = self._trade(
                "GET", path, row, "instrument details", params=params, kind="GET_INSTRUMENT_DETAILS"
            )
            with self._parsing("GET", path):
                self._details[key] = parse_details(data, ref)
        return self._details[key]

    # ------------------------------------------------------------ market data

    def _quote_on(self, row: AccountRow, ref: InstrumentRef, route: str) -> Quote | None:
        params = {"tradableInstrumentId": ref.tid, "routeId": route}
        _, data = self._trade("GET", "/trade/quotes", row, "quotes", params=params, kind="QUOTES")
        with self._parsing("GET", "/trade/quotes"):
            return parse_quote(data, ref.name)

    def _info_route(self, row: AccountRow, ref: InstrumentRef) -> tuple[str, Quote | None]:
        """The INFO route that answers quotes (§9: several may exist, the first may be dead;
        probed last first, as the vendor's client does), and the quote it gave."""
        cached = self._info.get((row.account.id, ref.tid))
        if cached is not None:
            return cached, None
        for route in reversed(ref.info_routes):
            try:
                quote = self._quote_on(row, ref, route)
            except RequestRejectedError:
                continue
            if quote is not None:  # a wrong route answers empty, not an error (§6 lessons)
                self._info[(row.account.id, ref.tid)] = route
                return route, quote
        raise ResponseError(
            f"no INFO route of {ref.name} answers quotes (routes: {', '.join(ref.info_routes)})",
            broker=self.broker,
        )

    def quotes(self, symbols: list[str], *, account: str | None = None) -> Records[Quote]:
        """Bid and ask of each symbol (one request each, on its INFO route)."""
        row = self._resolve(account)
        found = []
        for symbol in symbols:
            ref = self._ref(row, symbol)
            route, quote = self._info_route(row, ref)
            quote = quote or self._quote_on(row, ref, route)
            if quote is None:  # the route stopped answering: find another once
                self._info.pop((row.account.id, ref.tid), None)
                _, quote = self._info_route(row, ref)
            found.append(quote)
        return Records(found)

    def candles(
        self,
        symbol: str,
        timeframe: str,
        *,
        since: Any = None,
        until: Any = None,
        count: int | None = None,
        account: str | None = None,
    ) -> Records[Candle]:
        """Bars of ``symbol``, oldest first: ``since``/``until`` (until defaults to now), or the
        last ``count`` periods. Long ranges are read in pages of the server's
        ``QUOTES_HISTORY_BARS`` limit, paced by its ``QUOTES_HISTORY`` rate."""
        name = timeframes.timeframe(timeframe, TIMEFRAMES, self.broker)
        wanted = checks.count(count)
        if since is None and wanted is None:
            raise ConfigurationError("candles() needs since= or count=")
        step = timeframes.seconds(name) * 1000
        now = datetime.fromtimestamp(self._clock(), timezone.utc)
        if since is None:
            end = checks.utc_time(until, "until") if until is not None else now
            start_ms = int(end.timestamp() * 1000) - (wanted or 1) * step
        else:
            start, end = checks.time_range(since, until, now)
            start_ms = int(start.timestamp() * 1000)
        end_ms = int(end.timestamp() * 1000)
        row = self._resolve(account)
        ref = self._ref(row, symbol)
        route, _ = self._info_route(row, ref)
        page = self._layout(row).limits.get("QUOTES_HISTORY_BARS", 50000) * step
        bars: dict[datetime, Candle] = {}
        for first in range(start_ms, end_ms + 1, page):
            params = {
                "tradableInstrumentId": ref.tid,
                "routeId": route,
                "resolution": TIMEFRAMES[name],
                "from": str(first),
                "to": str(min(first + page - 1, end_ms)),
            }
            status, data = self._trade(
                "GET", "/trade/history", row, "bars", params=params, kind="QUOTES_HISTORY"
            )
            if status == "no_data":
                continue
            with self._parsing("GET", "/trade/history"):
                bars.update((c.time, c) for c in parse_bars(data, ref.name, name))
        ordered = [bars[t] for t in sorted(bars)]
        return Records(ordered[-wanted:] if wanted else ordered)

    # --------------------------------------------------------------- history

    def _history(
        self, row: AccountRow, start_ms: int, end_ms: int, needs: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """Orders-history rows in ``[start, end]`` (by creation time, inclusive). An answer
        that reaches the server's cap (``MAX_ORDERS_COUNT_IN_HISTORY``) may have dropped rows
        at either end, so the ranges before and after the rows it holds are read too (which
        end the server keeps is not documented); repeats are dropped by id."""
        cap = self._layout(row).limits.get("MAX_ORDERS_COUNT_IN_HISTORY", 10000)
        params = {"from": str(start_ms), "to": str(end_ms)}
        found = self._records(
            row, "ordersHistory", HISTORY, "orders history", needs, "GET_ORDERS_HISTORY", params
        )
        if len(found) < cap or end_ms - start_ms < 2:
            return found
        times = [t for t in (_created_ms(r) for r in found) if t is not None]
        if not times:  # no creation times to go by: halve the window
            middle = (start_ms + end_ms) // 2
            halves = self._history(row, start_ms, middle, needs)
            return halves + self._history(row, middle + 1, end_ms, needs)
        first, last = min(times), max(times)
        if (first, last) == (start_ms, end_ms):  # one instant holds more than the cap
            return found
        rows = {str(r.get("id")): r for r in found}
        for low, high in ((start_ms, first), (last, end_ms)):
            if (low, high) != (start_ms, end_ms) and low <= high:
                rows.update((str(r.get("id")), r) for r in self._history(row, low, high, needs))
        return list(rows.values())

    def _range_ms(self, since: Any, until: Any) -> tuple[int, int]:
        now = datetime.fromtimestamp(self._clock(), timezone.utc)
        start, end = checks.time_range(since, until, now)
        return int(start.timestamp() * 1000), int(end.timestamp() * 1000)

    def order_history(
        self, *, since: Any, until: Any = None, account: str | None = None
    ) -> Records[Order]:
        """Orders placed in the range that reached a final state (filled, cancelled,
        rejected ...), from ``/ordersHistory``."""
        row = self._resolve(account)
        rows = self._history(row, *self._range_ms(since, until), (*ORDER_NEEDS, "status"))
        symbols = self._symbols(row)
        with self._parsing("GET", f"/trade/accounts/{row.account.id}/ordersHistory"):
            return Records(
                parse_order(r, row.account.id, symbols, final=True) for r in rows if is_final(r)
            )

    def history(
        self, *, since: Any, until: Any = None, account: str | None = None
    ) -> Records[Trade]:
        """Closed trades in the range: each filled order that closed (part of) a position.
        TradeLocker's rows carry no realised P/L, commission or swap (``None``); the open
        price and time come from the opening order when it is in the same range."""
        row = self._resolve(account)
        rows = self._history(row, *self._range_ms(since, until), TRADE_NEEDS)
        symbols = self._symbols(row)
        with self._parsing("GET", f"/trade/accounts/{row.account.id}/ordersHistory"):
            return Records(parse_trades(rows, row.account, symbols))


def _created_ms(record: Mapping[str, Any]) -> int | None:
    """A history row's creation time in epoch ms (what ``from``/``to`` filter on)."""
    value = record.get("createdDate")
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None
