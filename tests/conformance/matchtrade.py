"""The Match-Trader (Platform API) requests the library may send, and documented answers to parse.

Written from the public documentation, never from the client: the Match-Trade Platform API
PDF (``PDF``, "P1") and its current reference on theneo (``THENEO``, "P2"), with the reference
sheet ``shared/reference/matchtrader-api.md`` for the shapes those pages leave to public
clients (its confidence marks apply). Schema language: see ``checker.py``.
"""

from __future__ import annotations

PLATFORM = "Match-Trader"
PREFIXES = ("/manager", "/mtr-api")
PDF = "https://docs.match-trade.com/wp-content/uploads/2024/04/MTR-Match-TraderPlatformAPI.pdf"
THENEO = "https://app.theneo.io/match-trade/platform-api"
SHEET = "shared/reference/matchtrader-api.md"

PLACEHOLDERS = {"system": r"[^/]+"}
COMMON: dict = {}
# Trading calls send both the account's trading API token and the session cookie
# (sheet §2.5, C2+; PDF login section).
TRADING = {"Auth-trading-api": r"\S", "Cookie": r"(^|;\s*)co-auth=[^;\s]+"}
NOT_ON_LOGIN = {"Auth-trading-api": f"the trading token is not sent on login ({SHEET} §2.5)"}

SIDE = ("BUY", "SELL")
PENDING_TYPES = ("LIMIT", "STOP")  # STOP_LIMIT unverified (sheet §4.2)
MOBILE = {"isMobile": "boolean"}

LOGIN = {
    "name": "login",
    "required": {"email": "string", "password": "string", "brokerId": "string"},
}
OPEN_POSITION = {  # PDF "Open position"; sheet §4.2 - 0 = no SL/TP
    "name": "open position",
    "required": {"instrument": "string", "orderSide": SIDE, "volume": "number"},
    "optional": {"slPrice": "number", "tpPrice": "number", **MOBILE},
}
EDIT_POSITION = {  # sheet §4.2: filled from the open position; both levels in every edit
    "name": "edit position (SL/TP)",
    "required": {
        "id": "string",
        "instrument": "string",
        "orderSide": SIDE,
        "volume": "number",
        "slPrice": "number",
        "tpPrice": "number",
    },
    "optional": MOBILE,
}
CLOSE_POSITION = {  # sheet §4.2: volume is a *string* here, orderSide the position's own side
    "name": "close position",
    "required": {
        "positionId": "string",
        "instrument": "string",
        "orderSide": SIDE,
        "volume": "string",
    },
    "optional": MOBILE,
}
CLOSE_PARTIALLY = {  # sheet §4.2: volume numeric here
    "name": "close position partially",
    "required": {
        "positionId": "string",
        "instrument": "string",
        "orderSide": SIDE,
        "volume": "number",
    },
    "optional": MOBILE,
}
PENDING_CREATE = {  # sheet §4.2: `price` to create
    "name": "create pending order",
    "required": {
        "instrument": "string",
        "orderSide": SIDE,
        "volume": "number",
        "type": PENDING_TYPES,
        "price": "number",
    },
    "optional": {"slPrice": "number", "tpPrice": "number", **MOBILE},
}
PENDING_EDIT = {  # sheet §4.2: create + id, the price named `priceOrder` (S1, C1)
    "name": "edit pending order",
    "required": {
        "id": "string",
        "instrument": "string",
        "orderSide": SIDE,
        "volume": "number",
        "type": PENDING_TYPES,
        "priceOrder": "number",
    },
    "optional": {"slPrice": "number", "tpPrice": "number", **MOBILE},
    "forbidden": {"price": "the edit names the price priceOrder (price is the create's name)"},
}
PENDING_CANCEL = {
    "name": "cancel pending order",
    "required": {"instrument": "string", "id": "string", "orderSide": SIDE, "type": PENDING_TYPES},
    "optional": MOBILE,
}
CLOSED_POSITIONS = {  # a JSON body, not a query string (sheet §4.1)
    "name": "closed positions",
    "required": {"from": "datetime", "to": "datetime"},
    "optional": {"symbols": {"array_of": "string"}},
}


def request(method: str, path: str, doc: str, headers: dict = TRADING, **spec: object) -> dict:
    """One documented request (see ``dxtrade.request``); trading headers by default."""
    return {"method": method, "path": path, "doc": doc, "headers": headers, **spec}


def manager(method: str, path: str, doc: str, **spec: object) -> dict:
    """A ``/manager`` call: no trading token."""
    return request(method, path, doc, headers={}, forbidden_headers=NOT_ON_LOGIN, **spec)


_T = "/mtr-api/{system}/"
_OPS = f"{PDF} (contents); {SHEET} §4"
_ISO = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
_CANDLES = {  # all four sent by every client; MN1, not MN (sheet §4.1 correction)
    "symbol": r".+",
    "interval": "M1|M5|M15|M30|H1|H4|D1|W1|MN1",
    "from": _ISO,
    "to": _ISO,
}
REQUESTS = [
    manager("GET", "/manager/platform-details", f"{THENEO} (Get Platform Details); {SHEET} §2.2"),
    manager("POST", "/manager/co-login", f"{PDF} (login); {SHEET} §2.1", body=LOGIN),
    manager("POST", "/manager/mtr-login", f"{THENEO} (Login); {SHEET} §2.1", body=LOGIN),
    # No body (or {}), with the login cookies: rt (sheet §2.6; PDF contents "refresh token").
    request(
        "POST",
        "/manager/refresh-token",
        f"{PDF} (contents); {SHEET} §2.6",
        headers={"Cookie": r"(^|;\s*)rt=[^;\s]+"},
        forbidden_headers=NOT_ON_LOGIN,
        body="empty",
    ),
    request("GET", _T + "balance", f"{PDF} (balance); {SHEET} §3"),
    request("GET", _T + "open-positions", _OPS),
    request("GET", _T + "active-orders", _OPS),
    request("GET", _T + "effective-instruments", f"{SHEET} §4.1"),
    request(
        "GET",
        _T + "quotations",
        f"{PDF} (market watch); {SHEET} §4.1",
        query={"required": {"symbols": r"[^,]+(,[^,]+)*"}},
    ),
    request("GET", _T + "candles", f"{SHEET} §4.1", query={"required": _CANDLES}),
    request(
        "POST",
        _T + "closed-positions",
        f"{THENEO}/position/get-closed-positions",
        body=CLOSED_POSITIONS,
    ),
    request("POST", _T + "position/open", _OPS, body=OPEN_POSITION),
    request("POST", _T + "position/edit", _OPS, body=EDIT_POSITION),
    request(
        "POST",
        _T + "position/close",
        f"{THENEO} (Close Position); {SHEET} §4.2",
        body=CLOSE_POSITION,
    ),
    # The older PDF form: a JSON array of the same objects.
    request(
        "POST",
        _T + "positions/close",
        f"{PDF} (close positions); {SHEET} §4.2",
        body={"array_of": CLOSE_POSITION},
    ),
    request("POST", _T + "position/close-partially", f"{SHEET} §4.2", body=CLOSE_PARTIALLY),
    request("POST", _T + "pending-order/create", _OPS, body=PENDING_CREATE),
    request("POST", _T + "pending-order/edit", _OPS, body=PENDING_EDIT),
    request("POST", _T + "pending-order/cancel", _OPS, body=PENDING_CANCEL),
]


# --------------------------------------------------------------------------- answers
# Documented examples, verbatim from the sheet, with the parser of brokers.matchtrade each
# must go through and what must come out (planned parsers: skipped until they land).

RESPONSES = [
    {
        "name": "co-login",
        "doc": f"{PDF} (login); {SHEET} §2.3",
        "example": """{
  "email": "trader@example.com",
  "token": "<JWT, same value as the co-auth cookie>",
  "accounts": [{
    "tradingAccountId": "123456",
    "uuid": "<account-uuid>",
    "tradingApiToken": "<per-account token>",
    "branchUuid": "<branch-uuid>",
    "created": "2020-08-19T07:54:11.936Z",
    "offer": {
      "uuid": "<offer-uuid>", "partnerId": "2", "name": "Challenge 100k",
      "currency": "USD", "initialDeposit": 0, "demo": true, "hidden": false, "leverage": 100,
      "branch": {"uuid": "<branch-uuid>"},
      "system": {"uuid": "<systemUuid>", "name": "MTR demo", "demo": true, "active": true,
                 "systemType": "...", "tradingApiDomain": "http://ta-xxx-mtr:8080"},
      "moneyManager": null}}]
}""",
        "parser": "parse_login",
        "args": (),
        # (token, accounts, selected id)
        "expect": {
            "0": "<JWT, same value as the co-auth cookie>",
            "1.len": 1,
            "1.0.account.id": "123456",
            "1.0.system": "<systemUuid>",
        },
    },
    {
        "name": "balance",
        "doc": f"{PDF} (balance); {SHEET} §3",
        "example": """{"balance": "10000.00", "equity": "10000.00", "freeMargin": "10000.00",
 "marginLevel": "0", "credit": "0.00", "currency": "USD", "margin": "0.00", "profit": "0",
 "netProfit": "0", "currencyPrecision": 2}""",
        "parser": "parse_balance",
        "args": ("123456",),
        "expect": {
            "account": "123456",
            "currency": "USD",
            "balance": "10000.00",
            "equity": "10000.00",
            "available": "10000.00",
            "margin": "0.00",
            "profit": "0",
            "credit": "0.00",
        },
    },
    {
        "name": "open positions",
        "doc": f"{PDF} (positions); {SHEET} §4.1",
        "example": """{"positions": [{"id": "W1234567890123456", "symbol": "EURUSD",
  "alias": "EURUSD", "volume": "0.10", "side": "BUY", "openTime": "2026-09-07T10:00:00Z",
  "openTimeMillis": 1788775200000, "openPrice": "1.10000", "stopLoss": "1.09500",
  "takeProfit": "1.11000", "trailingDistance": 0, "swap": "0.00", "commission": "-0.70",
  "profit": "12.30", "netProfit": "11.60", "currentPrice": "1.10123",
  "positions": [{"id": "...", "volume": "0.05", "oldPartialVolume": null}]}]}""",
        "parser": "parse_positions",
        "args": ("123456",),
        "expect": {
            "len": 1,
            "0.id": "W1234567890123456",
            "0.symbol": "EURUSD",
            "0.side": "BUY",
            "0.quantity": "0.10",
            "0.open_price": "1.10000",
            "0.stop_loss": "1.09500",
            "0.take_profit": "1.11000",
            "0.open_time": "2026-09-07T10:00:00+00:00",
        },
    },
    {
        "name": "active orders",
        "doc": f"{PDF} (orders); {SHEET} §4.1",
        "example": """{"orders": [{"id": "W...", "symbol": "XAUUSD", "alias": "XAUUSD",
  "type": "LIMIT", "side": "BUY", "volume": "1.00", "activationPrice": "4340.00",
  "creationTime": "2026-09-18T10:00:00Z", "stopLoss": "4330.00", "takeProfit": "4350.00",
  "comment": ""}]}""",
        "parser": "parse_orders",
        "args": ("123456",),
        "expect": {
            "len": 1,
            "0.id": "W...",
            "0.symbol": "XAUUSD",
            "0.side": "BUY",
            "0.type": "LIMIT",
            "0.quantity": "1.00",
            "0.price": "4340.00",
            "0.stop_loss": "4330.00",
            "0.take_profit": "4350.00",
        },
    },
    {
        "name": "operation",
        "doc": f"{SHEET} §4.2",
        "example": '{"status": "OK", "nativeCode": null, "errorMessage": null, '
        '"orderId": "W1234567890123456"}',
        "parser": "operation_status",
        "args": (),
        "expect": "OK",
    },
    {
        "name": "quotations",
        "doc": f"{PDF} (market watch); {SHEET} §4.1",
        "example": """[{"symbol": "EURUSD", "alias": "EURUSD", "bid": "1.10001", "ask": "1.10011",
  "change": "0.12", "high": "1.1050", "low": "1.0950", "timestampSec": 1788782400,
  "timestampMs": 1788782400123}]""",
        "parser": "parse_quotations",
        "args": (),
        # time: timestampMs when above 0 (sheet §4.1, S2's rule)
        "expect": {
            "len": 1,
            "0.symbol": "EURUSD",
            "0.bid": "1.10001",
            "0.ask": "1.10011",
            "0.spread": "0.00010",
            "0.time": "2026-09-07T12:00:00.123000+00:00",
        },
    },
    {
        "name": "candles",
        "doc": f"{SHEET} §4.1",
        "example": """{"symbol": "EURUSD", "interval": "M15", "candles": [{"time": 1788782400000,
  "open": 1.1, "high": 1.12, "low": 1.09, "close": 1.11, "volume": 100}]}""",
        "parser": "parse_candles",
        "args": (),
        # time = the candle's open time in epoch ms (sheet §4.1); M15 is the shared "15m"
        "expect": {
            "len": 1,
            "0.symbol": "EURUSD",
            "0.timeframe": "15m",
            "0.time": "2026-09-07T12:00:00+00:00",
            "0.open": "1.1",
            "0.high": "1.12",
            "0.low": "1.09",
            "0.close": "1.11",
            "0.volume": "100",
        },
    },
]
