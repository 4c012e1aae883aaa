"""MatchTrade against the loopback sandbox: balances, accounts, request budget, variants."""

from __future__ import annotations

from decimal import Decimal

import pytest

import brokers
from brokers.sandbox import MT_PASSWORD


def test_cold_balance_costs_login_and_balance_on_one_connection(sandbox, mt):
    balance = mt().get_balance()
    assert balance == brokers.Balance(
        broker="matchtrade",
        account="700001",
        currency="USD",
        balance=Decimal("10000.00"),
        equity=Decimal("10012.34"),
        available=Decimal("9900.00"),
        margin=Decimal("112.34"),
        profit=Decimal("12.34"),
        credit=Decimal("0.00"),
    )
    paths = [r.path for r in sandbox.requests]
    assert paths[0] == "/manager/co-login"
    assert paths[1].startswith("/mtr-api/") and paths[1].endswith("/balance")
    assert len(paths) == 2
    assert sandbox.connections == 1


def test_trading_calls_send_both_tokens_login_sends_neither(sandbox, mt):
    mt().get_balance()
    login, balance = sandbox.requests
    assert "auth-trading-api" not in login.headers
    assert balance.headers["auth-trading-api"]
    assert balance.headers["cookie"].startswith("co-auth=")


def test_warm_balance_is_one_request_on_the_same_connection(sandbox, mt):
    client = mt()
    client.get_balance()
    kept_alive = sandbox.requests[-1].connection
    sandbox.clear()
    for _ in range(5):
        client.get_balance()
    assert sandbox.count() == 5
    assert {r.connection for r in sandbox.requests} == {kept_alive}  # no new connection


def test_account_selection_and_accounts(sandbox, mt):
    client = mt(account="700002")
    balance = client.get_balance()
    assert (balance.account, balance.currency, balance.credit) == (
        "700002",
        "EUR",
        Decimal("50.00"),
    )
    assert client.get_balance("700001").currency == "USD"
    assert [a.id for a in client.accounts()] == ["700001", "700002"]
    assert sandbox.count("/manager/*") == 1


def test_accounts_hide_trading_tokens(mt):
    accounts = mt().accounts()
    for account in accounts:
        assert account.raw["tradingApiToken"] == "***"
        assert "tradingApiToken" not in account.to_dict()


def test_unknown_account_lists_the_known_ones(mt):
    with pytest.raises(brokers.ConfigurationError) as info:
        mt(account="123").get_balance()
    assert "700001" in str(info.value) and "700002" in str(info.value)


def test_default_is_the_selected_account(sandbox, mt):
    sandbox.matchtrade.selected_index = 1
    assert mt().get_balance().account == "700002"


def test_bad_password_is_sent_exactly_once(sandbox, mt):
    client = mt(password="wrong-password")
    for _ in range(2):
        with pytest.raises(brokers.AuthenticationError) as info:
            client.get_balance()
    assert info.value.status == 401
    assert "wrong-password" not in str(info.value)
    assert sandbox.count("/manager/*") == 1


def test_wrong_broker_id_is_an_authentication_error(mt):
    with pytest.raises(brokers.AuthenticationError, match="broker id 7"):
        mt(broker_id="7").login()


def test_falls_back_to_mtr_login_when_co_login_is_missing(sandbox, mt):
    sandbox.matchtrade.co_login_enabled = False
    client = mt()
    assert client.get_balance().balance == Decimal("10000.00")
    assert [r.path for r in sandbox.requests][:2] == ["/manager/co-login", "/manager/mtr-login"]
    sandbox.clear()
    client.login()
    assert [r.path for r in sandbox.requests] == ["/manager/mtr-login"]


@pytest.mark.parametrize("keys", ["accounts", "tradingAccounts"])
def test_both_account_list_spellings(sandbox, mt, keys):
    sandbox.matchtrade.account_keys = keys
    assert [a.id for a in mt().accounts()] == ["700001", "700002"]


def test_login_answer_with_only_the_selected_account(sandbox, mt):
    sandbox.matchtrade.account_keys = "selected_only"
    sandbox.matchtrade.selected_index = 1
    client = mt()
    assert [a.id for a in client.accounts()] == ["700002"]
    assert client.get_balance().currency == "EUR"


def test_money_as_numbers_gives_the_same_balance(sandbox, mt):
    expected = mt().get_balance()
    sandbox.matchtrade.money_as_numbers = True
    assert mt().get_balance() == expected


def test_missing_figures_are_unknown_not_zero(sandbox, mt):
    sandbox.matchtrade.omit_fields = {"freeMargin", "margin", "profit", "credit"}
    balance = mt().get_balance()
    assert (balance.available, balance.margin, balance.profit) == (None, None, None)
    assert balance.credit == 0
    assert balance.equity == Decimal("10012.34")


def test_balance_without_balance_field_is_a_response_error(sandbox, mt):
    sandbox.matchtrade.omit_fields = {"balance"}
    with pytest.raises(brokers.ResponseError, match="balance"):
        mt().get_balance()


def test_second_user_on_another_system(sandbox, mt):
    client = mt(email="solo@example.com")
    assert client.get_balance().balance == Decimal("2500.00")


def test_repr_holds_no_secret(mt):
    client = mt()
    client.login()
    text = repr(client)
    assert MT_PASSWORD not in text and client._token.reveal() not in text
    assert "trader@example.com" in text


def test_get_balances_reads_every_account(sandbox, mt):
    balances = mt().get_balances()
    assert [(b.account, b.currency) for b in balances] == [("700001", "USD"), ("700002", "EUR")]
    assert sandbox.count("/mtr-api/*/balance") == 2


def test_ping_keeps_the_session_on_every_platform(sandbox, mt):
    client = mt()
    assert client.ping() is True and client.logged_in
    assert sandbox.count("/manager/*") == 1


def test_a_4xx_operation_answer_saying_rejected_is_an_order_rejection(sandbox, mt):
    body = {"status": "REJECTED", "nativeCode": "NO_MONEY", "errorMessage": "Not enough money"}
    sandbox.fault("/mtr-api/*/position/open", status=400, json=body)
    with pytest.raises(brokers.OrderRejectedError, match="Not enough money"):
        mt().place_order("EURUSD.", "BUY", "0.10")
