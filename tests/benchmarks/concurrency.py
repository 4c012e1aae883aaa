"""Section 4: ``brokers.fetch_balances`` over many DXtrade clients with injected latency.

Each target is a new (cold) DXtrade client of a seed user: ``get_balances()`` on it is three
sequential requests (login, ``/users``, one ``/accounts/metrics``), each delayed by the
sandbox's latency. One *round* is the measured wall time of one such target alone
(``fetch_balances([client], workers=1)``): about 3 latencies. With W workers, N targets
ideally take ``ceil(N / W)`` rounds.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import brokers
from brokers.sandbox.server import _Server

from .clients import DX_SOLO, DX_USER, Meter, dxtrade
from .report import Section
from .sandbox_process import SandboxProcess

TARGET_FACTOR = 1.5
SINGLE_RUNS = 3


def listen_overflows() -> int | None:
    """The kernel's count of connections dropped at full listen queues (all sockets)."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=True))
            return int(table.get("ListenOverflows", 0)) + int(table.get("ListenDrops", 0))
    return None


def somaxconn() -> int | None:
    try:
        return int(Path("/proc/sys/net/core/somaxconn").read_text())
    except (OSError, ValueError):
        return None


@contextmanager
def latency(sb: SandboxProcess, seconds: float) -> Iterator[None]:
    """Latency injected at the sandbox for the block; none afterwards."""
    sb.set_latency(seconds)
    try:
        yield
    finally:
        sb.set_latency(0.0)


def new_clients(sb: SandboxProcess, count: int) -> list[brokers.BrokerClient]:
    """``count`` cold DXtrade clients, the two seed users alternating."""
    return [dxtrade(sb, DX_USER if i % 2 == 0 else DX_SOLO) for i in range(count)]


def timed_fanout(sb: SandboxProcess, count: int, workers: int, delay: float) -> dict[str, Any]:
    """Wall time of ``fetch_balances`` over ``count`` cold clients at ``workers``."""
    clients = new_clients(sb, count)
    meter = Meter(sb)
    try:
        with latency(sb, delay):
            started = time.perf_counter()
            results = brokers.fetch_balances(clients, workers=workers)
            wall = time.perf_counter() - started
        counts = meter.mark()
    finally:
        for client in clients:
            client.close()  # latency is off again: logouts do not slow the run
    if not results.ok:
        raise RuntimeError(f"fan-out failed: {results.errors}")
    return {
        "targets": count,
        "workers": workers,
        "wall_s": round(wall, 3),
        "requests": counts.requests,
        "connections": counts.connections,
    }


def single_target_s(sb: SandboxProcess, delay: float) -> float:
    """One round: the median wall time of one cold target alone at this latency."""
    return statistics.median(timed_fanout(sb, 1, 1, delay)["wall_s"] for _ in range(SINGLE_RUNS))


def fanout(
    sb: SandboxProcess, targets: int, workers: tuple[int, ...], delay: float = 0.1
) -> Section:
    """Section 4."""
    section = Section(
        "fanout", f"4. fetch_balances(): {targets} DXtrade targets, {delay * 1000:.0f} ms latency"
    )
    overflows_before = listen_overflows()
    one = single_target_s(sb, delay)
    section.add("one target alone (= 1 round)", f"{one * 1000:.0f} ms")
    runs = []
    for count in workers:
        run = timed_fanout(sb, targets, count, delay)
        run["ideal_s"] = round(math.ceil(targets / count) * one, 3)
        run["vs_ideal"] = round(run["wall_s"] / run["ideal_s"], 3)
        runs.append(run)
        at_eight = count == 8
        section.add(
            f"{targets} targets, workers={count}: wall (ideal)",
            f"{run['wall_s']:.2f} s ({run['ideal_s']:.2f} s) = {run['vs_ideal']:.2f}x",
            f"<= {TARGET_FACTOR}x" if at_eight else "",
            run["vs_ideal"] <= TARGET_FACTOR if at_eight else None,
        )
    issue4 = timed_fanout(sb, 16, 8, delay)
    issue4["rounds"] = round(issue4["wall_s"] / one, 2)
    section.add(
        "issue 4: 16 targets, 8 workers",
        f"{issue4['wall_s']:.2f} s = {issue4['rounds']:.2f} rounds",
        "~2 rounds",
        issue4["rounds"] <= 2 * TARGET_FACTOR,
    )
    overflows = _backlog(section, overflows_before, max(workers))
    section.data.update(
        latency_s=delay,
        single_target_s=round(one, 3),
        round="one cold target alone: login + /users + /accounts/metrics, ~3 latencies",
        runs=runs,
        issue4=issue4,
        listen_backlog=overflows,
    )
    section.notes += [
        f"1 round = one cold target alone: login, /users, /accounts/metrics = 3 sequential "
        f"requests, {3 * delay * 1000:.0f} ms of latency plus work",
        "ideal = ceil(targets / workers) x 1 round; every target is a new client (1 connection)",
    ]
    return section


def _backlog(section: Section, overflows_before: int | None, peak: int) -> dict[str, Any]:
    """Check that the sandbox's listen queue never overflowed during the fan-out."""
    overflows_after = listen_overflows()
    dropped = (
        None
        if overflows_before is None or overflows_after is None
        else overflows_after - overflows_before
    )
    backlog = _Server.request_queue_size
    limit = somaxconn()
    effective = min(backlog, limit) if limit else backlog
    section.add(
        "listen queue overflows during the fan-out",
        "n/a" if dropped is None else str(dropped),
        "0",
        None if dropped is None else dropped == 0,
    )
    fine = effective >= peak and not dropped
    section.notes.append(
        f"sandbox: one thread per connection, listen backlog {backlog} (somaxconn {limit}): "
        f"effective {effective} for at most {peak} simultaneous connects, "
        + ("not a bottleneck" if fine else "POSSIBLY A BOTTLENECK")
    )
    return {
        "sandbox_backlog": backlog,
        "somaxconn": limit,
        "effective": effective,
        "peak_simultaneous_connects": peak,
        "overflows_during_run": dropped,
    }
