"""Property tests: whatever JSON a broker sends, a parser returns a model or a BrokerError."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brokers import Account, Balance, BrokerError
from brokers.dxtrade import parse_accounts, parse_metrics, parse_session_timeout
from brokers.matchtrade import jwt_expiry, parse_balance, parse_login
from brokers.parsing import decode_json

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["+INF", "-INF", "12.50", "0", "", "1e3", "NaN", "00:30:00", "PT1M"])
)
KEYS = st.sampled_from(
    [
        "metrics",
        "account",
        "balance",
        "equity",
        "availableFunds",
        "margin",
        "openPL",
        "openPl",
        "credit",
        "userDetails",
        "accounts",
        "baseCurrency",
        "token",
        "tradingAccounts",
        "selectedAccount",
        "selectedTradingAccount",
        "tradingAccountId",
        "tradingApiToken",
        "offer",
        "system",
        "uuid",
        "currency",
        "freeMargin",
        "profit",
    ]
) | st.text(max_size=8)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def model_or_broker_error(parse, data, model):
    try:
        result = parse(data)
    except BrokerError:
        return
    assert isinstance(result, model)


@SETTINGS
@given(JSON)
def test_metrics_parser(data):
    model_or_broker_error(lambda d: parse_metrics(d, "default:1", "USD"), data, Balance)


@SETTINGS
@given(st.dictionaries(KEYS, JSON, max_size=6).map(lambda d: {"metrics": [d]}))
def test_metrics_parser_on_metrics_shaped_payloads(data):
    model_or_broker_error(lambda d: parse_metrics(d, "default:1", None), data, Balance)


@SETTINGS
@given(JSON)
def test_users_parser(data):
    model_or_broker_error(parse_accounts, data, list)


@SETTINGS
@given(st.dictionaries(KEYS, JSON, max_size=6).map(lambda d: {"userDetails": [{"accounts": [d]}]}))
def test_users_parser_on_users_shaped_payloads(data):
    try:
        accounts = parse_accounts(data)
    except BrokerError:
        return
    assert all(isinstance(a, Account) for a in accounts)


@SETTINGS
@given(JSON)
def test_login_parser(data):
    model_or_broker_error(parse_login, data, tuple)


@SETTINGS
@given(
    st.dictionaries(KEYS, JSON, max_size=6).map(
        lambda d: {"token": "t", "accounts": [d], "selectedAccount": d}
    )
)
def test_login_parser_on_login_shaped_payloads(data):
    model_or_broker_error(parse_login, data, tuple)


@SETTINGS
@given(JSON | st.dictionaries(KEYS, SCALARS, max_size=10))
def test_balance_parser(data):
    model_or_broker_error(lambda d: parse_balance(d, "700001"), data, Balance)


@SETTINGS
@given(JSON)
def test_session_timeout_parser(data):
    result = parse_session_timeout(data)
    assert result is None or (isinstance(result, float) and result > 0)


@SETTINGS
@given(st.text(max_size=60) | JSON.map(lambda d: "h." + json.dumps(d, default=str) + ".s"))
def test_jwt_expiry_never_raises(token):
    result = jwt_expiry(token)
    assert result is None or isinstance(result, float)


@SETTINGS
@given(st.binary(max_size=40))
def test_decode_json_raises_only_value_error(body):
    with contextlib.suppress(ValueError):
        decode_json(body)


def test_decoded_numbers_are_decimal():
    assert decode_json(b'{"a": 1.10, "b": 2}') == {"a": Decimal("1.10"), "b": 2}
