"""Sections 1 and 3: requests and connections per operation, counted at the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

import brokers
from brokers.sandbox import DX_DOMAIN, DX_PASSWORD, MT_BROKER_ID, MT_PASSWORD

from .clients import (
    DX_ACCOUNT,
    DX_CURRENCY,
    DX_SOLO,
    DX_USER,
    MT_SOLO,
    MT_USER,
    Counts,
    Meter,
    dxtrade,
    loop_client,
    matchtrade,
)
from .report import Section
from .sandbox_process import SandboxProcess, child_env

Factory = Callable[..., brokers.BrokerClient]
Operation = Callable[[brokers.BrokerClient], Any]


def cold_and_warm(
    sb: SandboxProcess, make: Callable[[], brokers.BrokerClient], op: Operation
) -> tuple[Counts, Counts]:
    """Counts of ``op`` on a new client (cold), then again on the same client (warm)."""
    meter = Meter(sb)
    client = make()
    try:
        op(client)
        cold = meter.mark()
        op(client)
        warm = meter.mark()
    finally:
        client.close()
    return cold, warm


def one_client_reads(sb: SandboxProcess, make: Factory, reads: int) -> Counts:
    """``reads`` balance reads on one client (one login, then warm reads)."""
    meter = Meter(sb)
    with make() as client:
        for _ in range(reads):
            client.get_balance()
        return meter.mark()


def original_way(sb: SandboxProcess, make: Factory, reads: int) -> Counts:
    """``reads`` balance reads the way the original script did: a new client, a new HTTP
    session and a login for every read (and no logout: the script just dropped them)."""
    meter = Meter(sb)
    for _ in range(reads):
        with requests.Session() as http:
            make(session=http).get_balance()
    return meter.mark()


def _operation_rows(section: Section, sb: SandboxProcess) -> None:
    """Cold and warm counts of the single- and multi-account reads on both platforms."""
    cases: list[tuple[str, Callable[[], brokers.BrokerClient], Operation, int, int]] = [
        ("DXtrade get_balance()", lambda: dxtrade(sb, DX_SOLO), _balance, 3, 1),
        (
            "DXtrade get_balance(), account= and currency= set",
            lambda: dxtrade(sb, DX_USER, account=DX_ACCOUNT, currency=DX_CURRENCY),
            _balance,
            2,
            1,
        ),
        ("DXtrade get_balances(), login with 2 accounts", lambda: dxtrade(sb), _balances, 3, 1),
        ("Match-Trader get_balance()", lambda: matchtrade(sb, MT_SOLO), _balance, 2, 1),
        (
            "Match-Trader get_balances(), login with 2 accounts",
            lambda: matchtrade(sb, MT_USER),
            _balances,
            3,
            2,
        ),
    ]
    for label, make, op, cold_target, warm_target in cases:
        cold, warm = cold_and_warm(sb, make, op)
        section.add(
            f"{label}: cold",
            cold.text(),
            f"{cold_target} req, 1 conn",
            cold.requests == cold_target and cold.connections == 1,
        )
        section.add(
            f"{label}: warm",
            warm.text(),
            f"{warm_target} req, 0 new",
            warm.requests == warm_target and warm.connections == 0,
        )
        section.data[label] = {"cold": cold.to_dict(), "warm": warm.to_dict()}


def _balance(client: brokers.BrokerClient) -> Any:
    return client.get_balance()


def _balances(client: brokers.BrokerClient) -> Any:
    return client.get_balances()


def _original_rows(section: Section, sb: SandboxProcess, reads: int) -> None:
    """N balance reads: one client against the original script's new client per read."""
    platforms: list[tuple[str, Factory]] = [
        ("DXtrade", lambda **kw: dxtrade(sb, DX_SOLO, **kw)),
        ("Match-Trader", lambda **kw: matchtrade(sb, MT_SOLO, **kw)),
    ]
    for name, make in platforms:
        ours = one_client_reads(sb, make, reads)
        theirs = original_way(sb, make, reads)
        section.add(f"{name} {reads} reads, one client", ours.text())
        section.add(f"{name} {reads} reads, original script's way", theirs.text())
        section.data[f"{name} {reads} reads"] = {
            "one_client": ours.to_dict(),
            "original_script": theirs.to_dict(),
        }


def brokers_balance(sb: SandboxProcess, env_file: Path, cache_home: str) -> Counts:
    """One run of the ``brokers balance`` command (its own process, token cache on as by
    default, in ``cache_home``), counted at the sandbox."""
    env = {
        k: v
        for k, v in child_env().items()
        if not k.startswith(("DXTRADE_", "MATCHTRADE_", "BROKERS_"))
    }
    env["XDG_CACHE_HOME"] = cache_home  # never the real home cache
    meter = Meter(sb)
    command = [sys.executable, "-m", "brokers", "balance", "--json", "--env-file", str(env_file)]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"brokers balance failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return meter.mark()


def _platform_counts(counts: Counts, is_dx: bool) -> tuple[int, int]:
    """(requests, logins) of one platform in a run's counts."""
    paths = {k: v for k, v in counts.by_path.items() if ("/dxsca-web/" in k) == is_dx}
    return sum(paths.values()), sum(v for k, v in paths.items() if k.endswith("login"))


def _token_cache_rows(section: Section, sb: SandboxProcess) -> None:
    """Two cron-like runs of ``brokers balance`` (a DXtrade and a Match-Trader login, two
    accounts each): the first cold, the second within the session lifetime."""
    with tempfile.TemporaryDirectory(prefix="brokers-bench-") as scratch:
        env_file = Path(scratch) / "brokers.env"
        env_file.write_text(
            f"BROKERS_PROFILES=dx,mt\nDX_BROKER=dxtrade\nDX_BASE_URL={sb.dxtrade_url}\n"
            f"DX_USERNAME={DX_USER}\nDX_PASSWORD={DX_PASSWORD}\nDX_DOMAIN={DX_DOMAIN}\n"
            f"MT_BROKER=matchtrade\nMT_BASE_URL={sb.url}\nMT_USERNAME={MT_USER}\n"
            f"MT_PASSWORD={MT_PASSWORD}\nMT_BROKER_ID={MT_BROKER_ID}\n"
        )
        cache_home = os.path.join(scratch, "cache")
        cold = brokers_balance(sb, env_file, cache_home)
        second = brokers_balance(sb, env_file, cache_home)
    dx_cold, _ = _platform_counts(cold, is_dx=True)
    section.add(
        "brokers balance, DXtrade cold (nothing cached)",
        f"{dx_cold} requests",
        "<= 3 req",
        dx_cold <= 3,
    )
    for name, is_dx in (("DXtrade", True), ("Match-Trader", False)):
        requests_, logins = _platform_counts(second, is_dx)
        section.add(
            f"brokers balance, 2nd run, token cache: {name}, 2 accounts",
            f"{requests_} req, {logins} logins",
            "<= 2 req (1/account), 0 logins",
            requests_ <= 2 and logins == 0,
        )
    section.data["token cache: brokers balance"] = {
        "cold": cold.to_dict(),
        "second_run": second.to_dict(),
    }


def requests_per_operation(sb: SandboxProcess, reads: int = 10) -> Section:
    """Section 1."""
    section = Section("requests", "1. Requests and new TCP connections per operation")
    _operation_rows(section, sb)
    _token_cache_rows(section, sb)
    _original_rows(section, sb, reads)
    section.notes += [
        "cold = a new client (login included); warm = the same call again on that client",
        "counted at the sandbox; 'new' connections = TCP connections not used before",
        "original script's way = a new client, HTTP session and login for every read",
        "Match-Trader has no multi-account balance call: one request per account",
        "brokers balance runs = the command in its own process, token cache on (its default) "
        "in a scratch XDG_CACHE_HOME; the 2nd run takes the 1st run's session",
    ]
    return section


def connections_for_reads(sb: SandboxProcess, reads: int) -> Section:
    """Section 3: connections opened for ``reads`` warm balance reads, both platforms."""
    section = Section("connections", f"3. TCP connections for {reads:,} warm balance reads")
    for platform, name in (("dxtrade", "DXtrade"), ("matchtrade", "Match-Trader")):
        with loop_client(sb, platform) as client:
            client.get_balance()  # log in first: only warm reads are counted
            meter = Meter(sb)
            started = time.perf_counter()
            for _ in range(reads):
                client.get_balance()
            elapsed = time.perf_counter() - started
            counts = meter.mark()
        section.add(
            f"{name}: connections carrying the {reads:,} reads",
            f"{counts.connections} ({counts.requests:,} requests)",
            "1",
            counts.connections == 1 and counts.requests == reads,
        )
        section.data[platform] = {
            **counts.to_dict(),
            "reads": reads,
            "wall_s": round(elapsed, 3),
            "wall_us_per_read": round(elapsed / reads * 1e6, 1),
        }
    section.notes.append(
        "the login's connection is reused: 1 means no new connection during the reads"
    )
    return section
