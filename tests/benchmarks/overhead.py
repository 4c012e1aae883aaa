"""Section 2: client CPU per warm ``get_balance()`` against a bare ``requests.Session``.

Both sides send the same GET (same URL, same headers, same timeout, no redirects) to the
same sandbox process and decode the JSON answer; the client also maps errors, applies its
retry policy and throttle, and builds a :class:`~brokers.Balance`. CPU is this process's
(``time.process_time``): the sandbox runs in another process and is not counted. The two
sides alternate in blocks, in swapped order every round, and the median block is taken.
Where the client's extra CPU goes is then timed stage by stage (:mod:`.stages`).
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable
from typing import Any

import requests

import brokers

from .clients import Meter, loop_client
from .report import Section
from .sandbox_process import SandboxProcess
from .stages import STAGES, stage_costs

TARGET_RATIO = 1.05
WARMUP_CALLS = 100
STAGE_CALLS = 1000  # calls per block when timing the client's stages


def cpu_us_per_call(fn: Callable[[], Any], calls: int) -> float:
    """This process's CPU microseconds per call of ``fn``."""
    started = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - started) / calls * 1e6


def same_get(sb: SandboxProcess, client: brokers.BrokerClient) -> tuple[str, dict[str, str]]:
    """The URL and headers of the client's warm ``get_balance()``, for a bare session.

    The path is taken from what the sandbox received; the headers are the client's own
    (``Accept``, ``User-Agent`` and the session headers of ``_auth_headers``).
    """
    balance = client.get_balance()
    meter = Meter(sb)
    client.get_balance()
    (key,) = meter.mark().by_path
    method, path = key.split(" ", 1)
    assert method == "GET", key
    headers = {
        "Accept": "application/json",
        "User-Agent": client.user_agent,
        **client._auth_headers(balance.account),
    }
    return client.base_url + path, headers


def bare_reader(
    url: str, headers: dict[str, str], timeout: Any
) -> tuple[requests.Session, Callable[[], Any]]:
    """A bare session and a function sending the GET and decoding its JSON."""
    session = requests.Session()

    def read() -> Any:
        response = session.get(url, headers=headers, timeout=timeout, allow_redirects=False)
        response.raise_for_status()
        return response.json()

    return session, read


def alternate(
    sides: dict[str, Callable[[], Any]], rounds: int, block: int
) -> dict[str, list[float]]:
    """µs per call of each side, one figure per block; the order rotates every round."""
    names = list(sides)
    figures: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            figures[name].append(cpu_us_per_call(sides[name], block))
    return figures


def measure_platform(sb: SandboxProcess, platform: str, rounds: int, block: int) -> dict[str, Any]:
    """Client and bare CPU per warm read on one platform."""
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(loop_client(sb, platform))
        url, headers = same_get(sb, client)
        session, bare_read = bare_reader(url, headers, client.timeout)
        stack.enter_context(session)
        sides = {"client": client.get_balance, "bare": bare_read}
        for fn in sides.values():
            cpu_us_per_call(fn, WARMUP_CALLS)
        blocks = alternate(sides, rounds, block)
        stages = stage_costs(client, client.get_balance, STAGE_CALLS)
    medians = {name: statistics.median(values) for name, values in blocks.items()}
    paired = [ours / bare for ours, bare in zip(blocks["client"], blocks["bare"], strict=True)]
    figures: dict[str, Any] = {
        "client_us": round(medians["client"], 1),
        "bare_us": round(medians["bare"], 1),
        "ratio": round(medians["client"] / medians["bare"], 3),
        "ratio_paired_median": round(statistics.median(paired), 3),
        "overhead_us": round(medians["client"] - medians["bare"], 1),
        "calls_per_side": rounds * block,
    }
    # What the timed stages leave of the overhead: the transport (request headers, the
    # streamed requests call, the deadline-bounded body read, the log call) and the noise of
    # the two medians.
    stages["transport and rest"] = round(figures["overhead_us"] - sum(stages.values()), 1)
    figures["stages_us"] = stages
    figures["blocks_us"] = {name: [round(x, 1) for x in values] for name, values in blocks.items()}
    return figures


def cpu_overhead(sb: SandboxProcess, rounds: int, block: int) -> Section:
    """Section 2."""
    section = Section("overhead", "2. Client CPU per warm get_balance() vs bare requests")
    for platform, name in (("dxtrade", "DXtrade"), ("matchtrade", "Match-Trader")):
        figures = measure_platform(sb, platform, rounds, block)
        section.data[platform] = figures
        section.add(f"{name}: client get_balance()", f"{figures['client_us']:.0f} µs/call")
        section.add(
            f"{name}: bare requests.Session GET + json()", f"{figures['bare_us']:.0f} µs/call"
        )
        section.add(
            f"{name}: ratio client / bare",
            f"{figures['ratio']:.3f}",
            f"<= {TARGET_RATIO}",
            figures["ratio"] <= TARGET_RATIO,
        )
        where = ", ".join(f"{stage} {us:.0f}" for stage, us in figures["stages_us"].items())
        section.notes.append(f"{name}: overhead {figures['overhead_us']:.0f} µs/call = {where}")
    section.notes += [
        "stages (µs/call, median of 7 blocks, each with the layer under it replaced by its"
        " recorded answer): " + ", ".join(STAGES) + "; the rest is the overhead less these",
        f"{rounds} rounds of {block} calls per side, the order rotating; median block",
        "client process CPU only (time.process_time); the sandbox is another process",
        "bare = requests.Session().get(same URL, same headers, same timeout, no redirects)"
        " + raise_for_status() + json()",
        "Match-Trader loops use a throttle that never waits (the default allows 500/minute)",
    ]
    return section
