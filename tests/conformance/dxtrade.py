"""The DXtrade (DXSCA REST) requests the library may send, and documented answers to parse.

Written from the public documentation, never from the client: the Devexperts REST spec as
published by Sway Charts (``DOC`` below, "S2" in ``shared/reference/dxtrade-api.md``), with
the reference sheet's section for what the prose spec leaves to other sources. Every entry
names its page. Schema language: see ``checker.py``.
"""

from __future__ import annotations

PLATFORM = "DXtrade"
PREFIXES = ("/dxsca-web",)
DOC = "https://sway-technologies.gitbook.io/sway-charts-api-documentation/rest-api-specification/"
SHEET = "shared/reference/dxtrade-api.md"

# Path parameters are URL-encoded (account code "default:1210001" -> "default%3A1210001"):
# "accountCode - unique code assigned to an account (URL-encoded ...)" (every page below).
PLACEHOLDERS = {"account": r"[^:]+", "order": r"[^:]+", "user": r"[^@]+"}

# Every authenticated call: "Authorization: DXAPI <token>" (DOC authentication-and-authorization;
# sheet §3.2: literal DXAPI, one space, the token - not Bearer).
COMMON: dict = {}
AUTH = {"Authorization": r"^DXAPI \S+$"}
# "All PUT and DELETE requests to the REST API must contain the ETag headers" (If-Match)
# - DOC getting-started/conditional-requests-and-updates; 403/99 without it (sheet §8).
CONDITIONAL = {**AUTH, "If-Match": r"\S"}

ACCOUNTS = {"accounts": r"[^,]+(,[^,]+)*"}  # comma-separated account codes

# --------------------------------------------------------------------------- order bodies

_ORDER_FIELDS = {
    # DOC cash-transaction/single-order-request (quantity in units, not lots); `account` is in
    # the S1/S4 models, not in the DOC table: harmless (sheet §7.2).
    "account": "string",
    "quantity": "number",
    "positionEffect": ("OPEN", "CLOSE"),
    "positionCode": "string",
    "side": ("BUY", "SELL"),
    "limitPrice": "number",
    "stopPrice": "number",
    "priceOffset": "number",
    "priceLink": ("TRIGGERED_STOP", "TRIGGERED_LIMIT"),
    "tif": ("DAY", "GTC", "IOC", "FOK", "GTD"),
    "marginRate": "number",
    "expireDate": "string",
    "metadata": "any",
}
ORDER_TYPES = ("MARKET", "LIMIT", "STOP")
_PRICE_RULES = [
    # "limit order doesn't have price" -> 400/33 (DOC trading/post-place-order).
    {"when": {"type": ("LIMIT",)}, "required": {"limitPrice": "number"}},
    {"when": {"type": ("STOP",)}, "required": {"stopPrice": "number"}},
    # The request's positionCode belongs to CLOSE orders (sheet §7.5, S4).
    {
        "when": {"positionEffect": ("OPEN", None)},
        "forbidden": {
            "positionCode": f"positionCode names the position a CLOSE order closes ({SHEET} §7.5)"
        },
    },
]
_PROTECTIVE_CLOSE = {
    # A CLOSE STOP/LIMIT attached to a position carries no quantity: it equals the position's
    # (DOC cash-transaction/order-leg; sheet §7.5; Velotrade 400/33 "Closing STOP/LIMIT orders
    # should not have specified quantity").
    "when": {"positionEffect": ("CLOSE",), "type": ("STOP", "LIMIT")},
    "forbidden": {
        "quantity": "a closing STOP/LIMIT order takes the position's quantity "
        f"({DOC}cash-transaction/order-leg, {SHEET} §7.5)"
    },
}
_CLOSE_NEEDS_POSITION = {
    # positionCode "required for CLOSE" (sheet §7.2; Velotrade 400/33 without it, S6).
    "when": {"positionEffect": ("CLOSE",)},
    "required": {"positionCode": "string"},
}

SINGLE_ORDER = {
    "name": "Single Order Request",
    "doc": DOC + "cash-transaction/single-order-request",
    "required": {"orderCode": "string", "type": ORDER_TYPES, "instrument": "string"},
    "optional": _ORDER_FIELDS,
    "rules": [*_PRICE_RULES, _PROTECTIVE_CLOSE, _CLOSE_NEEDS_POSITION],
}
# An order inside an IF-THEN group: THEN orders are CLOSE "with either zero or absent
# quantity" and no positionCode yet (DOC cash-transaction/order-group-request).
GROUP_MEMBER = {
    **SINGLE_ORDER,
    "name": "Single Order Request (group member)",
    "rules": _PRICE_RULES,
}
ORDER_GROUP = {
    "name": "Order Group Request",
    "doc": DOC + "cash-transaction/order-group-request",
    "selector": "orders",
    "required": {"orders": {"array_of": GROUP_MEMBER}, "contingencyType": ("IF-THEN", "OCO")},
    # IF-THEN: first order OPEN + nonzero quantity, THEN orders CLOSE, zero/absent quantity,
    # opposite side, GTC; OCO: OPEN, equal nonzero quantities; same account and instrument.
    "checks": ("order_group",),
}
# Modify takes "the whole order request" with some fields changed; the replace request leaves
# `type` out (sheet §7.5: spec extract of S2, S4) - so it is optional here.
MODIFY_ORDER = {
    **SINGLE_ORDER,
    "name": "Single Order Request (modify)",
    "required": {"orderCode": "string", "instrument": "string"},
    "optional": {**_ORDER_FIELDS, "type": ORDER_TYPES},
}
MODIFY_GROUP = {**ORDER_GROUP, "name": "Order Group Request (modify)"}

# --------------------------------------------------------------------------- market data

MARKET_DATA_EVENT_TYPE = {
    "name": "Market Data Event Type",
    "doc": DOC + "cash-transaction/market-data-event-type",
    "required": {"type": ("Quote", "Candle")},
    "optional": {
        "format": ("COMPACT",),
        "candleType": "string",
        "fromTime": "datetime",
        "toTime": "datetime",
        "count": "number",
    },
    "rules": [
        {
            "when": {"type": ("Candle",)},  # "Required for Candle type" (fromTime, toTime)
            "required": {
                "fromTime": "datetime",
                "toTime": "datetime",
                "candleType": ("m", "5m", "15m", "30m", "h", "2h", "4h", "d", "w", "mo"),
            },
        },
        {
            "when": {"type": ("Quote",)},
            "forbidden": {"candleType": "candleType is for candle queries only"},
        },
    ],
}
MARKET_DATA_REQUEST = {
    "name": "Market Data Request",
    "doc": f"{DOC} Market Data Request; {SHEET} §7.7 (always send account)",
    "required": {
        "account": "string",
        "symbols": {"array_of": "string"},
        "eventTypes": {"array_of": MARKET_DATA_EVENT_TYPE},
    },
}

# DOC users-and-accounts/get-post-list-orders
_FILTER_NAMES = (
    "limit page page-size in-status of-type issued-from issued-to period completed-from "
    "completed-to at-least-version at-most-version side with-client-id with-order-id "
    "for-instrument transaction-from transaction-to"
)
HISTORY_FILTERS = dict.fromkeys(_FILTER_NAMES.split())
# POST history exists for long queries; how it carries the filters is not documented - S1
# sends them as a JSON object (sheet §7.6). Accept no body or an object of the filters.
HISTORY_BODY = {"name": "history filters (POST)", "optional": dict.fromkeys(HISTORY_FILTERS, "any")}
_QUERY_NAMES = "symbols types limit start-from sort-by-asc sort-by-desc"
INSTRUMENT_QUERY = dict.fromkeys(_QUERY_NAMES.split())


def request(method: str, path: str, doc: str, headers: dict = AUTH, **spec: object) -> dict:
    """One documented request: ``query`` ({required, optional}: name -> regex or None),
    ``body`` (a schema, a list of variants, ``"empty"``; none = no body), ``headers``."""
    return {"method": method, "path": path, "doc": doc, "headers": headers, **spec}


# --------------------------------------------------------------------------- requests

_A = "/dxsca-web/accounts/{account}"
_LOGIN = {"name": "login", "required": dict.fromkeys(("username", "domain", "password"), "string")}
_USERS = DOC + "users-and-accounts (GET Get Users)"
_METRICS = DOC + "users-and-accounts/get-list-account-metrics"
_PORTFOLIO = DOC + "users-and-accounts/get-list-account-portfolio"
_POSITIONS = DOC + "users-and-accounts/get-list-open-positions"
_OPEN_ORDERS = DOC + "users-and-accounts (GET List Open Orders)"
_HISTORY = DOC + "users-and-accounts/get-post-list-orders"
_CANCEL = DOC + "trading/delete-cancel-order"
_INSTRUMENTS = DOC + "reference-data/get-list-instruments"
_DETAILS = DOC + "reference-data/list-instrument-details"
_FLAG = "true|false"

REQUESTS = [
    request(
        "POST",
        "/dxsca-web/login",
        DOC + "authentication-and-authorization/post-create-session-token",
        headers={},
        body=_LOGIN,
        forbidden_headers={"Authorization": "login is not authenticated"},
    ),
    request(
        "POST", "/dxsca-web/ping", DOC + "authentication-and-authorization/post-ping", body="empty"
    ),
    request(
        "POST",
        "/dxsca-web/logout",
        DOC + "authentication-and-authorization/post-logout",
        body="empty",
    ),
    request(
        "GET",
        "/dxsca-web/users",
        _USERS,
        query={
            "optional": dict.fromkeys(
                ("limit", "start-from", "last-updated-from", "last-updated-to")
            )
        },
    ),
    request("GET", "/dxsca-web/users/{user}", _USERS),
    request("GET", _A + "/metrics", _METRICS, query={"optional": {"include-positions": _FLAG}}),
    request(
        "GET",
        "/dxsca-web/accounts/metrics",
        _METRICS,
        query={
            "required": ACCOUNTS,
            "optional": {"include-positions": _FLAG, "include-offset": _FLAG},
        },
    ),
    request("GET", _A + "/portfolio", _PORTFOLIO),
    request("GET", "/dxsca-web/accounts/portfolio", _PORTFOLIO, query={"required": ACCOUNTS}),
    request("GET", _A + "/positions", _POSITIONS),
    request("GET", "/dxsca-web/accounts/positions", _POSITIONS, query={"required": ACCOUNTS}),
    request("GET", _A + "/orders", _OPEN_ORDERS),
    request("GET", "/dxsca-web/accounts/orders", _OPEN_ORDERS, query={"required": ACCOUNTS}),
    # In the OpenAPI path list (S5); the ETag source for a cancel (sheet §7.3).
    request("GET", _A + "/orders/{order}", f"{SHEET} §2, §7.3"),
    request("GET", _A + "/orders/history", _HISTORY, query={"optional": HISTORY_FILTERS}),
    request(
        "POST",
        _A + "/orders/history",
        _HISTORY,
        query={"optional": HISTORY_FILTERS},
        body=[HISTORY_BODY],
    ),
    request(
        "GET",
        "/dxsca-web/accounts/orders/history",
        _HISTORY,
        query={"required": ACCOUNTS, "optional": HISTORY_FILTERS},
    ),
    # Place: "a Single Order Request or an Order Group Request", both on /orders.
    request(
        "POST", _A + "/orders", DOC + "trading/post-place-order", body=[ORDER_GROUP, SINGLE_ORDER]
    ),
    # Modify: the complete order (or group), conditional.
    request(
        "PUT",
        _A + "/orders",
        DOC + "trading/put-modify-order",
        headers=CONDITIONAL,
        body=[MODIFY_GROUP, MODIFY_ORDER],
    ),
    # Cancel: "order code - either a client order id ... or an internal code assigned by the
    # system" (not the numeric orderId: see STATEFUL_RULES), URL-encoded; conditional.
    request("DELETE", _A + "/orders/{order}", _CANCEL, headers=CONDITIONAL),
    # Group cancel: DELETE only; order-codes parent first, contingency-type.
    request(
        "DELETE",
        _A + "/orders/group",
        _CANCEL,
        headers=CONDITIONAL,
        query={"required": {"order-codes": r"[^,]+(,[^,]+)*", "contingency-type": "IF-THEN|OCO"}},
    ),
    request(
        "GET", "/dxsca-web/instruments/query", _INSTRUMENTS, query={"optional": INSTRUMENT_QUERY}
    ),
    request(
        "GET",
        "/dxsca-web/instruments/type/{type}",
        _INSTRUMENTS,
        query={"optional": INSTRUMENT_QUERY},
    ),
    request("GET", "/dxsca-web/instruments/{symbol}", _INSTRUMENTS),
    request("GET", _A + "/instruments/query", _DETAILS, query={"optional": INSTRUMENT_QUERY}),
    request("GET", _A + "/instruments/type/{type}", _DETAILS, query={"optional": INSTRUMENT_QUERY}),
    request("GET", _A + "/instruments/{symbol}", _DETAILS),
    request("POST", "/dxsca-web/marketdata", MARKET_DATA_REQUEST["doc"], body=MARKET_DATA_REQUEST),
]

# Rules that need an earlier answer (checked by checker.Conversation).
STATEFUL_RULES = {
    "cancel_by_code": (
        "DELETE .../orders/{order}: %r is a numeric orderId; the path takes the client order id "
        f"or the system orderCode ({DOC}trading/delete-cancel-order)"
    ),
    "full_close": (
        "POST .../orders: a full close omits quantity (it then equals the position's) but "
        f"quantity=%s equals the whole position ({SHEET} §7.3, S2)"
    ),
}

# --------------------------------------------------------------------------- answers
# Documented examples, verbatim from the sheet (which quotes the DOC model pages), with the
# parser of brokers.dxtrade each must go through and what must come out. A parser that does not
# exist yet is named as planned; its test is skipped until it lands.

HISTORY = """{"orders": [{"orderId": 990431, "orderCode": "3b7-Q91XZ",
             "clientOrderId": "bot-close-0007", "status": "COMPLETED",
             "finalStatus": true, "type": "MARKET", "instrument": "EUR/GBP", "side": "BUY",
             "legs": [{"positionEffect": "CLOSE", "positionCode": "88120", "quantity": 25000,
                       "filledQuantity": 25000, "averagePrice": 0.86102}],
             "executions": [{"executionCode": "9f2-E1", "status": "COMPLETED", "finalStatus": true,
                             "lastQuantity": 25000, "lastPrice": 0.86102, "filledQuantity": 25000,
                             "remainingQuantity": 0,
                             "transactionTime": "2026-11-03T10:14:02.118Z"}],
             "cashTransactions": [{"type": "SETTLEMENT", "value": 37.25, "currency": "GBP",
                                   "tradeCode": "9f2-E1",
                                   "transactionTime": "2026-11-03T10:14:02.118Z"}],
             "transactionTime": "2026-11-03T10:14:02.118Z"}],
 "nextPageTransactionTime": "2026-11-02T16:40:00.000Z"}"""

RESPONSES = [
    {
        "name": "login",
        "doc": f"{DOC}authentication-and-authorization/post-create-session-token; {SHEET} §3.1",
        "example": '{"sessionToken": "b3f1c2d4-...-opaque", "timeout": "00:30:00"}',
        "parser": "parse_session_timeout",
        "field": "timeout",
        "args": (),
        "expect": 1800.0,
    },
    {
        "name": "users",
        "doc": f"{DOC}users-and-accounts (GET Get Users); {SHEET} §4",
        "example": """{"userDetails": [{
   "login": "123456789", "domain": "default", "username": "123456789@default",
   "version": 7, "fullName": "Jane Trader",
   "accounts": [{"owner": "123456789@default", "account": "default:123456789",
      "version": 7, "baseCurrency": "USD", "registrationTime": "2026-01-02T10:00:00.000Z",
      "accountStatus": "FULL_TRADING", "pricingStream": "default", "positionBased": true}]}]}""",
        "parser": "parse_accounts",
        "args": ("123456789",),
        "expect": {
            "len": 1,
            "0.id": "default:123456789",
            "0.currency": "USD",
            "0.status": "FULL_TRADING",
        },
    },
    {
        "name": "metrics",
        "doc": f"{DOC}users-and-accounts/get-list-account-metrics; {SHEET} §5",
        "example": """{"metrics": [{"account": "default:123456789", "version": 42,
   "equity": 100250.0, "balance": 100000.0, "availableBalance": 98500.0,
   "availableFunds": 98750.0, "allocatedFunds": 1500.0, "credit": 0,
   "marginFree": 98750.0, "openPL": 250.0, "totalPL": 250.0, "margin": 1500.0,
   "openPositionsCount": 1, "openOrdersCount": 2}]}""",
        "parser": "parse_metrics",
        "args": ("default:123456789", "USD"),
        "expect": {
            "account": "default:123456789",
            "balance": "100000.0",
            "equity": "100250.0",
            "available": "98750.0",
            "margin": "1500.0",
            "profit": "250.0",
            "credit": "0",
            "currency": "USD",
        },
    },
    {
        "name": "portfolio",
        "doc": f"{DOC}users-and-accounts/get-list-account-portfolio; {SHEET} §6",
        "example": """{"portfolios": [{"account": "default:123456789", "version": 18,
   "balances": [{"account": "default:123456789", "version": 18, "value": 5000.0,
                 "currency": "USD"}],
   "positions": [], "orders": []}]}""",
        "parser": "parse_portfolio_currency",
        "args": ("default:123456789",),
        "expect": "USD",
    },
    {
        "name": "order history",
        "doc": f"{DOC}cash-transaction/historic-order-list; {SHEET} §7.6",
        "example": HISTORY,
        # In an Order object, clientOrderId is the code the client placed with; orderCode is the
        # system's code of the chain (sheet §7.1 "Which field holds your code", C2+).
        "parser": "parse_orders",
        "args": ("default:123456789",),
        "expect": {
            "len": 1,
            "0.id": "990431",
            "0.symbol": "EUR/GBP",
            "0.side": "BUY",
            "0.quantity": "25000",
            "0.status": "COMPLETED",
            "0.client_order_id": "bot-close-0007",
        },
    },
    {
        "name": "order history (closed trades)",
        "doc": f"{SHEET} §7.6 (closed trades recipe)",
        "example": HISTORY,
        "parser": "parse_history",
        "args": ("default:123456789",),
        # A completed CLOSE order is a trade: the side is the opening side (the close BUYs
        # back a SELL), realised P/L is the SETTLEMENT cash transaction.
        "expect": {
            "len": 1,
            "0.id": "990431",
            "0.symbol": "EUR/GBP",
            "0.side": "SELL",
            "0.quantity": "25000",
            "0.close_price": "0.86102",
            "0.close_time": "2026-11-03T10:14:02.118000+00:00",
            "0.profit": "37.25",
            "0.net_profit": "37.25",
            "0.currency": "GBP",
            "0.position_id": "88120",
            "0.open_price": None,
        },
    },
    {
        "name": "quote",
        "doc": f"{DOC} Market Data List / Quote; {SHEET} §7.7 (live Velotrade)",
        "example": """{"events": [{"symbol": "ADAUSD", "type": "Quote", "ask": 0.17897,
  "bid": 0.17896, "time": "2026-08-14T19:30:35Z"}]}""",
        "parser": "parse_quotes",
        "args": (["ADAUSD"],),
        "expect": {
            "len": 1,
            "0.symbol": "ADAUSD",
            "0.bid": "0.17896",
            "0.ask": "0.17897",
            "0.spread": "0.00001",
            "0.time": "2026-08-14T19:30:35+00:00",
        },
    },
]
