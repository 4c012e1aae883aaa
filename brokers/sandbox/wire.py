"""Wire-level helpers shared by both platform emulators.

Responses, an exact JSON encoder for :class:`decimal.Decimal`, request parsing and time
formatting. Nothing here knows about DXtrade or Match-Trader.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as the sandbox received it.

    ``path`` is the path without the query string, exactly as received (still percent-encoded);
    ``query`` maps each query parameter to its last value; ``headers`` has lower-cased names;
    ``json`` is the body parsed with :func:`json.loads` (floats as ``float``) or ``None`` when the
    body is empty or not JSON; ``connection`` identifies the TCP connection it arrived on and
    ``time`` is a :func:`time.monotonic` timestamp.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    connection: int
    time: float

    def header(self, name: str, default: str | None = None) -> str | None:
        """Return a request header by case-insensitive name."""
        return self.headers.get(name.lower(), default)

    def cookies(self) -> dict[str, str]:
        """Parse the ``Cookie`` header into a name -> value mapping (last value wins)."""
        return parse_cookies(self.headers.get("cookie", ""))

    def segments(self, prefix: str) -> list[str]:
        """Split the path after ``prefix`` into percent-decoded segments."""
        rest = self.path[len(prefix) :].strip("/")
        return [unquote(part) for part in rest.split("/")] if rest else []


@dataclass
class Response:
    """An HTTP answer: status, raw body and extra headers (a list, so Set-Cookie can repeat)."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """Return the first header with this (case-insensitive) name."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def set_header(self, name: str, value: str) -> None:
        """Replace every header with this name by a single one."""
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, value))


# --------------------------------------------------------------------------- JSON


def _decimal_literal(value: Decimal) -> str:
    """Render a finite Decimal as a JSON number literal with its exact digits."""
    if not value.is_finite():
        raise ValueError(f"cannot encode {value!r} as JSON")
    return format(value, "f")


def _encode(obj: Any, out: list[str]) -> None:
    """Append the JSON text of ``obj`` to ``out``."""
    if isinstance(obj, Decimal):
        out.append(_decimal_literal(obj))
    elif isinstance(obj, dict):
        out.append("{")
        for index, (key, value) in enumerate(obj.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key)))
            out.append(":")
            _encode(value, out)
        out.append("}")
    elif isinstance(obj, (list, tuple)):
        out.append("[")
        for index, value in enumerate(obj):
            if index:
                out.append(",")
            _encode(value, out)
        out.append("]")
    else:
        out.append(json.dumps(obj))


def dumps(obj: Any) -> str:
    """Serialise ``obj`` to compact JSON; ``Decimal`` becomes a number literal, never a float."""
    out: list[str] = []
    _encode(obj, out)
    return "".join(out)


def loads_exact(body: bytes) -> Any:
    """Parse a JSON body keeping every non-integer number as ``Decimal``; raise ValueError."""
    return json.loads(body.decode("utf-8"), parse_float=Decimal)


def loads_plain(body: bytes) -> Any:
    """Parse a JSON body the ordinary way, or return ``None`` when empty or not JSON."""
    if not body.strip():
        return None
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def to_decimal(value: Any) -> Decimal | None:
    """Convert a JSON number or numeric string to a finite Decimal, else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def stringify_decimals(obj: Any) -> Any:
    """Return a copy of ``obj`` with every Decimal replaced by its string."""
    if isinstance(obj, Decimal):
        return _decimal_literal(obj)
    if isinstance(obj, dict):
        return {key: stringify_decimals(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [stringify_decimals(value) for value in obj]
    return obj


# --------------------------------------------------------------------------- responses


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> Response:
    """A JSON answer (``Content-Type: application/json``)."""
    extra = list(headers or [])
    return Response(status, dumps(payload).encode("utf-8"), [("Content-Type", JSON_TYPE), *extra])


def html_response(status: int, html: str, headers: list[tuple[str, str]] | None = None) -> Response:
    """An HTML answer."""
    extra = list(headers or [])
    return Response(status, html.encode("utf-8"), [("Content-Type", HTML_TYPE), *extra])


def empty_response(status: int, headers: list[tuple[str, str]] | None = None) -> Response:
    """An answer without body (Content-Length: 0, no Content-Type)."""
    return Response(status, b"", list(headers or []))


def not_found_html(path: str = "") -> Response:
    """The HTML 404 page real servers show for unknown paths."""
    del path  # never echo the path back: keeps the page static
    page = (
        "<!doctype html><html><head><title>404 Not Found</title></head>"
        "<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p>"
        "</body></html>"
    )
    return html_response(404, page)


def method_not_allowed(allowed: list[str]) -> Response:
    """A 405 HTML answer carrying the ``Allow`` header."""
    page = "<!doctype html><html><head><title>405 Method Not Allowed</title></head></html>"
    return html_response(405, page, [("Allow", ", ".join(sorted(set(allowed))))])


# --------------------------------------------------------------------------- misc


def parse_cookies(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` request header (``a=1; b=2``)."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            cookies[name.strip()] = value.strip().strip('"')
    return cookies


def iso_time(epoch: float, millis: bool = True) -> str:
    """Format a Unix time as RFC 3339 UTC: ``2026-01-02T10:00:00.000Z`` (or without millis)."""
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    if not millis:
        return base + "Z"
    return f"{base}.{int(epoch * 1000) % 1000:03d}Z"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_jwt(secret: bytes, claims: dict[str, Any]) -> str:
    """An HS256 JWT of ``claims`` (the session tokens the platforms hand out)."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def jwt_claims(secret: bytes, token: str) -> dict[str, Any] | None:
    """The claims of a JWT signed with ``secret`` (expired or not), else ``None``."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    expected = hmac.new(secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_b64url_decode(parts[2]), expected):
            return None
        claims = json.loads(_b64url_decode(parts[1]))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None
