"""Plain Python values to and from DynamoDB attribute values (low-level client format)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def to_attr(value: Any) -> dict[str, Any]:
    """One value as a DynamoDB attribute value."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {"SS": sorted(str(v) for v in value)}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def _number(value: int | float | Decimal) -> str:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("cannot store NaN or infinity")
        return repr(round(value, 9))
    return str(value)


def from_attr(attr: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value as a plain Python value (numbers: int or float)."""
    (kind, value), *_ = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        number = Decimal(value)
        return (
            int(number)
            if number == number.to_integral_value() and "." not in value
            else float(number)
        )
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if kind == "L":
        return [from_attr(v) for v in value]
    if kind in ("SS", "NS"):
        return set(value)
    if kind == "B":
        return value
    raise ValueError(f"unknown DynamoDB type {kind}")


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A dict as an item; None values are left out (DynamoDB has no use for them)."""
    return {k: to_attr(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: from_attr(v) for k, v in item.items()}
