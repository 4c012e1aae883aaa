"""The ProjectX emulator, spoken to with plain ``requests`` (no client code).

Each test cites the section of ``shared/reference/projectx-api.md`` it checks.
"""

from __future__ import annotations

import base64
import json
import time
from decimal import Decimal
from typing import Any

import pytest
import requests

from brokers.sandbox import PX_API_KEY, Sandbox

MNQ = "CON.F.US.MNQ.H25"
MES = "CON.F.US.MES.H25"
USER = "trader@example.com"


class PX:
    """A requests session speaking ProjectX to the sandbox, logged in on construction."""

    def __init__(self, sb: Sandbox, user: str = USER) -> None:
        self.sb = sb
        self.http = requests.Session()
        self.token = self.login(user)

    def login(self, user: str = USER, key: str = PX_API_KEY) -> str:
        answer = self.http.post(self.url("Auth/loginKey"), json={"userName": user, "apiKey": key})
        assert answer.status_code == 200
        return answer.json()["token"]

    def url(self, name: str) -> str:
        return f"{self.sb.url}/api/{name}"

    def raw(self, name: str, body: Any = None, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.http.post(self.url(name), json=body, headers=headers)

    def __call__(self, name: str, body: Any = None) -> dict[str, Any]:
        answer = self.raw(name, body)
        assert answer.status_code == 200, answer.text
        return json.loads(answer.text, parse_float=Decimal)

    def place(self, **fields: Any) -> dict[str, Any]:
        order = {"accountId": 10001, "contractId": MNQ, "type": 2, "side": 0, "size": 1}
        return self("Order/place", {**order, **fields})

    def orders(self, name: str = "Order/searchOpen", account: int = 10001) -> list[dict]:
        body: dict[str, Any] = {"accountId": account}
        if name == "Order/search":
            body["startTimestamp"] = "2000-01-01T00:00:00Z"
        return self(name, body)["orders"]

    def positions(self, account: int = 10001) -> list[dict]:
        return self("Position/searchOpen", {"accountId": account})["positions"]


@pytest.fixture
def sb():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def px(sb: Sandbox):
    client = PX(sb)
    yield client
    client.http.close()


def failed(answer: dict[str, Any], code: int) -> bool:
    return answer["success"] is False and answer["errorCode"] == code


# --------------------------------------------------------------------------- auth (§3)


def test_ping_needs_no_auth_and_answers_pong(sb: Sandbox) -> None:
    """§14 / §18.1: ``pong`` or ``"pong"``; ping is the only GET."""
    assert requests.get(sb.url + "/api/Status/ping").text == "pong"
    sb.projectx.ping_quoted = True
    assert requests.get(sb.url + "/api/Status/ping").json() == "pong"
    assert requests.get(sb.url + "/api/Account/search").status_code == 405
    assert requests.post(sb.url + "/api/Nothing/here", json={}).status_code == 404


def test_login_token_is_a_24h_jwt(px: PX) -> None:
    """§3.1, §3.2, §18.2: HS256 JWT whose ``exp`` is 24 h ahead."""
    payload = px.token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert abs(claims["exp"] - time.time() - 86400) < 60


def test_login_failures_are_http_200_with_codes(sb: Sandbox, px: PX) -> None:
    """§3.1 / §12.2 / §18.2: wrong key → 200 code 3, token null; switches 9, 10, HTTP 401."""
    wrong = {"userName": USER, "apiKey": "wrong"}
    answer = requests.post(px.url("Auth/loginKey"), json=wrong)
    assert answer.status_code == 200
    assert answer.json() == {
        "token": None,
        "success": False,
        "errorCode": 3,
        "errorMessage": None,
    }
    for code in (9, 10):
        sb.projectx.login_code = code
        good = {"userName": USER, "apiKey": PX_API_KEY}
        assert failed(requests.post(px.url("Auth/loginKey"), json=good).json(), code)
    sb.projectx.login_failure_status = 401
    answer = requests.post(px.url("Auth/loginKey"), json=wrong)
    assert (answer.status_code, answer.content) == (401, b"")


def test_validate_renews_and_its_failure_codes(sb: Sandbox, px: PX) -> None:
    """§3.2 / §18.3: ``newToken`` (or ``token``); 3 expired, 2 unknown, 1 invalid."""
    renewed = px("Auth/validate")
    assert renewed["success"] and renewed["newToken"] not in (None, px.token)
    assert px.raw("Account/search", {"onlyActiveAccounts": True}, renewed["newToken"]).ok
    sb.projectx.validate_field = "token"
    assert px("Auth/validate")["token"]
    sb.projectx.validate_same_token = True
    assert px("Auth/validate")["token"] == px.token
    assert failed(px.raw("Auth/validate", token="not.a-token.at-all").json(), 1)
    sb.projectx.token_lifetime = 0.01
    short = px.login()
    time.sleep(0.05)
    assert failed(px.raw("Auth/validate", token=short).json(), 3)
    assert px.raw("Account/search", {"onlyActiveAccounts": True}, short).status_code == 401
    sb.expire_sessions()
    assert failed(px.raw("Auth/validate").json(), 2)
    sb.projectx.validate_failure_status = 401
    assert px.raw("Auth/validate").status_code == 401


def test_logout_invalidates_the_token(px: PX) -> None:
    """§3.2: logout → envelope; the token then gets 401 with an empty body (§18.4)."""
    assert px("Auth/logout")["success"]
    answer = px.raw("Account/search", {"onlyActiveAccounts": True})
    assert (answer.status_code, answer.content) == (401, b"")


def test_missing_token_is_empty_401_and_bad_bodies_are_400_problems(px: PX) -> None:
    """§12.1 / §18.4: 401 empty body; 400 problem-details JSON naming the field."""
    answer = requests.post(px.url("Position/searchOpen"), json={"accountId": 10001})
    assert (answer.status_code, answer.content) == (401, b"")
    answer = px.raw("Position/searchOpen", {"accountId": "10001"})
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert list(answer.json()["errors"]) == ["accountId"]
    assert px.raw("Order/place", {"accountId": 10001}).status_code == 400
    headers = {"Authorization": f"Bearer {px.token}", "Content-Type": "application/json"}
    bad = px.http.post(px.url("Account/search"), data=b"{not json", headers=headers)
    assert bad.status_code == 400


# ------------------------------------------------------------------ reads (§4, §5, §9, §10)


def test_account_search_has_balance_only(px: PX) -> None:
    """§4 / §18.5: balance with long fractions, no equity/currency; simulated may be absent."""
    text = px.raw("Account/search", {"onlyActiveAccounts": True}).text
    assert '"balance":50000.000000000' in text
    accounts = json.loads(text, parse_float=Decimal)["accounts"]
    assert [a["id"] for a in accounts] == [10001, 10002, 10003]
    assert "simulated" not in accounts[1] and accounts[2]["canTrade"] is False
    assert not {"equity", "currency", "margin"} & set(accounts[0])
    everything = px("Account/search", {"onlyActiveAccounts": False})["accounts"]
    assert [a["id"] for a in everything] == [10001, 10002, 10003, 10004]


def test_positions_and_foreign_accounts(sb: Sandbox, px: PX) -> None:
    """§5: type 1 long with a positive size; §12.3 code 1 for an account not the user's."""
    (position,) = px.positions()
    assert (position["contractId"], position["type"], position["size"]) == (MES, 1, 2)
    assert position["averagePrice"] == Decimal("6050.5")
    assert failed(px("Position/searchOpen", {"accountId": 20001}), 1)
    assert px("Position/searchOpen", {"accountId": 20001})["positions"] is None
    px.place(contractId=MES, side=1, size=5)
    sb.projectx.negative_short_size = True
    (short,) = px.positions()
    assert (short["type"], short["size"]) == (2, -3)


def test_contracts_fuzzy_search_live_flag_and_by_id_variants(sb: Sandbox, px: PX) -> None:
    """§9 / §18.6: "NQ" also finds MNQ; ``live: true`` on a sim user → []; by-id variants."""
    found = px("Contract/search", {"searchText": "NQ", "live": False})["contracts"]
    assert {c["id"] for c in found} >= {MNQ, "CON.F.US.ENQ.H25", "CON.F.US.MNQ.Z24"}
    mnq = next(c for c in found if c["id"] == MNQ)
    assert (mnq["tickSize"], mnq["tickValue"], mnq["activeContract"]) == (
        Decimal("0.25"),
        Decimal("0.5"),
        True,
    )
    assert px("Contract/search", {"searchText": "NQ", "live": True})["contracts"] == []
    sb.projectx.live_data = True
    assert px("Contract/search", {"searchText": "NQ", "live": True})["contracts"]
    assert px("Contract/searchById", {"contractId": MNQ})["contract"]["id"] == MNQ
    sb.projectx.contract_by_id = "contracts"
    assert px("Contract/searchById", {"contractId": MNQ})["contracts"][0]["id"] == MNQ
    assert failed(px("Contract/searchById", {"contractId": "CON.F.US.NOPE"}), 1)
    available = px("Contract/available", {"live": False})["contracts"]
    assert "CON.F.US.MNQ.Z24" not in {c["id"] for c in available}


def bars_body(**fields: Any) -> dict[str, Any]:
    body = {
        "contractId": MNQ,
        "live": False,
        "startTime": "2020-01-01T00:00:00Z",
        "endTime": "2100-01-01T00:00:00.000Z",
        "unit": 2,
        "unitNumber": 5,
        "limit": 4,
    }
    return {**body, **fields}


def test_bars_newest_first_and_codes(sb: Sandbox, px: PX) -> None:
    """§10 / §18.7: newest first, on the tick grid; codes 1-4."""
    bars = px("History/retrieveBars", bars_body())["bars"]
    times = [b["t"] for b in bars]
    assert len(bars) == 4 and times == sorted(times, reverse=True)
    assert all((b["c"] / Decimal("0.25")) % 1 == 0 and b["l"] <= b["c"] <= b["h"] for b in bars)
    assert failed(px("History/retrieveBars", bars_body(unit=9)), 2)
    assert failed(px("History/retrieveBars", bars_body(unitNumber=0)), 3)
    assert failed(px("History/retrieveBars", bars_body(limit=20001)), 4)
    assert failed(px("History/retrieveBars", bars_body(contractId="X")), 1)
    assert failed(px("History/retrieveBars", bars_body(live=True)), 1)
    assert px("History/retrieveBars", bars_body())["bars"] is not None
    sb.projectx.bar_extras = True
    assert set(px("History/retrieveBars", bars_body(limit=1))["bars"][0]) >= {"d", "k"}


def test_timestamps_in_zulu_with_seven_digits(sb: Sandbox, px: PX) -> None:
    """§14 / §17: ``+00:00`` with microseconds by default; 7 digits and ``Z`` as a variant."""
    assert px.positions()[0]["creationTimestamp"].endswith("+00:00")
    sb.projectx.timestamp_style = "zulu"
    stamp = px.positions()[0]["creationTimestamp"]
    assert stamp.endswith("Z") and len(stamp.split(".")[1]) == 8


# --------------------------------------------------------------------------- rate limits (§11)


def test_general_and_bars_limits_are_separate(sb: Sandbox, px: PX) -> None:
    """§11 / §18.10: 429 with an empty body; bars have their own window; Retry-After switch."""
    sb.projectx.rate_limit = (3, 60.0)
    sb.projectx.bars_rate_limit = (2, 30.0)
    for _ in range(3):
        assert px.raw("Position/searchOpen", {"accountId": 10001}).status_code == 200
    limited = px.raw("Position/searchOpen", {"accountId": 10001})
    assert (limited.status_code, limited.content, limited.headers.get("Retry-After")) == (
        429,
        b"",
        None,
    )
    for _ in range(2):  # the bars window is untouched by the general one
        assert px.raw("History/retrieveBars", bars_body()).status_code == 200
    assert px.raw("History/retrieveBars", bars_body()).status_code == 429
    sb.projectx.retry_after = 0
    assert 0 < int(px.raw("Trade/search", {"accountId": 1}).headers["Retry-After"]) <= 60
    login = requests.post(px.url("Auth/loginKey"), json={"userName": USER, "apiKey": PX_API_KEY})
    assert login.json()["success"]  # login is not rate-counted


# --------------------------------------------------------------------------- orders (§6, §7, §8)


def test_market_order_with_brackets_fills_and_close_leaves_orphans(sb: Sandbox, px: PX) -> None:
    """§6.3 brackets in signed ticks, §7: closeContract does not cancel the protective legs."""
    placed = px.place(
        customTag="bot-1",
        stopLossBracket={"ticks": -40, "type": 4},
        takeProfitBracket={"ticks": 80, "type": 1},
    )
    assert placed["success"] and isinstance(placed["orderId"], int)
    (parent,) = [o for o in px.orders("Order/search") if o["id"] == placed["orderId"]]
    assert (parent["status"], parent["customTag"], parent["fillVolume"]) == (2, "bot-1", 1)
    stop, target = px.orders()
    assert (stop["parentOrderId"], stop["side"], stop["type"], stop["status"]) == (
        placed["orderId"],
        1,
        4,
        1,
    )
    assert stop["stopPrice"] == Decimal("21590") and target["limitPrice"] == Decimal("21620")
    assert target["linkedOrderId"] == stop["id"]
    assert {p["contractId"] for p in px.positions()} == {MES, MNQ}
    sb.projectx.set_price(MNQ, "21610.25")
    assert px("Position/closeContract", {"accountId": 10001, "contractId": MNQ})["success"]
    assert {p["contractId"] for p in px.positions()} == {MES}
    assert [o["id"] for o in px.orders()] == [stop["id"], target["id"]]  # orphans stay working
    window = {"accountId": 10001, "startTimestamp": "2000-01-01T00:00:00Z"}
    opening, closing = px("Trade/search", window)["trades"][-2:]
    assert opening["profitAndLoss"] is None
    assert closing["profitAndLoss"] == Decimal("20.5")  # 41 ticks x 0.5 USD
    balance = px("Account/search", {"onlyActiveAccounts": True})["accounts"][0]["balance"]
    assert balance == Decimal("50000") + Decimal("20.5") - 2 * Decimal("0.37")


def test_resting_parent_keeps_legs_suspended_out_of_search_open(px: PX) -> None:
    """§6.2: Suspended legs are missing from ``searchOpen`` but listed by ``v2/query``."""
    placed = px.place(type=1, limitPrice=21500, stopLossBracket={"ticks": -8, "type": 4})
    assert [o["id"] for o in px.orders()] == [placed["orderId"]]
    query = {"filter": {"accountId": 10001, "statuses": [1, 6, 7, 8]}, "includeTotalCount": True}
    answer = px("Order/v2/query", query)
    assert answer["totalCount"] == 2 and answer["orders"][0]["status"] == 8  # newest first
    assert answer["orders"][0]["stopPrice"] == Decimal("21498")
    assert px("Order/cancel", {"accountId": 10001, "orderId": placed["orderId"]})["success"]
    assert px("Order/v2/query", query)["totalCount"] == 0


def test_placement_codes(sb: Sandbox, px: PX) -> None:
    """§6.1, §6.3, §12.3 (Order/place), §18.8."""
    assert failed(px.place(type=3, limitPrice=1, stopPrice=1), 2)  # StopLimit is not placeable
    assert failed(px.place(type=1), 2)  # a limit without limitPrice
    assert failed(px.place(stopLossBracket={"ticks": 40, "type": 4}), 2)  # wrong sign for long
    assert failed(px.place(side=1, takeProfitBracket={"ticks": 8, "type": 1}), 2)
    assert failed(px.place(accountId=20001), 1)
    assert failed(px.place(contractId="CON.F.US.NOPE.H25"), 8)
    assert failed(px.place(contractId="CON.F.US.MNQ.Z24"), 9)
    assert failed(px.place(accountId=10003), 10)
    refused = px.place(size=0)
    assert failed(refused, 2) and refused["orderId"] is None
    sb.projectx.reject_codes = {"Order/place": 5}
    assert failed(px.place(), 5)
    assert len(px.positions()) == 1  # nothing was placed by any of them
    sb.projectx.reject_codes = {}
    assert px.place(customTag=None, limitPrice=None)["success"]  # nulls for optional fields


def test_pending_and_unknown_error_placements_still_act(sb: Sandbox, px: PX) -> None:
    """§12.3 / §18.11: code 6 OrderPending, 7 UnknownError while the order was created."""
    for code, tag in ((6, "tag-6"), (7, "tag-7")):
        sb.projectx.outcome_codes = {"Order/place": code}
        answer = px.place(type=1, limitPrice=21000, customTag=tag)
        assert failed(answer, code) and answer["orderId"] is None
        assert tag in [o["customTag"] for o in px.orders()]


def test_custom_tag_must_be_unique(sb: Sandbox, px: PX) -> None:
    """§6.4 / §18.8: a repeated tag → code 2 (assumption), or accepted by switch."""
    assert px.place(customTag="once")["success"]
    assert failed(px.place(customTag="once"), 2)
    assert px.place(customTag="once", accountId=10002)["success"]  # unique per account
    sb.projectx.duplicate_tag = "accept"
    assert px.place(customTag="once")["success"]


def test_position_brackets_mode_rejects_yet_returns_an_order_id(sb: Sandbox, px: PX) -> None:
    """§6.3: code 2 ``OrderRejected`` **and** an ``orderId`` for the rejected record."""
    sb.projectx.position_brackets = {10001}
    answer = px.place(stopLossBracket={"ticks": -4, "type": 4})
    assert failed(answer, 2) and isinstance(answer["orderId"], int)
    record = px("Order/searchById", {"accountId": 10001, "orderId": answer["orderId"]})["order"]
    assert record["status"] == 5
    assert px.place()["success"]  # without brackets it is accepted


def test_modify_cancel_codes_and_trailing_units(sb: Sandbox, px: PX) -> None:
    """§6.3 trailing stop units, §6.5 modify/cancel, §12.3 codes 2/3/6."""
    stop = px.place(type=4, side=1, stopPrice=21550)["orderId"]
    assert px("Order/modify", {"accountId": 10001, "orderId": stop, "stopPrice": 21540.25})[
        "success"
    ]
    order = px("Order/searchById", {"accountId": 10001, "orderId": stop})["order"]
    assert order["stopPrice"] == Decimal("21540.25")
    assert failed(px("Order/cancel", {"accountId": 10001, "orderId": 1}), 2)
    assert failed(px("Order/searchById", {"accountId": 10001, "orderId": 1}), 1)
    assert px("Order/cancel", {"accountId": 10001, "orderId": stop})["success"]
    assert failed(px("Order/cancel", {"accountId": 10001, "orderId": stop}), 3)
    assert failed(px("Order/modify", {"accountId": 10001, "orderId": stop, "size": 2}), 3)
    trail = px.place(type=5, side=1, trailPrice=21590)["orderId"]
    read = px("Order/searchById", {"accountId": 10001, "orderId": trail})["order"]
    assert (read["trailPrice"], read["trailDistance"]) == (Decimal("10"), 40)
    assert failed(px.place(type=5, side=1, trailPrice=21000), 2)  # 2400 ticks > 1000
    sb.projectx.cancel_refused = {10001}
    assert failed(px("Order/cancel", {"accountId": 10001, "orderId": trail}), 6)


def test_close_codes(px: PX) -> None:
    """§7, §12.3: none → 2; partial above the position → 5; partial reduces."""
    body = {"accountId": 10001, "contractId": MNQ}
    assert failed(px("Position/closeContract", body), 2)
    assert failed(px("Position/partialCloseContract", {**body, "contractId": MES, "size": 3}), 5)
    assert px("Position/partialCloseContract", {**body, "contractId": MES, "size": 1})["success"]
    assert px.positions()[0]["size"] == 1


def test_lost_answer_after_execute_places_once(sb: Sandbox, px: PX) -> None:
    """§18.11: a read stall after applying the placement (generic fault)."""
    sb.fault("/api/Order/place", after_execute=True, drop=True)
    with pytest.raises(requests.ConnectionError):
        px.place(customTag="lost-1")
    assert [o["customTag"] for o in px.orders("Order/search")].count("lost-1") == 1


def test_reset_restores_the_seed(sb: Sandbox, px: PX) -> None:
    px.place(contractId=MNQ)
    sb.reset()
    fresh = PX(sb)
    assert [p["contractId"] for p in fresh.positions()] == [MES]
    assert px.raw("Position/searchOpen", {"accountId": 10001}).status_code == 401
