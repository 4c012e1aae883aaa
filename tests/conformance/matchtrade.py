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

_T = "/mtr-api/{system}/"
_OPS = f"{PDF} (contents); {SHEET} §4"
REQUESTS = [
    {
        "method": "GET",
        "path": "/manager/platform-details",
        "headers": {},
        "forbidden_headers": NOT_ON_LOGIN,
        "doc": f"{THENEO} (Get Platform Details); {SHEET} §2.2",
    },
    {
        "method": "POST",
        "path": "/manager/co-login",
        "headers": {},
        "forbidden_headers": NOT_ON_LOGIN,
        "body": LOGIN,
        "doc": f"{PDF} (login); {SHEET} §2.1",
    },
    {
        "method": "POST",
        "path": "/manager/mtr-login",
        "headers": {},
        "forbidden_headers": NOT_ON_LOGIN,
        "body": LOGIN,
        "doc": f"{THENEO} (Login); {SHEET} §2.1",
    },
    # No body (or {}), the login cookies (rt) (sheet §2.6; PDF contents "refresh token").
    {
        "method": "POST",
        "path": "/manager/refresh-token",
        "headers": {"Cookie": r"(^|;\s*)rt=[^;\s]+"},
        "forbidden_headers": NOT_ON_LOGIN,
        "body": "empty",
        "doc": f"{PDF} (contents); {SHEET} §2.6",
    },
    {"method": "GET", "path": _T + "balance", "headers": TRADING, "doc": f"{PDF}; {SHEET} §3"},
    {"method": "GET", "path": _T + "open-positions", "headers": TRADING, "doc": _OPS},
    {"method": "GET", "path": _T + "active-orders", "headers": TRADING, "doc": _OPS},
    {
        "method": "GET",
        "path": _T + "effective-instruments",
        "headers": TRADING,
        "doc": f"{SHEET} §4.1",
    },
    {
        "method": "GET",
        "path": _T + "quotations",
        "headers": TRADING,
        "query": {"required": {"symbols": r"[^,]+(,[^,]+)*"}},
        "doc": f"{PDF}; {SHEET} §4.1",
    },
    {
        "method": "GET",
        "path": _T + "candles",
        "headers": TRADING,
        "query": {
            "required": {
                "symbol": r".+",
                "interval": "M1|M5|M15|M30|H1|H4|D1|W1|MN1",  # MN1, not MN (sheet §4.1 correction)
                "from": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
                "to": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            }
        },
        "doc": f"{SHEET} §4.1",
    },
    {
        "method": "POST",
        "path": _T + "closed-positions",
        "headers": TRADING,
        "body": CLOSED_POSITIONS,
        "doc": f"{THENEO}/position/get-closed-positions; {SHEET} §4.1",
    },
    {
        "method": "POST",
        "path": _T + "position/open",
        "headers": TRADING,
        "body": OPEN_POSITION,
        "doc": _OPS,
    },
    {
        "method": "POST",
        "path": _T + "position/edit",
        "headers": TRADING,
        "body": EDIT_POSITION,
        "doc": _OPS,
    },
    {
        "method": "POST",
        "path": _T + "position/close",
        "headers": TRADING,
        "body": CLOSE_POSITION,
        "doc": f"{THENEO} (Close Position); {SHEET} §4.2",
    },
    # The older PDF form: a JSON array of the same objects.
    {
        "method": "POST",
        "path": _T + "positions/close",
        "headers": TRADING,
        "body": {"array_of": CLOSE_POSITION},
        "doc": f"{PDF} (close positions); {SHEET} §4.2",
    },
    {
        "method": "POST",
        "path": _T + "position/close-partially",
        "headers": TRADING,
        "body": CLOSE_PARTIALLY,
        "doc": f"{SHEET} §4.2",
    },
    {
        "method": "POST",
        "path": _T + "pending-order/create",
        "headers": TRADING,
        "body": PENDING_CREATE,
        "doc": _OPS,
    },
    {
        "method": "POST",
        "path": _T + "pending-order/edit",
        "headers": TRADING,
        "body": PENDING_EDIT,
        "doc": _OPS,
    },
    {
        "method": "POST",
        "path": _T + "pending-order/cancel",
        "headers": TRADING,
        "body": PENDING_CANCEL,
        "doc": _OPS,
    },
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
        "expect": None,
    },
    {
        "name": "candles",
        "doc": f"{SHEET} §4.1",
        "example": """{"symbol": "EURUSD", "interval": "M15", "candles": [{"time": 1788782400000,
  "open": 1.1, "high": 1.12, "low": 1.09, "close": 1.11, "volume": 100}]}""",
        "parser": "parse_candles",
        "args": (),
        "expect": None,
    },
]
