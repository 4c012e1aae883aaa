"""Section 9: instructions per warm read, client against a bare ``requests.Session``.

CPU time on a shared machine wanders by several per cent between runs; instruction counts do
not. Each side runs in its own interpreter under ``valgrind --tool=callgrind`` (the sandbox is
another process, not counted), once with ``N`` warm reads and once with none: the difference
divided by ``N`` is the cost of one read, start-up and login excluded. Skipped with a note
where valgrind is not installed (``apt-get install valgrind``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .report import Section
from .sandbox_process import SandboxProcess, child_env

TARGET_RATIO = 1.05
READER = Path(__file__).with_name("icount_reader.py")


def _instructions(url: str, platform: str, side: str, reads: int) -> int:
    """Instructions callgrind counted for one reader process."""
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "callgrind.out")
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                str(READER),
                url,
                platform,
                side,
                str(reads),
            ],
            capture_output=True,
            text=True,
            env=child_env(),
            timeout=600,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"callgrind run failed: {done.stderr[-500:]}")
    return int(found.group(1))


def instruction_ratio(sb: SandboxProcess, reads: int) -> Section:
    section = Section("instructions", "9. Instructions per warm read vs bare requests (callgrind)")
    if shutil.which("valgrind") is None:
        section.notes.append("skipped: valgrind is not installed (apt-get install valgrind)")
        return section
    jobs = [
        (p, s, n) for p in ("dxtrade", "matchtrade") for s in ("client", "bare") for n in (0, reads)
    ]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        found = list(pool.map(lambda job: _instructions(sb.url, *job), jobs))
    counts = dict(zip(jobs, found, strict=True))
    for platform, label in (("dxtrade", "DXtrade"), ("matchtrade", "Match-Trader")):
        per = {
            side: (counts[(platform, side, reads)] - counts[(platform, side, 0)]) / reads
            for side in ("client", "bare")
        }
        ratio = per["client"] / per["bare"]
        section.add(f"{label}: instructions per warm read, client", f"{per['client']:,.0f}")
        section.add(f"{label}: instructions per warm read, bare", f"{per['bare']:,.0f}")
        section.add(
            f"{label}: ratio client / bare",
            f"{ratio:.3f}",
            f"<= {TARGET_RATIO}",
            ratio <= TARGET_RATIO,
        )
        section.data[platform] = {"per_read": per, "ratio": round(ratio, 4)}
    section.notes += [
        f"each side in its own interpreter under callgrind: ({reads} warm reads - none) / {reads}",
        "bare = requests.Session().get(same URL, same headers, same timeout) + json(), as in 2.",
        "Match-Trader with throttle=False, as in section 2 (the default allows 500/minute)",
    ]
    return section
