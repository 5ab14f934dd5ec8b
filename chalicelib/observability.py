"""Powertools Logger, Metrics and Tracer, configured once.

The logger redacts personal data (e-mail addresses, phone numbers, names,
tokens, API keys, whole IP addresses) from every record it writes: see
``chalicelib.redaction``. Chalice's own app log (``app.log``, the "Caught
exception" lines) is the same ``logging`` logger, named after the service, so it
goes through the same filter; so does anything that reaches the root logger's
handlers (the Lambda runtime's) from other libraries.

Metrics carry counts only, with no dimension but the service: no personal data
can reach CloudWatch through them.
"""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools import Logger, Metrics

from chalicelib.redaction import RedactingFilter, RedactingFormatter

SERVICE = "trechter"

logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
metrics = Metrics(namespace="Trechter", service=SERVICE)


def protect(target: logging.Logger | logging.Handler) -> None:
    """Add the redaction filter to a logger or handler once."""
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())


# Logger filters run before any handler, including ones added later (tests' capture).
protect(logging.getLogger(SERVICE))
# Handler filters also see records that propagate from other libraries' loggers.
for _handler in logging.getLogger().handlers:
    protect(_handler)


def __getattr__(name: str) -> Any:
    """``tracer``, built on first use: Powertools' Tracer imports the X-Ray SDK, which
    the Lambda bundle does not ship (requirements.txt) and which would double the cold
    import. Lambda's own active tracing (infra/) needs neither."""
    if name == "tracer":
        from aws_lambda_powertools import Tracer

        value = Tracer(service=SERVICE, disabled=True)
        globals()["tracer"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
