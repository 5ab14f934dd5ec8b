"""Powertools Logger, Metrics and Tracer, configured once.

The logger redacts personal data (e-mail addresses, phone numbers, names,
tokens) from every record it writes: see ``chalicelib.redaction``.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "trechter"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Trechter", service=SERVICE)
tracer = Tracer(service=SERVICE, disabled=True)
