"""Section 6: memory growth over many warm balance reads on one client.

After a warm-up, ``tracemalloc`` is started; the growth is the difference between a snapshot
taken then and one taken after the reads (both after ``gc.collect()``). RSS is read from
``/proc/self/status`` before and after. The biggest growing allocation sites are kept in the
JSON, for diagnosis.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from pathlib import Path
from typing import Any

from .clients import loop_client
from .report import Section
from .sandbox_process import SandboxProcess

TARGET_MB = 5.0
WARMUP_READS = 200
MB = 1024 * 1024


def rss_bytes() -> int | None:
    """This process's resident set size, from /proc (``None`` elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def growth(sb: SandboxProcess, platform: str, reads: int) -> dict[str, Any]:
    """tracemalloc and RSS growth over ``reads`` warm reads on one client."""
    with loop_client(sb, platform) as client:
        for _ in range(WARMUP_READS):
            client.get_balance()
        gc.collect()
        rss_before = rss_bytes()
        tracemalloc.start()
        try:
            before = tracemalloc.take_snapshot()
            started = time.perf_counter()
            for _ in range(reads):
                client.get_balance()
            elapsed = time.perf_counter() - started
            gc.collect()
            after = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        rss_after = rss_bytes()
    sb.clear()  # the sandbox keeps every request it recorded: free its memory too
    stats = after.compare_to(before, "lineno")
    traced = sum(stat.size_diff for stat in stats)
    return {
        "reads": reads,
        "traced_growth_bytes": traced,
        "rss_before_bytes": rss_before,
        "rss_after_bytes": rss_after,
        "rss_growth_bytes": None if rss_before is None else rss_after - rss_before,
        "wall_s_with_tracemalloc": round(elapsed, 2),
        "top_growth": [
            {"where": str(stat.traceback), "bytes": stat.size_diff, "blocks": stat.count_diff}
            for stat in sorted(stats, key=lambda s: -s.size_diff)[:5]
        ],
    }


def memory_growth(sb: SandboxProcess, reads: int) -> Section:
    """Section 6."""
    section = Section("memory", f"6. Memory growth over {reads:,} warm balance reads")
    for platform, name in (("dxtrade", "DXtrade"), ("matchtrade", "Match-Trader")):
        figures = growth(sb, platform, reads)
        section.data[platform] = figures
        traced_mb = figures["traced_growth_bytes"] / MB
        rss = figures["rss_growth_bytes"]
        section.add(
            f"{name}: tracemalloc growth",
            f"{traced_mb:+.3f} MB",
            f"< {TARGET_MB:.0f} MB",
            traced_mb < TARGET_MB,
        )
        rss_text = "n/a"
        if rss is not None:
            before, after = figures["rss_before_bytes"] / MB, figures["rss_after_bytes"] / MB
            rss_text = f"{before:.1f} -> {after:.1f} MB"
        section.add(
            f"{name}: RSS before -> after",
            rss_text,
            f"< {TARGET_MB:.0f} MB growth",
            None if rss is None else rss / MB < TARGET_MB,
        )
    section.notes.append(f"one client per platform, after {WARMUP_READS} warm-up reads")
    return section
