"""DXTrade against the loopback sandbox: balances, accounts, request budget, variants."""

from __future__ import annotations

from decimal import Decimal

import pytest

import brokers
from brokers.sandbox import DX_PASSWORD

METRICS = "/dxsca-web/accounts/*/metrics"


def test_cold_balance_costs_login_users_metrics_on_one_connection(sandbox, dx):
    client = dx()
    balance = client.get_balance()
    assert balance == brokers.Balance(
        broker="dxtrade",
        account="default:1210001",
        currency="USD",
        balance=Decimal("100000.00"),
        equity=Decimal("100250.55"),
        available=Decimal("98750.25"),
        margin=Decimal("1500.30"),
        profit=Decimal("250.55"),
        credit=Decimal("0"),
    )
    assert [r.path for r in sandbox.requests] == [
        "/dxsca-web/login",
        "/dxsca-web/users",
        "/dxsca-web/accounts/default%3A1210001/metrics",
    ]
    assert sandbox.connections == 1


def test_warm_balance_is_one_request_and_no_new_connection(sandbox, dx):
    client = dx()
    client.get_balance()
    kept_alive = sandbox.requests[-1].connection
    sandbox.clear()
    for _ in range(5):
        client.get_balance()
    assert sandbox.count() == 5
    assert sandbox.count(METRICS) == 5
    assert {r.connection for r in sandbox.requests} == {kept_alive}  # no new connection


def test_configured_account_and_currency_skip_users(sandbox, dx):
    client = dx(account="default:1210002", currency="EUR")
    assert client.get_balance().balance == Decimal("50000.00")
    assert sandbox.count() == 2
    assert sandbox.count("/dxsca-web/users") == 0


def test_requests_carry_dxapi_token_and_user_agent(sandbox, dx):
    dx().get_balance()
    metrics = sandbox.requests[-1]
    assert metrics.headers["authorization"].startswith("DXAPI ")
    assert metrics.headers["user-agent"].startswith("brokers-python/")
    assert "authorization" not in sandbox.requests[0].headers


def test_account_selection(sandbox, dx):
    client = dx(account="default:1210002")
    balance = client.get_balance()
    assert (balance.account, balance.currency, balance.credit) == (
        "default:1210002",
        "EUR",
        Decimal("100.00"),
    )
    other = client.get_balance(account="default:1210001")
    assert (other.account, other.currency) == ("default:1210001", "USD")
    assert [a.id for a in client.accounts()] == ["default:1210001", "default:1210002"]
    assert sandbox.count("/dxsca-web/users") == 1  # fetched once and kept


def test_unknown_account_lists_the_known_ones(dx):
    with pytest.raises(brokers.ConfigurationError) as info:
        dx(account="default:999").get_balance()
    assert "default:1210001" in str(info.value) and "default:1210002" in str(info.value)


def test_bad_password_is_sent_exactly_once(sandbox, dx):
    client = dx(password="wrong-password")
    with pytest.raises(brokers.AuthenticationError) as info:
        client.get_balance()
    assert info.value.status == 401 and info.value.code == "3"
    assert "wrong-password" not in str(info.value)
    with pytest.raises(brokers.AuthenticationError):
        client.get_balance()  # the refused login is not repeated behind the user's back
    assert sandbox.count("/dxsca-web/login") == 1


def test_login_returns_true_and_close_logs_out(sandbox, dx):
    client = dx()
    assert client.login() is True
    assert client.logged_in
    client.close()
    assert sandbox.count("/dxsca-web/logout") == 1
    assert not client.logged_in


def test_context_manager_logs_out(sandbox):
    with brokers.DXTrade(sandbox.url, "1210003", DX_PASSWORD) as client:
        assert client.get_balance().currency == "GBP"
    assert sandbox.count("/dxsca-web/logout") == 1


def test_base_url_with_dxsca_web_suffix(sandbox, dx):
    client = dx()
    client2 = brokers.DXTrade(sandbox.dxtrade_url + "/", "1210001", DX_PASSWORD)
    assert client2.get_balance() == client.get_balance()
    client2.close()


@pytest.mark.parametrize(
    "setting, value",
    [
        ("pl_spelling", "openPl"),
        ("margin_field", "maintenanceMargin"),
        ("numbers_as_strings", True),
        ("error_code_int", True),
    ],
)
def test_payload_variants_give_the_same_balance(sandbox, dx, setting, value):
    expected = dx().get_balance()
    setattr(sandbox.dxtrade, setting, value)
    assert dx().get_balance() == expected


@pytest.mark.parametrize("fmt", ["hms", "iso", "seconds", "ms", "absent"])
def test_every_login_timeout_format_is_accepted(sandbox, dx, fmt):
    sandbox.dxtrade.timeout_format = fmt
    assert dx().get_balance().balance == Decimal("100000.00")


def test_missing_figures_are_unknown_not_zero(sandbox, dx):
    sandbox.dxtrade.omit_fields = {"availableFunds", "margin", "credit"}
    balance = dx().get_balance()
    assert balance.available is None and balance.margin is None
    assert balance.credit == 0  # no credit field: the account has no credit
    assert balance.equity == Decimal("100250.55")


def test_metrics_without_balance_is_a_response_error(sandbox, dx):
    sandbox.dxtrade.omit_fields = {"balance"}
    with pytest.raises(brokers.ResponseError, match="balance"):
        dx().get_balance()


def test_error_code_as_int_still_maps_bad_credentials(sandbox, dx):
    sandbox.dxtrade.error_code_int = True
    with pytest.raises(brokers.AuthenticationError) as info:
        dx(password="nope-nope").login()
    assert info.value.code == "3"


def test_repr_and_errors_hold_no_secret(dx):
    client = dx()
    client.login()
    assert DX_PASSWORD not in repr(client)
    assert client._token.reveal() not in repr(client)
    assert "1210001" in repr(client)


def test_get_balances_fetches_every_account_in_one_metrics_request(sandbox, dx):
    client = dx()
    client.login()
    sandbox.clear()
    balances = client.get_balances()
    assert [(b.account, b.currency) for b in balances] == [
        ("default:1210001", "USD"),
        ("default:1210002", "EUR"),
    ]
    assert balances[1] == client.get_balance("default:1210002")
    assert sandbox.count("/dxsca-web/accounts/metrics") == 1
    assert sandbox.requests[1].query == {"accounts": "default:1210001,default:1210002"}


def test_get_balances_keeps_the_order_asked(dx):
    balances = dx().get_balances(["default:1210002", "default:1210001"])
    assert [b.currency for b in balances] == ["EUR", "USD"]


def test_an_injected_session_is_used_and_left_open(sandbox):
    import requests

    http = requests.Session()
    http.headers["X-Trace"] = "notebook-7"
    client = brokers.DXTrade(sandbox.url, "1210001", DX_PASSWORD, session=http, user_agent="me/1")
    client.get_balance()
    client.close()
    assert sandbox.requests[-2].headers["x-trace"] == "notebook-7"
    assert sandbox.requests[-2].headers["user-agent"] == "me/1"
    assert http.get(sandbox.url + "/manager/platform-details", timeout=5).ok  # still usable


def test_an_account_the_login_may_not_use_is_refused_with_a_hint(sandbox, dx):
    client = dx(account="default:1210003", currency="GBP")  # another user's account
    with pytest.raises(brokers.RequestRejectedError) as info:
        client.get_balance()
    assert (info.value.status, info.value.code) == (404, "2")
    assert "account or order code is wrong" in str(info.value)


def test_metrics_items_without_account_codes(sandbox, dx):
    item = {"balance": 5, "equity": 6}
    sandbox.fault("/dxsca-web/accounts/metrics", json={"metrics": [item]})
    (balance,) = dx("1210003").get_balances()
    assert (balance.account, balance.balance) == ("default:1210003", 5)


def test_currency_from_the_portfolio_when_users_lacks_it(sandbox, dx):
    users = {"userDetails": [{"login": "1210001", "accounts": [{"account": "default:1210001"}]}]}
    sandbox.fault("/dxsca-web/users", json=users)
    client = dx()
    assert client.get_balance().currency == "USD"
    client.get_balance()
    assert sandbox.count("/dxsca-web/accounts/*/portfolio") == 1  # asked once, then kept


def test_users_answer_listing_another_user_first(sandbox, dx):
    users = {
        "userDetails": [
            {"login": "9999", "accounts": [{"account": "default:9999", "baseCurrency": "JPY"}]},
            {
                "login": "1210001",
                "accounts": [{"account": "default:1210001", "baseCurrency": "USD"}],
            },
        ]
    }
    sandbox.fault("/dxsca-web/users", json=users)
    assert [a.id for a in dx().accounts()] == ["default:1210001"]


def test_users_404_falls_back_to_the_single_user_path(sandbox, dx):
    sandbox.fault("/dxsca-web/users", status=404, json={"errorCode": "2"})
    assert [a.id for a in dx().accounts()] == ["default:1210001", "default:1210002"]
    assert sandbox.requests[-1].path == "/dxsca-web/users/1210001%40default"


def test_a_short_password_echoed_by_the_platform_is_masked(sandbox, dx, caplog):
    sandbox.fault("/dxsca-web/login", status=401, json={"errorCode": "3", "description": "bad pw9"})
    with pytest.raises(brokers.AuthenticationError) as info:
        dx(password="pw9").login()
    assert "pw9" not in str(info.value) and "pw9" not in caplog.text
