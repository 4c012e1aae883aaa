"""The pure payload parsers, fed the documented examples from the reference sheets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from brokers import ResponseError
from brokers.dxtrade import parse_accounts, parse_metrics, parse_session_timeout
from brokers.matchtrade import jwt_expiry, parse_balance, parse_login
from brokers.parsing import decode_json

# dxtrade-api.md §5, verbatim.
DX_METRICS = b"""{"metrics": [{"account": "default:123456789", "version": 42,
   "equity": 100250.0, "balance": 100000.0, "availableBalance": 98500.0,
   "availableFunds": 98750.0, "allocatedFunds": 1500.0, "credit": 0,
   "marginFree": 98750.0, "openPL": 250.0, "totalPL": 250.0, "margin": 1500.0,
   "openPositionsCount": 1, "openOrdersCount": 2}]}"""

# dxtrade-api.md §4, verbatim.
DX_USERS = b"""{"userDetails": [{
   "login": "123456789", "domain": "default", "username": "123456789@default",
   "version": 7, "fullName": "Jane Trader",
   "accounts": [{"owner": "123456789@default", "account": "default:123456789",
      "version": 7, "baseCurrency": "USD", "registrationTime": "2026-01-02T10:00:00.000Z",
      "accountStatus": "FULL_TRADING", "pricingStream": "default", "positionBased": true}]}]}"""

# matchtrader-api.md §3, verbatim.
MT_BALANCE = b"""{"balance": "10000.00", "equity": "10000.00", "freeMargin": "10000.00",
 "marginLevel": "0", "credit": "0.00", "currency": "USD", "margin": "0.00", "profit": "0",
 "netProfit": "0", "currencyPrecision": 2}"""


def test_documented_metrics_example():
    balance = parse_metrics(decode_json(DX_METRICS), "default:123456789", "USD")
    assert balance.balance == Decimal("100000.0")
    assert balance.available == Decimal("98750.0")  # availableFunds, not availableBalance
    assert balance.profit == Decimal("250.0")
    assert isinstance(balance.equity, Decimal)


def test_money_never_passes_through_float():
    body = b'{"metrics": [{"account": "a", "balance": 0.1, "equity": 1234567890.123456789}]}'
    balance = parse_metrics(decode_json(body), "a", None)
    assert balance.balance == Decimal("0.1")
    assert balance.equity == Decimal("1234567890.123456789")


def test_documented_users_example():
    (account,) = parse_accounts(decode_json(DX_USERS))
    assert (account.id, account.currency, account.status) == (
        "default:123456789",
        "USD",
        "FULL_TRADING",
    )


def test_documented_balance_example():
    balance = parse_balance(decode_json(MT_BALANCE), "123456")
    assert (balance.currency, balance.balance, balance.margin) == (
        "USD",
        Decimal("10000.00"),
        Decimal("0.00"),
    )


def test_infinite_and_string_numbers():
    body = (
        b'{"metrics": [{"account": "a", "balance": "5.5", "marginFree": "+INF", "equity": "INF"}]}'
    )
    balance = parse_metrics(decode_json(body), "a", None)
    assert balance.balance == Decimal("5.5") and balance.equity == Decimal("Infinity")


@pytest.mark.parametrize("bad", ['"abc"', "true", "[]", '{"x": 1}', '"NaN"'])
def test_non_numbers_are_response_errors(bad):
    body = f'{{"metrics": [{{"account": "a", "balance": {bad}}}]}}'.encode()
    with pytest.raises(ResponseError, match="balance"):
        parse_metrics(decode_json(body), "a", None)


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("00:30:00", 1800),
        ("1:00:00", 3600),
        ("PT30M", 1800),
        ("PT1H30M", 5400),
        ("P1DT1S", 86401),
        (1800, 1800),
        ("1800", 1800),
        (1800000, 1800),
        (60000, 60),
        (36000, 36000),
        (Decimal("900.5"), 900.5),
        (None, None),
        ({}, None),
        ("soon", None),
        (0, None),
    ],
)
def test_session_timeout_forms(value, seconds):
    assert parse_session_timeout(value) == seconds


def test_login_answer_shapes():
    documented = {
        "email": "e",
        "token": "t",
        "tradingAccounts": [{"tradingAccountId": 1, "tradingApiToken": "a", "offer": {}}],
        "selectedTradingAccount": {"tradingAccountId": 1},
    }
    token, accounts, selected = parse_login(documented)
    assert (token, [a.account.id for a in accounts], selected) == ("t", ["1"], "1")
    live = {"token": "t", "accounts": [], "selectedAccount": {"tradingAccountId": "9"}}
    assert [a.account.id for a in parse_login(live)[1]] == ["9"]
    lone = {
        "token": "t",
        "selectedAccount": {"tradingAccountId": "9", "offer": {"system": {"uuid": "s"}}},
    }
    (only,) = parse_login(lone)[1]
    assert (only.account.id, only.system) == ("9", "s")


def test_jwt_expiry_without_signature_check():
    token = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3ODg3ODI0MDB9.sig"  # {"exp": 1788782400}
    assert jwt_expiry(token) == 1788782400
    assert jwt_expiry("not-a-jwt") is None
    assert jwt_expiry("a.!!!.c") is None
