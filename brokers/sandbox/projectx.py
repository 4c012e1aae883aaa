"""ProjectX Gateway API emulator under ``/api/`` (TopstepX and the other futures prop firms).

Written from ``shared/reference/projectx-api.md`` §18 ("Minimal emulator contract"): every call
is a POST with a JSON body except ``GET /api/Status/ping``; domain failures are HTTP 200
``{"success": false, "errorCode": <per-endpoint code>, "errorMessage": null}`` (§1, §12); a
missing or expired Bearer token is 401 with an empty body; malformed bodies are 400
problem-details JSON; rate limits answer 429 with an empty body (§11).
"""

from __future__ import annotations

import hmac
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from . import projectx_seed as seed
from .projectx_book import Account, Book, Refused, q9
from .wire import (
    JSON_TYPE,
    RecordedRequest,
    Response,
    dumps,
    empty_response,
    json_response,
    jwt_claims,
    loads_exact,
    method_not_allowed,
    sign_jwt,
)

PREFIX = "/api/"

# ------------------------------------------------------------------ request schemas (§3-§10)
# field -> (type, required). A null optional field counts as absent (§6.3: accept both).
INT, NUM, BOOL, STR, TIME, INTS = "int", "number", "boolean", "string", "date-time", "int[]"
Schema = dict[str, tuple[Any, bool]]
ACCOUNT: Schema = {"accountId": (INT, True)}
WINDOW: Schema = {**ACCOUNT, "startTimestamp": (TIME, True), "endTimestamp": (TIME, False)}
BRACKET: Schema = {"ticks": (INT, True), "type": (INT, True)}
PRICES: Schema = {"limitPrice": (NUM, False), "stopPrice": (NUM, False), "trailPrice": (NUM, False)}
QUERY_FILTER: Schema = {
    **ACCOUNT,
    "statuses": (INTS, False),
    "contractId": (STR, False),
    "createdAfter": (TIME, False),
    "createdBefore": (TIME, False),
}
SCHEMAS: dict[str, Schema] = {
    "Auth/validate": {},
    "Auth/logout": {},
    "Account/search": {"onlyActiveAccounts": (BOOL, True)},
    "Contract/search": {"searchText": (STR, False), "live": (BOOL, True)},
    "Contract/searchById": {"contractId": (STR, True), "live": (BOOL, False)},
    "Contract/available": {"live": (BOOL, True)},
    "History/retrieveBars": {
        "contractId": (STR, True),
        "live": (BOOL, True),
        "startTime": (TIME, True),
        "endTime": (TIME, True),
        "unit": (INT, True),
        "unitNumber": (INT, True),
        "limit": (INT, True),
        "includePartialBar": (BOOL, False),
    },
    "Order/search": WINDOW,
    "Order/searchOpen": ACCOUNT,
    "Order/searchById": {**ACCOUNT, "orderId": (INT, True)},
    "Order/v2/query": {
        "filter": (QUERY_FILTER, True),
        "pageSize": (INT, False),
        "pageOffset": (INT, False),
        "sortBy": (INT, False),
        "sortDirection": (INT, False),
        "includeTotalCount": (BOOL, False),
    },
    "Order/place": {
        **ACCOUNT,
        "contractId": (STR, True),
        "type": (INT, True),
        "side": (INT, True),
        "size": (INT, True),
        **PRICES,
        "customTag": (STR, False),
        "linkedOrderId": (INT, False),
        "stopLossBracket": (BRACKET, False),
        "takeProfitBracket": (BRACKET, False),
    },
    "Order/modify": {**ACCOUNT, "orderId": (INT, True), "size": (INT, False), **PRICES},
    "Order/cancel": {**ACCOUNT, "orderId": (INT, True)},
    "Position/searchOpen": ACCOUNT,
    "Position/closeContract": {**ACCOUNT, "contractId": (STR, True)},
    "Position/partialCloseContract": {
        **ACCOUNT,
        "contractId": (STR, True),
        "size": (INT, True),
    },
    "Trade/search": WINDOW,
}
# the payload key each endpoint answers, null on failure (§1: "payload arrays are null")
PAYLOAD_KEYS = {
    "Account/search": "accounts",
    "Contract/search": "contracts",
    "Contract/available": "contracts",
    "History/retrieveBars": "bars",
    "Order/search": "orders",
    "Order/searchOpen": "orders",
    "Order/searchById": "order",
    "Order/v2/query": "orders",
    "Order/place": "orderId",
    "Position/searchOpen": "positions",
    "Trade/search": "trades",
}
BARS_ROUTE = "History/retrieveBars"
UNIT_SECONDS = {1: 1, 2: 60, 3: 3600, 4: 86400, 5: 7 * 86400, 6: 30 * 86400, 7: 1}  # §10
MAX_BARS = 20000
_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def parse_time(value: str) -> float | None:
    """ISO-8601 with ``Z`` or an offset and 0-7 fraction digits (§14) → epoch seconds."""
    match = _TIME.match(value.strip())
    if match is None:
        return None
    base, fraction, zone = match.groups()
    try:
        moment = datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        return None
    return moment.timestamp() + (float("0." + fraction) if fraction else 0.0)


class _BadRequest(Exception):
    """A 400 problem-details answer naming the offending field."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def _check(value: Any, kind: Any, name: str) -> None:
    if isinstance(kind, dict):
        _validate(value, kind, name + ".")
        return
    ok = {
        INT: isinstance(value, int) and not isinstance(value, bool),
        NUM: isinstance(value, (int, Decimal)) and not isinstance(value, bool),
        BOOL: isinstance(value, bool),
        STR: isinstance(value, str),
        TIME: isinstance(value, str) and parse_time(value) is not None,
        INTS: isinstance(value, list)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value),
    }[kind]
    if not ok:
        raise _BadRequest(name, f"The JSON value could not be converted to {kind}.")


def _validate(body: Any, schema: Schema, prefix: str = "") -> None:
    if not isinstance(body, dict):
        raise _BadRequest(prefix.rstrip(".") or "$", "A JSON object is required.")
    for name, (kind, required) in schema.items():
        value = body.get(name)
        if value is None:
            if required:
                raise _BadRequest(prefix + name, f"The {name} field is required.")
            continue
        _check(value, kind, prefix + name)


class ProjectXState:
    """ProjectX users, tokens, rate-limit windows and the account book, plus switches.

    Settings (plain attributes; :meth:`reset` restores the defaults) are documented in the
    :mod:`brokers.sandbox` docstring ("ProjectX routes and settings").
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._routes: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
            "Account/search": self._account_search,
            "Contract/search": self._contract_search,
            "Contract/searchById": self._contract_by_id,
            "Contract/available": self._contract_available,
            "History/retrieveBars": self._bars,
            "Order/search": self._order_search,
            "Order/searchOpen": self._order_search_open,
            "Order/searchById": self._order_by_id,
            "Order/v2/query": self._order_query,
            "Order/place": self._place,
            "Order/modify": self._modify,
            "Order/cancel": self._cancel,
            "Position/searchOpen": self._position_search,
            "Position/closeContract": self._close,
            "Position/partialCloseContract": self._partial_close,
            "Trade/search": self._trade_search,
        }
        self.reset()

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Restore seed data, drop every token and rate-limit window, restore every default."""
        with self.lock:
            self.token_lifetime: float = 86400.0
            self.login_code: int | None = None
            self.login_failure_status: int = 200
            self.validate_field: str = "newToken"
            self.validate_same_token: bool = False
            self.validate_expired: bool = False
            self.validate_failure_status: int = 200
            self.error_messages: bool = False
            self.rate_limit: tuple[int, float] = (200, 60.0)
            self.bars_rate_limit: tuple[int, float] = (50, 30.0)
            self.retry_after: int | None = None
            self.live_data: bool = False
            self.contract_by_id: str = "contract"
            self.bar_extras: bool = False
            self.timestamp_style: str = "offset"
            self.negative_short_size: bool = False
            self.ping_quoted: bool = False
            self.duplicate_tag: str = "reject"
            self.position_brackets: set[int] = set()
            self.cancel_refused: set[int] = set()
            self.reject_codes: dict[str, int] = {}
            self.outcome_codes: dict[str, int] = {}
            self._secret = uuid.uuid4().bytes + uuid.uuid4().bytes
            self._sessions: dict[str, tuple[str, float]] = {}  # jti -> (user, expires)
            self._windows: dict[tuple[str, str], deque[float]] = {}
            self.book = Book()

    def expire_sessions(self) -> None:
        """Every issued token is unknown from now on (401; ``validate`` → code 2)."""
        with self.lock:
            self._sessions.clear()

    def set_price(self, contract_id: str, price: Decimal | str) -> None:
        """Move a contract's market price (market orders and closes fill there)."""
        with self.lock:
            self.book.prices[contract_id] = Decimal(price)

    @property
    def accounts(self) -> dict[int, Account]:
        """The book's accounts by id (balances are settable for tests)."""
        return self.book.accounts

    # ------------------------------------------------------------------ dispatch

    def handle(self, req: RecordedRequest) -> Response:
        """Answer one request under ``/api/``."""
        with self.lock:
            name = req.path[len(PREFIX) :].strip("/")
            if name == "Status/ping":
                if req.method != "GET":
                    return method_not_allowed(["GET"])
                return self._ping()
            if name not in SCHEMAS and name != "Auth/loginKey":
                return empty_response(404)
            if req.method != "POST":
                return method_not_allowed(["POST"])
            if name == "Auth/loginKey":
                return self._login(req)
            if name == "Auth/validate":
                return self._validate(req)
            claims = self._session(req)
            if claims is None:
                return empty_response(401)  # §18.4: empty body
            user, jti = claims
            limited = self._rate_limited(jti, "bars" if name == BARS_ROUTE else "general")
            if limited is not None:
                return limited
            if name == "Auth/logout":
                self._sessions.pop(jti, None)
                return self._envelope({})
            try:
                body = loads_exact(req.body)
                _validate(body, SCHEMAS[name])
            except ValueError:
                return self._problem("$", "The JSON value could not be parsed.")
            except _BadRequest as bad:
                return self._problem(bad.name, bad.message)
            return self._run(name, user, body)

    def _run(self, name: str, user: str, body: dict[str, Any]) -> Response:
        """Run a route: ``reject_codes`` refuse before, ``outcome_codes`` answer after acting."""
        key = PAYLOAD_KEYS.get(name)
        try:
            if name in self.reject_codes:
                raise Refused(self.reject_codes[name], "Refused by the sandbox setting")
            payload = self._routes[name](user, body)
        except Refused as refused:
            failed = {key: None} if key else {}
            return self._envelope({**failed, **refused.extra}, refused)
        if name in self.outcome_codes:  # §12.3: pending / unknown error after acting
            failed = {key: None} if key else {}
            return self._envelope(failed, Refused(self.outcome_codes[name], "Pending"))
        return self._envelope(payload)

    def _envelope(self, payload: dict[str, Any], refused: Refused | None = None) -> Response:
        """§1: the payload beside ``success``, ``errorCode`` and ``errorMessage`` (often null)."""
        if refused is None:
            return json_response(
                200, {**payload, "success": True, "errorCode": 0, "errorMessage": None}
            )
        message = refused.message if self.error_messages else None
        return json_response(
            200,
            {**payload, "success": False, "errorCode": refused.code, "errorMessage": message},
        )

    @staticmethod
    def _problem(name: str, message: str) -> Response:
        """§12.1: ASP.NET problem details for a malformed body."""
        problem = {
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "errors": {name: [message]},
            "traceId": "00-" + uuid.uuid4().hex + "-" + uuid.uuid4().hex[:16] + "-00",
        }
        content_type = ("Content-Type", "application/problem+json; charset=utf-8")
        return Response(400, dumps(problem).encode(), [content_type])

    def _stamp(self, epoch: float) -> str:
        """§14: ``+00:00`` with microseconds, or (``"zulu"``) .NET's 7 digits and ``Z``."""
        moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
        if self.timestamp_style == "zulu":
            return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
        return moment.isoformat(timespec="microseconds")

    def _ping(self) -> Response:
        """§14: ``pong``, or ``"pong"`` as JSON with ``ping_quoted``."""
        if self.ping_quoted:
            return Response(200, b'"pong"', [("Content-Type", JSON_TYPE)])
        return Response(200, b"pong", [("Content-Type", "text/plain; charset=utf-8")])

    # ------------------------------------------------------------------ tokens (§3)

    def _issue(self, user: str) -> str:
        """An HS256 JWT with ``exp`` (§18.2), remembered as a live session."""
        now = time.time()
        jti = uuid.uuid4().hex
        claims = {"sub": user, "jti": jti, "iat": int(now), "exp": int(now + self.token_lifetime)}
        self._sessions[jti] = (user, now + self.token_lifetime)
        return sign_jwt(self._secret, claims)

    def _claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this sandbox signed (expired or not), else None."""
        return jwt_claims(self._secret, token)

    @staticmethod
    def _bearer(req: RecordedRequest) -> str:
        scheme, _, token = (req.header("authorization") or "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""

    def _session(self, req: RecordedRequest) -> tuple[str, str] | None:
        """(user, jti) of a live token, else None."""
        claims = self._claims(self._bearer(req))
        session = self._sessions.get(str(claims.get("jti"))) if claims else None
        if claims is None or session is None or time.time() >= session[1]:
            return None
        return session[0], str(claims["jti"])

    def _login(self, req: RecordedRequest) -> Response:
        """§3.1 / §18.2: wrong credentials are HTTP 200 ``success:false`` code 3."""
        try:
            body = loads_exact(req.body)
            _validate(body, {"userName": (STR, True), "apiKey": (STR, True)})
        except ValueError:
            return self._problem("$", "The JSON value could not be parsed.")
        except _BadRequest as bad:
            return self._problem(bad.name, bad.message)
        user = body["userName"].strip().lower()
        valid = user in seed.PX_USERS and hmac.compare_digest(
            body["apiKey"].encode(), seed.PX_API_KEY.encode()
        )
        code = self.login_code if valid else 3
        if code is None:
            return self._envelope({"token": self._issue(user)})
        if self.login_failure_status != 200:
            return empty_response(self.login_failure_status)
        return self._envelope({"token": None}, Refused(code, "InvalidCredentials"))

    def _validate(self, req: RecordedRequest) -> Response:
        """§3.2: a new token under ``newToken`` (or ``token``); 1 invalid, 2 unknown, 3 expired."""
        token = self._bearer(req)
        claims = self._claims(token)
        jti = str(claims.get("jti")) if claims else ""
        session = self._sessions.get(jti)
        code = 1 if claims is None else 2 if session is None else None
        if session is not None and time.time() >= session[1] and not self.validate_expired:
            code = 3
        if code is not None or session is None:
            if self.validate_failure_status != 200:
                return empty_response(self.validate_failure_status)
            return self._envelope({self.validate_field: None}, Refused(code or 1, "Invalid"))
        limited = self._rate_limited(jti, "general")
        if limited is not None:
            return limited
        if self.validate_same_token:  # the same token, its session renewed
            self._sessions[jti] = (session[0], time.time() + self.token_lifetime)
            return self._envelope({self.validate_field: token})
        return self._envelope({self.validate_field: self._issue(session[0])})

    # ------------------------------------------------------------------ rate limits (§11)

    def _rate_limited(self, jti: str, bucket: str) -> Response | None:
        """429 with an empty body once a token used up its window (bars apart, §11)."""
        limit, window = self.bars_rate_limit if bucket == "bars" else self.rate_limit
        now = time.monotonic()
        stamps = self._windows.setdefault((jti, bucket), deque())
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) >= limit:
            wait = int(stamps[0] + window - now) + 1
            headers = (
                [] if self.retry_after is None else [("Retry-After", str(self.retry_after or wait))]
            )
            return empty_response(429, headers)
        stamps.append(now)
        return None

    # ------------------------------------------------------------------ reads

    def _account(self, user: str, body: dict[str, Any], code: int = 1) -> Account:
        return self.book.account(user, body["accountId"], code)

    def _account_search(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """§4: balance only; ``simulated`` omitted where the seed has None."""
        accounts = []
        for account in self.book.accounts.values():
            if account.user != user or (body["onlyActiveAccounts"] and not account.active):
                continue
            item: dict[str, Any] = {
                "id": account.id,
                "name": account.name,
                "balance": q9(account.balance),
                "canTrade": account.can_trade,
                "isVisible": True,
            }
            if account.simulated is not None:
                item["simulated"] = account.simulated
            accounts.append(item)
        return {"accounts": accounts}

    @staticmethod
    def _contract_json(contract_id: str) -> dict[str, Any]:
        name, description, symbol_id, tick, tick_value, active, _price = seed.PX_CONTRACTS[
            contract_id
        ]
        return {
            "id": contract_id,
            "name": name,
            "description": description,
            "tickSize": q9(tick),
            "tickValue": q9(tick_value),
            "activeContract": active,
            "symbolId": symbol_id,
        }

    def _contract_search(self, _user: str, body: dict[str, Any]) -> dict[str, Any]:
        """§9: fuzzy (substring of id, name or description), at most 20; ``live: true``
        without a live data subscription answers an empty list, not an error."""
        if body["live"] and not self.live_data:
            return {"contracts": []}
        text = (body.get("searchText") or "").upper()
        found = [
            self._contract_json(cid)
            for cid, c in seed.PX_CONTRACTS.items()
            if text in f"{cid} {c[0]} {c[1]}".upper()
        ]
        return {"contracts": found[:20]}

    def _contract_by_id(self, _user: str, body: dict[str, Any]) -> dict[str, Any]:
        """§9: ``contract`` object or (switch) ``contracts`` array of one; code 1 not found."""
        if body["contractId"] not in seed.PX_CONTRACTS:
            raise Refused(1, "ContractNotFound")
        contract = self._contract_json(body["contractId"])
        if self.contract_by_id == "contracts":
            return {"contracts": [contract]}
        return {"contract": contract}

    def _contract_available(self, _user: str, body: dict[str, Any]) -> dict[str, Any]:
        if body["live"] and not self.live_data:
            return {"contracts": []}
        return {
            "contracts": [self._contract_json(cid) for cid, c in seed.PX_CONTRACTS.items() if c[5]]
        }

    def _bars(self, _user: str, body: dict[str, Any]) -> dict[str, Any]:
        """§10: synthetic bars on the tick grid, newest first; codes 1-4."""
        contract_id = body["contractId"]
        if contract_id not in seed.PX_CONTRACTS or (body["live"] and not self.live_data):
            raise Refused(1, "ContractNotFound")
        if body["unit"] not in UNIT_SECONDS:
            raise Refused(2, "UnitInvalid")
        if body["unitNumber"] < 1:
            raise Refused(3, "UnitNumberInvalid")
        if not 1 <= body["limit"] <= MAX_BARS:
            raise Refused(4, "LimitInvalid")
        step = UNIT_SECONDS[body["unit"]] * body["unitNumber"]
        start, end = parse_time(body["startTime"]), parse_time(body["endTime"])
        assert start is not None and end is not None  # validated by the schema
        now = time.time()
        tick = seed.PX_CONTRACTS[contract_id][3]
        base = self.book.prices[contract_id]
        bars = []
        t = int(min(end, now) // step * step)
        if t + step > now and not body.get("includePartialBar"):
            t -= step  # the bar still forming is left out
        while t >= start and len(bars) < body["limit"]:
            n = t // step
            # the forming bar closes at the market price: its last trade
            close = base if t + step > now else base + ((n % 7) - 3) * tick
            open_ = close - ((n % 3) - 1) * tick
            bar = {
                "t": self._stamp(t),
                "o": q9(open_),
                "h": q9(max(open_, close) + tick),
                "l": q9(min(open_, close) - tick),
                "c": q9(close),
                "v": 10 + n % 50,
            }
            if self.bar_extras:
                bar.update({"d": None, "k": None})
            bars.append(bar)
            t -= step
        return {"bars": bars}

    def _order_search(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """§6.2: orders created in the window, oldest first."""
        account = self._account(user, body)
        start = parse_time(body["startTimestamp"]) or 0.0
        end = parse_time(body["endTimestamp"]) if body.get("endTimestamp") else None
        orders = [
            self.book.order_json(o, self._stamp)
            for o in self.book.account_orders(account)
            if o.created >= start and (end is None or o.created <= end)
        ]
        return {"orders": orders}

    def _order_search_open(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """§6.2: working orders, without Suspended bracket legs."""
        account = self._account(user, body)
        orders = [
            self.book.order_json(o, self._stamp)
            for o in self.book.account_orders(account)
            if o.status in (1, 6, 7)
        ]
        return {"orders": orders}

    def _order_by_id(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """§6.2: code 1 OrderNotFound (also for an account the user does not own)."""
        account = self._account(user, body)
        return {
            "order": self.book.order_json(self.book.order(account, body["orderId"], 1), self._stamp)
        }

    def _order_query(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """§6.2 ``v2/query``: filters, paging, newest first unless ``sortDirection`` 0."""
        query = body["filter"]
        account = self._account(user, query)
        statuses = query.get("statuses")
        after = parse_time(query["createdAfter"]) if query.get("createdAfter") else None
        before = parse_time(query["createdBefore"]) if query.get("createdBefore") else None
        rows = [
            o
            for o in self.book.account_orders(account)
            if (statuses is None or o.status in statuses)
            and query.get("contractId") in (None, o.contract_id)
            and (after is None or o.created >= after)
            and (before is None or o.created <= before)
        ]
        rows.sort(key=lambda o: (o.created, o.id), reverse=body.get("sortDirection") != 0)
        offset, size = body.get("pageOffset") or 0, body.get("pageSize") or 100
        page = [self.book.order_json(o, self._stamp) for o in rows[offset : offset + size]]
        answer: dict[str, Any] = {"orders": page}
        if body.get("includeTotalCount"):
            answer["totalCount"] = len(rows)
        return answer

    def _position_search(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        account = self._account(user, body)
        positions = [
            self.book.position_json(p, self._stamp, self.negative_short_size)
            for p in self.book.account_positions(account)
        ]
        return {"positions": positions}

    def _trade_search(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """§8: fills in the window; voided ones included (flagged)."""
        account = self._account(user, body)
        start = parse_time(body["startTimestamp"]) or 0.0
        end = parse_time(body["endTimestamp"]) if body.get("endTimestamp") else None
        trades = [
            self.book.trade_json(t, self._stamp)
            for t in self.book.trades
            if t.account_id == account.id
            and t.created >= start
            and (end is None or t.created <= end)
        ]
        return {"trades": trades}

    # ------------------------------------------------------------------ writes

    def _place(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        account = self._account(user, body)
        order = self.book.place(
            account,
            body,
            unique_tags=self.duplicate_tag == "reject",
            position_brackets=account.id in self.position_brackets,
        )
        return {"orderId": order.id}

    def _modify(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        account = self._account(user, body)
        if account.id in self.cancel_refused:
            raise Refused(6, "AccountRejected")
        self.book.modify(account, body)
        return {}

    def _cancel(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """§6.5: live / copy-follower accounts (``cancel_refused``) answer code 6."""
        account = self._account(user, body)
        if account.id in self.cancel_refused:
            raise Refused(6, "AccountRejected")
        self.book.cancel(account, body["orderId"])
        return {}

    def _close(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        self.book.close(self._account(user, body), body["contractId"], None)
        return {}

    def _partial_close(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        self.book.close(self._account(user, body), body["contractId"], body["size"])
        return {}
