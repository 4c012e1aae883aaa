"""Sessions that outlive the process: platform session tokens kept on disk between runs.

A cron job running ``brokers balance`` every few minutes would otherwise log in on every
run. With the cache on, a run takes the session the previous run left, as long as it is
still alive by the platform's own rule, and a balance read costs one request::

    >>> client = DXTrade(url, "1210001", password, token_cache=True)   # or a directory
    >>> client.get_balance()    # 1 request when a live session is cached, else login first

The library leaves it off by default; the ``brokers`` command turns it on (switch it off
with ``--no-token-cache`` or ``BROKERS_TOKEN_CACHE=off``).

Where: ``$XDG_CACHE_HOME/brokers``, else ``~/.cache/brokers``, or the directory given.
The directory is made (and kept) mode 0700, each file 0600; one JSON file per platform +
base URL + login, named by a hash of the three. A file records the three and a format
version, checked on load, so a token is never sent to another base URL or login.

What: the session token (never the password), what tells whether it is alive, and what a
cold read needs besides (DXtrade: the account list and currencies; Match-Trader: the
trading accounts with their trading-API tokens and system UUIDs). The platform client
decides (``_session_state()`` / ``_restore_session_state()``); this module only stores.

Trust: a file that is corrupt, of another format version, unreadable, not a regular
file, not ours, or readable by others is ignored and replaced by the next store (logged
at INFO, without secrets); the cache never raises. On Windows the owner and mode checks
are skipped (the user's profile directory is private there).

Writes are atomic (a temp file in the same directory, then ``os.replace``): a reader sees
the old file or the new one, never half of one. They are not fsync'ed: a file cut short by
a power loss is corrupt, hence ignored, which costs one login and nothing else.

Locking: each entry has a lock file beside it (``fcntl.flock`` on POSIX,
``msvcrt.locking`` on Windows; the standard library, so no extra dependency). A client
holds it while it looks for a session and, finding none alive, logs in and stores it: two
runs starting together cause one login, the second run waits and takes the first one's
session. A lock not had within ``LOCK_WAIT`` seconds is given up on (the client then goes
on as without the lock: writes stay atomic).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import stat
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .exceptions import ConfigurationError
from .models import Account
from .parsing import decode_json, encode_json

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl

log = logging.getLogger("brokers")

FORMAT = 1  # the file layout; a file of another format is ignored
MAX_BYTES = 1 << 20  # a cache file is a few kB; anything this large is not ours
LOCK_WAIT = 60.0  # seconds to wait for another process's login before going on without
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted at the path must not hang us
_BINARY = getattr(os, "O_BINARY", 0)
_POSIX = os.name != "nt"


def default_directory() -> Path:
    """``$XDG_CACHE_HOME/brokers``, else ``~/.cache/brokers`` (a relative
    ``XDG_CACHE_HOME`` is ignored, as the XDG specification says)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "brokers"


class TokenCache:
    """The cache directory; :meth:`entry` gives the file of one platform + URL + login."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory).expanduser() if directory else default_directory()

    @classmethod
    def from_option(cls, option: Any) -> TokenCache | None:
        """The cache a client's ``token_cache=`` option asks for: ``None``/``False`` off,
        ``True`` the default directory, a path that directory."""
        if option is None or option is False:
            return None
        if option is True:
            return cls()
        if isinstance(option, TokenCache):
            return option
        if isinstance(option, (str, os.PathLike)) and os.fspath(option):
            return cls(option)
        raise ConfigurationError(
            f"token_cache must be True, False, None or a directory, not {option!r}"
        )

    def entry(self, platform: str, base_url: str, login: str) -> CacheEntry:
        return CacheEntry(self, platform, base_url, login)

    def ready(self) -> bool:
        """Make the directory (0700) if needed; ``False`` when it cannot be used safely."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = os.stat(self.directory)
            if not stat.S_ISDIR(info.st_mode):
                raise NotADirectoryError(f"{self.directory} is not a directory")
            if _POSIX and info.st_uid != os.geteuid():
                log.info("token cache: %s belongs to another user: not used", self.directory)
                return False
            if _POSIX and info.st_mode & 0o077:
                os.chmod(self.directory, 0o700)  # ours, but open to others: close it
        except OSError as exc:
            log.info("token cache: %s cannot be used (%s)", self.directory, _why(exc))
            return False
        return True

    def __repr__(self) -> str:
        return f"TokenCache({str(self.directory)!r})"


class CacheEntry:
    """The cached session of one platform + base URL + login."""

    def __init__(self, cache: TokenCache, platform: str, base_url: str, login: str) -> None:
        self.cache = cache
        import hashlib  # here, not at import: only cache users pay for it (~2 ms)

        self.identity = {"platform": platform, "base_url": base_url, "login": login}
        digest = hashlib.sha256("\0".join((platform, base_url, login)).encode()).hexdigest()
        self.path = cache.directory / f"{platform}-{digest[:32]}.json"
        self._lock_path = self.path.with_suffix(".lock")

    def __repr__(self) -> str:
        return f"CacheEntry({str(self.path)!r})"

    @contextlib.contextmanager
    def locked(self, wait: float = LOCK_WAIT) -> Iterator[bool]:
        """Hold the entry's cross-process lock; yields ``False`` when it could not be had
        within ``wait`` seconds or the directory is unusable (the caller goes on without)."""
        fd = None
        if self.cache.ready():
            try:
                flags = os.O_RDWR | os.O_CREAT | _NOFOLLOW | _BINARY
                fd = os.open(self._lock_path, flags, 0o600)
            except OSError as exc:
                log.info("token cache: no lock file %s (%s)", self._lock_path.name, _why(exc))
        held = fd is not None and _acquire(fd, wait)
        if fd is not None and not held:
            log.info("token cache: %s stayed locked for %.0f s", self._lock_path.name, wait)
        try:
            yield held
        finally:
            if fd is not None:
                if held:
                    _release(fd)
                os.close(fd)

    def load(self) -> dict[str, Any] | None:
        """The stored session state, or ``None`` (nothing stored, or a file not trusted)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return self._ignore(f"it cannot be opened ({_why(exc)})")
        try:
            with open(fd, "rb", closefd=True) as file:
                problem = _untrusted(os.fstat(file.fileno()))
                if problem:
                    return self._ignore(problem)
                data = file.read(MAX_BYTES + 1)
        except OSError as exc:
            return self._ignore(f"it cannot be read ({_why(exc)})")
        if len(data) > MAX_BYTES:
            return self._ignore("it is too large")
        try:
            document = decode_json(data)
        except (ValueError, RecursionError):
            return self._ignore("it is not valid JSON")
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            return self._ignore("it is of another format version")
        if any(document.get(key) != value for key, value in self.identity.items()):
            return self._ignore("it was written for another platform, base URL or login")
        state = document.get("state")
        if not isinstance(state, dict):
            return self._ignore("it holds no session")
        return state

    def store(self, state: Mapping[str, Any], now: float) -> bool:
        """Write ``state`` atomically (mode 0600); ``False`` (logged) when it cannot be."""
        document = {"format": FORMAT, **self.identity, "saved_at": now, "state": state}
        try:
            data = encode_json(document)
        except (TypeError, ValueError) as exc:  # a value JSON cannot carry: a client bug
            log.info("token cache: session not stored (%s)", type(exc).__name__)
            return False
        temp = self.path.with_name(f".{self.path.stem}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o600)
            try:
                with open(fd, "wb", closefd=True) as file:
                    file.write(data)
                os.replace(temp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError as exc:
            log.info("token cache: %s not written (%s)", self.path.name, _why(exc))
            return False
        return True

    def discard(self) -> None:
        """Delete the stored session (a rejected token must not be offered again)."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.info("token cache: %s not deleted (%s)", self.path.name, _why(exc))

    def _ignore(self, reason: str) -> None:
        log.info("token cache: ignoring %s: %s", self.path.name, reason)
        return None


def _untrusted(info: os.stat_result) -> str | None:
    """Why a cache file must not be believed, or ``None``."""
    if not stat.S_ISREG(info.st_mode):
        return "it is not a regular file"
    if _POSIX and info.st_uid != os.geteuid():
        return "it belongs to another user"
    if _POSIX and info.st_mode & 0o077:
        return f"its permissions {stat.S_IMODE(info.st_mode):o} let others read it"
    return None


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _acquire(fd: int, wait: float) -> bool:
    """Take the lock on ``fd``, polling (a blocking lock could not time out)."""
    deadline = time.monotonic() + wait
    pause = 0.005
    while True:
        try:
            if _POSIX:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:  # pragma: no cover - Windows: lock the first byte
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError as exc:  # BlockingIOError (POSIX) / EACCES, EDEADLOCK (Windows)
            if _POSIX and not isinstance(exc, BlockingIOError):
                log.info("token cache: lock failed (%s)", _why(exc))
                return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _release(fd: int) -> None:
    with contextlib.suppress(OSError):
        if _POSIX:
            fcntl.flock(fd, fcntl.LOCK_UN)
        else:  # pragma: no cover
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


# ------------------------------------------------- helpers for the platform hooks


def number(state: Mapping[str, Any], key: str) -> float:
    """A finite number from a cached state; ``ValueError`` / ``KeyError`` / ``TypeError``
    otherwise (the hooks treat all three as "not restorable")."""
    value = state[key]
    if isinstance(value, bool):
        raise TypeError(key)
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(key)
    return result


def dump_account(account: Account) -> dict[str, Any]:
    """An :class:`~brokers.Account` as JSON-able data."""
    return {
        "id": account.id,
        "currency": account.currency,
        "status": account.status,
        "raw": account.raw,
    }


def load_account(data: Any, broker: str) -> Account:
    """The :class:`~brokers.Account` :func:`dump_account` stored (``TypeError`` when
    the data is not one)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        raise TypeError("not an account")
    currency, status, raw = data.get("currency"), data.get("status"), data.get("raw")
    if not all(v is None or isinstance(v, str) for v in (currency, status)):
        raise TypeError("not an account")
    return Account(broker, data["id"], currency, status, dict(raw or {}))
