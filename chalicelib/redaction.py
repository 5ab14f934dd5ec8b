"""Keep personal data and secrets out of logs: e-mail addresses, phone numbers, names,
tracking tokens, API and idempotency keys, and whole IP addresses.

Two layers, so that neither a new log call nor a library's own message leaks:

- by key: a value logged under a key such as ``email``, ``first_name``, ``phone``,
  ``x-api-key`` or ``token`` is replaced whatever it looks like; an IP address
  under ``sourceIp`` and the like is cut to its network (/24, /48);
- by pattern, in any text (messages, exception texts, URLs, request bodies):
  e-mail addresses (also URL-encoded), phone numbers, tokens in ``/v1/t/o/`` and
  ``/v1/t/c/`` paths and anywhere else, ``name=value`` pairs for the keys above
  in form bodies, JSON and Python reprs, pydantic's ``input_value=...``, and IP
  addresses (cut to their network).

Names cannot be recognised in free text by their shape. They are removed where
they have a key (``first_name``, ``last_name``, ``name``), and, while a request
is handled, the values it submitted (names, address, phone) are remembered
(``remember_personal_values``) and removed from anything logged in that request,
wherever they appear.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

REDACTED = "[redacted]"
SIGNED_MARK = "[tracking-token]"

#: Keys whose values are personal data or secrets, compared lower-case with ``-`` as ``_``.
SENSITIVE_KEYS = frozenset(
    {
        "email",
        "e_mail",
        "email_address",
        "mail",
        "phone",
        "phone_number",
        "telephone",
        "mobile",
        "first_name",
        "firstname",
        "last_name",
        "lastname",
        "name",
        "full_name",
        "fullname",
        "note",
        "x_api_key",
        "api_key",
        "api_keys",
        "apikey",
        "authorization",
        "cookie",
        "set_cookie",
        "idempotency_key",
        "token",
        "tracking_token",
        "secret",
        "secrets",
        "password",
        "link_signing_secrets",
        "link_signing_secret",
    }
)
#: Keys whose values are IP addresses: kept as their network, never whole.
IP_KEYS = frozenset(
    {
        "sourceip",
        "source_ip",
        "ip",
        "ip_address",
        "client_ip",
        "remote_addr",
        "x_forwarded_for",
        "x_real_ip",
    }
)

_KEY_NAMES = "|".join(
    sorted((k.replace("_", "[_-]") for k in SENSITIVE_KEYS), key=len, reverse=True)
)
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$&'*+/=?^_`{|}~-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# International (+31 6 1234 5678, 0031 6 ...) or national trunk-prefixed (06-12345678,
# 020 123 4567); other digit runs (timestamps, epoch seconds, ids) are left alone.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|%2B)\d(?:[\s().-]{0,2}\d){6,14}(?![\w])"
    r"|(?<![\w+])0\d(?:[\s().-]{0,2}\d){7,12}(?![\w])"
)
_TRACKING_PATH = re.compile(r"(/v1/t/[oc]/)[^\s\"'?#&<>]+")
# A signed token anywhere: base64url(JSON).base64url(mac); JSON objects start "eyJ".
_TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_INPUT_VALUE = re.compile(r"input_value=(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^,\]\s]+)")
_JSON_PAIR = re.compile(
    rf"([\"'](?:{_KEY_NAMES})[\"']\s*:\s*)(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^,}}\]\s]+)",
    re.IGNORECASE,
)
_FORM_PAIR = re.compile(
    rf"(?<![\w-])((?:{_KEY_NAMES})=)(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^&\s\"',)]*)",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(rf"(?im)^(\s*(?:{_KEY_NAMES})\s*:\s*).+$")
_IPV4 = re.compile(r"(?<![\w.])(?<![A-Za-z]/)(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,3})?(?![\w.]*\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:/\d{1,3})?(?![\w:])")


#: What the current request submitted about a person, redacted wherever it shows up.
_PERSONAL_VALUES: ContextVar[tuple[re.Pattern[str], ...]] = ContextVar(
    "trechter_personal_values", default=()
)


def remember_personal_values(*values: object) -> None:
    """Redact these values (a submitted name, address, phone) from this request's later logs."""
    patterns = [
        re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.IGNORECASE)
        for text in (str(v).strip() for v in values if v is not None)
        if len(text) >= 2
    ]
    if patterns:
        _PERSONAL_VALUES.set((*_PERSONAL_VALUES.get(), *patterns))


@contextlib.contextmanager
def personal_values_scope() -> Iterator[None]:
    """One request's remembered values: forgotten when it ends (Lambda reuses the thread)."""
    token = _PERSONAL_VALUES.set(())
    try:
        yield
    finally:
        _PERSONAL_VALUES.reset(token)


def network_of(address: str) -> str | None:
    """An IP address (or network) cut to at most IPv4 /24, IPv6 /48; None if it is not one."""
    text, _, given = address.strip().strip("[]").partition("/")
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    widest = 24 if ip.version == 4 else 48
    prefix = min(int(given), widest) if given.isdigit() else widest
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _ip_match(match: re.Match[str]) -> str:
    return network_of(match.group(0)) or match.group(0)


def redact_text(text: str) -> str:
    """The text with personal data, secrets and whole IP addresses replaced."""
    if not text:
        return text
    text = _TRACKING_PATH.sub(rf"\1{SIGNED_MARK}", text)
    text = _TOKEN.sub(SIGNED_MARK, text)
    text = _INPUT_VALUE.sub(f"input_value={REDACTED}", text)
    text = _JSON_PAIR.sub(rf'\1"{REDACTED}"', text)
    text = _FORM_PAIR.sub(rf"\1{REDACTED}", text)
    text = _HEADER_LINE.sub(rf"\1{REDACTED}", text)
    text = _EMAIL.sub(REDACTED, text)
    text = _PHONE.sub(REDACTED, text)
    text = _IPV4.sub(_ip_match, text)
    if ":" in text:
        text = _IPV6.sub(_ip_match, text)
    for pattern in _PERSONAL_VALUES.get():
        text = pattern.sub(REDACTED, text)
    return text


def _normal_key(key: object) -> str:
    return str(key).strip().lower().replace("-", "_")


def redact_value(value: Any, key: object = None, _depth: int = 0) -> Any:
    """``value`` with personal data removed: by its key first, then by pattern, recursively."""
    if key is not None:
        name = _normal_key(key)
        if name in SENSITIVE_KEYS and value not in (None, "", [], {}):
            return REDACTED
        if name in IP_KEYS and isinstance(value, str):
            networks = [network_of(part) for part in value.split(",")]
            return ", ".join(n or REDACTED for n in networks)
    if _depth > 20:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", errors="replace"))
    if isinstance(value, Mapping):
        return {redact_text(str(k)): redact_value(v, k, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact_value(v, None, _depth + 1) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact_text(str(value))


#: Attributes every LogRecord has; anything else on a record came in through ``extra``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}


class RedactingFilter(logging.Filter):
    """Rewrites each record in place before any handler sees it (message, args, extras)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> None:
    """Redact a log record's message, arguments, extra attributes and exception text."""
    if isinstance(record.msg, Mapping):
        record.msg = redact_value(record.msg)
    else:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} {record.args}"
        record.msg = redact_text(message)
    record.args = None
    for name in list(vars(record)):
        if name not in _RECORD_ATTRIBUTES:
            setattr(record, name, redact_value(getattr(record, name), name))
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON log lines, redacted as a whole just before they are written.

    Catches what the record filter cannot: exception texts and stack traces that
    Powertools renders itself, and keys appended with ``logger.append_keys``.
    """

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        return super().serialize(log=redact_value(log))


def log_access_line(handler: Any, format: str, *args: Any) -> None:
    """``BaseHTTPRequestHandler.log_message``, redacted: the local server's access log.

    Its lines carry the path (tracking tokens) and the client's address.
    """
    line = f"{handler.address_string()} - - [{handler.log_date_time_string()}] {format % args}"
    sys.stderr.write(redact_text(line) + "\n")
