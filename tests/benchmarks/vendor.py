"""Section 8: ``brokers.TradeLocker`` side by side with TradeLocker's own ``tradelocker``
package (issue 14), both against the sandbox in the same run.

The vendor's client is optional (``pip install -e .[bench]``); without it the section says so
and is skipped. It is driven unchanged: ``TLAPI(environment=<sandbox url>, ...)`` appends
``/backend-api`` to the environment, which is where the sandbox serves TradeLocker's demo
environment. Two things around it are set for the benchmark, and both are reported:

- its retry decorator sleeps one second before *every* request (the first try too): that
  clock is replaced by one that records the seconds instead of waiting (``vendor_sleep_s``);
- its ``log_level`` is ``"critical"`` (its default, ``"debug"``, prints every request with
  its headers and JSON body, the password and the bearer token included).

Counts and CPU use the sandbox process of the run. The lost-answer case needs a fault, which
only an in-process :class:`brokers.sandbox.Sandbox` can queue: it runs on its own one.
"""

from __future__ import annotations

import contextlib
import importlib.util
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import requests

import brokers
from brokers.sandbox import TL_PASSWORD, TL_SERVER, Sandbox

from . import imports
from .clients import Counts, Meter, unpaced
from .overhead import WARMUP_CALLS, alternate, bare_reader, cpu_us_per_call, same_get
from .report import Section
from .sandbox_process import SandboxProcess

EMAIL = "solo@example.com"  # one account: 1000003
ACCOUNT = "1000003"
SYMBOL = "EURUSD"
API = "/backend-api"
ORDERS = API + "/trade/accounts/*/orders"
BLOCK = 25  # calls per block in the CPU comparison


def available() -> bool:
    return importlib.util.find_spec("tradelocker") is not None


class VendorClock:
    """Stands in for the ``time`` module inside ``tradelocker.utils``: ``sleep`` records."""

    def __init__(self) -> None:
        self.slept = 0.0

    @contextlib.contextmanager
    def installed(self) -> Iterator[VendorClock]:
        import tradelocker.utils as utils

        real = utils.time
        utils.time = SimpleNamespace(sleep=self._sleep, time=time.time)  # type: ignore[assignment]
        try:
            yield self
        finally:
            utils.time = real

    def _sleep(self, seconds: float) -> None:
        self.slept += seconds

    def take(self) -> float:
        slept, self.slept = self.slept, 0.0
        return slept


def vendor_client(url: str) -> Any:
    """A new ``TLAPI`` (logs in and picks the first account in its constructor)."""
    from tradelocker import TLAPI

    TLAPI._instances.clear()  # its constructor hands back an existing instance otherwise
    return TLAPI(
        environment=url,
        username=EMAIL,
        password=TL_PASSWORD,
        server=TL_SERVER["demo"],
        log_level="critical",
    )


def ours(url: str, **options: Any) -> brokers.TradeLocker:
    return brokers.TradeLocker(url, EMAIL, TL_PASSWORD, TL_SERVER["demo"], **options)


# ---------------------------------------------------------------- requests and connections


def counted_reads(
    sb: SandboxProcess, make: Callable[[], Any], read: Callable[[Any], Any], reads: int
) -> tuple[Counts, Counts, Counts]:
    """(cold read, warm read, ``reads`` reads on one new client), counted at the sandbox."""
    meter = Meter(sb)
    client = make()
    read(client)
    cold = meter.mark()
    read(client)
    warm = meter.mark()
    _close(client)
    client = make()
    for _ in range(reads):
        read(client)
    many = meter.mark()
    _close(client)
    return cold, warm, many


def _close(client: Any) -> None:
    if isinstance(client, brokers.BrokerClient):
        client.close()


def _request_rows(section: Section, sb: SandboxProcess, clock: VendorClock, reads: int) -> None:
    sides = {
        "brokers": (lambda: ours(sb.url), lambda c: c.get_balance()),
        "tradelocker": (lambda: vendor_client(sb.url), lambda c: c.get_account_state()),
    }
    figures: dict[str, Any] = {}
    for name, (make, read) in sides.items():
        clock.take()
        cold, warm, many = counted_reads(sb, make, read, reads)
        figures[name] = {
            "cold": cold.to_dict(),
            "warm": warm.to_dict(),
            f"{reads}_reads": many.to_dict(),
            "vendor_sleep_s": clock.take(),
        }
    for case, label, conns in (
        ("cold", "cold balance read (login included)", 1),
        ("warm", "warm balance read", 0),
        (f"{reads}_reads", f"{reads} balance reads, one client", 1),
    ):
        mine, theirs = (Counts(**figures[n][case]) for n in ("brokers", "tradelocker"))
        section.add(
            f"{label}: brokers",
            mine.text(),
            f"<= {theirs.requests} req, {conns} new",
            mine.requests <= theirs.requests and mine.connections == conns,
        )
        section.add(f"{label}: tradelocker", theirs.text())
    section.add(
        "tradelocker: seconds its retry decorator sleeps in those reads",
        f"{figures['tradelocker']['vendor_sleep_s']:.0f} s (not waited here)",
    )
    section.data["requests"] = figures


# ---------------------------------------------------------------------------- CPU


def _cpu_rows(section: Section, sb: SandboxProcess, rounds: int) -> None:
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(ours(sb.url, throttle=unpaced()))
        url, headers = same_get(sb, client)
        url = sb.url + urlsplit(url).path.replace(API * 2, API, 1)  # base_url ends with API
        session, bare_read = bare_reader(url, headers, client.timeout)
        stack.enter_context(session)
        vendor = vendor_client(sb.url)
        vendor.get_account_state()

        def bare_get() -> Any:  # the vendor's transport: requests.get, a new connection each
            response = requests.get(url, headers=headers, timeout=client.timeout)
            response.raise_for_status()
            return response.json()

        sides = {
            "brokers": client.get_balance,
            "tradelocker": vendor.get_account_state,
            "bare Session": bare_read,
            "bare requests.get": bare_get,
        }
        for fn in sides.values():
            cpu_us_per_call(fn, WARMUP_CALLS // 4)
        blocks = alternate(sides, rounds, BLOCK)
    medians = {name: statistics.median(values) for name, values in blocks.items()}
    bare = medians["bare Session"]
    for name, label in (
        ("brokers", "brokers get_balance()"),
        ("tradelocker", "tradelocker get_account_state()"),
        ("bare Session", "bare requests.Session GET + json()"),
        ("bare requests.get", "bare requests.get (new connection) + json()"),
    ):
        ratio = medians[name] / bare
        target, met = ("", None)
        if name == "brokers":
            target = f"< tradelocker ({medians['tradelocker']:.0f} µs)"
            met = medians["brokers"] < medians["tradelocker"]
        section.add(
            f"CPU per warm read: {label}",
            f"{medians[name]:.0f} µs ({ratio:.2f}x bare)",
            target,
            met,
        )
    section.data["cpu"] = {
        "us_per_call": {k: round(v, 1) for k, v in medians.items()},
        "ratio_to_bare_session": {k: round(v / bare, 3) for k, v in medians.items()},
        "calls_per_side": rounds * BLOCK,
        "blocks_us": {k: [round(x, 1) for x in v] for k, v in blocks.items()},
    }


# ---------------------------------------------------------------------- import time


def _import_rows(section: Section, runs: int) -> None:
    """Median ``-X importtime`` of each package in fresh interpreters (bytecode cached)."""
    variants = {"brokers": ("brokers",), "tradelocker": ("tradelocker",)}
    samples: dict[str, list[int]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory(prefix="brokers-bench-pyc-") as cache_dir:
        env = imports.bytecode_env(cache_dir, write=True)
        for modules in variants.values():
            imports.importtime(modules, env)  # warm-up: writes the bytecode cache
        for _ in range(runs):
            for name, modules in variants.items():
                samples[name].append(
                    imports.top_level_us(imports.importtime(modules, env), modules)
                )
    ms = {name: statistics.median(values) / 1000 for name, values in samples.items()}
    section.add(
        "import brokers",
        f"{ms['brokers']:.0f} ms",
        f"< tradelocker ({ms['tradelocker']:.0f} ms)",
        ms["brokers"] < ms["tradelocker"],
    )
    section.add("import tradelocker (pandas, joblib, PyJWT)", f"{ms['tradelocker']:.0f} ms")
    section.data["import_ms"] = {k: round(v, 1) for k, v in ms.items()}


# ---------------------------------------------------------------------- lost answer


FAULTS = {
    "connection dropped after the order was placed": {"drop": True},
    "HTTP 502 after the order was placed": {
        "status": 502,
        "body": "<html><body><h1>502 Bad Gateway</h1></body></html>",
    },
}


def _held(sb: Sandbox) -> int:
    """Orders the account holds: open positions (filled market orders) and working orders."""
    account = sb.tradelocker.account(ACCOUNT)
    return len(account.positions) + len(account.orders)


def lost_answer_brokers(sb: Sandbox, fault: dict[str, Any]) -> dict[str, Any]:
    with ours(sb.url) as client:
        client.instruments()  # warm: only the placement is counted
        sb.fault(ORDERS, method="POST", after_execute=True, **fault)
        sb.clear()
        outcome, found = "an order id", None
        try:
            client.place_order(SYMBOL, "BUY", "0.01")
        except brokers.OrderOutcomeUnknownError as error:
            outcome = type(error).__name__
            found = client.reconcile(error)
        except brokers.BrokerError as error:
            outcome = type(error).__name__
        return {
            "posts": sb.count(ORDERS, "POST"),
            "orders_held": _held(sb),
            "raised": outcome,
            "reconcile_found": None if found is None else type(found).__name__,
        }


def lost_answer_vendor(sb: Sandbox, fault: dict[str, Any], clock: VendorClock) -> dict[str, Any]:
    api = vendor_client(sb.url)
    instrument = api.get_instrument_id_from_symbol_name(SYMBOL)
    api.get_trade_route_id(instrument)  # warm: only the placement is counted
    sb.fault(ORDERS, method="POST", after_execute=True, **fault)
    sb.clear()
    clock.take()
    try:
        order_id = api.create_order(instrument, 0.01, "buy")
        outcome = f"order id {order_id}"
    except Exception as error:  # what the vendor's client raises is part of the result
        outcome = type(error).__name__
    return {
        "posts": sb.count(ORDERS, "POST"),
        "orders_held": _held(sb),
        "raised": outcome,
        "vendor_sleep_s": clock.take(),
    }


def _lost_answer_rows(section: Section, clock: VendorClock) -> None:
    figures: dict[str, Any] = {}
    with Sandbox() as sb:
        for label, fault in FAULTS.items():
            for name in ("brokers", "tradelocker"):
                sb.reset()
                held_before = _held(sb)
                if name == "brokers":
                    result = lost_answer_brokers(sb, fault)
                else:
                    result = lost_answer_vendor(sb, fault, clock)
                result["orders_held"] -= held_before
                figures[f"{label}: {name}"] = result
                text = (
                    f"{result['posts']} POST, {result['orders_held']} order(s) held, "
                    f"{result['raised']}"
                )
                if result.get("reconcile_found"):
                    text += f", reconcile() -> {result['reconcile_found']}"
                met = result["orders_held"] <= 1 if name == "brokers" else None
                section.add(
                    f"{label}: {name}", text, "1 order, never 2" if met is not None else "", met
                )
    section.data["lost_answer"] = figures


def side_by_side(sb: SandboxProcess, reads: int, rounds: int, import_runs: int) -> Section:
    """Section 8."""
    section = Section("vendor", "8. brokers.TradeLocker beside the official tradelocker client")
    if not available():
        section.add("official client", "skipped: the tradelocker package is not installed")
        section.notes.append("pip install -e .[bench] (or pip install tradelocker) to compare")
        section.data["skipped"] = "tradelocker is not installed"
        return section
    from importlib.metadata import version

    section.data["tradelocker_version"] = version("tradelocker")
    clock = VendorClock()
    with clock.installed():
        _request_rows(section, sb, clock, reads)
        _cpu_rows(section, sb, rounds)
        _lost_answer_rows(section, clock)
    _import_rows(section, import_runs)
    section.notes += [
        f"tradelocker {section.data['tradelocker_version']} driven unchanged: "
        "TLAPI(environment=<sandbox url>, ...) + get_account_state(); account 1000003",
        "its retry decorator sleeps 1 s before every request: recorded, not waited; its "
        "log_level is 'critical' (the default 'debug' logs the password and the token)",
        "it sends every request with requests.get/post: a new TCP connection each",
        "CPU: this process's CPU per call, median block, the order rotating; bare = the same "
        "GET with requests.Session / requests.get",
        "lost answer: an in-process sandbox with sb.fault(..., after_execute=True): the order "
        "is placed, then its answer is dropped or replaced by a 502; orders held = new "
        "positions + working orders afterwards",
    ]
    return section
