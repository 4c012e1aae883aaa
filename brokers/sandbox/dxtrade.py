"""DXtrade DXSCA emulator: state, settings, dispatch and the session/account routes.

Every answer follows ``shared/reference/dxtrade-api.md`` (the "sheet"; § = its sections; its
"Emulator checklist" §12 is the minimum): money as JSON numbers with exact digits, ``errorCode``
as a JSON string, HTML 404 for unknown paths. Orders live in ``dxtrade_orders.py`` (list, place,
execute), ``dxtrade_modify.py`` (cancel, modify), ``dxtrade_history.py`` (history, transfers,
events) and ``dxtrade_market.py`` (instruments, market data, conversion rates).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import seed
from .dxtrade_history import HistoryMixin
from .dxtrade_market import MarketMixin
from .dxtrade_model import (
    CENT,
    ZERO,
    Account,
    AccountEvent,
    CashTx,
    DXError,
    Execution,
    Order,
    Position,
    Session,
    Transfer,
    bad_param,
    etag_of,
    iso,
    not_found,
)
from .dxtrade_modify import ModifyMixin
from .dxtrade_orders import OrdersMixin
from .wire import (
    RecordedRequest,
    Response,
    empty_response,
    json_response,
    loads_exact,
    method_not_allowed,
    not_found_html,
    stringify_decimals,
)

PREFIX = "/dxsca-web"
TIMEOUT_FORMATS = ("hms", "iso", "seconds", "ms", "absent")
_T0 = 1767348000.0  # 2026-01-02T10:00:00Z: registration / seed position time
_SEED_ORDER_ID = 50001  # seeded history; live orders start after 63649

Handler = Callable[..., Response]


def _format_timeout(seconds: float, style: str) -> Any:
    """Render the session timeout in one of the documented wire formats (§3.1, §11)."""
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


class DXtradeState(OrdersMixin, ModifyMixin, HistoryMixin, MarketMixin):
    """DXtrade users, sessions, accounts, positions, orders and quotes, plus behaviour switches.

    Settings (plain attributes, change them at any time; :meth:`reset` restores the defaults) are
    listed in the :mod:`brokers.sandbox` docstring. Python helpers: :meth:`set_quote` (move a
    quote: triggers STOP/LIMIT orders, SL/TP), :meth:`add_account_event`, :meth:`admin`.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._routes = self._build_routes()
        self.reset()

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Restore seed data, drop all sessions and restore every setting's default."""
        with self.lock:
            # session and account reads (§3-§6)
            self.session_timeout: float = 1800.0
            self.timeout_format: str = "hms"
            self.pl_spelling: str = "openPL"
            self.margin_field: str = "margin"
            self.numbers_as_strings: bool = False
            self.error_code_int: bool = False
            self.omit_fields: set[str] = set()
            self.ping_empty: bool = False
            self.logout_status: int = 200
            self.empty_login_status: int = 500
            self.require_user_agent: bool = False
            self.locked: set[str] = set()
            self.rest_disabled: set[str] = set()
            # orders (§7.1-§7.5)
            self.require_if_match: bool = True
            self.etag_sources: set[str] = {"list", "order"}
            self.modify_etag: bool = True
            self.reject_orders: str | None = None
            self.pre_trade_code: str = "29"
            self.immutable_code: str = "33"
            self.order_code_style: str = "number"
            self.group_answer_list: bool = False
            self.cancel_empty: bool = False
            self.reject_close_quantity: bool = True
            self.market_gtc_only: bool = False
            self.single_put_drops_children: bool = True
            self.commission_rate: Decimal = ZERO
            self.instrument_details: dict[str, dict[str, Any]] = {}
            # history, transfers, events (§7.6)
            self.history_page_size: int = 50
            self.history_oldest_first: bool = False
            self.history_last_page: str = "absent"
            self.list_max: int = 1000
            self.events_time_spelling: str = "both"
            # market data, conversion rates (§7.7, §7.8)
            self.marketdata_requires_account: bool = False
            self.marketdata_events_type: bool = False
            self.marketdata_millis: bool = False
            self.candle_default_count: int = 100
            self.candle_max_count: int = 1000
            self.candle_order: str = "asc"
            self.conversion_single: bool = False
            self.conversion_post_405: bool = False
            self._sessions: dict[str, Session] = {}
            self._last_time = 0.0
            self._next_id = 63649
            self._chain = 7100000
            self._seed_next = _SEED_ORDER_ID
            now = float(int(time.time()))
            self._quotes = {s: [i["bid"], i["ask"], now] for s, i in seed.DX_INSTRUMENTS.items()}
            self._accounts = {code: self._seed_account(code, now) for code in seed.DX_CURRENCY}

    def expire_sessions(self) -> None:
        """Invalidate every session token now (next use → 401/1)."""
        with self.lock:
            self._sessions.clear()

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _new_chain(self) -> int:
        self._chain += 1
        return self._chain

    def _now(self) -> float:
        """Wall-clock time in whole milliseconds, strictly increasing (history cursors, §7.6)."""
        now = max(round(time.time(), 3), round(self._last_time + 0.001, 3))
        self._last_time = now
        return now

    def admin(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """``POST /_sandbox/dxtrade/<action>``: ``quote`` ``{"symbol", "bid", "ask"}`` moves a
        quote (see :meth:`set_quote`). Raises ValueError for a bad request."""
        if action != "quote":
            raise ValueError(f"unknown DXtrade admin action {action!r}")
        self.set_quote(str(payload.get("symbol")), payload.get("bid"), payload.get("ask"))
        bid, ask = self._quote(str(payload["symbol"]))
        return {"symbol": payload["symbol"], "bid": bid, "ask": ask}

    # ------------------------------------------------------------------ seed

    def _seed_account(self, code: str, now: float) -> Account:
        stored = seed.DX_ACCOUNTS[code]
        owner = next(user for user, codes in seed.DX_USERS.items() if code in codes)
        account = Account(
            code=code,
            owner=owner,
            currency=seed.DX_CURRENCY[code],
            balance=stored["balance"],
            credit=stored["credit"],
            available_adjust=ZERO,
        )
        for item in seed.DX_POSITIONS[code]:
            symbol = str(item["symbol"])
            position = Position(
                account=code,
                code=str(item["positionCode"]),
                symbol=symbol,
                side=str(item["side"]),
                quantity=item["quantity"],  # type: ignore[arg-type]
                open_price=item["openPrice"],  # type: ignore[arg-type]
                margin=item["margin"],  # type: ignore[arg-type]
                margin_rate=seed.DX_INSTRUMENTS[symbol]["marginRate"],  # type: ignore[arg-type]
                open_time=_T0,
                update_time=_T0,
            )
            account.positions[position.code] = position
        account.available_adjust = stored["availableBalance"] - (account.balance - account.margin)
        self._seed_history(account, now)
        return account

    def _seed_history(self, account: Account, now: float) -> None:
        """Closed trades, cancelled orders, deposits and events of the seed (§7.6), dated
        relative to ``now``; they are records only: the seed balance already includes them."""
        day = 86400.0
        for days, ref, kind, value, comment in seed.DX_TRANSFERS.get(account.code, []):
            cash = CashTx(self._seed_id(), kind, value, account.currency, now - days * day, 1)
            account.transfers.append(Transfer(ref, comment, cash.time, 1, [cash]))
        for days, symbol, side, kind, quantity, price in seed.DX_CANCELLED_ORDERS.get(
            account.code, []
        ):
            order = self._seed_order(account, symbol, side, "OPEN", quantity, now - days * day)
            order.type = kind
            order.limit_price = price if kind == "LIMIT" else None
            order.stop_price = price if kind == "STOP" else None
            self._seed_final(order, "CANCELED", order.issue_time + 3600)
        for row in seed.DX_CLOSED_TRADES.get(account.code, []):
            days, symbol, side, quantity, opened, closed, hours, commission = row
            start = now - days * day
            entry = self._seed_order(account, symbol, side, "OPEN", quantity, start)
            self._seed_fill(account, entry, opened, commission, None)
            back = "SELL" if side == "BUY" else "BUY"
            exit_ = self._seed_order(account, symbol, back, "CLOSE", quantity, start + hours * 3600)
            exit_.position_code = str(entry.order_id)
            sign = 1 if side == "BUY" else -1
            realised = ((closed - opened) * quantity * sign).quantize(CENT)
            self._seed_fill(account, exit_, closed, commission, realised)
        for days, kind, threshold, actual in seed.DX_ACCOUNT_EVENTS.get(account.code, []):
            account.events.append(AccountEvent(kind, threshold, actual, now - days * day))
        account.transfers.sort(key=lambda t: t.time)

    def _seed_id(self) -> int:
        self._seed_next += 1
        return self._seed_next

    def _seed_order(
        self, account: Account, symbol: str, side: str, effect: str, qty: Decimal, when: float
    ) -> Order:
        order_id = self._seed_id()
        client = f"seed-{order_id}"
        order = Order(
            account=account.code,
            order_id=order_id,
            client_code=client,
            system_code=f"{order_id + 7000000}:{client}",
            type="MARKET",
            instrument=symbol,
            side=side,
            tif="GTC",
            position_effect=effect,
            quantity=qty,
            issue_time=when,
            transaction_time=when,
            update_order_id=order_id,
        )
        order.executions.append(
            Execution(f"{order_id}-E1", "WORKING", ZERO, qty, ZERO, when, order_id, 1)
        )
        account.orders.append(order)
        return order

    @staticmethod
    def _seed_final(order: Order, status: str, when: float, price: Decimal | None = None) -> None:
        order.status, order.version = status, order.version + 1
        order.transaction_time = order.final_time = when
        filled = order.filled
        last = ZERO if price is None else (filled if order.side == "BUY" else -filled)
        order.executions.append(
            Execution(
                f"{order.order_id}-E2",
                status,
                filled,
                ZERO,
                last,
                when,
                order.order_id,
                order.version,
                price,
                order.average_price,
            )
        )

    def _seed_fill(
        self,
        account: Account,
        order: Order,
        price: Decimal,
        commission: Decimal,
        realised: Decimal | None,
    ) -> None:
        order.filled, order.average_price = order.quantity or ZERO, price
        when = order.issue_time + 0.25
        self._seed_final(order, "COMPLETED", when, price)
        trade = order.executions[-1].code
        amounts = [("SETTLEMENT", realised), ("COMMISSION", commission or None)]
        for kind, value in amounts:
            if value is None:
                continue
            item = CashTx(self._seed_id(), kind, value, account.currency, when, 1)
            item.order, item.trade_code, item.position_code = order, trade, order.position_code
            if order.position_effect == "OPEN":
                item.position_code = str(order.order_id)
            order.cash.append(item)
            account.transfers.append(Transfer(None, None, when, 1, [item]))

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
                if self.require_user_agent and not (req.header("user-agent") or "").strip():
                    raise DXError(403, "99", "User-Agent header is required")  # §10 [C1]
                user = self._authenticate(req) if needs_auth else None
                return handler(req, user, *args)
            except DXError as error:
                return self._error(error)

    def _match(
        self, method: str, segments: list[str]
    ) -> Response | tuple[Handler, list[str], bool]:
        """§12 item 1: unknown paths → 404 HTML; a known path with another method → 405 with
        ``Allow`` (§8), e.g. ``POST /accounts/{acct}/orders/group``."""
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
        """The §2 endpoint map. First match wins: fixed segments before ``{}``."""
        a = "{}"
        return [
            ("POST", ("login",), self._login, False),
            ("POST", ("loginByToken",), self._login_by_token, False),
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
            ("GET", ("accounts", "transfers"), self._transfers_multi, True),
            ("GET", ("accounts", "events"), self._events_multi, True),
            ("GET", ("accounts", a, "metrics"), self._metrics_one, True),
            ("GET", ("accounts", a, "positions"), self._positions_one, True),
            ("GET", ("accounts", a, "portfolio"), self._portfolio_one, True),
            ("GET", ("accounts", a, "orders"), self._orders_one, True),
            ("POST", ("accounts", a, "orders"), self._place, True),
            ("PUT", ("accounts", a, "orders"), self._modify, True),
            ("GET", ("accounts", a, "orders", "history"), self._history_one, True),
            ("POST", ("accounts", a, "orders", "history"), self._history_one, True),
            ("DELETE", ("accounts", a, "orders", "group"), self._cancel_group, True),
            ("GET", ("accounts", a, "orders", "{}"), self._order_one, True),
            ("DELETE", ("accounts", a, "orders", "{}"), self._cancel, True),
            ("GET", ("accounts", a, "transfers"), self._transfers_one, True),
            ("GET", ("accounts", a, "events"), self._events_one, True),
            ("GET", ("accounts", a, "instruments", "query"), self._details_query, True),
            ("GET", ("accounts", a, "instruments", "type", "{}"), self._details_type, True),
            ("GET", ("accounts", a, "instruments", "{*}"), self._details_one, True),
            ("GET", ("instruments", "query"), self._instruments, True),
            ("GET", ("instruments", "type", "{}"), self._instruments_type, True),
            ("GET", ("instruments", "{*}"), self._instrument_one, True),
            ("POST", ("marketdata",), self._marketdata, True),
            ("GET", ("conversionRates",), self._conversion, True),
            ("POST", ("conversionRates",), self._conversion, True),
        ]

    # ------------------------------------------------------------------ helpers

    def _error(self, error: DXError) -> Response:
        """§8: ``{"errorCode": "<code>", "description": ...}`` (int with ``error_code_int``)."""
        code: Any = int(error.code) if self.error_code_int else error.code
        return json_response(error.status, {"errorCode": code, "description": error.description})

    def _authenticate(self, req: RecordedRequest) -> str:
        """§3.2/§3.3: ``Authorization: DXAPI <token>``; missing/unknown/idle → 401/1."""
        header = req.header("authorization") or ""
        scheme, _, token = header.strip().partition(" ")
        session = self._sessions.get(token.strip()) if scheme.upper() == "DXAPI" else None
        now = time.monotonic()
        if session is None or now - session.last_used > self.session_timeout:
            self._sessions.pop(token.strip(), None)
            raise DXError(401, "1", "Authorization required")
        session.last_used = now
        return session.username

    def _account(self, user: str, code: str) -> Account:
        """§4/§8: an account of another user or none at all → 404/2."""
        account = self._accounts.get(code)
        if account is None or account.owner != user:
            raise not_found()
        return account

    def _accounts_param(self, req: RecordedRequest, user: str) -> list[Account]:
        codes = [code.strip() for code in req.query.get("accounts", "").split(",") if code.strip()]
        if not codes:
            raise bad_param("accounts")
        return [self._account(user, code) for code in codes]

    def _session_body(self, token: str) -> dict[str, Any]:
        body: dict[str, Any] = {"sessionToken": token}
        if self.timeout_format != "absent":
            body["timeout"] = _format_timeout(self.session_timeout, self.timeout_format)
        return body

    @staticmethod
    def _conditional(req: RecordedRequest, etag: str, payload: Any) -> Response:
        """§10: answer ``payload`` with an ETag, or 304 when ``If-None-Match`` matches it."""
        if req.header("if-none-match") in (etag, "W/" + etag):
            return empty_response(304, [("ETag", etag)])
        return json_response(200, payload, [("ETag", etag)])

    def _pl(self, position: Position) -> Decimal:
        """Floating P/L marked at bid (BUY) or ask (SELL); quote currency booked 1:1."""
        bid, ask = self._quote(position.symbol)
        mark = bid if position.side == "BUY" else ask
        return ((mark - position.open_price) * position.quantity * position.sign).quantize(CENT)

    # ------------------------------------------------------------------ session routes

    def _login(self, req: RecordedRequest, _user: None) -> Response:
        try:
            body = loads_exact(req.body) if req.body.strip() else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body:  # §3.1: 500/110 live; switch 400/33 (§12 item 2)
            if self.empty_login_status == 400:
                raise DXError(400, "33", "Incorrect request (empty login body)")
            raise DXError(500, "110", "Login request body is empty or malformed")
        username = str(body.get("username", ""))
        valid = (
            username in seed.DX_USERS
            and body.get("domain") == seed.DX_DOMAIN
            and body.get("password") == seed.DX_PASSWORD
        )
        if not valid:
            raise DXError(401, "3", "Incorrect username or password")
        return self._open_session(username)

    def _login_by_token(self, req: RecordedRequest, _user: None) -> Response:
        """§3.4 SSO: ``{username, domain, token}`` → the login answer (token ``DX_SSO_TOKEN``)."""
        try:
            body = loads_exact(req.body) if req.body.strip() else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body:
            raise DXError(400, "33", "Incorrect request (empty login body)")
        username = str(body.get("username", ""))
        valid = (
            username in seed.DX_USERS
            and body.get("domain") == seed.DX_DOMAIN
            and body.get("token") == seed.DX_SSO_TOKEN
        )
        if not valid:
            raise DXError(401, "3", "Incorrect username or password")
        return self._open_session(username)

    def _open_session(self, username: str) -> Response:
        """§12 item 2 modes: "locked" → 401/3; "REST disabled" → 403."""
        if username in self.locked:
            raise DXError(401, "3", "Account is locked")
        if username in self.rest_disabled:
            raise DXError(403, "2", "REST API access is disabled")
        token = str(uuid.uuid4())
        self._sessions[token] = Session(username, time.monotonic())
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
                "registrationTime": iso(_T0),
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
            raise not_found()
        details = self._user_details(user)
        etag = f'"user.{user}.{details["version"]}"'
        return json_response(200, {"userDetails": [details]}, [("ETag", etag)])

    # ------------------------------------------------------------------ metrics

    def _metrics(self, account: Account, with_positions: bool) -> dict[str, Any]:
        margin = account.margin
        open_pl = sum((self._pl(p) for p in account.positions.values()), ZERO)
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
            "openOrdersCount": len(account.open_orders()),
        }
        item = {key: value for key, value in item.items() if key not in self.omit_fields}
        if with_positions:
            item["positions"] = [self._position_metrics(p) for p in account.positions.values()]
        return stringify_decimals(item) if self.numbers_as_strings else item

    def _position_metrics(self, position: Position) -> dict[str, Any]:
        """§5 PositionMetrics (no currency conversion: ``convRate`` 1)."""
        bid, ask = self._quote(position.symbol)
        sign = 1 if position.side == "BUY" else -1
        return {
            "positionCode": position.code,
            "version": position.version,
            "symbol": position.symbol,
            "quantity": position.quantity,
            "quantityNotional": position.quantity * sign,
            "rate": bid if position.side == "BUY" else ask,
            "fpl": self._pl(position),
            "convRate": Decimal("1"),
            "marginRate": position.margin_rate,
            "margin": position.margin,
            "openPrice": position.open_price,
            "instrumentCurrency": self._instrument(position.symbol)["currency"],
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

    def _position_json(self, position: Position) -> dict[str, Any]:
        """§6 Position; ``stopLossPrice``/``takeProfitPrice`` read-only from its working
        protective CLOSE orders (§7.5: STOP = stop-loss, LIMIT = take-profit)."""
        sign = position.sign
        protection = {"STOP": None, "LIMIT": None}
        for order in self._accounts[position.account].orders:
            mine = order.position_code == position.code and order.position_effect == "CLOSE"
            if mine and order.status == "WORKING" and order.type in protection:
                protection[order.type] = order.price
        return {
            "account": position.account,
            "version": position.version,
            "positionCode": position.code,
            "symbol": position.symbol,
            "quantity": position.quantity,
            "side": position.side,
            "quantityNotional": position.quantity * sign,
            "openTime": iso(position.open_time),
            "openPrice": position.open_price,
            "lastUpdateTime": iso(position.update_time),
            "marginRate": position.margin_rate,
            "takeProfitPrice": protection["LIMIT"],
            "stopLossPrice": protection["STOP"],
        }

    def _positions_answer(self, req: RecordedRequest, accounts: list[Account]) -> Response:
        positions = [p for a in accounts for p in a.positions.values()]
        etag = etag_of([f"{p.account}/{p.code}/{p.version}" for p in positions] or ["none"])
        payload = {"positions": [self._position_json(p) for p in positions]}
        return self._conditional(req, etag, payload)

    def _positions_one(self, req: RecordedRequest, user: str, code: str) -> Response:
        return self._positions_answer(req, [self._account(user, code)])

    def _positions_multi(self, req: RecordedRequest, user: str) -> Response:
        return self._positions_answer(req, self._accounts_param(req, user))

    def _portfolio(self, account: Account) -> dict[str, Any]:
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
            "orders": [self._order_json(o) for o in account.open_orders()],
        }

    def _portfolio_answer(self, req: RecordedRequest, accounts: list[Account]) -> Response:
        etag = etag_of([f"{a.code}/{a.version}" for a in accounts])
        return self._conditional(req, etag, {"portfolios": [self._portfolio(a) for a in accounts]})

    def _portfolio_one(self, req: RecordedRequest, user: str, code: str) -> Response:
        return self._portfolio_answer(req, [self._account(user, code)])

    def _portfolio_multi(self, req: RecordedRequest, user: str) -> Response:
        return self._portfolio_answer(req, self._accounts_param(req, user))


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
