"""The ``brokers`` command's journal and quotes, help, capabilities and rough edges (issues 12
and 13), run for real in a subprocess against an in-process sandbox."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import brokers
from brokers import capabilities
from tests.conftest import ROOT
from tests.test_cli import GOOD, brokers_cmd, env_file, workdir, write_env  # noqa: F401


def test_help_lists_the_options_that_work_before_or_after_the_command(brokers_cmd):
    result = brokers_cmd("--help")
    assert result.status == 0
    for option in ("--json", "--csv", "--profile", "--env-file", "-q", "--timeout", "--workers"):
        assert option in result.stdout
    for command in ("history", "quote", "capabilities"):
        assert command in result.stdout


def test_history_is_a_journal_with_totals_per_account(brokers_cmd, env_file, sandbox):
    table = brokers_cmd(
        "history", "--since", "2020-01-01", "--profile", "dx1", "--env-file", str(env_file)
    )
    assert table.status == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:7] == [
        "PROFILE",
        "BROKER",
        "ACCOUNT",
        "ID",
        "SYMBOL",
        "SIDE",
        "QUANTITY",
    ]
    assert re.search(r" \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ ", lines[1])  # times to the second
    totals = [line for line in lines if " TOTAL " in line]
    assert len(totals) == 1 and "5 trades" in totals[0]  # the trading account's five trades

    csv_run = brokers_cmd(
        "--csv", "history", "--since", "2020-01-01", "--profile", "dx1", "--env-file", str(env_file)
    )
    rows = list(csv.DictReader(io.StringIO(csv_run.stdout)))
    assert len(rows) == 5 and {r["account"] for r in rows} == {"default:1210001"}
    assert all(r["profit"].count(".") == 1 and len(r["profit"].split(".")[1]) == 2 for r in rows)
    trades = brokers_cmd(
        "history",
        "--json",
        "--since",
        "2020-01-01",
        "--profile",
        "dx1",
        "--env-file",
        str(env_file),
    ).results()["dx1"]["trades"]
    assert trades[0]["open_price"] == "1.07950"  # JSON keeps the exact decimals
    assert sum(Decimal(r["profit"]) for r in rows) == sum(Decimal(t["profit"]) for t in trades)


def test_history_needs_since_and_refuses_a_bad_date(brokers_cmd, env_file):
    assert brokers_cmd("history", "--env-file", str(env_file)).status == 2
    bad = brokers_cmd("history", "--since", "yesterday", "--env-file", str(env_file))
    assert bad.status == 2 and "ISO 8601" in bad.stderr


def test_quote_prints_bid_ask_and_spread(brokers_cmd, env_file, sandbox):
    result = brokers_cmd(
        "quote", "EUR/USD", "XAU/USD", "--profile", "dx1", "--csv", "--env-file", str(env_file)
    )
    assert result.status == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["symbol"], r["bid"], r["ask"], r["spread"]) for r in rows] == [
        ("EUR/USD", "1.08500", "1.08510", "0.00010"),
        ("XAU/USD", "2400.10", "2400.50", "0.40"),
    ]


def test_capabilities_prints_the_readme_table(brokers_cmd):
    result = brokers_cmd("capabilities")
    assert result.status == 0 and result.stdout.strip() == capabilities.table()
    readme = (ROOT / "README.md").read_text()
    assert capabilities.table() in readme, "README's capability table is out of date"


def test_money_shows_two_places_side_by_side(brokers_cmd, env_file, sandbox):
    table = brokers_cmd("--env-file", str(env_file))
    rows = [line.split() for line in table.stdout.splitlines()[1:]]
    credits = [row[-1] for row in rows]
    assert credits and all(c.endswith(".00") for c in credits)  # DXtrade's 0 is 0.00 too


def test_positions_table_and_csv_carry_the_open_time(brokers_cmd, env_file, sandbox):
    result = brokers_cmd("positions", "--csv", "--profile", "dx1", "--env-file", str(env_file))
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["open_time"].startswith("20") for r in rows)


def test_a_timeout_hint_names_the_option(brokers_cmd, env_file, sandbox):
    sandbox.fault("/dxsca-web/accounts/metrics", delay=3, times=None)
    result = brokers_cmd(
        "--profile", "dx1", "--timeout", "0.5", "--retries", "0", "--env-file", str(env_file)
    )
    assert result.status == 4
    assert "--timeout" in result.stderr and "timeout=" not in result.stderr


def test_a_profile_name_typo_is_a_helpful_error(tmp_path, sandbox):
    path = write_env(tmp_path / "b.env", sandbox.url, {"ftmo": GOOD["dx1"]})
    profiles = brokers.load_profiles(path)
    assert profiles["FTMO"] is profiles["ftmo"]
    try:
        profiles["ftmoo"]
    except brokers.ConfigurationError as exc:
        assert "unknown profile 'ftmoo' (configured: ftmo)" in str(exc)
    else:
        raise AssertionError("a typo must raise")


def test_a_refused_login_is_not_sent_again_and_says_so(sandbox, dx):
    client = dx(password="wrong-pass-90210")
    for _ in range(2):
        try:
            client.get_balance()
        except brokers.AuthenticationError as exc:
            last = exc
    assert sandbox.count("/dxsca-web/login") == 1
    assert "not sent again" in str(last) and "login()" in str(last)


def test_the_sandbox_help_lists_the_demo_logins():
    import subprocess
    import sys

    from brokers.sandbox import DX_PASSWORD, MT_BROKER_ID

    result = subprocess.run(
        [sys.executable, "-m", "brokers.sandbox", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert result.returncode == 0
    for expected in ("1210001", DX_PASSWORD, "trader@example.com", repr(MT_BROKER_ID)):
        assert expected in result.stdout
