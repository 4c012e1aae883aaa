"""DXtrade DXSCA emulator: state, settings and the routes under ``/dxsca-web``.

Every answer follows ``shared/reference/dxtrade-api.md`` ("Emulator checklist"): money as JSON
numbers with exact digits, ``errorCode`` as a JSON string, HTML 404 for unknown paths.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any

from . import seed
from .wire import (
    RecordedRequest,
    Response,
    empty_response,
    json_response,
    loads_exact,
    method_not_allowed,
    not_found_html,
    stringify_decimals,
    to_decimal,
)

PREFIX = "/dxsca-web"
ZERO = Decimal("0")
CENT = Decimal("0.01")
TIMEOUT_FORMATS = ("hms", "iso", "seconds", "ms", "absent")
ORDER_TYPES = ("MARKET", "LIMIT", "STOP")
TIFS = ("DAY", "GTC", "IOC", "FOK", "GTD")
_T0 = 1767348000.0  # 2026-01-02T10:00:00Z: registration / seed position time


class DXError(Exception):
    """A DXtrade error answer: HTTP status, errorCode and description."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description


def _not_found() -> DXError:
    return DXError(404, "2", "Entity not found at server")


def _bad_order(detail: str) -> DXError:
    return DXError(400, "33", f"Incorrect request ({detail})")


@dataclass
class _Session:
    username: str
    last_used: float


@dataclass
class _Position:
    account: str
    code: str
    symbol: str
    side: str
    quantity: Decimal
    open_price: Decimal
    pl: Decimal
    margin: Decimal
    margin_rate: Decimal
    open_time: float
    update_time: float
    version: int = 1
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None


@dataclass
class _Order:
    account: str
    order_id: int
    code: str
    type: str
    instrument: str
    side: str
    tif: str
    position_effect: str
    quantity: Decimal | None
    issue_time: float
    status: str = "WORKING"
    version: int = 1
    position_code: str | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    filled: Decimal = ZERO
    average_price: Decimal | None = None
    transaction_time: float = 0.0

    @property
    def final(self) -> bool:
        return self.status in ("COMPLETED", "CANCELED", "REJECTED", "EXPIRED")

    @property
    def etag(self) -> str:
        return f'"{self.order_id}.{self.version}"'


@dataclass
class _Account:
    code: str
    owner: str
    currency: str
    balance: Decimal
    credit: Decimal
    available_adjust: Decimal
    version: int = 40
    positions: dict[str, _Position] = field(default_factory=dict)
    orders: dict[str, _Order] = field(default_factory=dict)

    @property
    def margin(self) -> Decimal:
        return sum((p.margin for p in self.positions.values()), ZERO)

    @property
    def open_pl(self) -> Decimal:
        return sum((p.pl for p in self.positions.values()), ZERO)


def _etag_of(parts: list[str]) -> str:
    digest = hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]
    return f'"{digest}"'


def _format_timeout(seconds: float, style: str) -> Any:
    """Render the session timeout in one of the documented wire formats."""
    total = int(seconds)
    if style == "seconds":
        return total
    if style == "ms":
        return int(seconds * 1000)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if style == "iso":
        text = "".join(
            f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if value
        )
        return "PT" + (text or "0S")
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def _iso(epoch: float) -> str:
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{base}.{int(epoch * 1000) % 1000:03d}Z"


Handler = Callable[..., Response]


class DXtradeState:
    """DXtrade users, sessions, accounts, positions and orders, plus behaviour switches.

    Settings (plain attributes, change them at any time; :meth:`reset` restores the defaults):

    - ``session_timeout`` (float s, 1800): idle lifetime of a session token.
    - ``timeout_format``: how login/ping report it: ``"hms"`` ``"00:30:00"`` (default),
      ``"iso"`` ``"PT30M"``, ``"seconds"`` ``1800``, ``"ms"`` ``1800000``, ``"absent"`` (no key).
    - ``pl_spelling``: ``"openPL"`` (default, with ``totalPL``) or ``"openPl"`` (``totalPl``).
    - ``margin_field``: ``"margin"`` (default) or ``"maintenanceMargin"``.
    - ``numbers_as_strings`` (False): metrics money as JSON strings.
    - ``error_code_int`` (False): ``errorCode`` as a JSON number.
    - ``omit_fields`` (set()): metric field names left out of every metrics item.
    - ``ping_empty`` (False): ``/ping`` answers 200 with an empty body.
    - ``logout_status`` (200): 200 answers ``{}``, 204 answers no body.
    - ``require_if_match`` (True): cancel without ``If-Match`` → 403/99.
    - ``locked`` (set of usernames): login → 401/3 "Account is locked".
    - ``rest_disabled`` (set of usernames): login → 403/2 "REST API access is disabled".
    - ``reject_orders`` (str | None): while set, every order placement → 409/29 with this text.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._routes = self._build_routes()
        self.reset()

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Restore seed data, drop all sessions and restore every setting's default."""
        with self.lock:
            self.session_timeout: float = 1800.0
            self.timeout_format: str = "hms"
            self.pl_spelling: str = "openPL"
            self.margin_field: str = "margin"
            self.numbers_as_strings: bool = False
            self.error_code_int: bool = False
            self.omit_fields: set[str] = set()
            self.ping_empty: bool = False
            self.logout_status: int = 200
            self.require_if_match: bool = True
            self.locked: set[str] = set()
            self.rest_disabled: set[str] = set()
            self.reject_orders: str | None = None
            self._sessions: dict[str, _Session] = {}
            self._next_id = 63649
            self._accounts = {code: self._seed_account(code) for code in seed.DX_CURRENCY}

    @staticmethod
    def _seed_account(code: str) -> _Account:
        stored = seed.DX_ACCOUNTS[code]
        owner = next(user for user, codes in seed.DX_USERS.items() if code in codes)
        account = _Account(
            code=code,
            owner=owner,
            currency=seed.DX_CURRENCY[code],
            balance=stored["balance"],
            credit=stored["credit"],
            available_adjust=ZERO,
        )
        for item in seed.DX_POSITIONS[code]:
            symbol = str(item["symbol"])
            position = _Position(
                account=code,
                code=str(item["positionCode"]),
                symbol=symbol,
                side=str(item["side"]),
                quantity=item["quantity"],  # type: ignore[arg-type]
                open_price=item["openPrice"],  # type: ignore[arg-type]
                pl=item["pl"],  # type: ignore[arg-type]
                margin=item["margin"],  # type: ignore[arg-type]
                margin_rate=seed.DX_INSTRUMENTS[symbol][7],
                open_time=_T0,
                update_time=_T0,
            )
            account.positions[position.code] = position
        account.available_adjust = stored["availableBalance"] - (account.balance - account.margin)
        return account

    def expire_sessions(self) -> None:
        """Invalidate every session token now (next use → 401/1)."""
        with self.lock:
            self._sessions.clear()

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # ------------------------------------------------------------------ dispatch

    def handle(self, req: RecordedRequest) -> Response:
        """Answer one request whose path starts with ``/dxsca-web``."""
        segments = req.segments(PREFIX)
        found = self._match(req.method, segments)
        if isinstance(found, Response):
            return found
        handler, args, needs_auth = found
        with self.lock:
            try:
                user = self._authenticate(req) if needs_auth else None
                return handler(req, user, *args)
            except DXError as error:
                return self._error(error)

    def _match(
        self, method: str, segments: list[str]
    ) -> Response | tuple[Handler, list[str], bool]:
        allowed: list[str] = []
        for route_method, pattern, handler, needs_auth in self._routes:
            args = _match_pattern(pattern, segments)
            if args is None:
                continue
            if route_method == method:
                return handler, args, needs_auth
            allowed.append(route_method)
        return method_not_allowed(allowed) if allowed else not_found_html()

    def _build_routes(self) -> list[tuple[str, tuple[str, ...], Handler, bool]]:
        acct = "{}"
        return [
            ("POST", ("login",), self._login, False),
            ("POST", ("ping",), self._ping, True),
            ("POST", ("logout",), self._logout, True),
            ("GET", ("users",), self._users, True),
            ("GET", ("users", "{}"), self._user, True),
            ("GET", ("accounts", "metrics"), self._metrics_multi, True),
            ("GET", ("accounts", "positions"), self._positions_multi, True),
            ("GET", ("accounts", "portfolio"), self._portfolio_multi, True),
            ("GET", ("accounts", "orders"), self._orders_multi, True),
            ("GET", ("accounts", "orders", "history"), self._history_multi, True),
            ("POST", ("accounts", "orders", "history"), self._history_multi, True),
            ("GET", ("accounts", acct, "metrics"), self._metrics_one, True),
            ("GET", ("accounts", acct, "positions"), self._positions_one, True),
            ("GET", ("accounts", acct, "portfolio"), self._portfolio_one, True),
            ("GET", ("accounts", acct, "orders"), self._orders_one, True),
            ("POST", ("accounts", acct, "orders"), self._place, True),
            ("POST", ("accounts", acct, "orders", "group"), self._place_group, True),
            ("GET", ("accounts", acct, "orders", "history"), self._history_one, True),
            ("POST", ("accounts", acct, "orders", "history"), self._history_one, True),
            ("GET", ("accounts", acct, "orders", "{}"), self._order_one, True),
            ("DELETE", ("accounts", acct, "orders", "{}"), self._cancel, True),
            ("GET", ("accounts", acct, "instruments", "query"), self._instruments_acct, True),
            ("GET", ("accounts", acct, "instruments", "{*}"), self._instrument_acct, True),
            ("GET", ("instruments", "query"), self._instruments, True),
            ("GET", ("instruments", "type", "{}"), self._instruments_type, True),
            ("GET", ("instruments", "{*}"), self._instrument, True),
        ]

    # ------------------------------------------------------------------ helpers

    def _error(self, error: DXError) -> Response:
        code: Any = int(error.code) if self.error_code_int else error.code
        return json_response(error.status, {"errorCode": code, "description": error.description})

    def _authenticate(self, req: RecordedRequest) -> str:
        header = req.header("authorization") or ""
        scheme, _, token = header.strip().partition(" ")
        session = self._sessions.get(token.strip()) if scheme.upper() == "DXAPI" else None
        now = time.monotonic()
        if session is None or now - session.last_used > self.session_timeout:
            self._sessions.pop(token.strip(), None)
            raise DXError(401, "1", "Authorization required")
        session.last_used = now
        return session.username

    def _account(self, user: str, code: str) -> _Account:
        account = self._accounts.get(code)
        if account is None or account.owner != user:
            raise _not_found()
        return account

    def _accounts_param(self, req: RecordedRequest, user: str) -> list[_Account]:
        raw = req.query.get("accounts", "")
        codes = [code.strip() for code in raw.split(",") if code.strip()]
        if not codes:
            raise DXError(400, "32", "Incorrect request parameters (accounts)")
        return [self._account(user, code) for code in codes]

    def _session_body(self, token: str) -> dict[str, Any]:
        body: dict[str, Any] = {"sessionToken": token}
        if self.timeout_format != "absent":
            body["timeout"] = _format_timeout(self.session_timeout, self.timeout_format)
        return body

    @staticmethod
    def _conditional(req: RecordedRequest, etag: str, payload: Any) -> Response:
        """Answer ``payload`` with an ETag, or 304 when ``If-None-Match`` matches it."""
        if req.header("if-none-match") in (etag, "W/" + etag):
            return empty_response(304, [("ETag", etag)])
        return json_response(200, payload, [("ETag", etag)])

    # ------------------------------------------------------------------ session routes

    def _login(self, req: RecordedRequest, _user: None) -> Response:
        try:
            body = loads_exact(req.body) if req.body.strip() else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body:
            raise DXError(500, "110", "Login request body is empty or malformed")
        username = str(body.get("username", ""))
        valid = (
            username in seed.DX_USERS
            and body.get("domain") == seed.DX_DOMAIN
            and body.get("password") == seed.DX_PASSWORD
        )
        if not valid:
            raise DXError(401, "3", "Incorrect username or password")
        if username in self.locked:
            raise DXError(401, "3", "Account is locked")
        if username in self.rest_disabled:
            raise DXError(403, "2", "REST API access is disabled")
        token = str(uuid.uuid4())
        self._sessions[token] = _Session(username, time.monotonic())
        return json_response(200, self._session_body(token))

    def _ping(self, req: RecordedRequest, _user: str) -> Response:
        if self.ping_empty:
            return empty_response(200)
        token = (req.header("authorization") or "").strip().partition(" ")[2].strip()
        return json_response(200, self._session_body(token))

    def _logout(self, req: RecordedRequest, _user: str) -> Response:
        token = (req.header("authorization") or "").strip().partition(" ")[2].strip()
        self._sessions.pop(token, None)
        if self.logout_status == 204:
            return empty_response(204)
        return json_response(self.logout_status, {})

    # ------------------------------------------------------------------ users

    def _user_details(self, user: str) -> dict[str, Any]:
        username = f"{user}@{seed.DX_DOMAIN}"
        accounts = [
            {
                "owner": username,
                "account": code,
                "version": self._accounts[code].version,
                "baseCurrency": self._accounts[code].currency,
                "registrationTime": _iso(_T0),
                "accountStatus": "FULL_TRADING",
                "pricingStream": "default",
                "positionBased": True,
            }
            for code in seed.DX_USERS[user]
        ]
        return {
            "login": user,
            "domain": seed.DX_DOMAIN,
            "username": username,
            "version": 7,
            "fullName": f"Sandbox Trader {user}",
            "accounts": accounts,
        }

    def _users(self, _req: RecordedRequest, user: str) -> Response:
        return json_response(200, {"userDetails": [self._user_details(user)]})

    def _user(self, _req: RecordedRequest, user: str, name: str) -> Response:
        if name not in (f"{user}@{seed.DX_DOMAIN}", user):
            raise _not_found()
        details = self._user_details(user)
        etag = f'"user.{user}.{details["version"]}"'
        return json_response(200, {"userDetails": [details]}, [("ETag", etag)])

    # ------------------------------------------------------------------ metrics

    def _metrics(self, account: _Account, with_positions: bool) -> dict[str, Any]:
        margin = account.margin
        open_pl = account.open_pl
        equity = account.balance + open_pl
        pl_key, total_key = (
            ("openPl", "totalPl") if self.pl_spelling == "openPl" else ("openPL", "totalPL")
        )
        item: dict[str, Any] = {
            "account": account.code,
            "version": account.version,
            "equity": equity,
            "balance": account.balance,
            "availableBalance": account.balance - margin + account.available_adjust,
            "availableFunds": equity - margin,
            "allocatedFunds": margin,
            "credit": account.credit,
            "marginFree": equity - margin,
            pl_key: open_pl,
            total_key: open_pl,
            self.margin_field: margin,
            "openPositionsCount": len(account.positions),
            "openOrdersCount": sum(1 for order in account.orders.values() if not order.final),
        }
        item = {key: value for key, value in item.items() if key not in self.omit_fields}
        if with_positions:
            item["positions"] = [self._position_metrics(p) for p in account.positions.values()]
        return stringify_decimals(item) if self.numbers_as_strings else item

    @staticmethod
    def _position_metrics(position: _Position) -> dict[str, Any]:
        bid, ask = seed.DX_INSTRUMENTS[position.symbol][5:7]
        sign = 1 if position.side == "BUY" else -1
        return {
            "positionCode": position.code,
            "version": position.version,
            "symbol": position.symbol,
            "quantity": position.quantity,
            "quantityNotional": position.quantity * sign,
            "rate": bid if position.side == "BUY" else ask,
            "fpl": position.pl,
            "convRate": Decimal("1"),
            "marginRate": position.margin_rate,
            "margin": position.margin,
            "openPrice": position.open_price,
            "instrumentCurrency": seed.DX_INSTRUMENTS[position.symbol][2],
        }

    def _metrics_one(self, req: RecordedRequest, user: str, code: str) -> Response:
        account = self._account(user, code)
        with_positions = req.query.get("include-positions", "").lower() == "true"
        return json_response(200, {"metrics": [self._metrics(account, with_positions)]})

    def _metrics_multi(self, req: RecordedRequest, user: str) -> Response:
        accounts = self._accounts_param(req, user)
        with_positions = req.query.get("include-positions", "").lower() == "true"
        return json_response(200, {"metrics": [self._metrics(a, with_positions) for a in accounts]})

    # ------------------------------------------------------------------ positions / portfolio

    @staticmethod
    def _position_json(position: _Position) -> dict[str, Any]:
        sign = 1 if position.side == "BUY" else -1
        return {
            "account": position.account,
            "version": position.version,
            "positionCode": position.code,
            "symbol": position.symbol,
            "quantity": position.quantity,
            "side": position.side,
            "quantityNotional": position.quantity * sign,
            "openTime": _iso(position.open_time),
            "openPrice": position.open_price,
            "lastUpdateTime": _iso(position.update_time),
            "marginRate": position.margin_rate,
            "takeProfitPrice": position.take_profit,
            "stopLossPrice": position.stop_loss,
        }

    def _positions_answer(self, req: RecordedRequest, accounts: list[_Account]) -> Response:
        positions = [p for a in accounts for p in a.positions.values()]
        etag = _etag_of([f"{p.account}/{p.code}/{p.version}" for p in positions] or ["none"])
        payload = {"positions": [self._position_json(p) for p in positions]}
        return self._conditional(req, etag, payload)

    def _positions_one(self, req: RecordedRequest, user: str, code: str) -> Response:
        return self._positions_answer(req, [self._account(user, code)])

    def _positions_multi(self, req: RecordedRequest, user: str) -> Response:
        return self._positions_answer(req, self._accounts_param(req, user))

    def _portfolio(self, account: _Account) -> dict[str, Any]:
        return {
            "account": account.code,
            "version": account.version,
            "balances": [
                {
                    "account": account.code,
                    "version": account.version,
                    "value": account.balance,
                    "currency": account.currency,
                }
            ],
            "positions": [self._position_json(p) for p in account.positions.values()],
            "orders": [self._order_json(o) for o in account.orders.values() if not o.final],
        }

    def _portfolio_answer(self, req: RecordedRequest, accounts: list[_Account]) -> Response:
        etag = _etag_of([f"{a.code}/{a.version}" for a in accounts])
        return self._conditional(req, etag, {"portfolios": [self._portfolio(a) for a in accounts]})

    def _portfolio_one(self, req: RecordedRequest, user: str, code: str) -> Response:
        return self._portfolio_answer(req, [self._account(user, code)])

    def _portfolio_multi(self, req: RecordedRequest, user: str) -> Response:
        return self._portfolio_answer(req, self._accounts_param(req, user))

    # ------------------------------------------------------------------ orders: read

    @staticmethod
    def _order_json(order: _Order) -> dict[str, Any]:
        remaining = (order.quantity or ZERO) - order.filled
        leg: dict[str, Any] = {
            "instrument": order.instrument,
            "positionEffect": order.position_effect,
            "positionCode": order.position_code,
            "side": order.side,
            "price": order.limit_price if order.limit_price is not None else order.stop_price,
            "legRatio": 1,
            "quantity": order.quantity,
            "filledQuantity": order.filled,
            "remainingQuantity": remaining if not order.final else ZERO,
            "averagePrice": order.average_price,
        }
        body: dict[str, Any] = {
            "account": order.account,
            "orderId": order.order_id,
            "orderCode": order.code,
            "clientOrderId": order.code,
            "version": order.version,
            "type": order.type,
            "instrument": order.instrument,
            "status": order.status,
            "finalStatus": order.final,
            "legCount": 1,
            "legs": [{key: value for key, value in leg.items() if value is not None}],
            "side": order.side,
            "tif": order.tif,
            "issueTime": _iso(order.issue_time),
            "transactionTime": _iso(order.transaction_time),
        }
        if order.limit_price is not None:
            body["limitPrice"] = order.limit_price
        if order.stop_price is not None:
            body["stopPrice"] = order.stop_price
        return body

    @staticmethod
    def _list_etag(orders: list[_Order]) -> str:
        return _etag_of([f"{o.account}/{o.order_id}/{o.version}" for o in orders] or ["none"])

    def _open_orders(self, accounts: list[_Account]) -> list[_Order]:
        return [o for a in accounts for o in a.orders.values() if not o.final]

    def _orders_answer(self, req: RecordedRequest, accounts: list[_Account]) -> Response:
        orders = self._open_orders(accounts)
        payload = {"orders": [self._order_json(o) for o in orders]}
        return self._conditional(req, self._list_etag(orders), payload)

    def _orders_one(self, req: RecordedRequest, user: str, code: str) -> Response:
        return self._orders_answer(req, [self._account(user, code)])

    def _orders_multi(self, req: RecordedRequest, user: str) -> Response:
        return self._orders_answer(req, self._accounts_param(req, user))

    @staticmethod
    def _find_order(account: _Account, code: str) -> _Order:
        order = account.orders.get(code)
        if order is None:
            order = next((o for o in account.orders.values() if str(o.order_id) == code), None)
        if order is None:
            raise _not_found()
        return order

    def _order_one(self, req: RecordedRequest, user: str, code: str, order_code: str) -> Response:
        order = self._find_order(self._account(user, code), order_code)
        return self._conditional(req, order.etag, self._order_json(order))

    def _history_answer(self, req: RecordedRequest, accounts: list[_Account]) -> Response:
        orders = [o for a in accounts for o in a.orders.values()]
        for name, value_of in _HISTORY_FILTERS.items():
            wanted = {v.strip() for v in req.query.get(name, "").split(",") if v.strip()}
            if wanted:
                orders = [o for o in orders if value_of(o) in wanted]
        limit = req.query.get("limit", "")
        if limit.isdigit():
            orders = orders[-int(limit) :] if int(limit) else []
        return json_response(200, {"orders": [self._order_json(o) for o in orders]})

    def _history_one(self, req: RecordedRequest, user: str, code: str) -> Response:
        return self._history_answer(req, [self._account(user, code)])

    def _history_multi(self, req: RecordedRequest, user: str) -> Response:
        return self._history_answer(req, self._accounts_param(req, user))

    # ------------------------------------------------------------------ orders: place

    def _place(self, req: RecordedRequest, user: str, code: str) -> Response:
        account = self._account(user, code)
        body = self._order_body(req)
        order_code = body.get("orderCode")
        if not order_code or not body.get("type") or not body.get("instrument"):
            raise _bad_order("orderCode, type and instrument are required")
        order_code = str(order_code)
        if body.get("account") not in (None, account.code):
            raise _bad_order("account does not match the path")
        if order_code in account.orders:
            raise DXError(409, "100", f"Order with this id already exists ({order_code})")
        order = self._new_order(account, body, order_code)
        if self.reject_orders:
            raise DXError(409, "29", self.reject_orders)
        position = self._close_target(account, order, body)
        order.order_id = self._new_id()
        account.orders[order.code] = order
        account.version += 1
        if order.type == "MARKET":
            self._fill(account, order, position)
        return json_response(200, {"orderId": order.order_id, "updateOrderId": order.order_id})

    def _place_group(self, req: RecordedRequest, user: str, code: str) -> Response:
        """IF-THEN (an OPEN parent with protective CLOSE children) or OCO; the children
        rest as WORKING orders (they never trigger) and mark the parent's position."""
        account = self._account(user, code)
        body = self._order_body(req)
        items = body.get("orders")
        contingency = str(body.get("contingencyType") or "").upper()
        if not isinstance(items, list) or len(items) < 2 or contingency not in ("IF-THEN", "OCO"):
            raise _bad_order("a group needs orders[] (two or more) and contingencyType")
        if not all(isinstance(item, dict) and item.get("orderCode") for item in items):
            raise _bad_order("every order of a group needs an orderCode")
        codes = [str(item["orderCode"]) for item in items]
        for order_code in codes:
            if order_code in account.orders:
                raise DXError(409, "100", f"Order with this id already exists ({order_code})")
        if len(set(codes)) != len(codes):
            raise _bad_order("orderCodes of a group must differ")
        if self.reject_orders:
            raise DXError(409, "29", self.reject_orders)
        orders = [self._new_order(account, item, c) for item, c in zip(items, codes, strict=True)]
        parent, children = orders[0], orders[1:]
        if contingency == "IF-THEN" and any(c.position_effect != "CLOSE" for c in children):
            raise _bad_order("IF-THEN children must be CLOSE orders")
        position = self._close_target(account, parent, items[0])
        for order in orders:
            order.order_id = self._new_id()
            account.orders[order.code] = order
        account.version += 1
        if parent.type == "MARKET":
            self._fill(account, parent, position)
            opened = account.positions.get(parent.position_code or "")
            for child in children:
                child.position_code = parent.position_code
                if opened is not None:
                    if child.type == "STOP":
                        opened.stop_loss = child.stop_price
                    elif child.type == "LIMIT":
                        opened.take_profit = child.limit_price
        responses = [{"orderId": o.order_id, "updateOrderId": o.order_id} for o in orders]
        return json_response(200, {"orderResponses": responses})

    @staticmethod
    def _order_body(req: RecordedRequest) -> dict[str, Any]:
        try:
            body = loads_exact(req.body)
        except ValueError:
            raise _bad_order("malformed JSON body") from None
        if not isinstance(body, dict):
            raise _bad_order("body must be a JSON object")
        return body

    def _new_order(self, account: _Account, body: dict[str, Any], order_code: str) -> _Order:
        """Validate the request body and build a (not yet stored) order."""
        order_type = str(body["type"]).upper()
        instrument = str(body["instrument"])
        if order_type not in ORDER_TYPES:
            raise _bad_order(f"unsupported order type {order_type}")
        if instrument not in seed.DX_INSTRUMENTS:
            raise DXError(400, "32", f"Incorrect request parameters (instrument: {instrument})")
        effect = str(body.get("positionEffect") or "OPEN").upper()
        if effect not in ("OPEN", "CLOSE"):
            raise _bad_order(f"unsupported positionEffect {effect}")
        quantity = self._quantity(body, required=effect == "OPEN")
        side = str(body.get("side") or "").upper()
        if side not in ("BUY", "SELL") and (side or effect == "OPEN"):
            raise _bad_order("side must be BUY or SELL")
        tif = str(body.get("tif") or "GTC").upper()
        if tif not in TIFS or (tif == "GTD" and not body.get("expireDate")):
            raise _bad_order(f"invalid tif {tif}")
        now = time.time()
        order = _Order(
            account=account.code,
            order_id=0,
            code=order_code,
            type=order_type,
            instrument=instrument,
            side=side,
            tif=tif,
            position_effect=effect,
            quantity=quantity,
            issue_time=now,
            transaction_time=now,
        )
        self._set_prices(order, body)
        return order

    @staticmethod
    def _quantity(body: dict[str, Any], required: bool) -> Decimal | None:
        if body.get("quantity") is None:
            if required:
                raise _bad_order("quantity is required")
            return None
        quantity = to_decimal(body["quantity"])
        if quantity is None or quantity <= 0:
            raise _bad_order("quantity must be a positive number")
        return quantity

    @staticmethod
    def _set_prices(order: _Order, body: dict[str, Any]) -> None:
        if order.type == "LIMIT":
            order.limit_price = to_decimal(body.get("limitPrice"))
            if order.limit_price is None or order.limit_price <= 0:
                raise _bad_order("LIMIT order requires a positive limitPrice")
        if order.type == "STOP":
            order.stop_price = to_decimal(body.get("stopPrice"))
            if order.stop_price is None or order.stop_price <= 0:
                raise _bad_order("STOP order requires a positive stopPrice")

    @staticmethod
    def _close_target(account: _Account, order: _Order, body: dict[str, Any]) -> _Position | None:
        """For a CLOSE order, find the position it closes (409/33 when unknown)."""
        if order.position_effect != "CLOSE":
            return None
        code = body.get("positionCode")
        if code is None:
            legs = body.get("legs")
            if isinstance(legs, list) and legs and isinstance(legs[0], dict):
                code = legs[0].get("positionCode")
        position = account.positions.get(str(code)) if code is not None else None
        if position is None:
            raise DXError(409, "33", f"Incorrect request (position {code} not found)")
        if position.symbol != order.instrument:
            raise _bad_order("instrument does not match the position")
        if order.quantity is not None and order.quantity > position.quantity:
            raise _bad_order("quantity exceeds the position quantity")
        order.position_code = position.code
        order.side = order.side or ("SELL" if position.side == "BUY" else "BUY")
        return position

    # ------------------------------------------------------------------ execution

    def _fill(self, account: _Account, order: _Order, position: _Position | None) -> None:
        """Execute a MARKET order at the current quote."""
        bid, ask = seed.DX_INSTRUMENTS[order.instrument][5:7]
        price = ask if order.side == "BUY" else bid
        if position is None:
            quantity = order.quantity or ZERO
            self._open_position(account, order, price, quantity)
        else:
            quantity = order.quantity if order.quantity is not None else position.quantity
            self._reduce_position(account, position, quantity)
            if order.quantity is None:
                order.quantity = quantity
        order.filled = quantity
        order.average_price = price
        order.status = "COMPLETED"
        order.version += 1
        order.transaction_time = time.time()

    def _open_position(
        self, account: _Account, order: _Order, price: Decimal, quantity: Decimal
    ) -> None:
        bid, ask, rate = seed.DX_INSTRUMENTS[order.instrument][5:8]
        mark = bid if order.side == "BUY" else ask
        sign = 1 if order.side == "BUY" else -1
        now = time.time()
        position = _Position(
            account=account.code,
            code=str(order.order_id),
            symbol=order.instrument,
            side=order.side,
            quantity=quantity,
            open_price=price,
            pl=((mark - price) * quantity * sign).quantize(CENT),
            margin=(quantity * price * rate).quantize(CENT),
            margin_rate=rate,
            open_time=now,
            update_time=now,
        )
        account.positions[position.code] = position
        order.position_code = position.code
        account.version += 1

    @staticmethod
    def _reduce_position(account: _Account, position: _Position, quantity: Decimal) -> None:
        """Close ``quantity`` of a position, booking its share of the P/L into the balance."""
        if quantity >= position.quantity:
            account.balance += position.pl
            del account.positions[position.code]
            for order in account.orders.values():  # protective orders die with the position
                if order.position_code == position.code and order.status == "WORKING":
                    order.status = "CANCELED"
                    order.version += 1
        else:
            share = quantity / position.quantity
            realised = (position.pl * share).quantize(CENT)
            released = (position.margin * share).quantize(CENT)
            account.balance += realised
            position.pl -= realised
            position.margin -= released
            position.quantity -= quantity
            position.version += 1
            position.update_time = time.time()
        account.version += 1

    # ------------------------------------------------------------------ cancel

    def _cancel(self, req: RecordedRequest, user: str, code: str, order_code: str) -> Response:
        account = self._account(user, code)
        if_match = (req.header("if-match") or "").strip()
        if not if_match and self.require_if_match:
            raise DXError(403, "99", "Conditional header If-Match is required")
        order = self._find_order(account, order_code)
        if order.final:
            raise DXError(409, "1005", "Reference order is closed")
        if if_match and not self._etag_ok(if_match, account, order):
            raise DXError(412, "99", "Precondition failed: If-Match does not match the ETag")
        update_id = self._new_id()
        order.status = "CANCELED"
        order.version += 1
        order.transaction_time = time.time()
        account.version += 1
        return json_response(200, {"orderId": order.order_id, "updateOrderId": update_id})

    def _etag_ok(self, if_match: str, account: _Account, order: _Order) -> bool:
        valid = {order.etag, self._list_etag(self._open_orders([account]))}
        candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
        return "*" in candidates or bool(candidates & valid)

    # ------------------------------------------------------------------ instruments

    @staticmethod
    def _instrument_json(symbol: str) -> dict[str, Any]:
        kind, description, currency, lot, precision, bid, ask, rate = seed.DX_INSTRUMENTS[symbol]
        return {
            "symbol": symbol,
            "version": 1,
            "type": kind,
            "description": description,
            "currency": currency,
            "lotSize": lot,
            "precision": precision,
            "marginRate": rate,
            "bid": bid,
            "ask": ask,
        }

    def _instruments(self, req: RecordedRequest, _user: str) -> Response:
        pattern = req.query.get("symbols", "*")
        symbols = [s for s in seed.DX_INSTRUMENTS if _symbol_matches(s, pattern)]
        return json_response(200, {"instruments": [self._instrument_json(s) for s in symbols]})

    def _instruments_type(self, _req: RecordedRequest, _user: str, kind: str) -> Response:
        symbols = [s for s, info in seed.DX_INSTRUMENTS.items() if info[0] == kind.upper()]
        return json_response(200, {"instruments": [self._instrument_json(s) for s in symbols]})

    def _instrument(self, _req: RecordedRequest, _user: str, symbol: str) -> Response:
        if symbol not in seed.DX_INSTRUMENTS:
            raise _not_found()
        return json_response(200, {"instruments": [self._instrument_json(symbol)]})

    def _instruments_acct(self, req: RecordedRequest, user: str, code: str) -> Response:
        self._account(user, code)
        return self._instruments(req, user)

    def _instrument_acct(self, req: RecordedRequest, user: str, code: str, symbol: str) -> Response:
        self._account(user, code)
        return self._instrument(req, user, symbol)


_HISTORY_FILTERS: dict[str, Callable[[_Order], str]] = {
    "with-client-id": lambda o: o.code,
    "with-order-id": lambda o: str(o.order_id),
    "in-status": lambda o: o.status,
    "for-instrument": lambda o: o.instrument,
    "of-type": lambda o: o.type,
    "side": lambda o: o.side,
}


def _symbol_matches(symbol: str, pattern: str) -> bool:
    """``symbols`` query of /instruments/query: comma list, ``*`` wildcard, case-insensitive."""
    parts = [p.strip().upper() for p in pattern.split(",") if p.strip()] or ["*"]
    return any(fnmatchcase(symbol.upper(), part) for part in parts)


def _match_pattern(pattern: tuple[str, ...], segments: list[str]) -> list[str] | None:
    """Match path segments against a pattern; ``{}`` captures one, ``{*}`` the rest (joined)."""
    if pattern and pattern[-1] == "{*}":
        head = pattern[:-1]
        if len(segments) <= len(head):
            return None
        captured = _match_pattern(head, segments[: len(head)])
        return None if captured is None else [*captured, "/".join(segments[len(head) :])]
    if len(pattern) != len(segments):
        return None
    args: list[str] = []
    for part, segment in zip(pattern, segments, strict=True):
        if part == "{}":
            args.append(segment)
        elif part != segment:
            return None
    return args
