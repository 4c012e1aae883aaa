"""Clients of the sandbox's seed users, and the sandbox meter (requests and connections)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import brokers
from brokers.sandbox import DX_DOMAIN, DX_PASSWORD, MT_BROKER_ID, MT_PASSWORD

from .sandbox_process import SandboxProcess

DX_USER = "1210001"  # two accounts: default:1210001 (USD), default:1210002 (EUR)
DX_SOLO = "1210003"  # one account
DX_ACCOUNT, DX_CURRENCY = "default:1210001", "USD"
MT_USER = "trader@example.com"  # two accounts: 700001, 700002
MT_SOLO = "solo@example.com"  # one account
UNPACED_RATE = brokers.Rate(1_000_000, 1.0)


def dxtrade(sb: SandboxProcess, user: str = DX_USER, **options: Any) -> brokers.DXTrade:
    """A new DXtrade client of a seed user (default options unless given)."""
    return brokers.DXTrade(sb.dxtrade_url, user, DX_PASSWORD, DX_DOMAIN, **options)


def matchtrade(sb: SandboxProcess, email: str = MT_USER, **options: Any) -> brokers.MatchTrade:
    """A new Match-Trader client of a seed user (default options unless given)."""
    return brokers.MatchTrade(sb.url, email, MT_PASSWORD, MT_BROKER_ID, **options)


def unpaced() -> brokers.Throttle:
    """A throttle whose ``request`` bucket never waits, but whose bookkeeping still runs.

    Match-Trader's default limiter allows 500 requests a minute (the platform's published
    limit), which would pace a loop of 1,000 reads to a minute. Loops use this instead, so
    the CPU cost of the limiter stays in the figures.
    """
    return brokers.Throttle({"request": UNPACED_RATE})


def loop_client(sb: SandboxProcess, platform: str) -> brokers.BrokerClient:
    """A client for long loops of warm reads: ``"dxtrade"`` or ``"matchtrade"``."""
    if platform == "dxtrade":
        return dxtrade(sb)
    return matchtrade(sb, throttle=unpaced())


@dataclass(frozen=True)
class Counts:
    """Requests and new TCP connections seen by the sandbox between two marks."""

    requests: int
    connections: int
    by_path: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        req = "request" if self.requests == 1 else "requests"
        conn = "connection" if self.connections == 1 else "connections"
        return f"{self.requests} {req}, {self.connections} new {conn}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "connections": self.connections,
            "by_path": dict(self.by_path),
        }


class Meter:
    """Counts at the sandbox since the previous mark.

    The sandbox counts the distinct connections that carried a request since its last
    ``clear``; the difference between two marks is therefore the *new* connections.
    """

    def __init__(self, sb: SandboxProcess) -> None:
        self.sb = sb
        sb.clear()
        self._last = sb.stats()

    def mark(self) -> Counts:
        """Requests and new connections since the previous mark."""
        now = self.sb.stats()
        paths = Counter(now["by_path"])
        paths.subtract(self._last["by_path"])
        counts = Counts(
            requests=now["requests"] - self._last["requests"],
            connections=now["connections"] - self._last["connections"],
            by_path={k: v for k, v in sorted(paths.items()) if v},
        )
        self._last = now
        return counts
