"""The ``brokers`` command, run for real in a subprocess against an in-process sandbox.

Each run starts ``python -m brokers`` in a scratch working directory (not the repository)
with an environment stripped of every DXTRADE_/MATCHTRADE_/BROKERS_ variable, so the only
configuration is the env file the test writes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from brokers.cli import exit_status, normalise_argv
from brokers.sandbox import DX_PASSWORD, MT_BROKER_ID, MT_PASSWORD
from tests.conftest import ROOT, secrets_seen

BAD_PASSWORD = "wrong-pass-90210"
METRICS = "/dxsca-web/accounts/metrics"

# name -> (platform, login, password)
GOOD = {
    "dx1": ("dxtrade", "1210001", DX_PASSWORD),
    "dx3": ("dxtrade", "1210003", DX_PASSWORD),
    "mt2": ("matchtrade", "trader@example.com", MT_PASSWORD),
    "mt1": ("matchtrade", "solo@example.com", MT_PASSWORD),
}


@dataclass
class Result:
    status: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)  # the whole of stdout is one JSON document

    def results(self) -> dict[str, dict]:
        return {entry["name"]: entry for entry in self.json()["results"]}


def child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DXTRADE_", "MATCHTRADE_", "BROKERS_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


@pytest.fixture
def workdir(tmp_path) -> Path:
    path = tmp_path / "cwd"
    path.mkdir()
    return path


@pytest.fixture
def brokers_cmd(workdir):
    """Run ``python -m brokers ARGS`` in a scratch directory; returns a :class:`Result`."""

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "brokers", *args],
            cwd=workdir,
            env=child_env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=60,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


def write_env(path: Path, url: str, profiles: dict[str, tuple[str, str, str]]) -> Path:
    lines = [f"BROKERS_PROFILES={','.join(profiles)}"]
    for name, (platform, login, password) in profiles.items():
        prefix = name.upper().replace("-", "_")
        lines += [
            f"{prefix}_BROKER={platform}",
            f"{prefix}_BASE_URL={url}",
            f"{prefix}_USERNAME={login}",
            f"{prefix}_PASSWORD={password}",
        ]
        if platform == "matchtrade":
            lines.append(f"{prefix}_BROKER_ID={MT_BROKER_ID}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def env_file(tmp_path, sandbox) -> Path:
    """An env file (outside the working directory) with the four good profiles."""
    return write_env(tmp_path / "config" / "brokers.env", sandbox.url, GOOD)


def assert_no_secrets(result: Result, sandbox) -> None:
    passwords = {DX_PASSWORD, MT_PASSWORD, BAD_PASSWORD}
    seen = secrets_seen(sandbox) | passwords
    assert seen - passwords  # session tokens were collected, not only the passwords
    leaked = [s for s in seen if s in result.stdout or s in result.stderr]
    assert not leaked, f"{len(leaked)} secret value(s) on stdout/stderr"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ success


def test_json_of_every_profile_with_debug_logs_and_no_secret(brokers_cmd, env_file, sandbox):
    result = brokers_cmd("--json", "-vv", "--env-file", str(env_file))
    assert result.status == 0, result.stderr
    document = result.json()
    assert (document["command"], document["ok"], document["exit_status"]) == ("balance", True, 0)
    assert [e["name"] for e in document["results"]] == ["dx1", "dx3", "mt2", "mt1"]
    entries = result.results()
    assert all(e["ok"] and e["error"] is None for e in entries.values())
    dx1 = entries["dx1"]["balances"]
    assert dx1 == [
        {
            "broker": "dxtrade",
            "account": "default:1210001",
            "currency": "USD",
            "balance": "100000.00",
            "equity": "100250.55",
            "available": "98750.25",
            "margin": "1500.30",
            "profit": "250.55",
            "credit": "0",
        },
        {
            "broker": "dxtrade",
            "account": "default:1210002",
            "currency": "EUR",
            "balance": "50000.00",
            "equity": "49900.10",
            "available": "49000.10",
            "margin": "900.00",
            "profit": "-99.90",
            "credit": "100.00",
        },
    ]
    assert [(b["account"], b["balance"]) for b in entries["dx3"]["balances"]] == [
        ("default:1210003", "25000.00")
    ]
    mt2 = entries["mt2"]["balances"]
    assert [(b["account"], b["currency"], b["balance"], b["equity"]) for b in mt2] == [
        ("700001", "USD", "10000.00", "10012.34"),
        ("700002", "EUR", "5000.00", "4990.50"),
    ]
    assert mt2[1]["credit"] == "50.00"
    assert [b["account"] for b in entries["mt1"]["balances"]] == ["700003"]
    assert sandbox.count(METRICS) == 2  # one multi-account request per DXtrade login
    assert "DEBUG" in result.stderr and "response body" in result.stderr
    assert_no_secrets(result, sandbox)


def test_table_with_brokers_env_file_and_csv(brokers_cmd, env_file, sandbox):
    table = brokers_cmd(env={"BROKERS_ENV_FILE": str(env_file)})
    assert table.status == 0 and table.stderr == ""
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "PROFILE",
        "BROKER",
        "ACCOUNT",
        "CURRENCY",
        "BALANCE",
        "EQUITY",
        "AVAILABLE",
        "MARGIN",
        "PROFIT",
        "CREDIT",
    ]
    assert len(lines) == 1 + 6
    assert lines[1].split()[:5] == ["dx1", "dxtrade", "default:1210001", "USD", "100000.00"]
    assert lines[-1].split()[:5] == ["mt1", "matchtrade", "700003", "USD", "2500.00"]
    edge = lines[0].index("BALANCE") + len("BALANCE")
    assert all(line[edge - 3 : edge] == ".00" for line in lines[1:])  # figures right-aligned
    assert_no_secrets(table, sandbox)

    table_csv = brokers_cmd("--csv", "balance", "--env-file", str(env_file), "--profile", "mt2")
    assert table_csv.status == 0
    rows = list(csv.DictReader(io.StringIO(table_csv.stdout)))
    assert [(r["profile"], r["account"], r["balance"], r["error"]) for r in rows] == [
        ("mt2", "700001", "10000.00", ""),
        ("mt2", "700002", "5000.00", ""),
    ]
    assert_no_secrets(table_csv, sandbox)


def test_single_configurations_from_the_environment(brokers_cmd, sandbox):
    env = {
        "DXTRADE_BASE_URL": sandbox.dxtrade_url,
        "DXTRADE_USERNAME": "1210003",
        "DXTRADE_PASSWORD": DX_PASSWORD,
        "MATCHTRADE_BASE_URL": sandbox.url,
        "MATCHTRADE_EMAIL": "solo@example.com",
        "MATCHTRADE_PASSWORD": MT_PASSWORD,
        "MATCHTRADE_BROKER_ID": MT_BROKER_ID,
        "MATCHTRADE_ACCOUNT": "700003",
    }
    result = brokers_cmd("--json", env=env)
    assert result.status == 0, result.stderr
    entries = result.results()
    assert list(entries) == ["dxtrade", "matchtrade"]
    assert entries["dxtrade"]["balances"][0]["balance"] == "25000.00"
    assert entries["matchtrade"]["balances"][0]["account"] == "700003"


def test_check_logs_in_only_and_accounts_lists_them(brokers_cmd, env_file, sandbox):
    check = brokers_cmd("check", "--env-file", str(env_file), "--json")
    assert check.status == 0
    assert [(e["name"], e["ok"]) for e in check.json()["results"]] == [
        ("dx1", True),
        ("dx3", True),
        ("mt2", True),
        ("mt1", True),
    ]
    assert sandbox.count(METRICS) == sandbox.count("/mtr-api/*") == 0
    assert sandbox.count("/dxsca-web/login") == 2 and sandbox.count("/manager/co-login") == 2

    accounts = brokers_cmd("accounts", "--csv", "--env-file", str(env_file), "--profile", "dx1")
    assert accounts.status == 0
    rows = list(csv.DictReader(io.StringIO(accounts.stdout)))
    assert [(r["profile"], r["account"], r["currency"]) for r in rows] == [
        ("dx1", "default:1210001", "USD"),
        ("dx1", "default:1210002", "EUR"),
    ]
    assert_no_secrets(accounts, sandbox)


# ------------------------------------------------------------ exit statuses


def test_partial_failure_is_7_with_the_others_printed_and_alone_it_is_3(
    brokers_cmd, tmp_path, sandbox
):
    profiles = {
        "dx1": GOOD["dx1"],
        "bad-mt": ("matchtrade", "trader@example.com", BAD_PASSWORD),
        "mt1": GOOD["mt1"],
    }
    env_file = write_env(tmp_path / "partial.env", sandbox.url, profiles)
    partial = brokers_cmd("--json", "-vv", "--env-file", str(env_file))
    assert partial.status == 7
    document = partial.json()
    assert document["ok"] is False and document["exit_status"] == 7
    entries = partial.results()
    assert list(entries) == ["dx1", "bad-mt", "mt1"]
    assert [b["balance"] for b in entries["dx1"]["balances"]] == ["100000.00", "50000.00"]
    assert [b["balance"] for b in entries["mt1"]["balances"]] == ["2500.00"]
    failed = entries["bad-mt"]
    assert failed["ok"] is False and failed["balances"] == []
    assert failed["error"]["type"] == "AuthenticationError"
    assert "login refused" in failed["error"]["message"]
    assert "bad-mt: AuthenticationError" in partial.stderr
    assert_no_secrets(partial, sandbox)

    alone = brokers_cmd("--profile", "bad-mt", "--env-file", str(env_file))
    assert alone.status == 3
    assert "AuthenticationError" in alone.stdout and "AuthenticationError" in alone.stderr
    assert_no_secrets(alone, sandbox)


def test_unreachable_broker_is_4(brokers_cmd, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    env_file = write_env(tmp_path / "down.env", url, {"dx1": GOOD["dx1"]})
    started = time.monotonic()
    result = brokers_cmd("--json", "--retries", "0", "--timeout", "2", "--env-file", str(env_file))
    assert result.status == 4
    assert result.results()["dx1"]["error"]["type"] == "NetworkError"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "fault, status, error",
    [
        ({"status": 503}, 4, "ServerError"),
        ({"status": 429, "headers": {"Retry-After": "3600"}}, 5, "RateLimitError"),
        ({"status": 200, "body": "<!doctype html><title>Broker</title>"}, 6, "ResponseError"),
    ],
    ids=["server-error", "rate-limited", "html-page"],
)
def test_failures_of_the_balance_route(brokers_cmd, env_file, sandbox, fault, status, error):
    sandbox.fault(METRICS, times=None, **fault)
    retries = ["--retries", "0"] if fault["status"] == 503 else []  # 429 above the cap: no wait
    result = brokers_cmd("--json", "--profile", "dx1", "--env-file", str(env_file), *retries)
    assert result.status == status, result.stderr
    assert result.results()["dx1"]["error"]["type"] == error
    assert sandbox.count(METRICS) == 1  # sent once: no retry, no sleep
    assert_no_secrets(result, sandbox)


def test_configuration_errors_are_78(brokers_cmd, tmp_path, sandbox):
    env_file = write_env(tmp_path / "incomplete.env", sandbox.url, {"dx1": GOOD["dx1"]})
    env_file.write_text(env_file.read_text().replace(f"DX1_PASSWORD={DX_PASSWORD}\n", ""))
    missing = brokers_cmd("--json", "--env-file", str(env_file))
    assert missing.status == 78
    assert "DX1_PASSWORD is not set" in missing.stderr
    assert missing.json()["error"]["type"] == "ConfigurationError"

    complete = write_env(tmp_path / "complete.env", sandbox.url, {"dx1": GOOD["dx1"]})
    unknown = brokers_cmd("--profile", "nope", env={"BROKERS_ENV_FILE": str(complete)})
    assert unknown.status == 78 and unknown.stdout == ""
    assert "unknown profile 'nope' (configured: dx1)" in unknown.stderr

    no_file = brokers_cmd("--env-file", str(tmp_path / "missing.env"))
    assert no_file.status == 78 and "missing.env" in no_file.stderr
    assert sandbox.count() == 0


def test_usage_errors_are_2(brokers_cmd):
    for args in (["--workers", "0"], ["--json", "--csv"], ["balance", "--password", "x"]):
        result = brokers_cmd(*args)
        assert result.status == 2, args
        assert "usage: brokers" in result.stderr and result.stdout == ""


# ------------------------------------------------------------------ sandbox


def test_sandbox_subcommand_serves_the_emulator(workdir):
    proc = subprocess.Popen(
        [sys.executable, "-m", "brokers", "sandbox", "--port", "0"],
        cwd=workdir,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("SANDBOX_URL=http://127.0.0.1:")
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert proc.returncode == 0


# --------------------------------------------------------------- in process


def test_exit_status_mapping():
    import brokers

    cases = {
        brokers.ConfigurationError: 78,
        brokers.AuthenticationError: 3,
        brokers.AccountLockedError: 3,
        brokers.NetworkError: 4,
        brokers.RequestTimeoutError: 4,
        brokers.ServerError: 4,
        brokers.RateLimitError: 5,
        brokers.ResponseError: 6,
        brokers.BotProtectionError: 6,
        brokers.RequestRejectedError: 1,
        brokers.BrokerError: 1,
    }
    for cls, status in cases.items():
        assert exit_status(cls("x")) == status, cls


def test_the_command_may_come_anywhere_and_balance_is_the_default():
    assert normalise_argv([]) == ["balance"]
    assert normalise_argv(["--json"]) == ["balance", "--json"]
    assert normalise_argv(["--json", "accounts", "-v"]) == ["accounts", "--json", "-v"]
    assert normalise_argv(["--profile", "check", "check"]) == ["check", "--profile", "check"]
    assert normalise_argv(["-h"]) == ["-h"]
    assert normalise_argv(["sandbox", "--port", "0"]) == ["sandbox", "--port", "0"]


def test_positions_and_orders_are_listed_read_only(brokers_cmd, env_file, sandbox):
    positions = brokers_cmd("positions", "--json", "--env-file", str(env_file)).json()
    entries = {e["name"]: e for e in positions["results"]}
    assert [p["symbol"] for p in entries["dx1"]["positions"]] == ["XAU/USD", "EUR/USD"]
    assert [p["account"] for p in entries["dx1"]["positions"]] == [
        "default:1210001",
        "default:1210002",
    ]
    assert entries["mt2"]["positions"][0]["quantity"] == "0.10"
    orders = brokers_cmd("orders", "--csv", "--profile", "mt1", "--env-file", str(env_file))
    assert orders.status == 0, orders.stderr
    header, *rows = list(csv.reader(io.StringIO(orders.stdout)))
    assert header[:6] == ["profile", "broker", "account", "id", "symbol", "side"] and rows == []
    table = brokers_cmd("positions", "--profile", "dx3", "--env-file", str(env_file))
    assert "(no positions)" in table.stdout
    assert sandbox.count("*", method="DELETE") == 0
    assert not any(
        r.path.endswith(("/orders", "/open")) and r.method == "POST" for r in sandbox.requests
    )


def test_check_proves_a_configured_account_and_profiles_run_once(brokers_cmd, tmp_path, sandbox):
    env_file = write_env(tmp_path / "acct.env", sandbox.url, {"dx1": GOOD["dx1"]})
    with env_file.open("a") as f:
        f.write("DX1_ACCOUNT=default:999\n")
    result = brokers_cmd("check", "--json", "--env-file", str(env_file))
    assert result.status == 78
    assert "default:1210001" in result.results()["dx1"]["error"]["message"]
    fixed = write_env(tmp_path / "ok.env", sandbox.url, {"dx1": GOOD["dx1"]})
    sandbox.clear()
    twice = brokers_cmd("--json", "--profile", "dx1", "--profile", "DX1", "--env-file", str(fixed))
    assert [e["name"] for e in twice.json()["results"]] == ["dx1"]
    # One metrics read: the session and the account list are the check's, from the token cache.
    assert sandbox.count() == sandbox.count(METRICS) == 1
