"""Section 5: import time of ``brokers`` beside ``requests`` and its dependencies.

Every figure comes from fresh interpreters: ``python -X importtime -c "import ..."`` (the
cumulative time of the top-level imports) and the wall time of ``python -c "import ..."``
minus that of ``python -c pass``. Medians of several runs, interleaved.

Bytecode: an installed package has its ``.pyc`` files, but a checkout run with
``PYTHONDONTWRITEBYTECODE=1`` compiles every module in every process. The main figures
therefore use a bytecode cache written by a discarded warm-up run into a temporary
``PYTHONPYCACHEPREFIX`` (nothing is written into the repository); one extra figure shows
brokers without any cache.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from typing import Any

from .report import Section
from .sandbox_process import ROOT, child_env

DEPENDENCIES = ("requests", "tenacity", "dotenv")
TARGET_MS = 50.0
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")

Tree = list[tuple[int, int, int, str]]  # (self µs, cumulative µs, depth, module)


def bytecode_env(cache_dir: str, write: bool) -> dict[str, str]:
    """A child environment whose bytecode cache is ``cache_dir`` (written or not)."""
    env = child_env()
    env["PYTHONPYCACHEPREFIX"] = cache_dir
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def importtime(modules: tuple[str, ...], env: dict[str, str]) -> Tree:
    """The ``-X importtime`` report of importing ``modules`` in a fresh interpreter."""
    code = f"import {', '.join(modules)}"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    tree: Tree = []
    for line in done.stderr.splitlines():
        if m := LINE.match(line):
            tree.append((int(m[1]), int(m[2]), len(m[3]) // 2, m[4]))
    return tree


def top_level_us(tree: Tree, modules: tuple[str, ...]) -> int:
    """Cumulative µs of the top-level imports of ``modules`` (each counted where first met)."""
    return sum(cum for _, cum, depth, name in tree if depth == 0 and name in modules)


def subtree(tree: Tree, module: str) -> Tree:
    """The modules first imported under the top-level import of ``module``."""
    start = 0
    for index, (_, _, depth, name) in enumerate(tree):
        if depth == 0:
            if name == module:
                return tree[start:index]
            start = index + 1
    return []


def wall_ms(code: str, env: dict[str, str]) -> float:
    """Wall milliseconds of ``python -c code`` in a fresh interpreter."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)
    return (time.perf_counter() - started) * 1000


def package_of(module: str) -> str:
    """``brokers.x.y`` stays itself; anything else is grouped by its top-level package."""
    return module if module.startswith("brokers") else module.split(".")[0]


def extra_modules(trees: list[Tree]) -> list[tuple[str, float]]:
    """What importing brokers costs once its dependencies are loaded, by package, median µs
    of self time, largest first."""
    per_run: list[dict[str, int]] = []
    for tree in trees:
        totals: dict[str, int] = defaultdict(int)
        for self_us, _, _, name in subtree(tree, "brokers") + [
            t for t in tree if t[3] == "brokers"
        ]:
            totals[package_of(name)] += self_us
        per_run.append(totals)
    names = {name for totals in per_run for name in totals}
    medians = {n: statistics.median(t.get(n, 0) for t in per_run) for n in names}
    return sorted(medians.items(), key=lambda item: -item[1])


VARIANTS = {
    "requests": ("requests",),
    "dependencies": DEPENDENCIES,
    "brokers": ("brokers",),
    "brokers_after_dependencies": (*DEPENDENCIES, "brokers"),
}
WALL_VARIANTS = ("requests", "dependencies", "brokers")


def sample(runs: int, cached: dict[str, str], uncached: dict[str, str]) -> dict[str, Any]:
    """Raw samples: importtime trees and wall times per variant, ``runs`` of each."""
    trees: dict[str, list[Tree]] = {key: [] for key in VARIANTS}
    uncached_trees: list[Tree] = []
    walls: dict[str, list[float]] = {key: [] for key in ("pass", *WALL_VARIANTS)}
    for _ in range(runs):  # interleaved, so drifting machine load hits every variant alike
        for key, modules in VARIANTS.items():
            trees[key].append(importtime(modules, cached))
        uncached_trees.append(importtime(VARIANTS["brokers_after_dependencies"], uncached))
        walls["pass"].append(wall_ms("pass", cached))
        for key in WALL_VARIANTS:
            walls[key].append(wall_ms(f"import {', '.join(VARIANTS[key])}", cached))
    return {"trees": trees, "uncached": uncached_trees, "walls": walls}


def median_ms(trees: list[Tree], modules: tuple[str, ...]) -> float:
    return statistics.median(top_level_us(tree, modules) for tree in trees) / 1000


def measure(runs: int) -> dict[str, Any]:
    """Medians over ``runs`` fresh interpreters of each variant."""
    with tempfile.TemporaryDirectory(prefix="brokers-bench-pyc-") as cache_dir:
        cached = bytecode_env(cache_dir, write=True)
        importtime(VARIANTS["brokers_after_dependencies"], cached)  # warm-up: writes the cache
        with tempfile.TemporaryDirectory(prefix="brokers-bench-nopyc-") as empty_dir:
            raw = sample(runs, cached, bytecode_env(empty_dir, write=False))
    trees, walls = raw["trees"], raw["walls"]
    importtime_ms = {key: median_ms(trees[key], VARIANTS[key]) for key in WALL_VARIANTS}
    importtime_ms["brokers_over_dependencies"] = median_ms(
        trees["brokers_after_dependencies"], ("brokers",)
    )
    importtime_ms["brokers_over_dependencies_no_bytecode_cache"] = median_ms(
        raw["uncached"], ("brokers",)
    )
    base = statistics.median(walls["pass"])
    wall = {key: statistics.median(walls[key]) - base for key in WALL_VARIANTS}
    return {
        "runs": runs,
        "importtime_ms": {k: round(v, 1) for k, v in importtime_ms.items()},
        "wall_ms_over_bare_python": {k: round(v, 1) for k, v in wall.items()},
        "bare_python_wall_ms": round(base, 1),
        "extra_by_package_us": [
            (name, round(us)) for name, us in extra_modules(trees["brokers_after_dependencies"])
        ][:15],
        "foreign_modules_under_brokers": foreign_modules(trees["brokers_after_dependencies"][-1]),
    }


def foreign_modules(tree: Tree) -> list[str]:
    """Packages outside ``brokers`` that importing brokers loads beyond its dependencies."""
    names = {package_of(name) for _, _, _, name in subtree(tree, "brokers")}
    return sorted(name for name in names if not name.startswith("brokers"))


def import_time(runs: int) -> Section:
    """Section 5."""
    section = Section("imports", "5. Import time (fresh interpreters)")
    figures = measure(runs)
    section.data = figures
    it, wall = figures["importtime_ms"], figures["wall_ms_over_bare_python"]
    section.add("import requests", f"{it['requests']:.0f} ms (wall {wall['requests']:.0f} ms)")
    section.add(
        "import requests, tenacity, dotenv",
        f"{it['dependencies']:.0f} ms (wall {wall['dependencies']:.0f} ms)",
    )
    section.add("import brokers", f"{it['brokers']:.0f} ms (wall {wall['brokers']:.0f} ms)")
    over = it["brokers_over_dependencies"]
    section.add(
        "brokers over its dependencies (already imported)",
        f"{over:.0f} ms",
        f"<= {TARGET_MS:.0f} ms",
        over <= TARGET_MS,
    )
    section.add(
        "the same, no bytecode cache (PYTHONDONTWRITEBYTECODE)",
        f"{it['brokers_over_dependencies_no_bytecode_cache']:.0f} ms",
    )
    biggest = ", ".join(
        f"{name} {us / 1000:.1f}" for name, us in figures["extra_by_package_us"][:6]
    )
    section.notes += [
        f"median of {runs} runs each; -X importtime cumulative of the top-level imports; "
        "wall = python -c 'import ...' minus python -c pass (process noise: several ms)",
        f"largest self times under brokers (ms): {biggest}",
        "other modules brokers loads: " + (", ".join(figures["foreign_modules_under_brokers"])),
        "bytecode cached as in an installed package (temporary PYTHONPYCACHEPREFIX)",
    ]
    return section
