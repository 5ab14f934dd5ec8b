"""The environment the operator tools (rescore, outcomes, learn) run the services in.

Like ``make rescore``: table names from the stage, and for ``local`` the running
``make run`` emulator at ``AWS_ENDPOINT_URL`` (default http://127.0.0.1:4566). In
AWS the credentials come from the environment.
"""

from __future__ import annotations

import os


def use_stage(stage: str) -> dict[str, str]:
    """Point the settings at a stage's tables; the table names."""
    from infra import definitions

    names = definitions.table_names(stage)
    os.environ.setdefault("LEADS_TABLE", names["leads"])
    os.environ.setdefault("EVENTS_TABLE", names["events"])
    os.environ.setdefault("QUARANTINE_TABLE", names["quarantine"])
    os.environ.setdefault("IDEMPOTENCY_TABLE", names["idempotency"])
    os.environ.setdefault("TRECHTER_STAGE", stage)
    # The tools sign nothing and serve nobody; these only satisfy the settings model.
    os.environ.setdefault("LINK_SIGNING_SECRETS", "operator-tools-do-not-sign-anything")
    os.environ.setdefault("API_KEYS", "operator-tools-serve-no-requests")
    if stage == "local":
        os.environ.setdefault("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    return names
