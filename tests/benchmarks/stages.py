"""Where the client's extra CPU on a warm read goes, stage by stage.

A profiler cannot say it: cProfile adds about a microsecond to every function call, which
is more than most of the client's own functions cost, so it inflates exactly the layer being
measured. Instead, each layer of one client is timed with the layer under it replaced by the
answer it gave on a real warm read (an instance attribute over the method, dropped after):

- ``platform``: ``get_balance()`` over a recorded ``_call`` (account, path, parsing into a
  :class:`~brokers.Balance`);
- ``session``: ``_call`` (session check, auth headers, the 401 guard), over a recorded
  ``_send``, less the platform figure;
- ``retry+throttle``: ``_send`` over a recorded ``_send_once``, less the two above;
- ``json Decimal``: ``decode_json`` of the answer less ``Response.json()`` of it (the bare
  side's float decoding): the cost of exact money;
- ``answer check``: ``_reply`` (status, empty and HTML checks, cookies) less ``decode_json``.

What the client's overhead leaves after these is the transport: its request headers, the
``requests`` call with ``stream=True``, the deadline-bounded body read and the log call.
Each figure is the median of several blocks, the statistic the overhead itself is taken with
(a best block would be faster than the median of a loaded machine, and the rest too large).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import brokers
from brokers.parsing import decode_json

STAGES = ("platform", "session", "retry+throttle", "json Decimal", "answer check")


def median_us(fn: Callable[[], Any], calls: int, blocks: int = 7) -> float:
    """The median CPU µs per call of ``fn`` over ``blocks`` blocks of ``calls`` calls."""
    figures = []
    for _ in range(blocks):
        started = time.process_time()
        for _ in range(calls):
            fn()
        figures.append(time.process_time() - started)
    return statistics.median(figures) / calls * 1e6


@contextmanager
def replaced(client: brokers.BrokerClient, name: str, value: Any) -> Iterator[None]:
    """``client.<name>`` answers ``value`` (an instance attribute over the method)."""
    setattr(client, name, lambda *args, **kwargs: value)
    try:
        yield
    finally:
        delattr(client, name)


def record(client: brokers.BrokerClient, read: Callable[[], Any]) -> dict[str, Any]:
    """What ``_send_once`` and ``_reply`` gave on one warm ``read()``: the reply and the
    response it was made from."""
    seen: dict[str, Any] = {}
    reply = client._reply

    def recording_reply(response: Any, method: str, path: str) -> brokers.base.Reply:
        seen["response"], seen["where"] = response, (method, path)
        seen["reply"] = reply(response, method, path)
        return seen["reply"]

    client._reply = recording_reply  # type: ignore[method-assign]
    try:
        read()
    finally:
        del client._reply
    return seen


def stage_costs(
    client: brokers.BrokerClient, read: Callable[[], Any], calls: int
) -> dict[str, float]:
    """CPU µs per warm ``read()`` of each stage in :data:`STAGES`."""
    seen = record(client, read)
    reply, response = seen["reply"], seen["response"]
    method, path = seen["where"]
    with replaced(client, "_call", reply):
        platform = median_us(read, calls)
    with replaced(client, "_send", reply):
        to_call = median_us(read, calls)
    with replaced(client, "_send_once", reply):
        to_send = median_us(read, calls)
    decoded = median_us(lambda: decode_json(response.content), calls)
    plain = median_us(response.json, calls)
    checked = median_us(lambda: client._reply(response, method, path), calls)
    return {
        "platform": round(platform, 1),
        "session": round(to_call - platform, 1),
        "retry+throttle": round(to_send - to_call, 1),
        "json Decimal": round(decoded - plain, 1),
        "answer check": round(checked - decoded, 1),
    }
