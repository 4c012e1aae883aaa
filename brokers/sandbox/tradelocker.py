"""TradeLocker public Trading API emulator: ``/backend-api/...`` (``tradelocker-api.md``).

Two environments with separate users, accounts and tokens (§1): **demo** under
``/backend-api`` (also ``/demo/backend-api``) and **live** under ``/live/backend-api``. The real
environments are two hosts (``demo.`` / ``live.tradelocker.com``) and clients take the
environment as an origin and append ``/backend-api`` (§1), so a sandbox origin is ``sb.url``
(or ``sb.url + "/demo"``) for demo and ``sb.url + "/live"`` for live.

Auth answers are bare objects; ``/trade/*`` answers the ``{"s": "ok", "d": ...}`` envelope, and
errors ``{"s": "error", "errmsg": ...}`` (§1, §13). Positions, orders, history, executions and
the account state are positional rows laid out by ``/trade/config`` (§5).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any

from .tradelocker_model import (
    CENT,
    CONFIGS,
    DEFAULT_LIMITS,
    DEFAULT_RATE_LIMITS,
    EXTRA_COLUMN,
    FIRST_ID,
    STATE_DESCRIPTIONS,
    T0_MS,
    ZERO,
    Account,
    Order,
    Position,
    TLError,
    instrument,
    resolution_seconds,
)
from .tradelocker_seed import (
    TL_ACCOUNTS,
    TL_INSTRUMENTS,
    TL_ORDERS,
    TL_PASSWORD,
    TL_POSITIONS,
    TL_SERVER,
    TL_USERS,
)
from .tradelocker_trading import TradingMixin
from .wire import (
    RecordedRequest,
    Response,
    empty_response,
    json_response,
    jwt_claims,
    loads_exact,
    method_not_allowed,
    not_found_html,
    sign_jwt,
)

PREFIXES = {"/backend-api": "demo", "/demo/backend-api": "demo", "/live/backend-api": "live"}
RATE_LIMIT_BODIES = ("json", "empty")
Handler = Callable[[RecordedRequest, Account, dict[str, str]], Response]

# (path pattern, method) -> (handler name, rate-limit route of §2/§12 or None)
_TRADE_ROUTES: dict[tuple[str, str], tuple[str, str | None]] = {
    ("trade/config", "GET"): ("_config", None),
    ("trade/accounts", "GET"): ("_trade_accounts", "GET_ACCOUNTS"),
    ("trade/accounts/{acct}/state", "GET"): ("_state", "GET_ACCOUNTS_STATE"),
    ("trade/accounts/{acct}/positions", "GET"): ("_positions", "GET_POSITIONS"),
    ("trade/accounts/{acct}/positions", "DELETE"): ("_close_all", None),
    ("trade/accounts/{acct}/orders", "GET"): ("_orders", "GET_ORDERS"),
    ("trade/accounts/{acct}/orders", "POST"): ("_place", "PLACE_ORDER"),
    ("trade/accounts/{acct}/orders", "DELETE"): ("_cancel_all", None),
    ("trade/accounts/{acct}/orders/{id}", "DELETE"): ("_cancel_order", None),
    ("trade/accounts/{acct}/ordersHistory", "GET"): ("_orders_history", "GET_ORDERS_HISTORY"),
    ("trade/accounts/{acct}/executions", "GET"): ("_executions", "GET_EXECUTIONS"),
    ("trade/accounts/{acct}/instruments", "GET"): ("_instruments", "GET_INSTRUMENTS"),
    ("trade/instruments/{tid}", "GET"): ("_instrument_details", "GET_INSTRUMENT_DETAILS"),
    ("trade/quotes", "GET"): ("_quotes", "QUOTES"),
    ("trade/history", "GET"): ("_bars", "QUOTES_HISTORY"),
    ("trade/orders/{id}", "PATCH"): ("_modify_order", "MODIFY_ORDER"),
    ("trade/orders/{id}", "DELETE"): ("_cancel_order", None),
    ("trade/positions/{id}", "PATCH"): ("_modify_position", "MODIFY_POSITION"),
    ("trade/positions/{id}", "DELETE"): ("_close_position", None),
}


def _iso_ms(epoch: float) -> str:
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{base}.{int(epoch * 1000) % 1000:03d}Z"


def _error(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response(status, {"s": "error", "errmsg": message}, headers)


def _match(pattern: str, segments: list[str]) -> dict[str, str] | None:
    parts = pattern.split("/")
    if len(parts) != len(segments):
        return None
    params: dict[str, str] = {}
    for part, segment in zip(parts, segments, strict=True):
        if part.startswith("{"):
            params[part[1:-1]] = segment
        elif part != segment:
            return None
    return params


class TradeLockerState(TradingMixin):
    """TradeLocker users, tokens, accounts, instruments, positions and orders, plus switches.

    Settings (plain attributes; :meth:`reset` restores the defaults):

    - ``access_lifetime`` (3600 s) / ``refresh_lifetime`` (7 days): JWT ``exp`` of the two
      tokens (§3.3, §17.1).
    - ``login_status`` (201; 200 also seen, §3.1); ``login_error_status`` (400; switch 401).
    - ``mismatch_status`` (400; switch 403): the ``accNum`` header names no account of the user,
      or not the path's ``accountId`` (§4, §17.3).
    - ``shuffle_columns`` (False): every config's columns in another order plus an unknown
      column ``sandboxExtra`` (§17.5); rows follow the config.
    - ``omit_columns`` (set()): column ids left out of the configs and the rows.
    - ``extra_cells`` (0): that many unnamed trailing cells on every row (§16 row length).
    - ``cells_as_numbers`` (False): row cells as JSON numbers/booleans instead of strings (§5).
    - ``accounts_as_numbers`` (False): ``all-accounts`` values as numbers (§4: strings).
    - ``ids_as_strings`` (False): instrument and route ids as strings in the instrument list.
    - ``status_upper`` (False): order statuses ``FILLED`` instead of ``Filled`` (§8).
    - ``bad_first_info_route`` (True): the first of EURUSD's two INFO routes answers quotes
      with ``s: "error"`` (§9, §17.7).
    - ``strict_resolutions`` (False): ``/trade/history`` refuses resolutions outside the
      documented list (``15M``) instead of reading them literally (§17.8).
    - ``enforce_rate_limits`` (False): the ``rate_limits`` answer 429 when exceeded (§17.11);
      off by default because client tests replace ``sleep`` and cannot pace themselves.
    - ``rate_limits`` (§12 table): route → ``(limit, intervalNum, "SECONDS"|"MINUTES")``, as
      served in ``/trade/config`` and enforced; ``limits`` (``QUOTES_HISTORY_BARS``,
      ``MAX_ORDERS_COUNT_IN_HISTORY``).
    - ``rate_limit_body`` (``"json"`` | ``"empty"``); ``retry_after`` (None, or seconds for a
      ``Retry-After`` header on 429).
    - ``blocked_user_agents`` (list of fnmatch patterns): matching ``User-Agent`` → Cloudflare
      403 ``error code: 1010`` (§13, §17.12).
    - ``reject_orders`` (str | None): every placement answers 200 ``s: "error"`` with it.
    - ``fill_delay`` (0.0 s): market orders stay working that long before they fill (§10.1).
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._routes = {
            key: (getattr(self, name), limit) for key, (name, limit) in _TRADE_ROUTES.items()
        }
        self.reset()

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Restore seed data, drop every token, restore every default."""
        with self.lock:
            self.access_lifetime: float = 3600.0
            self.refresh_lifetime: float = 7 * 86400.0
            self.login_status: int = 201
            self.login_error_status: int = 400
            self.mismatch_status: int = 400
            self.shuffle_columns: bool = False
            self.omit_columns: set[str] = set()
            self.extra_cells: int = 0
            self.cells_as_numbers: bool = False
            self.accounts_as_numbers: bool = False
            self.ids_as_strings: bool = False
            self.status_upper: bool = False
            self.bad_first_info_route: bool = True
            self.strict_resolutions: bool = False
            self.enforce_rate_limits: bool = False
            self.rate_limits: dict[str, tuple[int, int, str]] = dict(DEFAULT_RATE_LIMITS)
            self.limits: dict[str, int] = dict(DEFAULT_LIMITS)
            self.rate_limit_body: str = "json"
            self.retry_after: float | None = None
            self.blocked_user_agents: list[str] = []
            self.reject_orders: str | None = None
            self.fill_delay: float = 0.0
            self._secret = uuid.uuid4().bytes + uuid.uuid4().bytes
            self._tokens: dict[
                str, tuple[str, str, str, float]
            ] = {}  # jti -> env, email, kind, exp
            self._hits: dict[tuple[str, str, str], list[float]] = {}
            self._next_id = FIRST_ID
            self.accounts: dict[tuple[str, str], Account] = {}
            for env, users in TL_USERS.items():
                for email, ids in users.items():
                    for account_id in ids:
                        self.accounts[(env, account_id)] = self._seed(env, email, account_id)

    def _seed(self, env: str, email: str, account_id: str) -> Account:
        info = TL_ACCOUNTS[account_id]
        account = Account(
            account_id, env, email, info.acc_num, info.currency, info.name, info.balance
        )
        for tid, side, qty, price in TL_POSITIONS.get(account_id, []):
            position = Position(self._new_id(), tid, side, qty, price, T0_MS)
            account.positions[position.id] = position
        for tid, side, qty, kind, price in TL_ORDERS.get(account_id, []):
            order = Order(self._new_id(), tid, side, qty, kind, "GTC", T0_MS, price=price)
            account.orders[order.id] = order
        return account

    def expire_sessions(self, refresh: bool = False) -> None:
        """Invalidate every access token now; with ``refresh=True`` every refresh token too."""
        with self.lock:
            self._tokens = {
                jti: token
                for jti, token in self._tokens.items()
                if token[2] == "refresh" and not refresh
            }

    def account(self, account_id: str, env: str = "demo") -> Account:
        """The state of a seeded account (for tests): positions, orders, history, balance."""
        return self.accounts[(env, account_id)]

    def _new_id(self) -> int:
        self._next_id += 7919  # sparse, so an id mixed up with another one finds nothing
        return self._next_id

    def _ok(self, data: Any = None) -> Response:
        return json_response(200, {"s": "ok"} if data is None else {"s": "ok", "d": data})

    # ------------------------------------------------------------------ dispatch

    @staticmethod
    def owns(path: str) -> bool:
        """Whether ``path`` is a TradeLocker path (any environment)."""
        return any(path == p or path.startswith(p + "/") for p in PREFIXES)

    def handle(self, req: RecordedRequest) -> Response:
        """Answer one request under a TradeLocker prefix."""
        prefix = next(p for p in PREFIXES if req.path == p or req.path.startswith(p + "/"))
        env = PREFIXES[prefix]
        with self.lock:
            agent = req.header("user-agent") or ""
            if any(fnmatchcase(agent, pattern) for pattern in self.blocked_user_agents):
                return Response(
                    403,
                    b"error code: 1010",
                    [("Content-Type", "text/plain; charset=UTF-8"), ("Server", "cloudflare")],
                )
            segments = req.segments(prefix)
            name = "/".join(segments)
            if name.startswith("auth/jwt/"):
                return self._dispatch_auth(req, env, name)
            try:
                return self._dispatch_trade(req, env, segments)
            except TLError as error:
                return _error(error.status, error.message)

    def _dispatch_auth(self, req: RecordedRequest, env: str, name: str) -> Response:
        routes: dict[tuple[str, str], Callable[[RecordedRequest, str], Response]] = {
            ("POST", "auth/jwt/token"): self._login,
            ("POST", "auth/jwt/refresh"): self._refresh,
            ("GET", "auth/jwt/all-accounts"): self._all_accounts,
        }
        handler = routes.get((req.method, name))
        if handler is None:
            allowed = [method for method, path in routes if path == name]
            return method_not_allowed(allowed) if allowed else not_found_html()
        return handler(req, env)

    def _dispatch_trade(self, req: RecordedRequest, env: str, segments: list[str]) -> Response:
        found: tuple[Handler, str | None, dict[str, str]] | None = None
        allowed: list[str] = []
        for (pattern, method), (handler, limit) in self._routes.items():
            params = _match(pattern, segments)
            if params is None:
                continue
            allowed.append(method)
            if method == req.method:
                found = (handler, limit, params)
        if found is None:
            return method_not_allowed(allowed) if allowed else not_found_html()
        handler, limit, params = found
        email = self._bearer(req, env)
        if email is None:
            return _error(401, "Unauthorized")
        account = self._account_for(req, env, email, params.get("acct"))
        if limit is not None and self._over_limit(env, email, limit):
            return self._too_many()
        self._process_fills(account)
        return handler(req, account, params)

    def _account_for(
        self, req: RecordedRequest, env: str, email: str, path_id: str | None
    ) -> Account:
        """The account named by the ``accNum`` header; it must own the path's accountId (§4)."""
        acc_num = (req.header("accnum") or "").strip()
        if not acc_num:
            raise TLError(400, "accNum header missing")
        mine = [a for (e, _), a in self.accounts.items() if e == env and a.email == email]
        account = next((a for a in mine if a.acc_num == acc_num), None)
        if account is None:
            raise TLError(self.mismatch_status, f"accNum {acc_num} is not an account of this user")
        if path_id is not None and path_id != account.id:
            raise TLError(
                self.mismatch_status, f"accNum {acc_num} does not match account {path_id}"
            )
        return account

    # ------------------------------------------------------------------ rate limits

    def _over_limit(self, env: str, email: str, route: str) -> bool:
        """Sliding-window count per user and route (§12); True when this request is one too many."""
        if not self.enforce_rate_limits or route not in self.rate_limits:
            return False
        limit, interval, measure = self.rate_limits[route]
        window = interval * (60 if measure == "MINUTES" else 1)
        now = time.monotonic()
        key = (env, email, route)
        recent = [t for t in self._hits.get(key, []) if now - t < window]
        if len(recent) >= limit:
            self._hits[key] = recent
            return True
        self._hits[key] = [*recent, now]
        return False

    def _too_many(self) -> Response:
        headers = [] if self.retry_after is None else [("Retry-After", f"{self.retry_after:g}")]
        if self.rate_limit_body == "empty":
            return empty_response(429, headers)
        return _error(429, "Too many requests", headers)

    # ------------------------------------------------------------------ JWT (§3)

    def _issue(self, env: str, email: str, kind: str) -> str:
        """An HS256 JWT with ``exp``; remembered as live until it expires or is rotated."""
        now = time.time()
        lifetime = self.access_lifetime if kind == "access" else self.refresh_lifetime
        jti = uuid.uuid4().hex
        claims = {
            "sub": email,
            "brandId": TL_SERVER[env],
            "env": env,
            "typ": kind,
            "iat": int(now),
            "exp": int(now + lifetime),
            "jti": jti,
        }
        self._tokens[jti] = (env, email, kind, now + lifetime)
        return sign_jwt(self._secret, claims)

    def _verify(self, token: str, env: str, kind: str) -> tuple[str, str] | None:
        """``(jti, email)`` of a live token of ``kind`` issued by ``env``, else None."""
        claims = jwt_claims(self._secret, token)
        jti = str(claims.get("jti")) if claims else ""
        live = self._tokens.get(jti)
        if live is None or live[0] != env or live[2] != kind or time.time() >= live[3]:
            return None
        return jti, live[1]

    def _bearer(self, req: RecordedRequest, env: str) -> str | None:
        scheme, _, token = (req.header("authorization") or "").partition(" ")
        found = self._verify(token.strip(), env, "access") if scheme == "Bearer" else None
        return found[1] if found else None

    def _pair(self, env: str, email: str) -> dict[str, Any]:
        return {
            "accessToken": self._issue(env, email, "access"),
            "refreshToken": self._issue(env, email, "refresh"),
            "expireDate": _iso_ms(time.time() + self.access_lifetime),
        }

    def _login(self, req: RecordedRequest, env: str) -> Response:
        try:
            body = loads_exact(req.body)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return json_response(400, {"s": "error", "errmsg": "Invalid request body"})
        email = str(body.get("email", "")).strip().lower()
        valid = (
            email in TL_USERS[env]
            and body.get("password") == TL_PASSWORD
            and body.get("server") == TL_SERVER[env]
        )
        if not valid:
            status = self.login_error_status
            return json_response(status, {"statusCode": status, "message": "Invalid credentials"})
        return json_response(self.login_status, self._pair(env, email))

    def _refresh(self, req: RecordedRequest, env: str) -> Response:
        try:
            body = loads_exact(req.body)
        except ValueError:
            body = None
        token = body.get("refreshToken") if isinstance(body, dict) else None
        found = self._verify(str(token or ""), env, "refresh")
        if found is None:
            return json_response(401, {"statusCode": 401, "message": "Invalid refresh token"})
        del self._tokens[found[0]]  # both tokens rotate (§3.3)
        pair = self._pair(env, found[1])
        del pair["expireDate"]
        return json_response(200, pair)

    def _all_accounts(self, req: RecordedRequest, env: str) -> Response:
        email = self._bearer(req, env)  # no accNum needed here (§4)
        if email is None:
            return _error(401, "Unauthorized")
        rows = []
        for account in self._user_accounts(env, email):
            row: dict[str, Any] = {
                "id": account.id,
                "name": account.name,
                "currency": account.currency,
                "accNum": account.acc_num,
                "accountBalance": format(account.balance.quantize(CENT), "f"),
                "status": "ACTIVE",
            }
            if self.accounts_as_numbers:
                row.update(
                    id=int(account.id), accNum=int(account.acc_num), accountBalance=account.balance
                )
            rows.append(row)
        return json_response(200, {"accounts": rows})

    def _user_accounts(self, env: str, email: str) -> list[Account]:
        return [self.accounts[(env, aid)] for aid in TL_USERS[env][email]]

    # ------------------------------------------------------------------ config (§5, §12)

    def columns(self, key: str) -> list[str]:
        """The column ids served for a config key (after shuffle / omit switches)."""
        names = [n for n in CONFIGS[key][2] if n not in self.omit_columns]
        if self.shuffle_columns:
            names = names[1::2][::-1] + names[0::2]
            names.insert(1, EXTRA_COLUMN)
        return names

    def _config(self, _req: RecordedRequest, _account: Account, _p: dict[str, str]) -> Response:
        data: dict[str, Any] = {
            "customerAccess": {
                "orders": True,
                "ordersHistory": True,
                "filledOrders": True,
                "positions": True,
                "symbolInfo": True,
                "marketDepth": True,
            }
        }
        for key, (ident, title, _) in CONFIGS.items():
            columns: list[dict[str, str]] = []
            for name in self.columns(key):
                column = {"id": name}
                if key == "accountDetailsConfig":
                    column["description"] = STATE_DESCRIPTIONS.get(name, "Sandbox extra column")
                columns.append(column)
            data[key] = {"id": ident, "title": title, "columns": columns}
        data["rateLimits"] = [
            {"rateLimitType": route, "measure": measure, "intervalNum": interval, "limit": limit}
            for route, (limit, interval, measure) in self.rate_limits.items()
        ]
        data["limits"] = [{"limitType": k, "limit": v} for k, v in self.limits.items()]
        return self._ok(data)

    def _cell(self, value: Any) -> Any:
        """A row cell: strings by default (§5), numbers with ``cells_as_numbers``."""
        if value is None:
            return None
        if isinstance(value, bool):
            return value if self.cells_as_numbers else str(value).lower()
        if isinstance(value, Decimal):
            return value if self.cells_as_numbers else format(value, "f")
        if isinstance(value, int):
            return value if self.cells_as_numbers else str(value)
        return value

    def _row(self, key: str, record: dict[str, Any]) -> list[Any]:
        cells = [
            "sandbox" if name == EXTRA_COLUMN else self._cell(record.get(name))
            for name in self.columns(key)
        ]
        return cells + ["extra"] * self.extra_cells

    # ------------------------------------------------------------------ reads

    def _trade_accounts(
        self, _req: RecordedRequest, account: Account, _p: dict[str, str]
    ) -> Response:
        return self._ok(
            [
                {
                    "id": account.id,
                    "type": "DEMO" if account.env == "demo" else "LIVE",
                    "currency": account.currency,
                    "status": "ACTIVE",
                    "name": account.name,
                    "tradingRules": {},
                    "riskRules": {},
                }
            ]
        )

    def _state(self, _req: RecordedRequest, account: Account, _p: dict[str, str]) -> Response:
        positions = list(account.positions.values())
        pnl = sum((p.pnl() for p in positions), ZERO)
        margin = sum((p.margin for p in positions), ZERO)
        maint = (margin / 2).quantize(CENT)
        equity = account.balance + pnl
        record = {
            "balance": account.balance.quantize(CENT),
            "projectedBalance": equity.quantize(CENT),
            "availableFunds": (equity - margin).quantize(CENT),
            "blockedBalance": ZERO,
            "cashBalance": account.balance.quantize(CENT),
            "unsettledCash": ZERO,
            "withdrawalAvailable": min(account.balance, equity - margin).quantize(CENT),
            "stocksValue": ZERO,
            "optionValue": ZERO,
            "initialMarginReq": margin,
            "maintMarginReq": maint,
            "marginWarningLevel": (equity / maint * 100).quantize(CENT) if maint else ZERO,
            "blockedForStocks": ZERO,
            "stockOrdersReq": ZERO,
            "stopOutLevel": Decimal("50"),
            "warningMarginReq": maint,
            "marginBeforeWarning": (equity - maint).quantize(CENT),
            "todayGross": account.today_net,
            "todayNet": account.today_net,
            "todayFees": ZERO,
            "todayVolume": account.today_volume,
            "todayTradesCount": account.today_trades,
            "openGrossPnL": pnl,
            "openNetPnL": pnl,
            "positionsCount": len(positions),
            "ordersCount": sum(1 for o in account.orders.values() if o.is_open),
        }
        return self._ok({"accountDetailsData": self._row("accountDetailsConfig", record)})

    def _position_record(self, position: Position) -> dict[str, Any]:
        return {
            "id": position.id,
            "tradableInstrumentId": position.tid,
            "routeId": instrument(position.tid).trade_route,
            "side": position.side,
            "qty": position.qty,
            "avgPrice": position.avg_price,
            "stopLossId": position.stop_loss_id,
            "takeProfitId": position.take_profit_id,
            "openDate": position.open_ms,
            "unrealizedPl": position.pnl(),
            "strategyId": position.strategy_id,
        }

    def _positions(self, _req: RecordedRequest, account: Account, _p: dict[str, str]) -> Response:
        rows = [
            self._row("positionsConfig", self._position_record(p))
            for p in account.positions.values()
        ]
        return self._ok({"positions": rows})

    def _order_row(self, key: str, order: Order) -> list[Any]:
        record = order.record(instrument(order.tid).trade_route)
        if self.status_upper:
            record["status"] = order.status.upper()
        return self._row(key, record)

    @staticmethod
    def _window(req: RecordedRequest, order: Order) -> bool:
        """The ``from`` / ``to`` (ms, on createdDate) and instrument filters of §8."""
        query = req.query
        tid, start, end = (query.get(k, "") for k in ("tradableInstrumentId", "from", "to"))
        return (
            (not tid or str(order.tid) == tid)
            and (not start.isdigit() or order.created_ms >= int(start))
            and (not end.isdigit() or order.created_ms <= int(end))
        )

    def _orders(self, req: RecordedRequest, account: Account, _p: dict[str, str]) -> Response:
        rows = [
            self._order_row("ordersConfig", o)
            for o in account.orders.values()
            if self._window(req, o)
        ]
        return self._ok({"orders": rows})

    def _orders_history(
        self, req: RecordedRequest, account: Account, _p: dict[str, str]
    ) -> Response:
        cap = self.limits.get("MAX_ORDERS_COUNT_IN_HISTORY", 10000)
        chosen = [o for o in account.history if self._window(req, o)][-cap:]
        rows = [self._order_row("ordersHistoryConfig", o) for o in chosen]
        return self._ok({"ordersHistory": rows})

    def _executions(self, _req: RecordedRequest, account: Account, _p: dict[str, str]) -> Response:
        rows = [self._row("filledOrdersConfig", e) for e in account.executions]
        return self._ok({"executions": rows})

    def _id(self, value: int) -> int | str:
        return str(value) if self.ids_as_strings else value

    def _instruments(
        self, _req: RecordedRequest, _account: Account, _p: dict[str, str]
    ) -> Response:
        items = []
        for tid, seed in TL_INSTRUMENTS.items():
            routes = [{"id": self._id(r), "type": "INFO"} for r in seed.info_routes]
            routes.append({"id": self._id(seed.trade_route), "type": "TRADE"})
            items.append(
                {
                    "tradableInstrumentId": self._id(tid),
                    "id": self._id(seed.symbol_id),
                    "name": seed.name,
                    "description": seed.description,
                    "type": seed.type,
                    "tradingExchange": "SANDBOX",
                    "marketDataExchange": "SANDBOX",
                    "country": None,
                    "logoUrl": None,
                    "localizedName": seed.name,
                    "routes": routes,
                    "barSource": "BID",
                    "hasIntraday": True,
                    "hasDaily": True,
                }
            )
        return self._ok({"instruments": items})

    @staticmethod
    def _tid(value: str | None) -> int:
        text = (value or "").strip()
        if not text.isdigit() or int(text) not in TL_INSTRUMENTS:
            raise TLError(200, f"Unknown tradableInstrumentId {value}")
        return int(text)

    def _instrument_details(
        self, req: RecordedRequest, _account: Account, params: dict[str, str]
    ) -> Response:
        tid = self._tid(params["tid"])
        seed = instrument(tid)
        route = req.query.get("routeId", "")
        if route not in {str(r) for r in (*seed.info_routes, seed.trade_route)}:
            raise TLError(200, f"Route {route} is not a route of instrument {tid}")
        return self._ok(
            {
                "tradableInstrumentId": tid,
                "name": seed.name,
                "description": seed.description,
                "lotSize": seed.lot_size,
                "tickSize": [{"leftRangeLimit": None, "tickSize": seed.tick}],
                "minLot": seed.min_lot,
                "maxLot": seed.max_lot,
                "lotStep": seed.lot_step,
                "baseCurrency": seed.base,
                "quotingCurrency": seed.quote,
                "tradeSessionId": 1,
                "tradeSessionStatusId": 1,
            }
        )

    def _info_route(self, req: RecordedRequest) -> tuple[int, bool]:
        """The instrument and whether ``routeId`` is one of its working INFO routes."""
        tid = self._tid(req.query.get("tradableInstrumentId"))
        seed = instrument(tid)
        route = req.query.get("routeId", "")
        if (
            self.bad_first_info_route
            and len(seed.info_routes) > 1
            and route == str(seed.info_routes[0])
        ):
            raise TLError(200, f"Route {route} is not available")
        return tid, route in {str(r) for r in seed.info_routes}

    def _quotes(self, req: RecordedRequest, _account: Account, _p: dict[str, str]) -> Response:
        tid, info = self._info_route(req)
        if not info:  # §6 lessons, §17.8: a wrong route answers empty, not an error
            return self._ok({})
        seed = instrument(tid)
        return self._ok({"ap": seed.ask, "bp": seed.bid, "as": 1000000, "bs": 1000000})

    def _bars(self, req: RecordedRequest, _account: Account, _p: dict[str, str]) -> Response:
        tid, info = self._info_route(req)
        resolution = req.query.get("resolution", "")
        step = resolution_seconds(resolution, self.strict_resolutions)
        if step is None:
            raise TLError(200, f"Unsupported resolution {resolution}")
        start, end = req.query.get("from", ""), req.query.get("to", "")
        if not (start.isdigit() and end.isdigit()):
            raise TLError(400, "from and to must be epoch milliseconds")
        if not info:
            return json_response(200, {"s": "no_data"})
        step_ms = step * 1000
        first = -(-int(start) // step_ms) * step_ms
        last = min(int(end), int(time.time() * 1000))
        count = max(0, (last - first) // step_ms + 1) if last >= first else 0
        if count > self.limits.get("QUOTES_HISTORY_BARS", 50000):
            raise TLError(200, "Too many bars requested")
        if count == 0:
            return json_response(200, {"s": "no_data"})  # §1, §9
        seed = instrument(tid)
        bars = []
        for n in range(count):
            t = first + n * step_ms
            k = t // step_ms
            wiggle = seed.tick * 10 * ((k % 7) - 3)
            o = seed.bid + wiggle
            c = seed.bid + seed.tick * 10 * (((k + 1) % 7) - 3)
            bars.append(
                {
                    "t": t,
                    "o": o,
                    "h": max(o, c) + seed.tick * 5,
                    "l": min(o, c) - seed.tick * 5,
                    "c": c,
                    "v": 100 + k % 13,
                }
            )
        return self._ok({"barDetails": bars})
