"""The sandbox in a separate process, reached on 127.0.0.1 only, and its admin routes."""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
URL_PREFIX = "SANDBOX_URL="
LOOPBACK = "127.0.0.1"
ADMIN_TIMEOUT = (2.0, 10.0)
PR_SET_PDEATHSIG = 1


def keep_loopback_off_proxies() -> None:
    """Make sure no HTTP client of this process sends loopback traffic through a proxy."""
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = f"{LOOPBACK},localhost"


def check_loopback(url: str) -> str:
    """``url`` without a trailing slash; ``RuntimeError`` unless it is http://127.0.0.1:PORT."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != LOOPBACK or not parts.port:
        raise RuntimeError(f"the sandbox announced {url!r}, not http://{LOOPBACK}:PORT")
    return url.rstrip("/")


def child_env() -> dict[str, str]:
    """The sandbox's environment: ours, with the repository importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _die_with_parent() -> None:
    """In the child before exec: receive SIGTERM when the benchmark dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Read the child's stdout to the end (so its pipe never fills)."""
    for line in stream:
        lines.put(line)
    lines.put(None)


class SandboxProcess:
    """``python -m brokers.sandbox --port 0`` in a child process, stopped on exit.

    Use as a context manager; :meth:`stop` is idempotent and also registered by the caller
    for signals. The admin routes are called with a proxy-free ``requests.Session``.
    """

    def __init__(self, start_timeout: float = 20.0) -> None:
        self.start_timeout = start_timeout
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._admin = requests.Session()
        self._admin.trust_env = False  # no proxies, no .netrc: straight to 127.0.0.1

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> SandboxProcess:
        """Start the child and wait for its ``SANDBOX_URL=`` line."""
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "brokers.sandbox", "--host", LOOPBACK, "--port", "0"],
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        assert self._proc.stdout is not None
        threading.Thread(target=_pump, args=(self._proc.stdout, lines), daemon=True).start()
        try:
            first = lines.get(timeout=self.start_timeout)
        except queue.Empty:
            first = None
        if not first or not first.startswith(URL_PREFIX):
            tail = self.stderr_tail()
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {first!r} {tail}")
        self.url = check_loopback(first[len(URL_PREFIX) :].strip())
        return self

    def stop(self) -> None:
        """Terminate the child (SIGTERM, then SIGKILL after 5 s) and close the admin session."""
        proc, self._proc = self._proc, None
        self._admin.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if proc.stdout:
            proc.stdout.close()

    def stderr_tail(self, chars: int = 2000) -> str:
        """The end of the child's stderr (for error messages)."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-chars:]

    # ------------------------------------------------------------------ addresses

    @property
    def dxtrade_url(self) -> str:
        return self.url + "/dxsca-web"

    # ------------------------------------------------------------------ admin routes

    def _admin_call(self, method: str, name: str, body: dict[str, Any] | None = None) -> Any:
        response = self._admin.request(
            method, f"{self.url}/_sandbox/{name}", json=body, timeout=ADMIN_TIMEOUT
        )
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        """``{"requests": n, "connections": m, "by_path": {"METHOD path": n}}``."""
        return self._admin_call("GET", "stats")

    def clear(self) -> None:
        """Forget recorded requests; the connection count starts again from 0."""
        self._admin_call("POST", "clear")

    def reset(self) -> None:
        """Seed data and default settings again on every platform; no records, no faults."""
        self._admin_call("POST", "reset")

    def settings(self, platform: str, **values: Any) -> None:
        """Set settings of one platform's state (``"dxtrade"``, ``"matchtrade"``,
        ``"tradelocker"``, ``"projectx"``), e.g. ``settings("dxtrade", history_page_size=4)``."""
        self._admin_call("POST", f"{platform}/settings", values)

    def set_latency(self, seconds: float) -> None:
        """Seconds the sandbox waits before answering each (non-admin) request."""
        self._admin_call("POST", "config", {"latency": seconds})
