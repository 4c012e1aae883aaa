"""Suite-wide guard: every request a ``brokers`` client sends to any in-process ``Sandbox``
must match the documented request shapes; a violation fails the test that caused it.

``install()`` (once, from ``pytest_configure``) wraps ``Sandbox._serve`` so that each exchange
(request and answer) is kept; ``guard(request)`` is the body of an autouse fixture that checks
the exchanges of one test when it ends. ``@pytest.mark.nonconformant("why")`` opts a test out
(for tests that make the client send something odd on purpose).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from brokers.sandbox import Sandbox

from .checker import Conversation

_lock = threading.Lock()
_exchanges: list[tuple[int, Any, int | None, bytes]] = []  # (sandbox id, request, status, body)
MARKER = (
    "nonconformant(why): this test makes the client send a request the documentation "
    "does not define, on purpose; the conformance guard does not check it"
)


def install() -> None:
    """Wrap ``Sandbox._serve`` once: keep each exchange for the conformance guard."""
    if getattr(Sandbox._serve, "_conformance", False):
        return
    serve = Sandbox._serve

    def recording_serve(self: Sandbox, record: Any) -> Any:
        response = serve(self, record)
        status = response.status if response is not None else None
        body = response.body if response is not None else b""
        with _lock:
            _exchanges.append((id(self), record, status, body))
        return response

    recording_serve._conformance = True  # type: ignore[attr-defined]
    Sandbox._serve = recording_serve  # type: ignore[method-assign]


def take() -> list[tuple[int, Any, int | None, bytes]]:
    """The exchanges since the last call, in arrival order."""
    with _lock:
        taken = list(_exchanges)
        _exchanges.clear()
    return sorted(taken, key=lambda e: e[1].time)


def violations(exchanges: list[tuple[int, Any, int | None, bytes]]) -> list[str]:
    conversations: dict[int, Conversation] = {}
    found: list[str] = []
    for sandbox, record, status, body in exchanges:
        conversation = conversations.setdefault(sandbox, Conversation())
        for problem in conversation.feed(record, status, body):
            if problem not in found:
                found.append(problem)
    return found


def guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Check every client request of the test (setup, call and teardown) when it ends."""
    take()  # stragglers of an earlier test are not this test's doing
    yield
    found = violations(take())
    if found and request.node.get_closest_marker("nonconformant") is None:
        pytest.fail(
            "requests that the documented shapes (tests/conformance/) do not allow:\n  "
            + "\n  ".join(found),
            pytrace=False,
        )
