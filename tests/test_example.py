"""example.py, run as a user runs it: sandbox fallback, configured brokers, exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from brokers.sandbox import DX_PASSWORD

EXAMPLE = Path(__file__).resolve().parent.parent / "example.py"


def run_example(cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DXTRADE_", "MATCHTRADE_", "TRADELOCKER_", "PROJECTX_", "BROKERS_"))
    }
    return subprocess.run(
        [sys.executable, str(EXAMPLE)],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_credentials_it_uses_the_sandbox_and_says_so(tmp_path):
    done = run_example(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "sandbox" in done.stdout
    assert "balance 100000.00 USD" in done.stdout and "balance 10000.00 USD" in done.stdout
    for platform in ("dxtrade", "matchtrade", "tradelocker", "projectx"):
        assert f"\n{platform}:" in "\n" + done.stdout  # one demo login of each platform


def test_configured_broker_from_dot_env(tmp_path, sandbox):
    (tmp_path / ".env").write_text(
        f"DXTRADE_BASE_URL={sandbox.url}\nDXTRADE_USERNAME=1210003\nDXTRADE_PASSWORD={DX_PASSWORD}\n"
    )
    done = run_example(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "balance 25000.00 GBP" in done.stdout and "sandbox" not in done.stdout
    assert sandbox.count("/dxsca-web/logout") == 1


def test_failing_broker_gives_non_zero_exit_without_leaking_the_password(tmp_path, sandbox):
    (tmp_path / ".env").write_text(
        f"DXTRADE_BASE_URL={sandbox.url}\nDXTRADE_USERNAME=1210003\nDXTRADE_PASSWORD=wrong-pass-123\n"
    )
    done = run_example(tmp_path)
    assert done.returncode == 1
    assert "AuthenticationError" in done.stderr
    assert "wrong-pass-123" not in done.stdout + done.stderr


def test_incomplete_configuration_names_the_missing_variable(tmp_path):
    done = run_example(tmp_path, DXTRADE_BASE_URL="https://dx.example.com")
    assert done.returncode == 2 and "DXTRADE_USERNAME" in done.stderr


def test_named_profiles_are_used_too(tmp_path, sandbox):
    (tmp_path / ".env").write_text(
        "BROKERS_PROFILES=ftmo\nFTMO_BROKER=dxtrade\n"
        f"FTMO_BASE_URL={sandbox.url}\nFTMO_USERNAME=1210003\nFTMO_PASSWORD={DX_PASSWORD}\n"
    )
    done = run_example(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ftmo: account default:1210003: balance 25000.00 GBP" in done.stdout
