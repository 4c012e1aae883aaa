"""The sandbox HTTP server: keep-alive handler, request recording, faults, latency, admin routes.

:class:`Sandbox` owns a :class:`_Server` (a daemon-threaded ``ThreadingHTTPServer``) running in a
background thread, the two platform states and the fault queue.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import socketserver
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from .dxtrade import DXtradeState
from .matchtrade import MatchTraderState
from .projectx import ProjectXState
from .tradelocker import TradeLockerState
from .wire import (
    JSON_TYPE,
    RecordedRequest,
    Response,
    dumps,
    json_response,
    loads_plain,
    not_found_html,
)

SERVER_HEADER = "brokers-sandbox/1.0"
PLATFORMS = ("dxtrade", "matchtrade", "tradelocker", "projectx")  # the state attributes
_SETTING_TYPES = (bool, int, float, str, list, tuple, set, dict, type(None))


def _is_setting(state: Any, name: str) -> bool:
    """Whether ``name`` is a public setting of a platform state: an existing attribute holding
    plain data (not private, not a method, not the lock)."""
    if name.startswith("_") or name == "lock" or not hasattr(state, name):
        return False
    return isinstance(getattr(state, name), _SETTING_TYPES)


ADMIN_PREFIX = "/_sandbox"
_NO_BODY_STATUSES = (204, 304)

CLOUDFLARE_PAGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<noscript><div id="challenge-error-title"><div class="h2">
<span id="challenge-error-text">Enable JavaScript and cookies to continue</span>
</div></div></noscript></div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cType: 'managed'};}());</script>
</body></html>"""


# --------------------------------------------------------------------------- faults


def path_matches(pattern: str, path: str) -> bool:
    """fnmatch ``pattern`` against a raw path or its percent-decoded form."""
    return fnmatchcase(path, pattern) or fnmatchcase(unquote(path), pattern)


@dataclass(eq=False)
class Fault:
    """A queued misbehaviour for requests whose path matches ``path`` (an fnmatch glob).

    See :meth:`Sandbox.fault` for the meaning of each field. ``hits`` counts the requests that
    consumed this fault; ``remaining`` is how many more it will take (``None``: unlimited).
    """

    path: str
    method: str | None = None
    status: int | None = None
    json: Any = None
    body: bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    after_execute: bool = False
    times: int | None = 1
    hits: int = 0

    @property
    def remaining(self) -> int | None:
        """Requests this fault will still take; ``None`` means forever."""
        return None if self.times is None else max(0, self.times - self.hits)

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request and still has uses left."""
        if self.remaining == 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return path_matches(self.path, path)

    def override(self) -> Response | None:
        """The answer that replaces the real one, or ``None`` when nothing is overridden."""
        if self.status is None and self.json is None and self.body is None:
            return None
        status = self.status if self.status is not None else 200
        if status in _NO_BODY_STATUSES:
            return Response(status)
        if self.body is not None:
            content_type = self.content_type or ("text/html" if self.body else None)
            data = self.body
        elif self.json is not None:
            content_type, data = self.content_type or JSON_TYPE, dumps(self.json).encode()
        else:
            content_type, data = self.content_type or JSON_TYPE, b"{}"
        headers = [("Content-Type", content_type)] if content_type else []
        return Response(status, data, headers)

    def decorate(self, response: Response) -> Response:
        """Add this fault's extra headers to ``response``."""
        for name, value in self.headers.items():
            response.set_header(name, value)
        return response


# --------------------------------------------------------------------------- HTTP plumbing


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler: every answer has a Content-Length."""

    protocol_version = "HTTP/1.1"
    server_version = SERVER_HEADER
    server: _Server

    def __init__(
        self, request: socket.socket, client_address: Any, server: _Server, connection_id: int
    ) -> None:
        self.connection_id = connection_id
        super().__init__(request, client_address, server)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: recording replaces access logs."""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        path, _, query_string = self.path.partition("?")
        sandbox = self.server.sandbox
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            self._send(sandbox._admin(self.command, path, body))
            return
        record = RecordedRequest(
            method=self.command,
            path=path,
            query={k: v[-1] for k, v in parse_qs(query_string, keep_blank_values=True).items()},
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            json=loads_plain(body),
            connection=self.connection_id,
            time=time.monotonic(),
        )
        response = sandbox._serve(record)
        if response is None:
            self.close_connection = True
            return
        self._send(response)

    def _read_body(self) -> bytes | None:
        """Read the request body (Content-Length or chunked); None after answering 400."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            try:
                return self._read_chunked()
            except ValueError:
                self.send_error(400, "Bad chunked encoding")
                return None
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.strip().isdigit():
            self.send_error(400, "Bad Content-Length")
            return None
        return self.rfile.read(int(length))

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, response: Response) -> None:
        """Write status line, headers and body with a single send (no Nagle/delayed-ACK stall)."""
        reason = self.responses.get(response.status, ("",))[0]
        lines = [f"{self.protocol_version} {response.status} {reason}"]
        if response.header("Server") is None:
            lines.append(f"Server: {SERVER_HEADER}")
        lines.append(f"Date: {self.date_time_string()}")
        lines += [f"{name}: {value}" for name, value in response.headers]
        has_body = response.status not in _NO_BODY_STATUSES
        if has_body:
            lines.append(f"Content-Length: {len(response.body)}")
        if (response.header("Connection") or "").lower() == "close":
            self.close_connection = True
        elif self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "strict")
        self.wfile.write(head + response.body if has_body else head)


class _Server(ThreadingHTTPServer):
    """One daemon thread per connection; tracks client sockets so stop() can close them."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128  # fan-out benchmarks open many connections at once

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, family: int) -> None:
        self.address_family = family
        self.sandbox = sandbox
        self._clients: dict[int, socket.socket] = {}
        self._clients_changed = threading.Condition()
        self._next_connection = 0
        super().__init__(address, _Handler)  # type: ignore[arg-type]

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup (slow on some machines)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._clients_changed:
            self._next_connection += 1
            connection_id = self._next_connection
            self._clients[connection_id] = request
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address, connection_id),
            name=f"sandbox-connection-{connection_id}",
            daemon=True,
        )
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any, connection_id: int) -> None:
        try:
            _Handler(request, client_address, self, connection_id)
        except OSError:
            pass  # the client went away, or stop() closed the socket
        except Exception:  # keep serving other connections
            if not self.sandbox._stopping.is_set():
                traceback.print_exc(file=sys.stderr)
        finally:
            with self._clients_changed:
                self._clients.pop(connection_id, None)
                self._clients_changed.notify_all()
            self.shutdown_request(request)

    def close_clients(self, timeout: float) -> None:
        """Shut down every open client socket and wait (bounded) for their threads to end."""
        with self._clients_changed:
            sockets = list(self._clients.values())
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with self._clients_changed:
            self._clients_changed.wait_for(lambda: not self._clients, timeout)


# --------------------------------------------------------------------------- public API


def _check_loopback(host: str) -> int:
    """Return the address family for a loopback ``host``; raise ValueError for anything else."""
    if host == "localhost":
        return socket.AF_INET
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"sandbox host must be a loopback address, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"sandbox host must be a loopback address, not {host!r}")
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


class Sandbox:
    """A loopback HTTP emulator of DXtrade (``/dxsca-web``) and Match-Trader (``/manager``,
    ``/mtr-api``). See the :mod:`brokers.sandbox` docstring for the full reference."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0) -> None:
        self._family = _check_loopback(host)
        self._bind = ("127.0.0.1" if host == "localhost" else host, port)
        self._initial_latency = float(latency)
        self.latency = float(latency)
        self.dxtrade = DXtradeState()
        self.matchtrade = MatchTraderState()
        self.projectx = ProjectXState()
        self.tradelocker = TradeLockerState()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._counted: set[int] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Sandbox:
        """Bind and serve in a background thread; returns self. Idempotent."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self._bind, self, self._family)
        self.matchtrade.platform_url = self.url
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="sandbox-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving, wake sleeping handlers and close every client connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_clients(timeout)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The bound TCP port (the sandbox must be started)."""
        if self._server is None:
            raise RuntimeError("sandbox is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: also the Match-Trader origin."""
        host = self._bind[0]
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def dxtrade_url(self) -> str:
        """The DXtrade base URL: ``url + "/dxsca-web"``."""
        return self.url + "/dxsca-web"

    @property
    def matchtrade_url(self) -> str:
        """The Match-Trader origin (same as :attr:`url`)."""
        return self.url

    # ------------------------------------------------------------------ recording

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the recorded requests, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def connections(self) -> int:
        """TCP connections that carried at least one recorded request since the last clear()."""
        with self._lock:
            return len(self._counted)

    def count(self, path: str | None = None, method: str | None = None) -> int:
        """Recorded requests matching an fnmatch ``path`` glob and/or ``method``."""
        return sum(
            1
            for record in self.requests
            if (path is None or path_matches(path, record.path))
            and (method is None or record.method == method.upper())
        )

    def clear(self) -> None:
        """Forget recorded requests and reset the connection count."""
        with self._lock:
            self._requests.clear()
            self._counted.clear()

    def stats(self) -> dict[str, Any]:
        """``{"requests": n, "connections": m, "by_path": {"METHOD path": n}}``."""
        by_path: dict[str, int] = {}
        for record in self.requests:
            key = f"{record.method} {record.path}"
            by_path[key] = by_path.get(key, 0) + 1
        return {
            "requests": sum(by_path.values()),
            "connections": self.connections,
            "by_path": by_path,
        }

    # ------------------------------------------------------------------ faults

    def fault(
        self,
        path: str,
        *,
        method: str | None = None,
        status: int | None = None,
        json: Any = None,
        body: str | bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drop: bool = False,
        after_execute: bool = False,
        times: int | None = 1,
    ) -> Fault:
        """Queue a fault for requests whose path matches the fnmatch glob ``path``."""
        if times is not None and times < 1:
            raise ValueError("times must be None or >= 1")
        if delay < 0:
            raise ValueError("delay must be >= 0")
        if json is not None and body is not None:
            raise ValueError("give json or body, not both")
        fault = Fault(
            path=path,
            method=method,
            status=status,
            json=json,
            body=body.encode("utf-8") if isinstance(body, str) else body,
            content_type=content_type,
            headers=dict(headers or {}),
            delay=float(delay),
            drop=drop,
            after_execute=after_execute,
            times=times,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def cloudflare(
        self, path_glob: str = "*", times: int | None = None, method: str | None = None
    ) -> Fault:
        """Queue Cloudflare's 403 "Just a moment..." challenge (``cf-mitigated: challenge``)."""
        return self.fault(
            path_glob,
            method=method,
            status=403,
            body=CLOUDFLARE_PAGE,
            content_type="text/html",
            headers={
                "cf-mitigated": "challenge",
                "Server": "cloudflare",
                "CF-RAY": "8f0c0ffee0000000-FRA",
                "Cache-Control": "private, max-age=0, no-store, no-cache, must-revalidate",
            },
            times=times,
        )

    @property
    def faults(self) -> list[Fault]:
        """Faults still queued (exhausted ones are dropped)."""
        with self._lock:
            return [fault for fault in self._faults if fault.remaining != 0]

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._faults.clear()

    # ------------------------------------------------------------------ state

    def expire_sessions(self, refresh: bool = False) -> None:
        """Invalidate every DXtrade session and Match-Trader co-auth JWT (and ``rt`` if asked)."""
        self.dxtrade.expire_sessions()
        self.matchtrade.expire_sessions(refresh=refresh)
        self.projectx.expire_sessions()
        self.tradelocker.expire_sessions(refresh=refresh)

    def reset(self) -> None:
        """Back to a fresh sandbox: seed data, default settings, no records, no faults."""
        self.dxtrade.reset()
        self.matchtrade.reset()
        self.projectx.reset()
        self.tradelocker.reset()
        self.clear()
        self.clear_faults()
        self.latency = self._initial_latency

    # ------------------------------------------------------------------ request pipeline

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopping; False when the sandbox is stopping."""
        if seconds > 0:
            self._stopping.wait(seconds)
        return not self._stopping.is_set()

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(record)
            self._counted.add(record.connection)

    def _take_fault(self, record: RecordedRequest) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(record.method, record.path):
                    fault.hits += 1
                    self._faults = [f for f in self._faults if f.remaining != 0]
                    return fault
        return None

    def _serve(self, record: RecordedRequest) -> Response | None:
        """Record, delay, apply a fault and route; ``None`` means drop the connection."""
        self._record(record)
        if not self._sleep(self.latency):
            return None
        fault = self._take_fault(record)
        if fault is None:
            return self._route(record)
        response = self._route(record) if fault.after_execute else None
        if not self._sleep(fault.delay) or fault.drop:
            return None
        response = fault.override() or response or self._route(record)
        return fault.decorate(response)

    def _route(self, record: RecordedRequest) -> Response:
        path = record.path
        try:
            if path == "/dxsca-web" or path.startswith("/dxsca-web/"):
                return self.dxtrade.handle(record)
            if path.startswith(("/manager/", "/mtr-api/")):
                return self.matchtrade.handle(record)
            if path.startswith("/api/"):
                return self.projectx.handle(record)
            if self.tradelocker.owns(path):
                return self.tradelocker.handle(record)
            return not_found_html()
        except Exception as error:  # a sandbox bug must still answer
            traceback.print_exc(file=sys.stderr)
            return json_response(500, {"sandboxError": repr(error)})

    def _admin(self, method: str, path: str, body: bytes) -> Response:
        """Admin routes: not recorded, not faulted, no latency."""
        name = path[len(ADMIN_PREFIX) :].strip("/")
        payload = loads_plain(body)
        payload = payload if isinstance(payload, dict) else {}
        if (method, name) == ("GET", "stats"):
            return json_response(200, self.stats())
        if (method, name) == ("POST", "clear"):
            self.clear()
        elif (method, name) == ("POST", "config"):
            return self._admin_config(payload)
        elif (method, name) == ("POST", "expire"):
            self.expire_sessions(refresh=bool(payload.get("refresh", False)))
        elif (method, name) == ("POST", "reset"):
            self.reset()
        elif method == "POST" and name.partition("/")[0] in PLATFORMS:
            return self._admin_platform(name, payload)
        else:
            return json_response(404, {"error": f"unknown admin route {method} {path}"})
        return json_response(200, {"ok": True})

    def _admin_platform(self, name: str, payload: dict[str, Any]) -> Response:
        """``POST /_sandbox/<platform>/<action>``: the platform state's ``admin(action, payload)``
        (e.g. ``/_sandbox/dxtrade/quote``); 404 when it has none, 400 on ValueError."""
        platform, _, action = name.partition("/")
        state = getattr(self, platform)
        if action == "settings":
            return self._admin_settings(platform, state, payload)
        if not hasattr(state, "admin"):
            return json_response(404, {"error": f"unknown admin route POST /_sandbox/{name}"})
        try:
            return json_response(200, {"ok": True, **state.admin(action, payload)})
        except (ValueError, KeyError) as error:
            return json_response(400, {"error": str(error)})

    @staticmethod
    def _admin_settings(platform: str, state: Any, payload: dict[str, Any]) -> Response:
        """``POST /_sandbox/<platform>/settings {name: value}``: set existing public settings
        of that platform's state (e.g. ``{"history_page_size": 4}`` on ``dxtrade``), all or
        none. A JSON list becomes a tuple or set where the setting holds one. 400 for a name
        that is not a setting (unknown, private, a method or the lock)."""
        bad = sorted(name for name in payload if not _is_setting(state, name))
        if bad:
            return json_response(400, {"error": f"unknown {platform} settings: {bad}"})
        with state.lock:
            for name, value in payload.items():
                current = getattr(state, name)
                if isinstance(value, list) and isinstance(current, (tuple, set)):
                    value = type(current)(value)
                setattr(state, name, value)
        return json_response(200, {"ok": True, "settings": dict(payload)})

    def _admin_config(self, payload: dict[str, Any]) -> Response:
        unknown = sorted(set(payload) - {"latency"})
        if unknown:
            return json_response(400, {"error": f"unknown config keys: {unknown}"})
        if "latency" in payload:
            latency = payload["latency"]
            if isinstance(latency, bool) or not isinstance(latency, (int, float)) or latency < 0:
                return json_response(400, {"error": "latency must be a number >= 0"})
            self.latency = float(latency)
        return json_response(200, {"ok": True, "latency": self.latency})
