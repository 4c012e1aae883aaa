"""Shared fixtures: a fresh loopback sandbox, clients wired to it, and the secret guard.

Every test captures the ``brokers`` logs at DEBUG; the ``_no_secrets_in_logs`` guard fails
the test if a password or any token the sandbox saw appears in them. The ``_conformance`` guard
fails it if a client sent a request that ``tests/conformance/`` does not allow.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import brokers
from brokers.sandbox import DX_PASSWORD, MT_BROKER_ID, MT_PASSWORD, Sandbox

from .conformance import hook

ROOT = Path(__file__).resolve().parent.parent
SECRET_HEADERS = ("authorization", "auth-trading-api", "cookie")


def pytest_configure(config):
    config.addinivalue_line("markers", hook.MARKER)
    hook.install()


@pytest.fixture(autouse=True)
def _conformance(request):
    """Fails a test whose client sent a request the documentation does not define."""
    yield from hook.guard(request)


class Sleeps(list):
    """An injected ``sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def retry(sleeps: Sleeps) -> brokers.RetryPolicy:
    return brokers.RetryPolicy(attempts=3, sleep=sleeps)


@pytest.fixture
def sandbox(_no_secrets_in_logs):
    with Sandbox() as sb:
        _no_secrets_in_logs.append(sb)
        yield sb


def secrets_seen(sb: Sandbox) -> set[str]:
    """Every credential value that crossed the wire to the sandbox."""
    found = {DX_PASSWORD, MT_PASSWORD}
    for request in sb.requests:
        for name in SECRET_HEADERS:
            value = request.headers.get(name)
            if not value:
                continue
            if name == "authorization":
                found.add(value.split(" ", 1)[-1])
            elif name == "cookie":
                found.update(p.split("=", 1)[-1] for p in value.split("; ") if "=" in p)
            else:
                found.add(value)
    return {s for s in found if len(s) >= 6}


@pytest.fixture(autouse=True)
def _no_secrets_in_logs(caplog):
    """Yields the list of sandboxes the test used; after the test, scans the captured logs."""
    caplog.set_level(logging.DEBUG, logger="brokers")
    sandboxes: list[Sandbox] = []
    yield sandboxes
    seen = {DX_PASSWORD, MT_PASSWORD}.union(*(secrets_seen(sb) for sb in sandboxes))
    leaked = [s for s in seen if s in caplog.text]
    assert not leaked, f"secrets in the logs: {len(leaked)} value(s)"


@pytest.fixture
def dx(sandbox, retry):
    """A factory of DXTrade clients for the sandbox's first demo user."""
    made = []

    def make(username: str = "1210001", password: str = DX_PASSWORD, **options):
        options.setdefault("retry", retry)
        client = brokers.DXTrade(sandbox.url, username, password, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def mt(sandbox, retry):
    """A factory of MatchTrade clients for the sandbox's first demo user."""
    made = []

    def make(email: str = "trader@example.com", password: str = MT_PASSWORD, **options):
        options.setdefault("retry", retry)
        options.setdefault("broker_id", MT_BROKER_ID)
        client = brokers.MatchTrade(sandbox.url, email, password, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
