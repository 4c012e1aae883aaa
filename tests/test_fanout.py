"""fetch_balances and profiles, in process, against the sandbox."""

from __future__ import annotations

import json
import os
from decimal import Decimal

import pytest

import brokers
from brokers.sandbox import DX_PASSWORD, MT_BROKER_ID, MT_PASSWORD

MULTI_METRICS = "/dxsca-web/accounts/metrics"
BAD_PASSWORD = "wrong-pass-4711"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("DXTRADE_", "MATCHTRADE_", "BROKERS_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray ./.env


def dx_profile(sandbox, name="dx1", username="1210001", password=DX_PASSWORD, **kw):
    return brokers.Profile(name, "dxtrade", sandbox.url, username, password, **kw)


def mt_profile(sandbox, name="mt2", email="trader@example.com", password=MT_PASSWORD, **kw):
    kw.setdefault("broker_id", MT_BROKER_ID)
    return brokers.Profile(name, "Match-Trader", sandbox.url, email, password, **kw)


def write_env(path, sandbox, extra=""):
    path.write_text(
        "BROKERS_PROFILES=dx1, MT-2\n"
        f"DX1_BROKER=dxtrade\nDX1_BASE_URL={sandbox.dxtrade_url}\n"
        f"DX1_USERNAME=1210001\nDX1_PASSWORD={DX_PASSWORD}\n"
        f"MT_2_BROKER=matchtrade\nMT_2_BASE_URL={sandbox.url}\n"
        f"MT_2_EMAIL=solo@example.com\nMT_2_PASSWORD={MT_PASSWORD}\nMT_2_BROKER_ID={MT_BROKER_ID}\n"
        + extra
    )
    return path


def test_results_keep_the_order_of_mixed_targets(sandbox, mt, retry):
    client = mt(email="solo@example.com")
    targets = [mt_profile(sandbox), dx_profile(sandbox, "dx3", "1210003"), client]
    results = brokers.fetch_balances(targets, workers=3, retry=retry)
    assert [r.name for r in results] == ["mt2", "dx3", "matchtrade:solo@example.com"]
    assert [r.broker for r in results] == ["matchtrade", "dxtrade", "matchtrade"]
    assert results.ok and results.errors == {}
    assert [[b.account for b in r.balances] for r in results] == [
        ["700001", "700002"],
        ["default:1210003"],
        ["700003"],
    ]
    assert results[0].balances[1].balance == Decimal("5000.00")
    assert [b.account for b in results.balances][-1] == "700003"


def test_a_bad_target_holds_its_typed_error_and_the_others_succeed(sandbox, retry):
    targets = [
        dx_profile(sandbox),
        mt_profile(sandbox, "bad", password=BAD_PASSWORD),
        dx_profile(sandbox, "dx3", "1210003"),
    ]
    results = brokers.fetch_balances(targets, retry=retry)
    assert [r.ok for r in results] == [True, False, True]
    bad = results[1]
    assert isinstance(bad.error, brokers.AuthenticationError) and bad.balances == []
    assert not results.ok and list(results.errors) == ["bad"]
    assert len(results.balances) == 3
    assert sandbox.count("/manager/co-login") == 1  # a refused login is not repeated
    data = results.to_dict()
    json.dumps(data)  # JSON-safe
    assert data["ok"] is False
    assert data["results"][1]["error"]["type"] == "AuthenticationError"
    assert data["results"][0]["balances"][0]["balance"] == "100000.00"
    assert BAD_PASSWORD not in json.dumps(data) + repr(results)


def test_a_dxtrade_login_with_n_accounts_costs_one_metrics_request(sandbox, retry):
    results = brokers.fetch_balances(dx_profile(sandbox), retry=retry)
    (result,) = results
    assert [b.account for b in result.balances] == ["default:1210001", "default:1210002"]
    assert [b.currency for b in result.balances] == ["USD", "EUR"]
    assert [b.equity for b in result.balances] == [Decimal("100250.55"), Decimal("49900.10")]
    assert sandbox.count(MULTI_METRICS) == 1
    assert sandbox.count("/dxsca-web/accounts/*/metrics") == 0
    assert sandbox.requests[-2].query["accounts"] == "default:1210001,default:1210002"


def test_a_pinned_account_gives_only_that_account(sandbox, retry):
    profile = dx_profile(sandbox, account="default:1210002", currency="EUR")
    (result,) = brokers.fetch_balances([profile], retry=retry)
    assert [b.account for b in result.balances] == ["default:1210002"]
    assert sandbox.count("/dxsca-web/users") == 0


def test_clients_passed_in_stay_open_and_profile_clients_are_closed(sandbox, dx, retry):
    client = dx()
    client.login()
    results = brokers.fetch_balances([client, dx_profile(sandbox, "dx3", "1210003")], retry=retry)
    assert results.ok
    assert sandbox.count("/dxsca-web/logout") == 1  # the profile's client only
    assert client.logged_in
    client.get_balance()
    assert sandbox.count("/dxsca-web/login") == 2  # no new login for the client passed in


def test_an_unexpected_exception_becomes_an_error_result(sandbox, dx):
    client = dx()

    def broken(accounts=None):
        raise ZeroDivisionError("boom")

    client.get_balances = broken
    (result,) = brokers.fetch_balances([client])
    assert type(result.error) is brokers.BrokerError
    assert "ZeroDivisionError" in str(result.error)
    assert isinstance(result.error.__cause__, ZeroDivisionError)


def test_repr_html_shows_figures_and_errors(sandbox, retry):
    results = brokers.fetch_balances(
        [dx_profile(sandbox), mt_profile(sandbox, "<bad>", password=BAD_PASSWORD)], retry=retry
    )
    page = results._repr_html_()
    assert page.count("<table") == 1
    for figure in ("100000.00", "100250.55", "98750.25", "50000.00", "default:1210002"):
        assert figure in page
    assert "AuthenticationError" in page and "&lt;bad&gt;" in page and "<bad>" not in page
    assert BAD_PASSWORD not in page
    assert "100000.00" in results[0]._repr_html_()
    rows = results.rows()
    assert [r["account"] for r in rows] == ["default:1210001", "default:1210002", None]
    assert rows[0]["profile"] == "dx1" and rows[2]["error_type"] == "AuthenticationError"


def test_profile_names_come_from_the_env_file(sandbox, tmp_path, retry):
    env_file = write_env(tmp_path / "brokers.env", sandbox)
    profiles = brokers.load_profiles(env_file)
    assert list(profiles) == ["dx1", "MT-2"]
    assert profiles["MT-2"].broker == "matchtrade" and profiles["MT-2"].username == (
        "solo@example.com"
    )
    results = brokers.fetch_balances(["mt-2", "DX1"], env_file=env_file, retry=retry)
    assert [r.name for r in results] == ["MT-2", "dx1"]
    assert [len(r.balances) for r in results] == [1, 2]
    everything = brokers.fetch_balances(env_file=env_file, retry=retry)
    assert [r.name for r in everything] == ["dx1", "MT-2"] and everything.ok


def test_unknown_profile_raises_before_any_request(sandbox, tmp_path):
    env_file = write_env(tmp_path / "brokers.env", sandbox)
    with pytest.raises(brokers.ConfigurationError, match=r"'nope'.*dx1, MT-2"):
        brokers.fetch_balances(["dx1", "nope"], env_file=env_file)
    assert sandbox.count() == 0
    with pytest.raises(brokers.ConfigurationError, match="workers"):
        brokers.fetch_balances(["dx1"], env_file=env_file, workers=0)


def test_nothing_configured_raises(sandbox):
    assert brokers.load_profiles() == {}
    with pytest.raises(brokers.ConfigurationError, match="no broker is configured"):
        brokers.fetch_balances()


@pytest.mark.parametrize(
    "remove, named",
    [
        ("DX1_PASSWORD", "DX1_PASSWORD"),
        ("DX1_BROKER", "DX1_BROKER"),
        ("MT_2_BROKER_ID", "MT_2_BROKER_ID"),
        ("MT_2_EMAIL", "MT_2_EMAIL"),
    ],
)
def test_a_missing_variable_is_named(sandbox, tmp_path, remove, named):
    env_file = write_env(tmp_path / "brokers.env", sandbox)
    lines = env_file.read_text().splitlines()
    env_file.write_text("\n".join(line for line in lines if not line.startswith(remove + "=")))
    with pytest.raises(brokers.ConfigurationError, match=named):
        brokers.load_profiles(env_file)


def test_bad_broker_and_base_url_name_their_variable(sandbox, tmp_path):
    env_file = write_env(tmp_path / "a.env", sandbox, "DX1_BROKER=metatrader\n")
    with pytest.raises(brokers.ConfigurationError, match=r"DX1_BROKER.*metatrader.*dxtrade"):
        brokers.load_profiles(env_file)
    env_file = write_env(tmp_path / "b.env", sandbox, "DX1_BASE_URL=http://broker.example.com\n")
    with pytest.raises(brokers.ConfigurationError, match=r"DX1_BASE_URL.*plain http"):
        brokers.load_profiles(env_file)


def test_single_configurations_are_profiles_and_environment_wins(sandbox, tmp_path, monkeypatch):
    env_file = write_env(
        tmp_path / "brokers.env",
        sandbox,
        f"DXTRADE_BASE_URL={sandbox.url}\nDXTRADE_USERNAME=1210003\n"
        f"DXTRADE_PASSWORD={DX_PASSWORD}\nDXTRADE_ACCOUNT=default:1210003\n"
        "MATCHTRADE_BASE_URL=\n",
    )
    monkeypatch.setenv("DXTRADE_DOMAIN", "default")
    monkeypatch.setenv("DX1_USERNAME", "1210003")
    profiles = brokers.load_profiles(env_file)
    assert list(profiles) == ["dx1", "MT-2", "dxtrade"]
    assert profiles["dx1"].username == "1210003"  # the environment wins over the file
    single = profiles["dxtrade"]
    assert (single.broker, single.account, single.domain) == (
        "dxtrade",
        "default:1210003",
        "default",
    )


def test_profile_repr_never_shows_the_password(sandbox):
    profile = dx_profile(sandbox, password="hunter2-secret")
    assert "hunter2-secret" not in repr(profile) and "hunter2-secret" not in str(profile)
    assert isinstance(profile.password, brokers.redaction.Secret)
    client = profile.client(timeout=3)
    assert isinstance(client, brokers.DXTrade) and client.timeout == 3
    assert client._password.reveal() == "hunter2-secret"
    assert profile == dx_profile(sandbox, password="hunter2-secret")
    assert profile != dx_profile(sandbox, password="other-secret")
    client.close()
