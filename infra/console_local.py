"""The console's part of the local stack: the emulator's user pool and the static server.

- a Cognito user pool in the emulator (moto serves cognito-idp, with the pool's JWKS at
  ``{endpoint}/{pool_id}/.well-known/jwks.json``), an app client for the console, the
  groups ``sales``, ``marketing`` and ``admin``, and one user per role
  (``<role>@trechter.local``, password ``CONSOLE_PASSWORD``);
- ``console/`` served on CONSOLE_PORT with ``/config.json`` (where the API and the
  sign-in endpoint are) and the same security headers CloudFront adds in AWS.
"""

from __future__ import annotations

import io
import json
import mimetypes
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_DIR = ROOT / "console"
ROLES = ("sales", "marketing", "admin")
DEFAULT_PASSWORD = "local-dev-password"  # noqa: S105 (local only, shown in the banner)


@dataclass(frozen=True)
class ConsolePool:
    pool_id: str
    client_id: str
    jwks_url: str
    users: tuple[str, ...]


def create_console_pool(endpoint: str, region: str, stage: str, password: str) -> ConsolePool:
    """The user pool, its console client, the role groups and one user per role (idempotent)."""
    import boto3

    idp = boto3.client("cognito-idp", region_name=region)
    name = f"trechter-{stage}-console"
    pools = idp.list_user_pools(MaxResults=60)["UserPools"]
    pool_id = next((p["Id"] for p in pools if p["Name"] == name), None)
    if pool_id is None:
        pool_id = idp.create_user_pool(
            PoolName=name,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            # The emulator's password policy, loose enough for the documented default.
            Policies={
                "PasswordPolicy": {
                    "MinimumLength": 8,
                    "RequireUppercase": False,
                    "RequireLowercase": False,
                    "RequireNumbers": False,
                    "RequireSymbols": False,
                }
            },
        )["UserPool"]["Id"]
    clients = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = next((c["ClientId"] for c in clients if c["ClientName"] == name), None)
    if client_id is None:
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=name,
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
    groups = {g["GroupName"] for g in idp.list_groups(UserPoolId=pool_id)["Groups"]}
    users = []
    for role in ROLES:
        if role not in groups:
            idp.create_group(UserPoolId=pool_id, GroupName=role)
        email = f"{role}@trechter.local"
        try:
            idp.admin_get_user(UserPoolId=pool_id, Username=email)
        except idp.exceptions.UserNotFoundException:
            idp.admin_create_user(
                UserPoolId=pool_id,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                ],
                MessageAction="SUPPRESS",
            )
            idp.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=role)
        idp.admin_set_user_password(
            UserPoolId=pool_id, Username=email, Password=password, Permanent=True
        )
        users.append(email)
    return ConsolePool(
        pool_id=pool_id,
        client_id=client_id,
        jwks_url=f"{endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json",
        users=tuple(users),
    )


def content_security_policy(connect: list[str]) -> str:
    """No inline script or style; data only from the API and the sign-in endpoint."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src 'self' {' '.join(connect)}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def console_handler(config: dict[str, Any]) -> type[SimpleHTTPRequestHandler]:
    """Serves console/ and its /config.json, with the security headers of the deployed one."""
    policy = content_security_policy([config["api_url"], config["cognito_endpoint"]])
    config_body = json.dumps(config).encode("utf-8")

    class ConsoleHandler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(CONSOLE_DIR), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            return

        def end_headers(self) -> None:
            self.send_header("Content-Security-Policy", policy)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("X-Frame-Options", "DENY")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def send_head(self) -> Any:
            if self.path.split("?")[0] == "/config.json":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(config_body)))
                self.end_headers()
                return io.BytesIO(config_body)
            return super().send_head()

        def guess_type(self, path: Any) -> str:
            kind = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
            if str(path).endswith(".js"):
                kind = "text/javascript"
            return kind

    return ConsoleHandler
