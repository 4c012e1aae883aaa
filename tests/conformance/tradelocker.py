"""The TradeLocker (public Trading API) requests the library may send.

Written from the reference sheet ``shared/reference/tradelocker-api.md`` (which cites the
vendor's docs D1/D2 and its confidence marks apply), never from the client. The real API lives
at ``/backend-api`` on two hosts (demo, live); the sandbox stands the live host in with a
``/live`` path prefix (and accepts ``/demo``), so every request is described under each.
Schema language: see ``checker.py``.
"""

from __future__ import annotations

PLATFORM = "TradeLocker"
SHEET = "shared/reference/tradelocker-api.md"
ENVIRONMENT_PREFIXES = ("", "/demo", "/live")  # the sandbox's stand-ins for the two hosts
PREFIXES = tuple(p + "/backend-api" for p in ENVIRONMENT_PREFIXES)

PLACEHOLDERS = {"acct": r"\d+", "id": r"\d+", "tid": r"\d+"}
COMMON: dict = {}
BEARER = {"Authorization": r"^Bearer \S+$"}
# Every /trade/* call carries the bearer token and the accNum header (§3.2, §4, DOC).
TRADE = {**BEARER, "accNum": r"^\d+$"}
NO_ACCNUM = {"accNum": f"no account is chosen yet: all-accounts takes no accNum ({SHEET} §4)"}
NO_AUTH = {"Authorization": f"login and refresh carry no bearer token ({SHEET} §3.1)", **NO_ACCNUM}

LOGIN = {  # §3.1 (DOC)
    "name": "login",
    "required": {"email": "string", "password": "string", "server": "string"},
}
REFRESH = {"name": "refresh", "required": {"refreshToken": "string"}}  # §3.3 (C2+)
SL_TYPES = ("absolute", "offset", "trailingOffset")  # §10.1 (DOC enum)
TP_TYPES = ("absolute", "offset")
PLACE = {  # §10.1: required qty, routeId, side, validity, type, tradableInstrumentId (DOC)
    "name": "place order",
    "required": {
        "tradableInstrumentId": "number",
        "routeId": "number",
        "qty": "number",
        "side": ("buy", "sell"),
        "type": ("market", "limit", "stop"),
        "validity": ("IOC", "GTC"),
    },
    "optional": {
        "price": "number",
        "stopPrice": "number",
        "stopLoss": "number",
        "stopLossType": SL_TYPES,
        "takeProfit": "number",
        "takeProfitType": TP_TYPES,
        "strategyId": "string",
    },
    "rules": [
        # IOC for market, GTC for limit/stop (§10.1, DOC); stopPrice only for stop orders.
        {
            "when": {"type": ("market",)},
            "required": {"validity": ("IOC",)},
            "forbidden": {"stopPrice": "a market order has no trigger price"},
        },
        {"when": {"type": ("limit",)}, "required": {"validity": ("GTC",), "price": "number"}},
        {"when": {"type": ("stop",)}, "required": {"validity": ("GTC",), "stopPrice": "number"}},
    ],
}
# §10.2: the PATCH field list is [?]; removing a level is not documented either, so a level
# (or its type) may be a number/text or null.
MODIFY_ORDER = {
    "name": "modify order",
    "optional": {
        "price": "number",
        "qty": "number",
        "stopPrice": "number",
        "validity": ("IOC", "GTC"),
        "expireDate": "number",
        "stopLoss": "any",
        "stopLossType": "any",
        "takeProfit": "any",
        "takeProfitType": "any",
    },
}
MODIFY_POSITION = {  # §10.2 (C2+)
    "name": "modify position",
    "optional": {
        "stopLoss": "any",
        "stopLossType": "any",
        "takeProfit": "any",
        "takeProfitType": "any",
    },
}
CLOSE = {"name": "close position", "required": {"qty": "string"}}  # §10.2: "0" = all (DOC)

_HISTORY_QUERY = {  # §8: from/to in ms, optional instrument
    "optional": {"from": r"\d+", "to": r"\d+", "tradableInstrumentId": r"\d+"}
}
_RESOLUTION = "1m|5m|15m|30m|1H|4H|1D|1W|1M"  # §9, §6 lessons: case matters, no 2H


def request(method: str, path: str, doc: str, headers: dict = TRADE, **spec: object) -> dict:
    """One documented request: a ``/trade/*`` call (bearer + accNum) by default."""
    return {"method": method, "path": path, "doc": doc, "headers": headers, **spec}


def _described(prefix: str) -> list[dict]:
    api = prefix + "/backend-api"
    acct = api + "/trade/accounts/{acct}"
    return [
        request(
            "POST",
            api + "/auth/jwt/token",
            f"{SHEET} §3.1",
            headers={},
            forbidden_headers=NO_AUTH,
            body=LOGIN,
        ),
        request(
            "POST",
            api + "/auth/jwt/refresh",
            f"{SHEET} §3.3",
            headers={},
            forbidden_headers=NO_AUTH,
            body=REFRESH,
        ),
        request(
            "GET",
            api + "/auth/jwt/all-accounts",
            f"{SHEET} §4",
            headers=BEARER,
            forbidden_headers=NO_ACCNUM,
        ),
        request("GET", api + "/trade/config", f"{SHEET} §5"),
        request("GET", api + "/trade/accounts", f"{SHEET} §4"),
        request("GET", acct + "/state", f"{SHEET} §6"),
        request("GET", acct + "/positions", f"{SHEET} §7"),
        request("GET", acct + "/orders", f"{SHEET} §8", query=_HISTORY_QUERY),
        request("GET", acct + "/ordersHistory", f"{SHEET} §8", query=_HISTORY_QUERY),
        request("GET", acct + "/executions", f"{SHEET} §8"),
        request("GET", acct + "/instruments", f"{SHEET} §9"),
        request(
            "GET",
            api + "/trade/instruments/{tid}",
            f"{SHEET} §9",
            query={"required": {"routeId": r"\d+"}, "optional": {"locale": r"[a-z]{2}"}},
        ),
        request(
            "GET",
            api + "/trade/quotes",
            f"{SHEET} §9",
            query={"required": {"tradableInstrumentId": r"\d+", "routeId": r"\d+"}},
        ),
        request(
            "GET",
            api + "/trade/history",
            f"{SHEET} §9",
            query={
                "required": {
                    "tradableInstrumentId": r"\d+",
                    "routeId": r"\d+",
                    "resolution": _RESOLUTION,
                    "from": r"\d+",
                    "to": r"\d+",
                }
            },
        ),
        request("POST", acct + "/orders", f"{SHEET} §10.1", body=PLACE),
        request("PATCH", api + "/trade/orders/{id}", f"{SHEET} §10.2", body=MODIFY_ORDER),
        request("DELETE", api + "/trade/orders/{id}", f"{SHEET} §10.2"),
        request("PATCH", api + "/trade/positions/{id}", f"{SHEET} §10.2", body=MODIFY_POSITION),
        request("DELETE", api + "/trade/positions/{id}", f"{SHEET} §10.2", body=CLOSE),
    ]


REQUESTS = [spec for prefix in ENVIRONMENT_PREFIXES for spec in _described(prefix)]
RESPONSES: list[dict] = []
