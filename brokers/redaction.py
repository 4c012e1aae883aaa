"""The one redaction function, used by logging, ``repr()``, error messages and the CLI.

Redaction is keyed on *names* (``authorization``, ``cookie``, ``password``, ``token``,
``secret``, ``session`` ...) and, as a second net, on the secret *values* the library has
seen (each :class:`Secret` registers its value), so a token echoed inside an HTML error
page is masked too::

    >>> redact({"username": "1210001", "password": "hunter2"})
    {'username': '1210001', 'password': '***'}
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

MASK = "***"

_SECRET_NAME = re.compile(
    r"authorization|cookie|password|passwd|token|secret|session|auth-trading-api|api[-_]?key",
    re.IGNORECASE,
)
# Secrets inside free text: "key": "value", key=value, Authorization headers, JWTs.
_TEXT_PATTERNS = [
    re.compile(
        r'(?P<k>"[^"]*(?:password|token|secret|session|cookie|authorization)[^"]*"\s*:\s*")'
        r'(?:[^"\\]|\\.)*(?="|$)',
        re.IGNORECASE,
    ),
    re.compile(
        r"(?P<k>\b(?:password|token|secret|co-auth|rt|sessionToken)=)[^;&\s\"']+", re.IGNORECASE
    ),
    re.compile(r"(?P<k>\b(?:DXAPI|Bearer)\s+)[^\s\"',]+", re.IGNORECASE),
    re.compile(r"(?P<k>)eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
]

_MAX_KNOWN = 512
_known: OrderedDict[str, None] = OrderedDict()
_pinned: set[str] = set()
_known_lock = threading.Lock()


def is_secret_name(name: str) -> bool:
    """True when a header, field or variable called ``name`` holds a secret."""
    return bool(_SECRET_NAME.search(name))


def remember(value: str, min_length: int = 6, *, pinned: bool = False) -> None:
    """Mask ``value`` wherever it appears in text passed to :func:`redact_text` from now on
    (values shorter than ``min_length`` are not searched for: they would mask ordinary words).
    Session tokens come and go, so only the newest are kept; ``pinned`` values (passwords)
    are never forgotten."""
    if len(value) < min_length:
        return
    forms = {value, json.dumps(value)[1:-1]}  # as is, and as it appears inside JSON
    with _known_lock:
        if pinned:
            _pinned.update(forms)
            return
        for form in forms:
            _known[form] = None
            _known.move_to_end(form)
        while len(_known) > _MAX_KNOWN:
            _known.popitem(last=False)


def redact_text(text: str) -> str:
    """Mask secrets inside free text (error bodies, log lines, messages)."""
    if not text:
        return text
    with _known_lock:
        known = sorted(_pinned.union(_known), key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    for pattern in _TEXT_PATTERNS:
        text = pattern.sub(lambda m: m.group("k") + MASK, text)
    return text


def redact(value: Any) -> Any:
    """Return a copy of ``value`` with every secret-named field masked, recursively."""
    if isinstance(value, Mapping):
        return {
            k: MASK if isinstance(k, str) and is_secret_name(k) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


class Secret:
    """A string that never shows itself in ``repr()``, ``str()`` or f-strings.

    >>> s = Secret("hunter2"); s
    Secret('***')
    >>> s.reveal()
    'hunter2'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str, *, password: bool = False) -> None:
        self._value = str(value)
        # A password is masked even when short, and for the life of the process.
        remember(self._value, 3 if password else 6, pinned=password)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)
