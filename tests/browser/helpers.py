"""Helpers for the browser tests: Chromium settings, screenshots, a static page server
and a recording stand-in of the Trechter API."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANDING_PAGES = ROOT / "landing_pages"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Headless Chromium says "HeadlessChrome" in its user agent, which Trechter rightly files as
# browser automation. The tests play a person, so the browser presents a normal Chrome. It is
# set at launch: a per-context override does not reach beacons sent while a page unloads.
PERSON_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    f"--user-agent={PERSON_USER_AGENT}",
]
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "index"
    path = SCREENSHOTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with a clear message."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)


def unique_email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


# ------------------------------------------------------------------- fake API
@dataclass
class Recorded:
    """One request the fake API received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}


@dataclass
class FakeApi:
    """Records requests and answers like the contract says Trechter does.

    Form submissions: an e-mail without a dot after the @ gets 422 with field errors;
    ``reject-all@...`` gets 422 with only a message; ``boom@...`` gets 500 as JSON (and a
    normal 303 as a plain form post). Everything else: 201 JSON, or 303 for a plain post.
    """

    url: str = ""
    pages_url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self, path_prefix: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    def events(self) -> list[dict[str, Any]]:
        """Every tracker event received so far, in arrival order."""
        return [e for r in self.received("/v1/t/events") for e in r.json()["events"]]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


def fake_api_handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def _cors(self) -> None:
            self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
            self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
            self.send_header("Vary", "Origin")

        def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self._cors()
            if body is not None:
                self.send_header("Content-Type", "application/json")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> Recorded:
            length = int(self.headers.get("Content-Length") or 0)
            recorded = Recorded(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            with api.lock:
                api.requests.append(recorded)
            return recorded

        def do_OPTIONS(self) -> None:
            self._record()
            self._reply(HTTPStatus.NO_CONTENT)

        def do_GET(self) -> None:
            self._record()
            if self.path.startswith("/v1/t/p.gif"):
                self.send_response(200)
                self.send_header("Content-Type", "image/gif")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(GIF)))
                self.end_headers()
                self.wfile.write(GIF)
                return
            self._reply(HTTPStatus.NOT_FOUND, {"message": "not found"})

        def do_POST(self) -> None:
            recorded = self._record()
            path = urlsplit(self.path).path
            if path == "/v1/t/events":
                events = recorded.json()["events"]
                self._reply(HTTPStatus.ACCEPTED, {"accepted": len(events), "rejected": []})
                return
            match = re.fullmatch(r"/v1/forms/([a-z0-9_-]+)/submissions", path)
            if not match:
                self._reply(HTTPStatus.NOT_FOUND, {"message": "not found"})
                return
            form_id = match.group(1)
            is_json = recorded.headers.get("content-type", "").startswith("application/json")
            fields = recorded.json() if is_json else recorded.form()
            email = str(fields.get("email", ""))
            redirect = f"{api.pages_url}/thank-you/?asset={form_id}"
            if is_json and email.startswith("boom@"):
                self._reply(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "internal error"})
            elif email.startswith("reject-all@"):
                self._reply(HTTPStatus.UNPROCESSABLE_ENTITY, {"message": "Too many requests."})
            elif "." not in email.partition("@")[2]:
                problem = {"field": "email", "message": "not a valid e-mail address"}
                self._reply(
                    HTTPStatus.UNPROCESSABLE_ENTITY,
                    {"message": "Invalid input: email", "errors": [problem]},
                )
            elif is_json:
                self._reply(HTTPStatus.CREATED, {"lead_id": "lead-1", "redirect_url": redirect})
            else:
                self._reply(HTTPStatus.SEE_OTHER, headers={"Location": redirect})

    return Handler


# --------------------------------------------------------------- static pages
def pages_handler(
    api_url: str, consent: str
) -> type[BaseHTTPRequestHandler]:  # the same job the local stack's page server does
    types = {
        ".html": "text/html; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".pdf": "application/pdf",
        ".png": "image/png",
    }

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            target = (LANDING_PAGES / path.lstrip("/")).resolve()
            if not target.is_relative_to(LANDING_PAGES):
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            if target.is_dir():
                if not path.endswith("/"):
                    query = urlsplit(self.path).query
                    self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                    self.send_header("Location", path + "/" + (f"?{query}" if query else ""))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = target / "index.html"
            if not target.is_file():
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            data = target.read_bytes()
            if target.suffix in (".html", ".js"):
                data = data.replace(b"__TRECHTER_API__", api_url.encode())
                data = data.replace(b"__TRECHTER_CONSENT__", consent.encode())
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", types.get(target.suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

    return Handler


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class Site:
    """The landing pages on one origin and the fake API on another."""

    pages_url: str
    api: FakeApi
