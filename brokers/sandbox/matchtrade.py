"""Match-Trader Platform API emulator: ``/manager/...`` login and ``/mtr-api/{systemUuid}/...``.

Every answer follows ``shared/reference/matchtrader-api.md`` ("Emulator checklist"): money, prices
and volumes as JSON strings, business rejections as HTTP 200 ``status: "REJECTED"``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
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

ZERO = Decimal("0")
CENT = Decimal("0.01")
ACCOUNT_KEYS = ("accounts", "tradingAccounts", "selected_only")
REFRESH_MODES = ("cookie", "body")
TRADING_API_DOMAIN = "http://ta-sandbox-mtr:8080"
_T0 = 1767348000.0  # 2026-01-02T10:00:00Z


class Rejected(Exception):
    """A business rejection: answered as HTTP 200 ``{"status": "REJECTED", ...}``."""

    def __init__(self, native_code: str, message: str) -> None:
        super().__init__(message)
        self.native_code = native_code
        self.message = message


@dataclass
class _Session:
    email: str
    account_uuid: str
    expires: float


@dataclass
class _Position:
    id: str
    symbol: str
    side: str
    volume: Decimal
    open_price: Decimal
    profit: Decimal
    swap: Decimal
    commission: Decimal
    margin: Decimal
    open_time: float
    stop_loss: Decimal = ZERO
    take_profit: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.profit + self.swap + self.commission


@dataclass
class _Order:
    id: str
    symbol: str
    side: str
    type: str
    volume: Decimal
    price: Decimal
    stop_loss: Decimal
    take_profit: Decimal
    creation_time: float


@dataclass
class _Account:
    id: str
    email: str
    currency: str
    system_uuid: str
    offer_name: str
    uuid: str
    trading_api_token: str
    balance: Decimal
    credit: Decimal
    positions: dict[str, _Position] = field(default_factory=dict)
    orders: dict[str, _Order] = field(default_factory=dict)
    closed: list[dict[str, Any]] = field(default_factory=list)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _iso(epoch: float, millis: bool = False) -> str:
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{base}.{int(epoch * 1000) % 1000:03d}Z" if millis else base + "Z"


def _parse_iso(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _price_step(symbol: str) -> Decimal:
    return Decimal(1).scaleb(-seed.MT_INSTRUMENTS[symbol][4])


def _error(status: int, message: str) -> Response:
    return json_response(status, {"errorMessage": message})


Handler = Callable[..., Response]


class MatchTraderState:
    """Match-Trader users, sessions, accounts, positions and pending orders, plus switches.

    Settings (plain attributes; :meth:`reset` restores the defaults):

    - ``co_login_enabled`` (True): False → ``/manager/co-login`` answers 404 HTML.
    - ``account_keys``: ``"accounts"`` (``accounts`` + ``selectedAccount``, default),
      ``"tradingAccounts"`` (``tradingAccounts`` + ``selectedTradingAccount``) or
      ``"selected_only"`` (only ``selectedAccount``).
    - ``selected_index`` (0): index of the selected account in the user's list (clamped).
    - ``token_lifetime`` (float s, 900): lifetime of the co-auth JWT (its ``exp``).
    - ``refresh_mode``: ``"cookie"`` (200 empty body + Set-Cookie, default) or ``"body"``
      (200 ``{"token": ...}`` + Set-Cookie).
    - ``refresh_limit`` (4): successful refreshes per user per rolling hour; more → 429.
    - ``money_as_numbers`` (False): money/price/volume as JSON numbers instead of strings.
    - ``omit_fields`` (set()): balance field names left out of ``/balance``.
    - ``locked`` (set of e-mails): login → 401 ``{"errorMessage": "User is blocked"}``.
    - ``reject_orders`` (str | None): every mutation answers 200 REJECTED with this message.
    - ``empty_401`` (False): 401 on ``/mtr-api`` with an empty body instead of JSON.
    - ``cancel_empty`` (False): a successful ``pending-order/cancel`` answers 204 no body.
    - ``platform_url``: the ``platformUrl`` of ``/manager/platform-details`` (set by Sandbox).
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.platform_url = ""
        self._manager_routes: dict[tuple[str, str], Handler] = {
            ("GET", "platform-details"): self._platform_details,
            ("POST", "co-login"): self._co_login,
            ("POST", "mtr-login"): self._mtr_login,
            ("POST", "refresh-token"): self._refresh_token,
        }
        self._trading_routes: dict[tuple[str, str], Handler] = {
            ("GET", "balance"): self._balance,
            ("GET", "open-positions"): self._open_positions,
            ("GET", "active-orders"): self._active_orders,
            ("GET", "effective-instruments"): self._effective_instruments,
            ("GET", "quotations"): self._quotations,
            ("POST", "closed-positions"): self._closed_positions,
            ("POST", "position/open"): self._mutation(self._position_open),
            ("POST", "position/edit"): self._mutation(self._position_edit),
            ("POST", "position/close"): self._mutation(self._position_close),
            ("POST", "positions/close"): self._mutation(self._positions_close),
            ("POST", "position/close-partially"): self._mutation(self._position_close_partially),
            ("POST", "pending-order/create"): self._mutation(self._pending_create),
            ("POST", "pending-order/edit"): self._mutation(self._pending_edit),
            ("POST", "pending-order/cancel"): self._mutation(self._pending_cancel, cancel=True),
        }
        self.reset()

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Restore seed data, drop all sessions and refresh tokens, restore every default."""
        with self.lock:
            self.co_login_enabled: bool = True
            self.account_keys: str = "accounts"
            self.selected_index: int = 0
            self.token_lifetime: float = 900.0
            self.refresh_mode: str = "cookie"
            self.refresh_limit: int = 4
            self.money_as_numbers: bool = False
            self.omit_fields: set[str] = set()
            self.locked: set[str] = set()
            self.reject_orders: str | None = None
            self.empty_401: bool = False
            self.cancel_empty: bool = False
            self._secret = uuid.uuid4().bytes + uuid.uuid4().bytes
            self._sessions: dict[str, _Session] = {}
            self._refresh: dict[str, str] = {}
            self._refresh_log: dict[str, list[float]] = {}
            self._next_id = 1000000000000000
            self._accounts = {aid: self._seed_account(aid) for aid in seed.MT_ACCOUNT_INFO}

    @staticmethod
    def _seed_account(account_id: str) -> _Account:
        currency, system_uuid, offer_name = seed.MT_ACCOUNT_INFO[account_id]
        email = next(e for e, ids in seed.MT_USERS.items() if account_id in ids)
        account = _Account(
            id=account_id,
            email=email,
            currency=currency,
            system_uuid=system_uuid,
            offer_name=offer_name,
            uuid=seed.stable_uuid(f"account:{account_id}"),
            trading_api_token=uuid.uuid4().hex + uuid.uuid4().hex[:8],
            balance=seed.MT_BALANCES[account_id]["balance"],
            credit=seed.MT_BALANCES[account_id]["credit"],
        )
        for item in seed.MT_POSITIONS[account_id]:
            position = _Position(open_time=_T0, **item)  # type: ignore[arg-type]
            account.positions[position.id] = position
        return account

    def expire_sessions(self, refresh: bool = False) -> None:
        """Invalidate every co-auth JWT now; with ``refresh=True`` every ``rt`` cookie too."""
        with self.lock:
            self._sessions.clear()
            if refresh:
                self._refresh.clear()

    def system_uuid(self, account_id: str) -> str:
        """The systemUuid of a seeded account (``"700001"`` → its system's UUID)."""
        return self._accounts[account_id].system_uuid

    def trading_api_token(self, account_id: str) -> str:
        """The trading API token of a seeded account."""
        return self._accounts[account_id].trading_api_token

    def _new_id(self) -> str:
        self._next_id += 1
        return f"W{self._next_id:016d}"

    def _user_accounts(self, email: str) -> list[_Account]:
        return [self._accounts[aid] for aid in seed.MT_USERS[email]]

    def _selected(self, email: str) -> _Account:
        accounts = self._user_accounts(email)
        return accounts[max(0, min(self.selected_index, len(accounts) - 1))]

    # ------------------------------------------------------------------ dispatch

    def handle(self, req: RecordedRequest) -> Response:
        """Answer one request under ``/manager/`` or ``/mtr-api/``."""
        with self.lock:
            if req.path.startswith("/manager/"):
                return self._dispatch_manager(req)
            return self._dispatch_trading(req)

    def _dispatch_manager(self, req: RecordedRequest) -> Response:
        name = "/".join(req.segments("/manager"))
        handler = self._manager_routes.get((req.method, name))
        if handler is None:
            allowed = [method for method, path in self._manager_routes if path == name]
            return method_not_allowed(allowed) if allowed else not_found_html()
        return handler(req)

    def _dispatch_trading(self, req: RecordedRequest) -> Response:
        segments = req.segments("/mtr-api")
        systems = {account.system_uuid for account in self._accounts.values()}
        if len(segments) < 2 or segments[0] not in systems:
            return not_found_html()
        name = "/".join(segments[1:])
        handler = self._trading_routes.get((req.method, name))
        if handler is None:
            allowed = [method for method, path in self._trading_routes if path == name]
            return method_not_allowed(allowed) if allowed else not_found_html()
        account = self._authorise(req, segments[0])
        if account is None:
            return empty_response(401) if self.empty_401 else _error(401, "Unauthorized")
        return handler(req, account)

    def _authorise(self, req: RecordedRequest, system_uuid: str) -> _Account | None:
        """The account named by ``Auth-trading-api`` when the co-auth JWT is live, else None."""
        token = (req.header("auth-trading-api") or "").strip()
        account = next(
            (a for a in self._accounts.values() if token and a.trading_api_token == token), None
        )
        if account is None or account.system_uuid != system_uuid:
            return None
        session = self._verify_jwt(req.cookies().get("co-auth", ""))
        if session is None or session.email != account.email:
            return None
        return account

    # ------------------------------------------------------------------ JWT

    def _issue_jwt(self, email: str) -> str:
        """Mint an HS256 co-auth JWT for ``email`` and remember it as live."""
        now = time.time()
        selected = self._selected(email)
        jti = str(uuid.uuid4())
        claims = {
            "account_uuid": selected.uuid,
            "manager_scope": [],
            "user_name": f"{email}:{seed.MT_BROKER_ID}",
            "scope": ["read", "write", "trust"],
            "partnerId": int(seed.MT_BROKER_ID),
            "exp": int(now + self.token_lifetime),
            "jti": jti,
            "email": email,
            "authorities": ["EMAIL_READ", "PHONE_READ", "ROLE_USER", "USER"],
            "client_id": "mtr-sandbox",
        }
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}"
        signature = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        self._sessions[jti] = _Session(email, selected.uuid, now + self.token_lifetime)
        return f"{signing_input}.{_b64url(signature)}"

    def _verify_jwt(self, token: str) -> _Session | None:
        """The live session behind a JWT, or None (bad signature, unknown, expired)."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256)
        try:
            valid = hmac.compare_digest(_b64url_decode(parts[2]), expected.digest())
            claims = json.loads(_b64url_decode(parts[1])) if valid else None
        except ValueError:
            return None
        session = self._sessions.get(str(claims.get("jti"))) if isinstance(claims, dict) else None
        if session is None or time.time() >= session.expires:
            return None
        return session

    # ------------------------------------------------------------------ manager routes

    def _platform_details(self, _req: RecordedRequest) -> Response:
        return json_response(
            200,
            {
                "partnerId": seed.MT_BROKER_ID,
                "brokerName": "Sandbox Broker",
                "platformUrl": self.platform_url,
            },
        )

    def _co_login(self, req: RecordedRequest) -> Response:
        if not self.co_login_enabled:
            return not_found_html()
        return self._login(req)

    def _mtr_login(self, req: RecordedRequest) -> Response:
        return self._login(req)

    def _login(self, req: RecordedRequest) -> Response:
        try:
            body = loads_exact(req.body)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(400, "Invalid request body")
        email = str(body.get("email", "")).strip().lower()
        broker = body.get("brokerId")
        valid = (
            email in seed.MT_USERS
            and body.get("password") == seed.MT_PASSWORD
            and not isinstance(broker, bool)
            and str(broker).strip() == seed.MT_BROKER_ID
        )
        if not valid:
            return _error(401, "Invalid credentials")
        if email in self.locked:
            return _error(401, "User is blocked")
        token = self._issue_jwt(email)
        refresh = uuid.uuid4().hex
        self._refresh[refresh] = email
        cookies = [
            ("Set-Cookie", f"co-auth={token}; Path=/; HttpOnly"),
            ("Set-Cookie", f"rt={refresh}; Path=/manager; HttpOnly"),
        ]
        return json_response(200, self._login_body(email, token), cookies)

    def _login_body(self, email: str, token: str) -> dict[str, Any]:
        accounts = [self._account_json(a) for a in self._user_accounts(email)]
        selected = self._account_json(self._selected(email))
        body: dict[str, Any] = {"email": email, "token": token}
        if self.account_keys == "tradingAccounts":
            body.update(tradingAccounts=accounts, selectedTradingAccount=selected)
        elif self.account_keys == "selected_only":
            body["selectedAccount"] = selected
        else:
            body.update(accounts=accounts, selectedAccount=selected)
        return body

    def _account_json(self, account: _Account) -> dict[str, Any]:
        branch = seed.stable_uuid("branch:sandbox")
        system = account.system_uuid
        return {
            "tradingAccountId": account.id,
            "uuid": account.uuid,
            "tradingApiToken": account.trading_api_token,
            "branchUuid": branch,
            "created": _iso(_T0, millis=True),
            "offer": {
                "uuid": seed.stable_uuid(f"offer:{account.id}"),
                "partnerId": seed.MT_BROKER_ID,
                "name": account.offer_name,
                "currency": account.currency,
                "initialDeposit": int(seed.MT_BALANCES[account.id]["balance"]),
                "demo": True,
                "hidden": False,
                "leverage": seed.MT_LEVERAGE,
                "branch": {"uuid": branch},
                "system": {
                    "uuid": system,
                    "name": "MTR sandbox " + ("A" if system == seed.MT_SYSTEM_A else "B"),
                    "demo": True,
                    "active": True,
                    "systemType": "DEMO",
                    "tradingApiDomain": TRADING_API_DOMAIN,
                },
                "moneyManager": None,
            },
            "tradingAccountToken": {
                "token": uuid.uuid4().hex,
                "expiration": _iso(time.time() + self.token_lifetime, millis=True),
            },
        }

    def _refresh_token(self, req: RecordedRequest) -> Response:
        email = self._refresh.get(req.cookies().get("rt", ""))
        if email is None:
            return _error(401, "Unauthorized")
        now = time.time()
        recent = [t for t in self._refresh_log.get(email, []) if now - t < 3600]
        if len(recent) >= self.refresh_limit:
            self._refresh_log[email] = recent
            return _error(429, "Too many refresh requests")
        self._refresh_log[email] = [*recent, now]
        token = self._issue_jwt(email)
        cookie = [("Set-Cookie", f"co-auth={token}; Path=/; HttpOnly")]
        if self.refresh_mode == "body":
            return json_response(200, {"token": token}, cookie)
        return empty_response(200, cookie)

    # ------------------------------------------------------------------ reads

    def _money(self, payload: Any) -> Any:
        """Money/price/volume Decimals → JSON strings (or numbers with money_as_numbers)."""
        return payload if self.money_as_numbers else stringify_decimals(payload)

    def _balance(self, _req: RecordedRequest, account: _Account) -> Response:
        profit = sum((p.profit for p in account.positions.values()), ZERO)
        net = sum((p.net for p in account.positions.values()), ZERO)
        margin = sum((p.margin for p in account.positions.values()), ZERO)
        equity = account.balance + profit
        level = (equity / margin * 100).to_integral_value(rounding="ROUND_DOWN") if margin else None
        body: dict[str, Any] = {
            "balance": account.balance.quantize(CENT),
            "equity": equity.quantize(CENT),
            "freeMargin": (equity - margin).quantize(CENT),
            "marginLevel": level.quantize(CENT) if level is not None else ZERO,
            "credit": account.credit.quantize(CENT),
            "currency": account.currency,
            "margin": margin.quantize(CENT),
            "profit": profit.quantize(CENT),
            "netProfit": net.quantize(CENT),
            "currencyPrecision": 2,
        }
        body = {key: value for key, value in body.items() if key not in self.omit_fields}
        return json_response(200, self._money(body))

    def _position_json(self, position: _Position) -> dict[str, Any]:
        step = _price_step(position.symbol)
        bid, ask = seed.MT_INSTRUMENTS[position.symbol][6:8]
        return {
            "id": position.id,
            "symbol": position.symbol,
            "alias": position.symbol.rstrip("."),
            "volume": position.volume.quantize(CENT),
            "side": position.side,
            "openTime": _iso(position.open_time),
            "openTimeMillis": int(position.open_time * 1000),
            "openPrice": position.open_price.quantize(step),
            "stopLoss": position.stop_loss,
            "takeProfit": position.take_profit,
            "trailingDistance": 0,
            "swap": position.swap.quantize(CENT),
            "commission": position.commission.quantize(CENT),
            "profit": position.profit.quantize(CENT),
            "netProfit": position.net.quantize(CENT),
            "currentPrice": bid if position.side == "BUY" else ask,
            "positions": [
                {
                    "id": position.id,
                    "volume": position.volume.quantize(CENT),
                    "oldPartialVolume": None,
                }
            ],
        }

    def _open_positions(self, _req: RecordedRequest, account: _Account) -> Response:
        positions = [self._position_json(p) for p in account.positions.values()]
        return json_response(200, self._money({"positions": positions}))

    def _active_orders(self, _req: RecordedRequest, account: _Account) -> Response:
        orders = [
            {
                "id": order.id,
                "symbol": order.symbol,
                "alias": order.symbol.rstrip("."),
                "type": order.type,
                "side": order.side,
                "volume": order.volume.quantize(CENT),
                "activationPrice": order.price,
                "creationTime": _iso(order.creation_time),
                "stopLoss": order.stop_loss,
                "takeProfit": order.take_profit,
                "comment": "",
            }
            for order in account.orders.values()
        ]
        return json_response(200, self._money({"orders": orders}))

    def _effective_instruments(self, _req: RecordedRequest, _account: _Account) -> Response:
        items = []
        for symbol, info in seed.MT_INSTRUMENTS.items():
            kind, description, base, quote, precision, contract = info[:6]
            items.append(
                {
                    "symbol": symbol,
                    "alias": symbol.rstrip("."),
                    "description": description,
                    "type": kind,
                    "baseCurrency": base,
                    "quoteCurrency": quote,
                    "pricePrecision": precision,
                    "volumePrecision": 2,
                    "volumeMin": seed.MT_VOLUME_MIN,
                    "volumeMax": seed.MT_VOLUME_MAX,
                    "volumeStep": seed.MT_VOLUME_STEP,
                    "contractSize": contract,
                    "sizeOfOnePoint": _price_step(symbol),
                    "leverage": seed.MT_LEVERAGE,
                }
            )
        return json_response(200, self._money(items))

    def _quotations(self, req: RecordedRequest, _account: _Account) -> Response:
        wanted = [s.strip() for s in req.query.get("symbols", "").split(",") if s.strip()]
        symbols = [s for s in (wanted or seed.MT_INSTRUMENTS) if s in seed.MT_INSTRUMENTS]
        now = time.time()
        quotes = []
        for symbol in symbols:
            bid, ask = seed.MT_INSTRUMENTS[symbol][6:8]
            quotes.append(
                {
                    "symbol": symbol,
                    "alias": symbol.rstrip("."),
                    "bid": bid,
                    "ask": ask,
                    "change": Decimal("0.00"),
                    "high": ask,
                    "low": bid,
                    "timestampSec": int(now),
                    "timestampMs": int(now * 1000),
                }
            )
        return json_response(200, self._money(quotes))

    def _closed_positions(self, req: RecordedRequest, account: _Account) -> Response:
        try:
            body = loads_exact(req.body) if req.body.strip() else {}
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        start = _parse_iso(body.get("from")) if body.get("from") else None
        end = _parse_iso(body.get("to")) if body.get("to") else None
        operations = [
            {key: value for key, value in item.items() if not key.startswith("_")}
            for item in account.closed
            if (start is None or item["_time"] >= start) and (end is None or item["_time"] <= end)
        ]
        return json_response(200, self._money({"operations": operations}))

    # ------------------------------------------------------------------ mutations

    def _mutation(self, action: Callable[[Any, _Account], str], cancel: bool = False) -> Handler:
        """Wrap a mutation: JSON body in, operation object out; Rejected → 200 REJECTED.

        ``cancel`` marks pending-order cancel, which answers 204 when ``cancel_empty`` is set.
        """

        def run(req: RecordedRequest, account: _Account) -> Response:
            try:
                if self.reject_orders:
                    raise Rejected("REJECTED_BY_SANDBOX", self.reject_orders)
                try:
                    body = loads_exact(req.body)
                except ValueError:
                    raise Rejected("INVALID_REQUEST", "Malformed JSON body") from None
                order_id = action(body, account)
            except Rejected as rejected:
                return self._operation("REJECTED", rejected.native_code, rejected.message, None)
            if cancel and self.cancel_empty:
                return empty_response(204)
            return self._operation("OK", None, None, order_id)

        return run

    @staticmethod
    def _operation(
        status: str, native: str | None, message: str | None, order_id: str | None
    ) -> Response:
        payload = {
            "status": status,
            "nativeCode": native,
            "errorMessage": message,
            "orderId": order_id,
        }
        return json_response(200, payload)

    @staticmethod
    def _object(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Rejected("INVALID_REQUEST", "Request body must be a JSON object")
        return body

    @staticmethod
    def _symbol(body: dict[str, Any]) -> str:
        symbol = str(body.get("instrument", ""))
        if symbol not in seed.MT_INSTRUMENTS:
            raise Rejected("INVALID_SYMBOL", f"Unknown instrument: {symbol}")
        return symbol

    @staticmethod
    def _side(body: dict[str, Any]) -> str:
        side = str(body.get("orderSide", "")).upper()
        if side not in ("BUY", "SELL"):
            raise Rejected("INVALID_SIDE", "orderSide must be BUY or SELL")
        return side

    @staticmethod
    def _volume(value: Any) -> Decimal:
        volume = to_decimal(value)
        if volume is None:
            raise Rejected("INVALID_VOLUME", "Volume is not a number")
        if volume < seed.MT_VOLUME_MIN or volume > seed.MT_VOLUME_MAX:
            raise Rejected(
                "INVALID_VOLUME",
                f"Volume must be between {seed.MT_VOLUME_MIN} and {seed.MT_VOLUME_MAX}",
            )
        if volume % seed.MT_VOLUME_STEP:
            raise Rejected("INVALID_VOLUME", f"Volume must be a multiple of {seed.MT_VOLUME_STEP}")
        return volume

    @staticmethod
    def _optional_price(body: dict[str, Any], key: str) -> Decimal:
        value = to_decimal(body.get(key)) if body.get(key) is not None else ZERO
        if value is None or value < 0:
            raise Rejected("INVALID_PRICE", f"{key} is not a valid price")
        return value

    def _position_open(self, body: Any, account: _Account) -> str:
        body = self._object(body)
        symbol, side, volume = (
            self._symbol(body),
            self._side(body),
            self._volume(body.get("volume")),
        )
        _kind, _desc, _base, _quote, _precision, contract, bid, ask = seed.MT_INSTRUMENTS[symbol]
        price = ask if side == "BUY" else bid
        mark = bid if side == "BUY" else ask
        sign = 1 if side == "BUY" else -1
        margin = (volume * contract * price / seed.MT_LEVERAGE).quantize(CENT)
        equity = account.balance + sum((p.profit for p in account.positions.values()), ZERO)
        used = sum((p.margin for p in account.positions.values()), ZERO)
        if margin > equity - used:
            raise Rejected("NO_MONEY", "Not enough money")
        position = _Position(
            id=self._new_id(),
            symbol=symbol,
            side=side,
            volume=volume,
            open_price=price,
            profit=((mark - price) * volume * contract * sign).quantize(CENT),
            swap=ZERO,
            commission=ZERO,
            margin=margin,
            open_time=time.time(),
            stop_loss=self._optional_price(body, "slPrice"),
            take_profit=self._optional_price(body, "tpPrice"),
        )
        account.positions[position.id] = position
        return position.id

    def _position_edit(self, body: Any, account: _Account) -> str:
        body = self._object(body)
        position = self._find_position(account, body, "id")
        position.stop_loss = self._optional_price(body, "slPrice")
        position.take_profit = self._optional_price(body, "tpPrice")
        return position.id

    @staticmethod
    def _find_position(account: _Account, body: dict[str, Any], key: str) -> _Position:
        position = account.positions.get(str(body.get(key, "")))
        if position is None:
            raise Rejected("POSITION_NOT_FOUND", "Position not found")
        if body.get("instrument") not in (None, position.symbol):
            raise Rejected("INVALID_SYMBOL", "Instrument does not match the position")
        return position

    def _close_plan(self, account: _Account, body: Any) -> tuple[_Position, Decimal]:
        """Validate one close request; return the position and the volume to close."""
        body = self._object(body)
        position = self._find_position(account, body, "positionId")
        if body.get("volume") in (None, ""):
            return position, position.volume
        volume = self._volume(body["volume"])
        if volume > position.volume:
            raise Rejected("INVALID_VOLUME", "Volume exceeds the position volume")
        return position, volume

    def _close(self, account: _Account, position: _Position, volume: Decimal) -> str:
        """Close ``volume`` of a position at the quote and book its share of the net P/L."""
        closing_id = self._new_id()
        share = volume / position.volume
        parts = {
            name: (getattr(position, name) * share).quantize(CENT)
            for name in ("profit", "swap", "commission", "margin")
        }
        realised = parts["profit"] + parts["swap"] + parts["commission"]
        account.balance += realised
        self._record_closed(account, position, volume, closing_id, parts["profit"], realised)
        if volume >= position.volume:
            del account.positions[position.id]
        else:
            for name, value in parts.items():
                setattr(position, name, getattr(position, name) - value)
            position.volume -= volume
        return closing_id

    @staticmethod
    def _record_closed(
        account: _Account,
        position: _Position,
        volume: Decimal,
        closing_id: str,
        profit: Decimal,
        net: Decimal,
    ) -> None:
        bid, ask = seed.MT_INSTRUMENTS[position.symbol][6:8]
        now = time.time()
        account.closed.append(
            {
                "id": position.id,
                "uid": position.id,
                "closingOrderID": closing_id,
                "symbol": position.symbol,
                "volume": volume.quantize(CENT),
                "side": position.side,
                "openTime": _iso(position.open_time),
                "time": _iso(now),
                "openPrice": position.open_price.quantize(_price_step(position.symbol)),
                "closePrice": bid if position.side == "BUY" else ask,
                "profit": profit,
                "netProfit": net,
                "_time": now,
            }
        )

    def _position_close(self, body: Any, account: _Account) -> str:
        position, volume = self._close_plan(account, body)
        return self._close(account, position, volume)

    def _positions_close(self, body: Any, account: _Account) -> str:
        items = body if isinstance(body, list) else [body]
        if not items:
            raise Rejected("INVALID_REQUEST", "Nothing to close")
        plans = [self._close_plan(account, item) for item in items]
        if len({position.id for position, _ in plans}) != len(plans):
            raise Rejected("INVALID_REQUEST", "A position is listed twice")
        return [self._close(account, position, volume) for position, volume in plans][-1]

    def _position_close_partially(self, body: Any, account: _Account) -> str:
        body = self._object(body)
        if body.get("volume") in (None, ""):
            raise Rejected("INVALID_VOLUME", "Volume is required")
        position, volume = self._close_plan(account, body)
        return self._close(account, position, volume)

    def _pending_fields(self, body: dict[str, Any]) -> tuple[str, str, str, Decimal]:
        symbol, side = self._symbol(body), self._side(body)
        order_type = str(body.get("type", "")).upper()
        if order_type not in ("LIMIT", "STOP"):
            raise Rejected("INVALID_ORDER_TYPE", "type must be LIMIT or STOP")
        return symbol, side, order_type, self._volume(body.get("volume"))

    @staticmethod
    def _pending_price(body: dict[str, Any], key: str, symbol: str) -> Decimal:
        price = to_decimal(body.get(key))
        if price is None or price <= 0:
            raise Rejected("INVALID_PRICE", f"{key} must be a positive price")
        return price.quantize(_price_step(symbol))

    def _pending_create(self, body: Any, account: _Account) -> str:
        body = self._object(body)
        symbol, side, order_type, volume = self._pending_fields(body)
        order = _Order(
            id=self._new_id(),
            symbol=symbol,
            side=side,
            type=order_type,
            volume=volume,
            price=self._pending_price(body, "price", symbol),
            stop_loss=self._optional_price(body, "slPrice"),
            take_profit=self._optional_price(body, "tpPrice"),
            creation_time=time.time(),
        )
        account.orders[order.id] = order
        return order.id

    def _find_order(self, account: _Account, body: dict[str, Any]) -> _Order:
        order = account.orders.get(str(body.get("id", "")))
        if order is None:
            raise Rejected("ORDER_NOT_FOUND", "Order not found")
        if body.get("instrument") not in (None, order.symbol):
            raise Rejected("INVALID_SYMBOL", "Instrument does not match the order")
        return order

    def _pending_edit(self, body: Any, account: _Account) -> str:
        body = self._object(body)
        order = self._find_order(account, body)
        key = "priceOrder" if body.get("priceOrder") is not None else "price"
        if body.get(key) is not None:
            order.price = self._pending_price(body, key, order.symbol)
        if body.get("volume") is not None:
            order.volume = self._volume(body["volume"])
        order.stop_loss = self._optional_price(body, "slPrice")
        order.take_profit = self._optional_price(body, "tpPrice")
        return order.id

    def _pending_cancel(self, body: Any, account: _Account) -> str:
        order = self._find_order(account, self._object(body))
        del account.orders[order.id]
        return order.id
