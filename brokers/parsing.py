"""Pure helpers that turn wire payloads into Python values, without touching the network.

Money never passes through a binary float: bodies are decoded with ``parse_float=Decimal``
and numeric strings go straight to :class:`~decimal.Decimal`.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .exceptions import ResponseError

_INFINITIES = {"+INF": "Infinity", "INF": "Infinity", "-INF": "-Infinity"}


# One decoder for every body, as json.loads() keeps one for its defaults: json.loads(...,
# parse_float=...) builds a decoder and its scanner per call, which costs as much CPU as
# decoding a small answer.
_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=Decimal)


def decode_json(data: bytes | str) -> Any:
    """Decode a JSON body; numbers with a fraction become ``Decimal``. Raises ``ValueError``."""
    if isinstance(data, (bytes, bytearray)):  # as json.loads reads bytes (UTF-8/16/32)
        data = data.decode(json.detect_encoding(data), "surrogatepass")
    elif data.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", data, 0)
    return _DECODER.decode(data)


_DECIMAL_MARK = re.compile(r'"\\u0000dec:([-+0-9.eE]+)"')


def encode_json(payload: Any) -> bytes:
    """Encode a request body; ``Decimal`` values become JSON numbers with their exact digits."""

    def default(value: Any) -> Any:
        if isinstance(value, Decimal) and value.is_finite():
            return f"\u0000dec:{value}"
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    text = json.dumps(payload, default=default, separators=(",", ":"))
    return _DECIMAL_MARK.sub(lambda m: m.group(1), text).encode()


def to_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from RFC 3339 text (with or without milliseconds) or epoch ms."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, (int, Decimal)):
            return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def to_decimal(value: Any, name: str) -> Decimal:
    """Convert a wire number (JSON number, numeric string, ``+INF``) to ``Decimal``."""
    if type(value) is str:  # the common wire form first, before the general checks below
        try:
            number = Decimal(value)
        except InvalidOperation:
            pass
        else:
            if not number.is_nan():
                return number
    if isinstance(value, bool):
        raise ResponseError(f"field {name!r} is a boolean, expected a number")
    if isinstance(value, Decimal) and not value.is_nan():
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):  # only reachable for payloads not decoded by decode_json
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip()
        text = _INFINITIES.get(text.upper(), text)
        try:
            number = Decimal(text)
        except InvalidOperation:
            pass
        else:
            if not number.is_nan():
                return number
    raise ResponseError(f"field {name!r} is not a number: {str(value)[:40]!r}")


def first_present(payload: Mapping[str, Any], *names: str) -> tuple[str, Any] | None:
    """The first of ``names`` present in ``payload`` with a non-null value."""
    for name in names:
        if payload.get(name) is not None:
            return name, payload[name]
    return None


def money(payload: Mapping[str, Any], *names: str) -> Decimal | None:
    """The first present of ``names`` as ``Decimal``; ``None`` when the platform did not send it."""
    for name in names:  # first_present() and to_decimal() inlined: a read parses many
        value = payload.get(name)
        if value is not None:
            if type(value) is Decimal and not value.is_nan():  # as decode_json gives them
                return value
            return to_decimal(value, name)
    return None


def required_money(payload: Mapping[str, Any], name: str, what: str) -> Decimal:
    """Like :func:`money` for a field without which the answer is useless."""
    value = money(payload, name)
    if value is None:
        raise ResponseError(f"the {what} answer has no {name!r} field")
    return value


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else a ``ResponseError`` naming ``what``."""
    if not isinstance(value, Mapping):
        raise ResponseError(f"the {what} answer is not a JSON object")
    return value


def mapping_list(value: Any, what: str) -> list[Mapping[str, Any]]:
    """``value`` if it is a list of JSON objects, else a ``ResponseError`` naming ``what``."""
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ResponseError(f"the {what} answer is not a list of objects")
    return value


def text(value: Any) -> str | None:
    """A wire identifier or name as ``str`` (numbers become their digits), or ``None``."""
    if type(value) is str:  # the common case, without the Mapping check below
        return value
    if value is None or isinstance(value, (Mapping, list, bool)):
        return None
    return str(value)


def jwt_claim(token: str, name: str) -> float | None:
    """A numeric claim (``exp``, ``iat``) of a JWT, read without checking the signature."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        value = claims[name]
    except (IndexError, KeyError, TypeError, ValueError, RecursionError):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim (epoch seconds) of a JWT, read without checking the signature."""
    return jwt_claim(token, "exp")
