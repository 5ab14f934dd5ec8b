"""Shared fixtures. The local stack is started once per session, as `make run` starts it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.local_stack import free_port

ROOT = Path(__file__).resolve().parent.parent
BROWSER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http(
    method: str,
    url: str,
    body: bytes | str | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> HttpAnswer:
    """A plain HTTP call that never follows redirects and never raises on 4xx/5xx."""
    all_headers = {"User-Agent": BROWSER_UA, **(headers or {})}
    data: bytes | None
    if isinstance(body, dict):
        data = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return HttpAnswer(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, dict(error.headers), error.read())


@dataclass
class LocalStackHandle:
    api_url: str
    pages_url: str
    console_url: str
    emulator_url: str
    api_key: str
    process: subprocess.Popen[str]
    log_path: Path
    console_password: str = "local-dev-password"

    def api(self, method: str, path: str, body: Any = None, **headers: str) -> HttpAnswer:
        return http(method, self.api_url + path, body, headers)

    def sales(self, method: str, path: str, body: Any = None) -> HttpAnswer:
        return http(method, self.api_url + path, body, {"x-api-key": self.api_key})

    def token(self, role: str) -> str:
        """A console user's ID token from the emulator's user pool (``<role>@trechter.local``)."""
        import boto3

        config = http("GET", f"{self.console_url}/config.json").json()
        idp = boto3.client(
            "cognito-idp",
            region_name=config["cognito_region"],
            endpoint_url=self.emulator_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        answer = idp.initiate_auth(
            ClientId=config["cognito_client_id"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": f"{role}@trechter.local",
                "PASSWORD": self.console_password,
            },
        )
        return str(answer["AuthenticationResult"]["IdToken"])

    def as_role(self, role: str, method: str, path: str, body: Any = None) -> HttpAnswer:
        """A call as a signed-in console user of that role."""
        headers = {"Authorization": f"Bearer {self.token(role)}"}
        return http(method, self.api_url + path, body, headers)

    def get_lead_by_email(self, email: str) -> dict[str, Any] | None:
        found = self.sales("GET", f"/v1/leads?email={urllib.request.quote(email)}")
        items = found.json().get("items", []) if found.status == 200 else []
        if not items:
            return None
        lead = self.sales("GET", f"/v1/leads/{items[0]['lead_id']}")
        return lead.json() if lead.status == 200 else None

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def running_local_stack(
    log_dir: Path, api_key: str, extra_env: dict[str, str] | None = None
) -> Iterator[LocalStackHandle]:
    """`make run`'s stack on free ports, in its own process; stopped with Ctrl-C (SIGINT)."""
    ports = {
        name: str(free_port())
        for name in ("EMULATOR_PORT", "API_PORT", "PAGES_PORT", "CONSOLE_PORT")
    }
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env.update(ports)
    env.update({"API_KEY": api_key, "PYTHONUNBUFFERED": "1", **(extra_env or {})})
    log_path = log_dir / "stack.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local_stack"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        handle = LocalStackHandle(
            api_url=f"http://127.0.0.1:{ports['API_PORT']}",
            pages_url=f"http://127.0.0.1:{ports['PAGES_PORT']}",
            console_url=f"http://127.0.0.1:{ports['CONSOLE_PORT']}",
            emulator_url=f"http://127.0.0.1:{ports['EMULATOR_PORT']}",
            api_key=api_key,
            process=process,
            log_path=log_path,
        )
        deadline = time.monotonic() + 90
        while "ready in" not in handle.log():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the local stack did not start:\n{handle.log()[-4000:]}")
            time.sleep(0.2)
        try:
            yield handle
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackHandle]:
    """The shared local stack of the end-to-end and browser tests."""
    with running_local_stack(tmp_path_factory.mktemp("local-stack"), "e2e-test-key") as handle:
        yield handle
