"""Replay the recorded login and balance exchanges offline, and prove the cassettes hold no secret.

The expected figures come from the recorded answers themselves, so the same tests hold for
cassettes re-recorded against a real broker (``python -m tests.record_cassettes``).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import vcr
import yaml

import brokers
from brokers.sandbox import DX_PASSWORD, MT_PASSWORD

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
REPLAY = vcr.VCR(record_mode="none", match_on=("method", "scheme", "host", "port", "path", "query"))
NAMES = sorted(p.name for p in CASSETTES.glob("*.yaml"))


def interactions(name: str) -> list[dict]:
    return yaml.safe_load((CASSETTES / name).read_text())["interactions"]


def origin(name: str) -> str:
    uri = interactions(name)[0]["request"]["uri"]
    return re.match(r"https?://[^/]+", uri).group()


def answer(name: str, path_end: str) -> dict:
    for item in interactions(name):
        if item["request"]["uri"].split("?")[0].endswith(path_end):
            return json.loads(item["response"]["body"]["string"], parse_float=Decimal)
    raise AssertionError(f"{name} has no request to *{path_end}")


def replay(name: str):
    return REPLAY.use_cassette(str(CASSETTES / name), allow_playback_repeats=False)


def test_dxtrade_login_and_balance_replayed():
    name = "dxtrade_login_balance.yaml"
    metrics = answer(name, "/metrics")["metrics"][0]
    currency = answer(name, "/users")["userDetails"][0]["accounts"][0]["baseCurrency"]
    with replay(name) as cassette, brokers.DXTrade(origin(name), "1210001", "pw") as client:
        balance = client.get_balance()
    assert cassette.all_played  # login, users, metrics, logout: nothing more, nothing less
    assert balance.account == metrics["account"] and balance.currency == currency
    assert balance.balance == Decimal(str(metrics["balance"]))
    assert balance.equity == Decimal(str(metrics["equity"]))
    assert balance.available == Decimal(str(metrics["availableFunds"]))


def test_matchtrade_login_and_balance_replayed():
    name = "matchtrade_login_balance.yaml"
    recorded = answer(name, "/balance")
    first = (answer(name, "/manager/co-login") or {}).get("accounts", [{}])[0]
    with replay(name) as cassette:
        client = brokers.MatchTrade(origin(name), "me@example.com", "pw", broker_id="0")
        balance = client.get_balance()
        client.close()
    assert cassette.all_played
    assert balance.account == first["tradingAccountId"]
    assert balance.currency == recorded["currency"]
    assert balance.balance == Decimal(recorded["balance"])
    assert balance.available == Decimal(recorded["freeMargin"])


@pytest.mark.parametrize(
    "name, cls, args",
    [
        ("dxtrade_bad_credentials.yaml", brokers.DXTrade, ("1210001", "wrong")),
        ("matchtrade_bad_credentials.yaml", brokers.MatchTrade, ("me@example.com", "wrong", "0")),
    ],
)
def test_bad_credentials_replayed(name, cls, args):
    with replay(name) as cassette:
        client = cls(origin(name), *args)
        with pytest.raises(brokers.AuthenticationError) as info:
            client.login()
    assert info.value.status == 401
    assert cassette.play_count == 1  # one login, never repeated


@pytest.mark.parametrize("name", NAMES)
def test_cassette_holds_no_secret(name):
    text = (CASSETTES / name).read_text()
    assert DX_PASSWORD not in text and MT_PASSWORD not in text and "wrong-password" not in text
    assert not re.search(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.", text), "JWT in cassette"
    assert not re.search(r"@[\w-]+\.\w+", text), "e-mail address in cassette"
    for item in interactions(name):
        headers = {k.lower(): v for k, v in item["request"]["headers"].items()}
        for header in ("authorization", "auth-trading-api", "cookie"):
            for value in headers.get(header, []):
                assert re.fullmatch(r"(DXAPI )?(co-auth=)?<[A-Z-]+-\d+>", value), value
        body = item["request"]["body"]
        if body and "password" in body:
            assert json.loads(body)["password"] == "<PASSWORD>"
        for cookie in item["response"]["headers"].get("Set-Cookie", []):
            assert re.match(r"(co-auth|rt)=<[A-Z-]+-\d+>", cookie), cookie
        payload = item["response"]["body"]["string"]
        for key in ("sessionToken", "token", "tradingApiToken"):
            for value in re.findall(rf'"{key}": "([^"]*)"', payload):
                assert re.fullmatch(r"<[A-Z-]+-\d+>", value), (key, value)


def same_body_but_credentials(recorded, sent) -> None:
    """vcrpy matcher: equal JSON bodies, ignoring the scrubbed credentials."""

    def load(request):
        body = request.body
        if not body:
            return None
        data = json.loads(body, parse_float=Decimal)
        if isinstance(data, dict):
            for key in ("password", "email"):
                data.pop(key, None)
        return data

    assert load(recorded) == load(sent)


@pytest.mark.parametrize(
    "name, cls, args, symbol, quantity",
    [
        ("dxtrade_trade_cycle.yaml", brokers.DXTrade, ("1210003", "pw"), "EUR/USD", "10000"),
        (
            "matchtrade_trade_cycle.yaml",
            brokers.MatchTrade,
            ("me@example.com", "pw", "0"),
            "EURUSD.",
            "0.10",
        ),
    ],
)
def test_trade_cycle_replayed_with_matching_bodies(name, cls, args, symbol, quantity):
    """Place, list and close, replayed request by request, bodies included."""
    from tests.record_cassettes import numbered_order_ids

    replay_bodies = vcr.VCR(
        record_mode="none", match_on=("method", "host", "path", "query", "order_body")
    )
    replay_bodies.register_matcher("order_body", same_body_but_credentials)
    with replay_bodies.use_cassette(str(CASSETTES / name)) as cassette, numbered_order_ids():
        client = cls(origin(name), *args)
        placed = client.place_order(symbol, "BUY", quantity)
        opened = [p for p in client.positions() if p.symbol == symbol]
        client.orders()
        closed = client.close_position(opened[-1].id)
        client.close()
    assert cassette.all_played
    assert opened[-1].quantity == Decimal(quantity)
    assert placed.order_id and closed.order_id and placed.order_id != closed.order_id
