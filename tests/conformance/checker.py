"""Validate recorded requests against the documented request shapes.

``check_request(req)`` compares one :class:`brokers.sandbox.RecordedRequest` with the
description of its platform (``dxtrade.REQUESTS`` / ``matchtrade.REQUESTS``) and returns a list
of violations (plain sentences; empty = conformant). A (method, path) the description does not
know is a violation: a new request shape must be described, with its documentation, first.

``Conversation`` adds the few rules that need what the platform answered before (which ids are
order ids, what a position's quantity is); the suite-wide hook feeds it every exchange.

Schema language (plain data, see the description files): an object schema is a dict with
``required`` / ``optional`` (field -> type), ``forbidden`` (field -> why), ``rules`` (each with
``when`` {field: allowed values} and its own required/optional/forbidden) and ``checks`` (names
of the few rules that span several objects). A type is a JSON type name (``string``,
``number``, ``boolean``, ``object``, ``array``), ``datetime`` (an ISO-8601 string), a tuple of
allowed literal values, ``{"array_of": <type or schema>}`` or a nested object schema. A field
that is neither required nor optional is a violation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from . import dxtrade, matchtrade

ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")
CLIENT_AGENT = "brokers-python/"


def is_client_request(req: Any) -> bool:
    """True for requests a ``brokers`` client sent (raw test requests use requests' UA)."""
    return (req.headers.get("user-agent") or "").startswith(CLIENT_AGENT)


def platform_of(path: str) -> Any:
    for module in (dxtrade, matchtrade):
        if any(path == p or path.startswith(p + "/") for p in module.PREFIXES):
            return module
    return None


# ----------------------------------------------------------------------------- paths


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


def _literal_weight(template: str) -> int:
    return len(re.sub(r"\{\w+\}", "", template))


def match_route(module: Any, method: str, path: str) -> tuple[dict | None, dict[str, str], list]:
    """The documented request for (method, path), its placeholders, and the other methods
    documented on that path (for the message when the method is wrong)."""
    candidates = []
    for spec in module.REQUESTS:
        found = _template_regex(spec["path"]).match(path)
        if found:
            candidates.append((spec, found.groupdict()))
    same = [c for c in candidates if c[0]["method"] == method]
    if same:  # a literal segment beats a placeholder: DELETE .../orders/group is the group cancel
        spec, params = max(same, key=lambda c: _literal_weight(c[0]["path"]))
        return spec, params, []
    best = max((_literal_weight(s["path"]) for s, _ in candidates), default=0)
    return (
        None,
        {},
        sorted({s["method"] for s, _ in candidates if _literal_weight(s["path"]) == best}),
    )


# ----------------------------------------------------------------------------- values


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, Mapping) else type(value).__name__


def check_value(value: Any, kind: Any, where: str) -> list[str]:
    """Violations of ``value`` against a type spec (see the module docstring)."""
    if isinstance(kind, tuple):
        return [] if value in kind else [f"{where} is {value!r}, documented values: {kind}"]
    if isinstance(kind, Mapping) and "array_of" in kind:
        if not isinstance(value, list):
            return [f"{where} must be a JSON array, not {_type_name(value)}"]
        found = []
        for index, item in enumerate(value):
            found += check_value(item, kind["array_of"], f"{where}[{index}]")
        return found
    if isinstance(kind, Mapping):
        return check_object(value, kind, where)
    if kind == "datetime":
        if isinstance(value, str) and ISO_DATETIME.match(value):
            return []
        return [f"{where} must be an ISO-8601 UTC time string, not {value!r}"]
    if kind == "any" or _type_name(value) == kind:
        return []
    return [f"{where} must be a JSON {kind}, not {_type_name(value)} ({value!r})"]


def _applies(rule: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    return all(body.get(field) in allowed for field, allowed in rule["when"].items())


def check_object(body: Any, schema: Mapping[str, Any], where: str) -> list[str]:
    """Violations of a JSON object against an object schema, its rules and named checks."""
    if not isinstance(body, Mapping):
        return [
            f"{where} must be a JSON object ({schema.get('name', 'object')}), not "
            f"{_type_name(body)}"
        ]
    required = dict(schema.get("required", {}))
    optional = dict(schema.get("optional", {}))
    forbidden = dict(schema.get("forbidden", {}))
    for rule in schema.get("rules", ()):
        if _applies(rule, body):
            required.update(rule.get("required", {}))
            forbidden.update(rule.get("forbidden", {}))
    found = []
    for field, why in forbidden.items():
        if field in body:
            found.append(f"{where}.{field} must not be sent: {why}")
            required.pop(field, None)
            optional.pop(field, None)
    for field, kind in required.items():
        if field not in body:
            found.append(f"{where}.{field} is required ({schema.get('name', 'object')})")
        else:
            found += check_value(body[field], kind, f"{where}.{field}")
    for field, value in body.items():
        if field in forbidden or field in required:
            continue
        if field in optional:
            found += check_value(value, optional[field], f"{where}.{field}")
        else:
            found.append(f"{where}.{field} is not a documented field of {schema.get('name')}")
    for name in schema.get("checks", ()):
        found += NAMED_CHECKS[name](body, where)
    return found


# ----------------------------------------------------------------------------- named checks


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if _type_name(value) == "number" else None
    except InvalidOperation:
        return None


def order_group(body: Mapping[str, Any], where: str) -> list[str]:
    """The Order Group Request rules (``dxtrade.ORDER_GROUP_RULES`` cites them)."""
    orders = body.get("orders")
    kind = str(body.get("contingencyType") or "").upper()
    if not isinstance(orders, list) or not all(isinstance(o, Mapping) for o in orders):
        return []  # the schema already said so
    found = []
    if (
        len({o.get("instrument") for o in orders}) > 1
        or len({o.get("account") for o in orders}) > 1
    ):
        found.append(f"{where}: orders of a group share account and instrument")
    if kind == "IF-THEN" and orders:
        parent, children = orders[0], orders[1:]
        if parent.get("positionEffect", "OPEN") != "OPEN" or not _number(parent.get("quantity")):
            found.append(f"{where}.orders[0]: the IF order is OPEN with a nonzero quantity")
        for index, child in enumerate(children, 1):
            at = f"{where}.orders[{index}]"
            if child.get("positionEffect") != "CLOSE":
                found.append(f"{at}: a THEN order has positionEffect CLOSE")
            if "quantity" in child and _number(child["quantity"]) != 0:
                found.append(f"{at}: a THEN order has a zero or absent quantity")
            if child.get("side") == parent.get("side"):
                found.append(f"{at}: a THEN order has the side opposite to the IF order")
            if child.get("tif", "GTC") != "GTC":
                found.append(f"{at}: THEN orders are GTC only")
    if kind == "OCO":
        quantities = {_number(o.get("quantity")) for o in orders}
        if (
            any(o.get("positionEffect", "OPEN") != "OPEN" for o in orders)
            or len(quantities) != 1
            or not next(iter(quantities))
        ):
            found.append(f"{where}: OCO orders are OPEN with equal nonzero quantities")
    return found


NAMED_CHECKS = {"order_group": order_group}


# ----------------------------------------------------------------------------- requests


def _check_headers(req: Any, spec: Mapping[str, Any], label: str) -> list[str]:
    found = []
    for name, pattern in spec.get("headers", {}).items():
        value = req.headers.get(name.lower())
        if value is None:
            found.append(f"{label}: header {name} is required")
        elif not re.search(pattern, value):
            found.append(f"{label}: header {name} does not have the documented form ({pattern})")
    for name, why in spec.get("forbidden_headers", {}).items():
        if name.lower() in req.headers:
            found.append(f"{label}: header {name} must not be sent: {why}")
    return found


def _check_query(req: Any, spec: Mapping[str, Any], label: str) -> list[str]:
    query = spec.get("query", {})
    required, optional = query.get("required", {}), query.get("optional", {})
    found = []
    for name in required:
        if name not in req.query:
            found.append(f"{label}: query parameter {name} is required")
    for name, value in req.query.items():
        pattern = required.get(name, optional.get(name))
        if name not in required and name not in optional:
            found.append(f"{label}: query parameter {name} is not documented")
        elif pattern and not re.fullmatch(pattern, value):
            found.append(f"{label}: query {name}={value!r} is not of the documented form")
    return found


def _check_body(req: Any, spec: Mapping[str, Any], label: str) -> list[str]:
    body = spec.get("body")
    has_body = bool(req.body and req.body.strip())
    if body is None:
        return [f"{label}: the request has no body, yet one was sent"] if has_body else []
    if body == "empty":  # no body, or {} (documented as empty; some clients send {})
        return [] if not has_body or req.json == {} else [f"{label}: the body must be empty"]
    if not has_body:
        return [f"{label}: a JSON body is required"]
    content_type = req.headers.get("content-type", "")
    found = (
        []
        if "application/json" in content_type
        else [f"{label}: a JSON body needs Content-Type: application/json"]
    )
    if req.json is None:
        return [*found, f"{label}: the body is not JSON"]
    if isinstance(body, list):  # variants: the first whose selector field is present
        chosen = next((s for s in body if s.get("selector") in _keys(req.json)), None)
        body = chosen or next(s for s in body if "selector" not in s)
    return found + check_value(req.json, body, "body")


def _keys(value: Any) -> Iterable[str]:
    return value.keys() if isinstance(value, Mapping) else ()


def check_request(req: Any) -> list[str]:
    """Every way ``req`` departs from its platform's documented request shapes."""
    label = f"{req.method} {req.path}"
    module = platform_of(req.path)
    if module is None:
        return [f"{label}: not under any documented platform prefix"]
    spec, params, methods = match_route(module, req.method, req.path)
    if spec is None:
        other = f" (documented methods on this path: {', '.join(methods)})" if methods else ""
        return [f"{label}: no documented {module.PLATFORM} request has this method and path{other}"]
    label = f"{req.method} {spec['path']}"
    found = []
    for name, value in params.items():
        pattern = module.PLACEHOLDERS.get(name)
        if pattern and not re.fullmatch(pattern, value):
            found.append(f"{label}: {{{name}}} = {value!r} is not of the documented form")
    found += _check_headers(req, {**module.COMMON, **spec}, label)
    found += _check_query(req, spec, label)
    found += _check_body(req, spec, label)
    return found


# ----------------------------------------------------------------------------- conversation


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except (ValueError, RecursionError):  # a fault's odd body: nothing to learn from it
        return None


class Conversation:
    """One sandbox's exchanges, in order: per-request checks plus the rules that depend on
    earlier answers (``dxtrade.STATEFUL_RULES``)."""

    def __init__(self) -> None:
        self.positions: dict[str, Decimal] = {}  # DXtrade positionCode -> |quantity|
        self.order_ids: set[str] = set()
        self.order_codes: set[str] = set()

    def feed(self, req: Any, status: int | None, answer: bytes) -> list[str]:
        found = check_request(req) if is_client_request(req) else []
        if platform_of(req.path) is dxtrade and is_client_request(req):
            found += self._dxtrade_rules(req)
        if status is not None and 200 <= status < 300:
            self._learn(req, _decode(answer))
        return found

    def _dxtrade_rules(self, req: Any) -> list[str]:
        found = []
        segments = req.path.split("/")
        if req.method == "DELETE" and segments[-2:-1] == ["orders"] and segments[-1] != "group":
            code = unquote(segments[-1])
            if code in self.order_ids and code not in self.order_codes:
                found.append(dxtrade.STATEFUL_RULES["cancel_by_code"] % code)
        body = req.json if req.method == "POST" and req.path.endswith("/orders") else None
        if (
            isinstance(body, Mapping)
            and body.get("positionEffect") == "CLOSE"
            and body.get("type") == "MARKET"
            and "quantity" in body
        ):
            held = self.positions.get(str(body.get("positionCode")))
            if held is not None and _number(body["quantity"]) == held:
                found.append(dxtrade.STATEFUL_RULES["full_close"] % (body["quantity"],))
        return found

    def _learn(self, req: Any, data: Any) -> None:
        if not isinstance(data, Mapping) or platform_of(req.path) is not dxtrade:
            return
        if req.method == "GET" and isinstance(data.get("positions"), list):  # the latest view
            self.positions = {
                str(item["positionCode"]): abs(_number(item.get("quantity")) or Decimal(0))
                for item in data["positions"]
                if isinstance(item, Mapping) and item.get("positionCode") is not None
            }
        items = list(data.get("orders") or ()) + list(data.get("orderResponses") or ()) + [data]
        for item in items:
            if not isinstance(item, Mapping):
                continue
            for key in ("orderId", "updateOrderId"):
                if item.get(key) is not None:
                    self.order_ids.add(str(item[key]))
            for key in ("orderCode", "clientOrderId"):
                if item.get(key):
                    self.order_codes.add(str(item[key]))
        if req.method == "POST" and isinstance(req.json, Mapping):  # the codes we placed with
            for order in [req.json, *(req.json.get("orders") or ())]:
                if isinstance(order, Mapping) and order.get("orderCode"):
                    self.order_codes.add(str(order["orderCode"]))
