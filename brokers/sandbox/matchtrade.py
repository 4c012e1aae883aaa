"""Match-Trader Platform API emulator: ``/manager/...`` login and ``/mtr-api/{systemUuid}/...``.

Every answer follows ``shared/reference/matchtrader-api.md`` ("Emulator checklist"): money, prices
and volumes as JSON strings, business rejections as HTTP 200 ``status: "REJECTED"``. The login
routes live in :mod:`.matchtrade_login`, quotations and candles in :mod:`.matchtrade_market`, the
closed-position history in :mod:`.matchtrade_history`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import matchtrade_history as history
from . import matchtrade_market as market
from . import seed
from .matchtrade_login import T0 as _T0
from .matchtrade_login import LoginRoutes
from .matchtrade_login import error as _error
from .matchtrade_login import iso_z as _iso
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


class Rejected(Exception):
    """A business rejection: answered as HTTP 200 ``{"status": "REJECTED", ...}``."""

    def __init__(self, native_code: str, message: str) -> None:
        super().__init__(message)
        self.native_code = native_code
        self.message = message


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


def _price_step(symbol: str) -> Decimal:
    return Decimal(1).scaleb(-seed.MT_INSTRUMENTS[symbol][4])


Handler = Callable[..., Response]


class MatchTraderState(LoginRoutes):
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
            ("GET", "candles"): self._candles,
            ("POST", "closed-positions"): self._closed_positions,
            ("POST", "position/open"): self._mutation(self._position_open),
            ("POST", "position/edit"): self._mutation(self._position_edit),
            ("POST", "position/close"): self._mutation(self._position_close),
            ("POST", "positions/close"): self._mutation(self._positions_close),
            ("POST", "position/close-partially"): self._mutation(self._position_close_partially),
            ("POST", "pending-order/create"): self._mutation(self._pending_create),
            ("POST", "pending-order/edit"): self._mutation(self._pending_edit, edit=True),
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
            self.quotations_shape: str = "array"
            self.quote_timestamps: str = "both"
            self.candles_order: str = "asc"
            self.candles_as_strings: bool = False
            self.candle_intervals: tuple[str, ...] = tuple(market.INTERVALS)
            self.closed_page_size: int | None = None
            self.closed_max_span: float | None = None
            self.closed_order: str = "asc"
            self.closed_time_format: str = "Z"
            self.edit_strict: bool = False
            self.pending_edit_answer: str = "operation"
            self._secret = uuid.uuid4().bytes + uuid.uuid4().bytes
            self._sessions = {}
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
        account.closed = history.seed_operations(account_id, time.time())
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
        # parse_qs has already decoded a %2C-joined list (S2) into plain commas (S3).
        wanted = [s.strip() for s in req.query.get("symbols", "").split(",") if s.strip()]
        answer = market.quotations(
            wanted, time.time(), shape=self.quotations_shape, timestamps=self.quote_timestamps
        )
        return json_response(200, self._money(answer))

    def _candles(self, req: RecordedRequest, _account: _Account) -> Response:
        try:
            answer = market.candles(
                req.query,
                time.time(),
                order=self.candles_order,
                as_strings=self.candles_as_strings,
                intervals=self.candle_intervals,
            )
        except market.BadRequest as exc:
            return _error(400, str(exc))
        return json_response(200, answer)  # candle values are JSON numbers (sheet §8.6)

    def _closed_positions(self, req: RecordedRequest, account: _Account) -> Response:
        try:
            body = loads_exact(req.body) if req.body.strip() else {}
        except ValueError:
            return _error(400, "Malformed JSON body")
        try:
            answer = history.closed_positions(
                account.closed,
                body,
                page_size=self.closed_page_size,
                max_span=self.closed_max_span,
                order=self.closed_order,
                time_format=self.closed_time_format,
            )
        except market.BadRequest as exc:
            return _error(400, str(exc))
        return json_response(200, self._money(answer))

    # ------------------------------------------------------------------ mutations

    def _mutation(
        self, action: Callable[[Any, _Account], str], cancel: bool = False, edit: bool = False
    ) -> Handler:
        """Wrap a mutation: JSON body in, operation object out; Rejected → 200 REJECTED.

        ``cancel`` marks pending-order cancel, which answers 204 when ``cancel_empty`` is set;
        ``edit`` marks pending-order edit, whose success answer follows ``pending_edit_answer``
        (sheet §4.2 and §7: the operation object, 200 with an empty body, or 204).
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
            if edit and self.pending_edit_answer in ("empty", "204"):
                return empty_response(200 if self.pending_edit_answer == "empty" else 204)
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
        """Sheet §4.2 "Edit" and §8.12: both levels come from the body, ``0`` (or absent) clears
        one; a level on the wrong side of the price the position closes at is REJECTED."""
        body = self._object(body)
        position = self._find_position(account, body, "id")
        self._check_echo(body, position.side, position.volume)
        stop_loss = self._optional_price(body, "slPrice")
        take_profit = self._optional_price(body, "tpPrice")
        bid, ask = seed.MT_INSTRUMENTS[position.symbol][6:8]
        self._check_levels(
            position.side, bid if position.side == "BUY" else ask, stop_loss, take_profit
        )
        position.stop_loss, position.take_profit = stop_loss, take_profit
        return position.id

    def _check_echo(self, body: dict[str, Any], side: str, volume: Decimal) -> None:
        """With ``edit_strict``, an edit whose ``orderSide`` or ``volume`` differ from the
        position's or order's own is REJECTED (sheet §4.2: "ignore or reject" is undocumented;
        the default ignores them)."""
        if not self.edit_strict:
            return
        if str(body.get("orderSide", "")).upper() != side:
            raise Rejected("INVALID_SIDE", "orderSide does not match")
        if to_decimal(body.get("volume")) != volume:
            raise Rejected("INVALID_VOLUME", "volume does not match")

    @staticmethod
    def _check_levels(side: str, price: Decimal, stop_loss: Decimal, take_profit: Decimal) -> None:
        """A stop loss must lie on the losing side of ``price`` and a take profit on the winning
        side (0 = none). The rule is the platform's business; its wording here is a guess."""
        below, above = (stop_loss, take_profit) if side == "BUY" else (take_profit, stop_loss)
        if below and below >= price:
            name = "Stop loss" if side == "BUY" else "Take profit"
            raise Rejected("INVALID_STOPS", f"{name} must be below {price}")
        if above and above <= price:
            name = "Take profit" if side == "BUY" else "Stop loss"
            raise Rejected("INVALID_STOPS", f"{name} must be above {price}")

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
        """Book one closing operation in the history (sheet §4.1: one entry per operation)."""
        bid, ask = seed.MT_INSTRUMENTS[position.symbol][6:8]
        partial = volume < position.volume
        account.closed.append(
            history.operation(
                position_id=position.id,
                uid=f"{position.id}_{closing_id}",  # its own uid, also for a partial close
                closing_id=closing_id,
                symbol=position.symbol,
                side=position.side,
                volume=volume,
                open_time=position.open_time,
                close_time=time.time(),
                open_price=position.open_price.quantize(_price_step(position.symbol)),
                close_price=bid if position.side == "BUY" else ask,
                gross=profit,
                costs=net - profit,
                reason="CLOSE_REASON_PARTIAL" if partial else "",
            )
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
        """Sheet §4.2 "Pending edit" and §8.12: the create body plus ``id``, the price named
        ``priceOrder`` (required; ``price`` is the create spelling and not read here), SL/TP
        ``0`` = none; a level on the wrong side of the order price is REJECTED."""
        body = self._object(body)
        order = self._find_order(account, body)
        self._check_echo(body, order.side, order.volume)
        if self.edit_strict and str(body.get("type", "")).upper() != order.type:
            raise Rejected("INVALID_ORDER_TYPE", "type does not match")
        price = self._pending_price(body, "priceOrder", order.symbol)
        volume = order.volume if body.get("volume") is None else self._volume(body["volume"])
        stop_loss = self._optional_price(body, "slPrice")
        take_profit = self._optional_price(body, "tpPrice")
        self._check_levels(order.side, price, stop_loss, take_profit)
        order.price, order.volume = price, volume
        order.stop_loss, order.take_profit = stop_loss, take_profit
        return order.id

    def _pending_cancel(self, body: Any, account: _Account) -> str:
        order = self._find_order(account, self._object(body))
        del account.orders[order.id]
        return order.id
