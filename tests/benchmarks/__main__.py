"""``python -m tests.benchmarks [--quick] [--json PATH]``: run every section, print one table,
write the figures as JSON. The sandbox child process is stopped on every way out."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType

from . import (
    budget,
    concurrency,
    imports,
    instructions,
    memory,
    operations,
    overhead,
    vendor,
)
from .machine import describe
from .report import Section, render_table, to_document
from .sandbox_process import ROOT, SandboxProcess, keep_loopback_off_proxies

DEFAULT_JSON = Path(__file__).resolve().parent / "results.json"
TIME_LIMIT_S = 400


@dataclass(frozen=True)
class Plan:
    """The counts of one run (full or ``--quick``)."""

    original_reads: int = 10
    overhead_rounds: int = 40
    overhead_block: int = 50
    warm_reads: int = 1000
    fanout_targets: int = 32
    fanout_workers: tuple[int, ...] = (1, 4, 8, 16)
    latency_s: float = 0.1
    import_runs: int = 9
    memory_reads: int = 10_000
    vendor_reads: int = 10
    vendor_rounds: int = 20
    instruction_reads: int = 200


QUICK = Plan(
    overhead_rounds=12,
    overhead_block=50,
    fanout_targets=16,
    import_runs=7,
    memory_reads=1000,
    vendor_rounds=8,
    instruction_reads=50,
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks",
        description="Benchmarks of the brokers client against the loopback sandbox (issue 6).",
    )
    parser.add_argument("--quick", action="store_true", help="smaller counts: a smoke run")
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        metavar="PATH",
        help="where to write the figures (default: tests/benchmarks/results.json)",
    )
    parser.add_argument(
        "--time-limit",
        type=int,
        default=TIME_LIMIT_S,
        metavar="S",
        help=f"abort the run after S seconds (default {TIME_LIMIT_S})",
    )
    return parser.parse_args(argv)


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    """SIGTERM and the time limit end the run through the normal clean-up path."""
    raise SystemExit(f"benchmarks stopped by signal {signal.Signals(signum).name}")


def _run_sections(sb: SandboxProcess, plan: Plan) -> list[Section]:
    steps: list[tuple[str, Callable[[], Section]]] = [
        ("requests per operation", lambda: budget.requests_per_operation(sb, plan.original_reads)),
        (
            "CPU overhead",
            lambda: overhead.cpu_overhead(sb, plan.overhead_rounds, plan.overhead_block),
        ),
        ("connections", lambda: budget.connections_for_reads(sb, plan.warm_reads)),
        (
            "fan-out",
            lambda: concurrency.fanout(
                sb, plan.fanout_targets, plan.fanout_workers, plan.latency_s
            ),
        ),
        ("import time", lambda: imports.import_time(plan.import_runs)),
        ("memory", lambda: memory.memory_growth(sb, plan.memory_reads)),
        ("trading operations", lambda: operations.requests_per_trading_operation(sb)),
        (
            "official TradeLocker client",
            lambda: vendor.side_by_side(
                sb, plan.vendor_reads, plan.vendor_rounds, plan.import_runs
            ),
        ),
        (
            "instruction counts",
            lambda: instructions.instruction_ratio(sb, plan.instruction_reads),
        ),
    ]
    sections = []
    for name, step in steps:
        started = time.perf_counter()
        print(f"... {name}", file=sys.stderr, flush=True)
        section = step()
        section.data["section_wall_s"] = round(time.perf_counter() - started, 2)
        sections.append(section)
    return sections


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; 0 when they ran (missed targets are reported, not failures)."""
    args = parse_args(argv)
    plan = QUICK if args.quick else Plan()
    keep_loopback_off_proxies()
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGALRM, _raise_exit)
    signal.alarm(args.time_limit)
    started = time.perf_counter()
    try:
        with SandboxProcess() as sb:
            print(f"... sandbox pid {sb.pid} at {sb.url}", file=sys.stderr, flush=True)
            sections = _run_sections(sb, plan)
    except KeyboardInterrupt:
        print("interrupted: the sandbox was stopped, no figures written", file=sys.stderr)
        return 130
    finally:
        signal.alarm(0)
    machine = describe()
    run = {
        "command": "python -m tests.benchmarks" + (" --quick" if args.quick else ""),
        "quick": args.quick,
        "plan": asdict(plan),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    print(render_table(sections, machine))
    print(f"Total wall time {run['wall_s']:.0f} s.")
    document = to_document(sections, machine, run)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    try:
        shown = args.json.resolve().relative_to(ROOT)
    except ValueError:
        shown = args.json
    print(f"Figures written to {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
