"""The ProjectX Gateway requests the library may send, and documented answers to parse.

Written from the reference sheet ``shared/reference/projectx-api.md`` (which cites the
Gateway docs, ``G1``, and their Swagger), never from the client; every entry names its
section. Schema language: see ``checker.py``.
"""

from __future__ import annotations

PLATFORM = "ProjectX"
PREFIXES = ("/api",)
DOC = "https://gateway.docs.projectx.com/docs/api-reference/"
SHEET = "shared/reference/projectx-api.md"

PLACEHOLDERS: dict = {}
COMMON: dict = {}
# "Authorization: Bearer <token>" on every call except login and ping (sheet §3.2, G1).
AUTH = {"Authorization": r"^Bearer \S+$"}
NO_AUTH = {"Authorization": f"login and ping carry no Authorization ({SHEET} §3.1)"}

ACCOUNT = {"accountId": "number"}  # integers (sheet §1)
WINDOW = {"startTimestamp": "datetime"}
PLACEABLE_TYPES = (1, 2, 4, 5, 6, 7)  # 3 StopLimit appears on orders but is not placeable (§6.1)
BRACKET = {"name": "bracket", "required": {"ticks": "number", "type": PLACEABLE_TYPES}}
PRICES = {"limitPrice": "number", "stopPrice": "number", "trailPrice": "number"}

PLACE = {  # sheet §6.3 (G1 "Place an Order", current text)
    "name": "place order",
    "required": {
        **ACCOUNT,
        "contractId": "string",
        "type": PLACEABLE_TYPES,
        "side": (0, 1),
        "size": "number",
    },
    # Absent optional fields are omitted, not sent as null (a null can be rejected, §6.3).
    "optional": {
        **PRICES,
        "customTag": "string",
        "stopLossBracket": BRACKET,
        "takeProfitBracket": BRACKET,
    },
    "forbidden": {
        "linkedOrderId": f"missing from the current request schema ({SHEET} §6.3)",
    },
    "rules": [
        {"when": {"type": (1,)}, "required": {"limitPrice": "number"}},
        {"when": {"type": (4,)}, "required": {"stopPrice": "number"}},
        # trailPrice: type 5 only, then required (§6.3)
        {"when": {"type": (5,)}, "required": {"trailPrice": "number"}},
        {
            "when": {"type": (1, 2, 4, 6, 7)},
            "forbidden": {
                "trailPrice": f"trailPrice belongs to TrailingStop orders ({SHEET} §6.3)"
            },
        },
    ],
}
BARS = {  # sheet §10 (G2 example)
    "name": "retrieve bars",
    "required": {
        "contractId": "string",
        "live": "boolean",
        "startTime": "datetime",
        "endTime": "datetime",
        "unit": (1, 2, 3, 4, 5, 6, 7),
        "unitNumber": "number",
        "limit": "number",
        "includePartialBar": "boolean",
    },
}
QUERY = {  # sheet §6.2 Order/v2/query
    "name": "order query",
    "required": {
        "filter": {
            "name": "order query filter",
            "required": ACCOUNT,
            "optional": {
                "statuses": {"array_of": "number"},
                "contractId": "string",
                "createdAfter": "datetime",
                "createdBefore": "datetime",
            },
        }
    },
    "optional": {
        "pageSize": "number",
        "pageOffset": "number",
        "sortBy": (0, 1),
        "sortDirection": (0, 1),
        "includeTotalCount": "boolean",
    },
}


def request(method: str, path: str, doc: str, headers: dict = AUTH, **spec: object) -> dict:
    """One documented request (see ``dxtrade.request``); Bearer token by default."""
    return {"method": method, "path": path, "doc": doc, "headers": headers, **spec}


def post(path: str, section: str, required: dict, optional: dict | None = None) -> dict:
    """An authenticated POST with a JSON body (every operation but ping, sheet §1)."""
    body = {"name": path, "required": required, "optional": optional or {}}
    return request("POST", "/api/" + path, f"{SHEET} {section}", body=body)


REQUESTS = [
    request("GET", "/api/Status/ping", f"{SHEET} §2", headers={}, forbidden_headers=NO_AUTH),
    request(
        "POST",
        "/api/Auth/loginKey",
        f"{DOC} (Authenticate with API key); {SHEET} §3.1",
        headers={},
        forbidden_headers=NO_AUTH,
        body={"name": "login", "required": {"userName": "string", "apiKey": "string"}},
    ),
    # Bearer header and no body (§3.2)
    request("POST", "/api/Auth/validate", f"{SHEET} §3.2", body="empty"),
    request("POST", "/api/Auth/logout", f"{SHEET} §3.2", body="empty"),
    post("Account/search", "§4", {"onlyActiveAccounts": "boolean"}),
    post("Contract/search", "§9", {"searchText": "string", "live": "boolean"}),
    post("Contract/searchById", "§9", {"contractId": "string"}),
    post("Contract/available", "§9", {"live": "boolean"}),
    request("POST", "/api/History/retrieveBars", f"{SHEET} §10", body=BARS),
    post("Order/search", "§6.2", {**ACCOUNT, **WINDOW}, {"endTimestamp": "datetime"}),
    post("Order/searchOpen", "§6.2", ACCOUNT),
    post("Order/searchById", "§6.2", {**ACCOUNT, "orderId": "number"}),
    request("POST", "/api/Order/v2/query", f"{SHEET} §6.2", body=QUERY),
    request("POST", "/api/Order/place", f"{DOC} (Place an Order); {SHEET} §6.3", body=PLACE),
    post("Order/modify", "§6.5", {**ACCOUNT, "orderId": "number"}, {"size": "number", **PRICES}),
    post("Order/cancel", "§6.5", {**ACCOUNT, "orderId": "number"}),
    post("Position/searchOpen", "§5", ACCOUNT),
    post("Position/closeContract", "§7", {**ACCOUNT, "contractId": "string"}),
    post(
        "Position/partialCloseContract",
        "§7",
        {**ACCOUNT, "contractId": "string", "size": "number"},
    ),
    post("Trade/search", "§8", {**ACCOUNT, **WINDOW}, {"endTimestamp": "datetime"}),
]


# --------------------------------------------------------------------------- answers
# Documented examples, verbatim from the sheet, with the parser of brokers.projectx each must
# go through and what must come out.

RESPONSES = [
    {
        "name": "account search",
        "doc": f"{DOC} (Search for Account); {SHEET} §4",
        "example": """{"accounts": [{"id": 10001, "name": "EXAMPLE-50K-001", "balance": 50000.00,
  "canTrade": true, "isVisible": true, "simulated": true}],
 "success": true, "errorCode": 0, "errorMessage": null}""",
        "parser": "parse_balances",
        "args": (),
        # balance only: no equity, margin, open P/L or currency exist in REST
        "expect": {
            "len": 1,
            "0.account": "10001",
            "0.balance": "50000.00",
            "0.equity": None,
            "0.available": None,
            "0.margin": None,
            "0.profit": None,
            "0.currency": None,
        },
    },
    {
        "name": "open positions",
        "doc": f"{SHEET} §5",
        "example": """{"positions": [{"id": 6124, "accountId": 10001,
  "contractId": "CON.F.US.MNQ.H25", "creationTimestamp": "2025-04-21T19:52:32.175721+00:00",
  "type": 1, "size": 2, "averagePrice": 21575.750000000}],
 "success": true, "errorCode": 0, "errorMessage": null}""",
        "parser": "parse_positions",
        "args": ("10001",),
        "expect": {
            "len": 1,
            "0.id": "6124",
            "0.symbol": "CON.F.US.MNQ.H25",
            "0.side": "BUY",
            "0.quantity": "2",
            "0.open_price": "21575.75",
            "0.open_time": "2025-04-21T19:52:32.175721+00:00",
        },
    },
    {
        "name": "bars",
        "doc": f"{SHEET} §10",
        "example": """{"bars": [{"t": "2024-12-20T14:00:00+00:00", "o": 2208.1, "h": 2217.0,
  "l": 2206.7, "c": 2210.1, "v": 87}], "success": true, "errorCode": 0, "errorMessage": null}""",
        "parser": "parse_bars",
        "args": ("CON.F.US.GCE.G25", "1h"),
        "expect": {
            "len": 1,
            "0.time": "2024-12-20T14:00:00+00:00",
            "0.open": "2208.1",
            "0.high": "2217.0",
            "0.low": "2206.7",
            "0.close": "2210.1",
            "0.volume": "87",
        },
    },
]
