"""Sections 1 and 3: requests and connections per operation, counted at the sandbox."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

import brokers

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
from .sandbox_process import SandboxProcess

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


def requests_per_operation(sb: SandboxProcess, reads: int = 10) -> Section:
    """Section 1."""
    section = Section("requests", "1. Requests and new TCP connections per operation")
    _operation_rows(section, sb)
    _original_rows(section, sb, reads)
    section.notes += [
        "cold = a new client (login included); warm = the same call again on that client",
        "counted at the sandbox; 'new' connections = TCP connections not used before",
        "original script's way = a new client, HTTP session and login for every read",
        "Match-Trader has no multi-account balance call: one request per account",
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
