"""Schemathesis against the running local stack, over the published OpenAPI document.

A bounded run of every operation, in three phases: the schema's examples, the
coverage phase (boundary and negative values for every parameter and body
property, unexpected methods) and hypothesis-driven fuzzing. Two checks: no 5xx
(``not_a_server_error``) and no authenticated operation that answers without the
API key (``ignored_auth``). The API key is supplied for the operations that
declare it. Real identifiers (forms, a lead, signed tokens, a campaign) are put in
dictionaries that schemathesis draws from half of the time, so that generated
requests reach past the 404s into the code.

SCHEMATHESIS_MAX_EXAMPLES raises the fuzzing phase's cases per operation (default
25) for a longer hunt.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import LocalStackHandle

pytestmark = pytest.mark.e2e

KB = "https://kb.example.nl"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def _seed_data(stack: LocalStackHandle) -> dict[str, list[str]]:
    """A lead with consent, its signed pixel and link, and a campaign: real identifiers."""
    leads = []
    for n in range(3):
        answer = stack.api(
            "POST",
            "/v1/forms/whitepaper/submissions",
            {"email": f"fuzz-{n}@example.org", "first_name": "Fuzz", "consent_marketing": "on"},
        )
        assert answer.status == 201, answer.body
        leads.append(answer.json()["lead_id"])
    links = stack.sales(
        "POST",
        "/v1/tracking-links",
        {"lead_id": leads[0], "campaign_id": "fuzz-nov", "message_id": "m-1", "links": [KB]},
    )
    assert links.status == 201, links.body
    tokens = [
        urlsplit(links.json()["open_pixel_url"]).path.rsplit("/", 1)[1],
        urlsplit(links.json()["links"][KB]).path.rsplit("/", 1)[1],
    ]
    return {
        "form_ids": ["whitepaper", "newsletter", "demo", "contact"],
        "lead_ids": leads,
        "tokens": tokens,
        "campaign_ids": ["fuzz-nov"],
        "emails": ["fuzz-0@example.org", "someone.new@example.org"],
    }


def _config(stack: LocalStackHandle, data: dict[str, list[str]]) -> str:
    dictionaries = "\n".join(
        f"[dictionaries.{name}]\nvalues = {_toml_list(values)}\n" for name, values in data.items()
    )
    return f"""
workers = 1
request-timeout = 10

[auth.openapi.ApiKey]
api_key = {json.dumps(stack.api_key)}

[parameters]
"path.form_id" = {{ dictionary = "form_ids", probability = 0.5 }}
"path.lead_id" = {{ dictionary = "lead_ids", probability = 0.5 }}
"path.token" = {{ dictionary = "tokens", probability = 0.5 }}
"path.campaign_id" = {{ dictionary = "campaign_ids", probability = 0.5 }}
"body.email" = {{ dictionary = "emails", probability = 0.5 }}

{dictionaries}
"""


def test_schemathesis_finds_no_server_error_and_no_ignored_authentication(
    security_stack: LocalStackHandle, tmp_path: Path
):
    # Given the running stack, its OpenAPI document, real identifiers and the API key
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(security_stack, _seed_data(security_stack)), encoding="utf-8")
    report = tmp_path / "report.json"
    # When schemathesis runs every operation through examples, coverage and fuzzing
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            f"{security_stack.api_url}/v1/openapi.json",
            "--checks",
            "not_a_server_error,ignored_auth",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--generation-database",
            "none",
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--warnings",
            "off",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # Then it finds nothing, and it tested every operation but the document itself
    output = run.stdout + run.stderr
    assert report.exists(), output[-6000:]
    figures = json.loads(report.read_text(encoding="utf-8"))
    operations, cases = figures["operations"], figures["test_cases"]
    print(
        f"\nschemathesis {figures['schemathesis_version']}: {operations['tested']} operations, "
        f"{cases['generated']} cases generated, {cases['unique_failures']} failures, "
        f"{len(figures['errors'])} errors, {figures['running_time']:.0f} s, "
        f"seed {figures['seed']}",
        file=sys.stderr,
    )
    assert run.returncode == 0, output[-6000:]
    assert figures["failures"] == [] and figures["errors"] == [], output[-6000:]
    documented = security_stack.api("GET", "/v1/openapi.json").json()["paths"]
    served = sum(len(methods) for methods in documented.values())
    assert operations["tested"] == operations["total"] == served - 1
    assert cases["generated"] >= 10 * operations["tested"]
