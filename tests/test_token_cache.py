"""The token cache (issue 13): sessions that outlive the process.

Real files in a per-test ``XDG_CACHE_HOME`` (see ``tests/conftest.py``) and real processes
(``python -c``) against the in-process sandbox, whose request log counts the logins.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import brokers
from brokers.sandbox import DX_PASSWORD, MT_BROKER_ID, MT_PASSWORD
from brokers.token_cache import FORMAT, TokenCache, default_directory
from tests.conftest import ROOT, secrets_seen

DX_LOGIN, MT_LOGIN = "/dxsca-web/login", "/manager/*-login"
METRICS = "/dxsca-web/accounts/metrics"
MT_BALANCE = "/mtr-api/*/balance"

# A run of `brokers balance` for one login, in a process of its own. It starts reading at
# the wall-clock time given (so that several processes start together) and logs at DEBUG,
# unredacted, to stderr: the test checks that no token shows there.
CHILD = r"""
import json, logging, sys, time
import brokers
from brokers.sandbox import DX_PASSWORD, MT_BROKER_ID, MT_PASSWORD

logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
platform, url, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
if platform == "dxtrade":
    client = brokers.DXTrade(url, "1210001", DX_PASSWORD, token_cache=True)
else:
    client = brokers.MatchTrade(url, "trader@example.com", MT_PASSWORD, MT_BROKER_ID,
                                token_cache=True)
while time.time() < start:
    time.sleep(0.002)
with client:
    print(json.dumps([b.to_dict() for b in client.get_balances()]))
"""


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKERS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


def start_run(platform: str, url: str, start: float = 0.0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, platform, url, str(start)],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[list[dict], str]:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out), err


def run(platform: str, url: str) -> tuple[list[dict], str]:
    return finish(start_run(platform, url))


def logins(sb, platform: str) -> int:
    return sb.count(DX_LOGIN if platform == "dxtrade" else MT_LOGIN)


def entry_path(platform: str, url: str, login: str) -> Path:
    return TokenCache().entry(platform, url, login).path


def dx_entry(sb) -> Path:
    return entry_path("dxtrade", sb.url, "1210001@default")


def mt_entry(sb) -> Path:
    return entry_path("matchtrade", sb.url, "trader@example.com")


def tokens_sent(sb) -> set[str]:
    """Every session token the sandbox received (DXAPI header or co-auth cookie)."""
    sent = set()
    for request in sb.requests:
        auth = request.header("authorization") or ""
        if auth.startswith("DXAPI "):
            sent.add(auth[6:])
        if "co-auth" in request.cookies():
            sent.add(request.cookies()["co-auth"])
    return sent


def cached_token(path: Path) -> str:
    return json.loads(path.read_text())["state"]["token"]


# ------------------------------------------------------------- runs of a cron job


@pytest.mark.parametrize(("platform", "reads"), [("dxtrade", 1), ("matchtrade", 2)])
def test_second_run_reads_without_login(sandbox, platform, reads):
    first, err1 = run(platform, sandbox.url)
    assert logins(sandbox, platform) == 1
    sandbox.clear()
    second, err2 = run(platform, sandbox.url)
    # DXtrade reads both accounts in one request; Match-Trader one request per account.
    assert sandbox.count() == reads
    assert sandbox.count(METRICS if platform == "dxtrade" else MT_BALANCE) == reads
    assert logins(sandbox, platform) == 0
    assert [b["balance"] for b in second] == [b["balance"] for b in first]
    assert "session taken from the token cache" in err2
    leaked = [s for s in secrets_seen(sandbox) if s in err1 + err2]
    assert not leaked, f"{len(leaked)} secret(s) in a run's DEBUG log"


@pytest.mark.parametrize("platform", ["dxtrade", "matchtrade"])
def test_concurrent_runs_log_in_once_and_leave_a_sound_file(sandbox, platform):
    sandbox.latency = 0.3  # every answer takes 0.3 s: the runs' logins would overlap
    start = time.time() + 3.0  # after every interpreter has started
    procs = [start_run(platform, sandbox.url, start) for _ in range(4)]
    results = [finish(proc)[0] for proc in procs]
    assert logins(sandbox, platform) == 1
    assert all(r == results[0] for r in results)
    path = dx_entry(sandbox) if platform == "dxtrade" else mt_entry(sandbox)
    document = json.loads(path.read_text())
    assert document["format"] == FORMAT and document["state"]["token"] in tokens_sent(sandbox)
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_the_cache_stays_out_of_the_way_by_default(sandbox, dx, mt):
    dx().get_balances()
    mt().get_balances()
    assert not default_directory().exists()


# ------------------------------------------------------------------- liveness


def test_dxtrade_idle_timeout_counts_from_the_last_request(sandbox, dx):
    now = [time.time()]
    clock = lambda: now[0]  # noqa: E731
    with dx(token_cache=True, clock=clock) as first:
        first.get_balances()
        now[0] += 1700  # used again just before the 1800 s timeout: the session lives on
        first.get_balances()
    sandbox.clear()
    now[0] += 1000  # 2700 s after the login, 1000 s after the last request: alive
    with dx(token_cache=True, clock=clock) as second:
        second.get_balances()
    assert sandbox.count(DX_LOGIN) == 0 and sandbox.count() == 1
    now[0] += 1800  # idle for the whole timeout now
    with dx(token_cache=True, clock=clock) as third:
        third.get_balances()
    assert sandbox.count(DX_LOGIN) == 1


def test_a_running_client_keeps_the_cached_last_activity_fresh(sandbox, dx):
    now = [time.time()]
    client = dx(token_cache=True, clock=lambda: now[0])
    client.get_balances()
    path = dx_entry(sandbox)
    written = json.loads(path.read_text())["state"]["last_activity"]
    now[0] += 30
    client.get_balances()  # within a minute of the last write: no write
    assert json.loads(path.read_text())["state"]["last_activity"] == written
    now[0] += 31
    client.get_balances()
    assert json.loads(path.read_text())["state"]["last_activity"] == now[0]


def test_matchtrade_session_expires_at_the_token_exp(sandbox, mt):
    now = [time.time()]
    with mt(token_cache=True, clock=lambda: now[0]) as first:
        first.get_balances()
    now[0] += 900 - 181 - 5  # the JWT lives 900 s; renewed 180 s before: still usable
    with mt(token_cache=True, clock=lambda: now[0]) as second:
        second.get_balance()
    assert sandbox.count(MT_LOGIN) == 1
    now[0] += 10  # inside the renewal margin: a new login, not the cached token
    with mt(token_cache=True, clock=lambda: now[0]) as third:
        third.get_balance()
    assert sandbox.count(MT_LOGIN) == 2
    assert sandbox.count("/manager/refresh-token") == 0  # the refresh token is not cached


@pytest.mark.parametrize("platform", ["dxtrade", "matchtrade"])
def test_401_on_a_cached_token_logs_in_once_and_replaces_it(sandbox, dx, mt, platform):
    make = dx if platform == "dxtrade" else mt
    with make(token_cache=True) as first:
        first.get_balance()
    path = dx_entry(sandbox) if platform == "dxtrade" else mt_entry(sandbox)
    old = cached_token(path)
    sandbox.expire_sessions(refresh=True)
    sandbox.clear()
    with make(token_cache=True) as second:
        second.get_balance()
    # the read (401), one login, the read again: the renewal the client always does
    assert logins(sandbox, platform) == 1 and sandbox.count() == 3
    assert cached_token(path) != old and cached_token(path) in tokens_sent(sandbox)


def test_a_rejected_token_is_discarded_even_when_the_login_fails(sandbox, dx):
    with dx(token_cache=True) as first:
        first.get_balance()
    sandbox.expire_sessions()
    sandbox.fault(DX_LOGIN, status=401, json={"errorCode": "3", "description": "bad"})
    with pytest.raises(brokers.AuthenticationError), dx(token_cache=True) as second:
        second.get_balance()
    assert not dx_entry(sandbox).exists()


def test_after_a_401_a_session_another_process_stored_is_taken(sandbox, dx):
    with dx(token_cache=True) as first:
        first.get_balances()
    a, b = dx(token_cache=True), dx(token_cache=True)
    a.get_balances()
    b.get_balances()  # both use the cached session
    sandbox.expire_sessions()
    sandbox.clear()
    a.get_balances()  # 401, login, stored
    b.get_balances()  # 401, then the session `a` stored: no login of its own
    assert sandbox.count(DX_LOGIN) == 1
    assert sandbox.count(METRICS) == 4


def test_login_logs_in_even_with_a_live_cached_session(sandbox, dx):
    with dx(token_cache=True) as first:
        first.get_balance()
    old = cached_token(dx_entry(sandbox))
    with dx(token_cache=True) as second:
        second.login()
        assert second._token.reveal() == cached_token(dx_entry(sandbox)) != old
    assert sandbox.count(DX_LOGIN) == 2


def test_close_keeps_the_session_for_the_next_run_instead_of_logging_out(sandbox, dx):
    with dx(token_cache=True) as client:
        client.get_balance()
    assert sandbox.count("/dxsca-web/logout") == 0
    with dx() as client:  # without the cache: logged out as before
        client.get_balance()
    assert sandbox.count("/dxsca-web/logout") == 1


# ------------------------------------------------------- files that are not trusted


def _corrupt(path: Path) -> None:
    path.write_bytes(b'{"format": 1, "platform": "dxtr')


def _other_version(path: Path) -> None:
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "format": FORMAT + 1}))


def _loose_permissions(path: Path) -> None:
    path.chmod(0o644)


def _unreadable(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.with_name("nowhere"))  # opened without following links: refused


def _no_session(path: Path) -> None:
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "state": {"token": 7, "timeout": "soon"}}))


def _not_finite(path: Path) -> None:
    document = json.loads(path.read_text())
    document["state"]["timeout"] = "NaN"
    path.write_text(json.dumps(document))


def _wrong_owner(path: Path) -> None:
    os.chown(path, 65534, 65534)


def _for_another_login(path: Path) -> None:
    # 1210003's file put where 1210001's belongs: the content names another login
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "login": "1210003@default"}))
    path.chmod(0o600)


SPOILERS = [_corrupt, _other_version, _loose_permissions, _unreadable, _no_session, _not_finite]
SPOILERS += [_for_another_login]
if hasattr(os, "geteuid") and os.geteuid() == 0:
    SPOILERS.append(_wrong_owner)


@pytest.mark.parametrize("spoil", SPOILERS, ids=lambda f: f.__name__.strip("_"))
def test_an_untrusted_file_is_ignored_and_replaced(sandbox, dx, caplog, spoil):
    with dx(token_cache=True) as first:
        first.get_balance()
    path = dx_entry(sandbox)
    old = cached_token(path)
    spoil(path)
    sandbox.clear()
    with dx(token_cache=True) as second:
        second.get_balance()
    assert sandbox.count(DX_LOGIN) == 1
    assert old not in tokens_sent(sandbox)
    assert "token cache:" in caplog.text
    assert not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_uid == os.geteuid()
    assert cached_token(path) in tokens_sent(sandbox)


def test_a_token_is_never_sent_to_another_base_url(sandbox, dx):
    with dx(token_cache=True) as first:
        first.get_balance()
    old = cached_token(dx_entry(sandbox))
    sandbox.clear()
    other_url = sandbox.url.replace("127.0.0.1", "localhost")  # same server, another URL
    with brokers.DXTrade(other_url, "1210001", DX_PASSWORD, token_cache=True) as second:
        second.get_balance()
    assert sandbox.count(DX_LOGIN) == 1 and old not in tokens_sent(sandbox)


def test_a_file_copied_to_another_logins_name_is_refused(sandbox, dx):
    with dx(token_cache=True) as first:
        first.get_balance()
    old = cached_token(dx_entry(sandbox))
    other = entry_path("dxtrade", sandbox.url, "1210003@default")
    other.write_bytes(dx_entry(sandbox).read_bytes())
    other.chmod(0o600)
    sandbox.clear()
    with dx("1210003", token_cache=True) as second:
        second.get_balance()
    assert sandbox.count(DX_LOGIN) == 1 and old not in tokens_sent(sandbox)


def test_a_matchtrade_token_is_never_sent_for_another_broker_id(sandbox, mt):
    with mt(token_cache=True) as first:
        first.get_balance()
    old = cached_token(mt_entry(sandbox))
    sandbox.clear()
    with pytest.raises(brokers.AuthenticationError), mt(broker_id="999", token_cache=True) as c:
        c.get_balance()  # the sandbox knows no broker 999: the login is refused
    assert sandbox.count(MT_LOGIN) >= 1 and old not in tokens_sent(sandbox)


# ------------------------------------------------------------------- the files


def test_directory_0700_files_0600_even_under_a_loose_umask(sandbox, dx, tmp_path):
    directory = tmp_path / "given"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    previous = os.umask(0)
    try:
        with dx(token_cache=directory) as client:
            client.get_balance()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700  # tightened
    files = list(directory.iterdir())
    assert {p.suffix for p in files} == {".json", ".lock"}
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    default = default_directory()
    with dx(token_cache=True) as client:
        client.get_balance()
    assert stat.S_IMODE(default.stat().st_mode) == 0o700


def test_default_directory_follows_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_directory() == tmp_path / "x" / "brokers"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_directory() == tmp_path / "home" / ".cache" / "brokers"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_directory() == tmp_path / "home" / ".cache" / "brokers"


def test_writes_are_atomic_for_a_concurrent_reader(tmp_path):
    entry = TokenCache(tmp_path / "c").entry("dxtrade", "https://x.example", "1@default")
    states = [{"token": c * 6, "pad": c * 200_000} for c in "ab"]
    entry.cache.ready()
    entry.store(states[0], 1.0)
    original = entry.path.open("rb")  # held open: the first file, whatever happens to the name
    first = entry.path.read_bytes()
    seen: list[object] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append(entry.load())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(200):
            assert entry.store(states[i % 2], float(i))
    finally:
        done.set()
        reader.join()
    assert seen and all(state in states for state in seen)  # never half a file, never None
    with original:  # replaced, never rewritten in place: the first file is intact, unlinked
        assert original.read() == first and os.fstat(original.fileno()).st_nlink == 0
    assert [p.name for p in entry.path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_lock_held_elsewhere_is_waited_for(tmp_path, sandbox, dx, caplog):
    entry = TokenCache(tmp_path / "c").entry("dxtrade", sandbox.url, "1210001@default")
    with entry.locked() as held:
        assert held
        with entry.locked(wait=0.05) as again:  # another open file: excluded like a process
            assert not again
        client = dx(token_cache=tmp_path / "c")
        started = time.monotonic()
        waiter = threading.Thread(target=client.get_balance)
        waiter.start()
        time.sleep(0.3)
        assert waiter.is_alive()  # waiting for the lock, not logging in
        assert sandbox.count(DX_LOGIN) == 0
    waiter.join(timeout=10)
    assert sandbox.count(DX_LOGIN) == 1 and time.monotonic() - started < 10


# -------------------------------------------------------------- secrets and options


def test_cached_tokens_stay_out_of_repr_errors_and_logs(sandbox, dx, mt, caplog):
    for make in (dx, mt):
        with make(token_cache=True) as first:
            first.get_balances()
        restored = make(token_cache=True)
        restored.get_balances()
        assert "session taken from the token cache" in caplog.text
        sandbox.expire_sessions(refresh=True)
        sandbox.fault("*", status=401, times=10)  # the renewal is refused too
        with pytest.raises(brokers.BrokerError) as caught:
            restored.get_balances()
        sandbox.clear_faults()
        texts = [repr(restored), str(caught.value), repr(caught.value)]
        texts += [repr(restored._token_cache), repr(restored._cached_entry())]
        for secret in secrets_seen(sandbox):
            assert not any(secret in text for text in texts)
    # the autouse guard then scans this test's DEBUG log for every token the sandbox saw


def test_option_values(sandbox, tmp_path):
    with pytest.raises(brokers.ConfigurationError, match="token_cache"):
        brokers.DXTrade(sandbox.url, "1210001", DX_PASSWORD, token_cache=42)
    client = brokers.DXTrade(sandbox.url, "1210001", DX_PASSWORD, token_cache=str(tmp_path / "p"))
    client.get_balance()
    client.close()
    assert list((tmp_path / "p").glob("dxtrade-*.json"))


def test_a_cache_directory_that_cannot_be_made_is_no_error(sandbox, dx, tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with dx(token_cache=blocker / "sub") as client:
        client.get_balance()
    assert "token cache:" in caplog.text and sandbox.count(DX_LOGIN) == 1


# ------------------------------------------------------------------ the command


def brokers_run(env_file: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "brokers", "--json", "--env-file", str(env_file), *args],
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def env_file(tmp_path, sandbox) -> Path:
    path = tmp_path / "brokers.env"
    path.write_text(
        f"BROKERS_PROFILES=dx,mt\nDX_BROKER=dxtrade\nDX_BASE_URL={sandbox.url}\n"
        f"DX_USERNAME=1210001\nDX_PASSWORD={DX_PASSWORD}\nMT_BROKER=matchtrade\n"
        f"MT_BASE_URL={sandbox.url}\nMT_USERNAME=trader@example.com\n"
        f"MT_PASSWORD={MT_PASSWORD}\nMT_BROKER_ID={MT_BROKER_ID}\n"
    )
    return path


def test_the_command_caches_by_default(sandbox, env_file):
    assert brokers_run(env_file).returncode == 0
    assert sandbox.count(DX_LOGIN) == sandbox.count(MT_LOGIN) == 1
    sandbox.clear()
    second = brokers_run(env_file)
    assert second.returncode == 0, second.stderr
    assert sandbox.count(DX_LOGIN) + sandbox.count(MT_LOGIN) == 0
    assert sandbox.count() == 3  # DXtrade: 1 for both accounts; Match-Trader: 1 per account
    assert len(json.loads(second.stdout)["results"]) == 2


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--no-token-cache",), {}), ((), {"BROKERS_TOKEN_CACHE": "off"})],
    ids=["flag", "env"],
)
def test_the_command_without_the_cache(sandbox, env_file, args, env):
    for _ in range(2):
        result = brokers_run(env_file, *args, **env)
        assert result.returncode == 0, result.stderr
    assert sandbox.count(DX_LOGIN) == sandbox.count(MT_LOGIN) == 2
    assert not default_directory().exists()  # nothing stored either


def test_the_command_check_always_logs_in(sandbox, env_file):
    for _ in range(2):
        assert brokers_run(env_file, "check").returncode == 0
    assert sandbox.count(DX_LOGIN) == sandbox.count(MT_LOGIN) == 2


def test_cache_logs_are_info_without_secrets(sandbox, dx, caplog):
    caplog.set_level(logging.INFO, logger="brokers")
    with dx(token_cache=True) as first:
        first.get_balance()
    _corrupt(dx_entry(sandbox))
    with dx(token_cache=True) as second:
        second.get_balance()
    records = [r for r in caplog.records if "token cache" in r.getMessage()]
    assert records and all(r.levelno == logging.INFO for r in records)


def test_a_token_changed_by_a_ping_is_written_back(sandbox, dx):
    with dx(token_cache=True) as first:
        first.get_balance()
    with dx(token_cache=True) as second:
        second.get_balance()  # the cached session
        # the sheet allows a ping to hand out another token (S4 adopts it)
        sandbox.fault("/dxsca-web/ping", json={"sessionToken": "pinged-token-1", "timeout": 1800})
        second.ping()
    assert cached_token(dx_entry(sandbox)) == "pinged-token-1"
