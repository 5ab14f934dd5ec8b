"""One settings model for every function, validated once at cold start.

Values come from the environment (Lambda configuration in AWS, the local stack
locally). Secrets are either given directly (local stack, tests) or named as an
SSM Parameter Store path that is read once, lazily, on first use.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class SettingsError(RuntimeError):
    """The environment does not describe a runnable Trechter; the message says what to fix."""


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class Settings(BaseModel):
    """Everything a Trechter function needs to know about where it runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str = Field(default="dev", min_length=1)
    region: str = "eu-west-1"
    leads_table: str = Field(min_length=3)
    events_table: str = Field(min_length=3)
    quarantine_table: str = Field(min_length=3)
    idempotency_table: str = Field(min_length=3)
    hot_leads_topic_arn: str = ""
    #: The second topic, for Slack and Microsoft Teams through AWS Chatbot (optional).
    hot_leads_chat_topic_arn: str = ""
    #: The language sales is addressed in; a lead may get the other (README, "Languages").
    sales_language: Literal["en", "nl"] = "en"
    #: The knowledge base's name as the call opener and the mail subject say it.
    knowledge_base_name: str = Field(default="Kennisbank", min_length=1, max_length=80)
    #: Where a salesperson opens a lead (the console); else the API's lead URL.
    console_url: str = ""
    # Lifecycle events (docs/EVENTS.md): the bus, and ids only or ids plus the profile.
    event_bus_name: str = Field(default="", pattern=r"^[A-Za-z0-9._\-/:]*$", max_length=1600)
    lifecycle_event_payload: Literal["ids", "profile"] = "ids"
    # Secrets: literal values (local stack, tests) or SSM parameter names (AWS).
    link_signing_secrets: tuple[str, ...] = Field(default=(), repr=False)
    link_signing_secret_param: str = ""
    api_keys: tuple[str, ...] = Field(default=(), repr=False)
    api_keys_param: str = ""
    #: Write keys of the Segment-compatible sources (/segment/v1/*); none: every call 401.
    segment_write_keys: tuple[str, ...] = Field(default=(), repr=False)
    segment_write_keys_param: str = ""
    allowed_origins: tuple[str, ...] = ()
    public_base_url: str = ""
    # CloudFront sends it to the front-door function URL; requests without it are refused.
    front_door_secret: str = Field(default="", repr=False)
    event_retention_days: int = Field(default=395, ge=1, le=3650)
    quarantine_retention_days: int = Field(default=30, ge=1, le=365)
    idempotency_ttl_seconds: int = Field(default=86_400, ge=60, le=7 * 86_400)
    scoring_model_path: str = ""
    bot_min_fill_seconds: float = Field(default=2.0, ge=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Abuse limits (per Lambda container locally; API Gateway throttles in AWS too).
    rate_limit_per_ip_per_minute: int = Field(default=600, ge=1)
    rate_limit_per_form_per_minute: int = Field(default=120, ge=1)
    max_leads_per_anonymous_id_per_hour: int = Field(default=5, ge=1)

    @field_validator("link_signing_secrets")
    @classmethod
    def _secrets_are_long(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for secret in value:
            if len(secret) < 16:
                raise ValueError("every link signing secret needs at least 16 characters")
        return value

    @field_validator("front_door_secret")
    @classmethod
    def _front_door_secret_is_long(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("the front door secret needs at least 16 characters")
        return value

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read the settings from environment variables (names in upper case).

        Raises
        ------
        SettingsError
            naming each missing or invalid variable.
        """
        env = dict(os.environ if environ is None else environ)
        raw: dict[str, object] = {
            "stage": env.get("TRECHTER_STAGE", "dev"),
            "region": env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "eu-west-1")),
            "leads_table": env.get("LEADS_TABLE", ""),
            "events_table": env.get("EVENTS_TABLE", ""),
            "quarantine_table": env.get("QUARANTINE_TABLE", ""),
            "idempotency_table": env.get("IDEMPOTENCY_TABLE", ""),
            "hot_leads_topic_arn": env.get("HOT_LEADS_TOPIC_ARN", ""),
            "hot_leads_chat_topic_arn": env.get("HOT_LEADS_CHAT_TOPIC_ARN", ""),
            "sales_language": env.get("SALES_LANGUAGE", "en").strip().lower(),
            "knowledge_base_name": env.get("KNOWLEDGE_BASE_NAME", "Kennisbank").strip(),
            "console_url": env.get("CONSOLE_URL", "").rstrip("/"),
            "event_bus_name": env.get("EVENT_BUS_NAME", ""),
            "lifecycle_event_payload": env.get("LIFECYCLE_EVENT_PAYLOAD", "ids").lower(),
            "link_signing_secrets": tuple(_split(env.get("LINK_SIGNING_SECRETS", ""))),
            "link_signing_secret_param": env.get("LINK_SIGNING_SECRET_PARAM", ""),
            "api_keys": tuple(_split(env.get("API_KEYS", ""))),
            "api_keys_param": env.get("API_KEYS_PARAM", ""),
            "segment_write_keys": tuple(_split(env.get("SEGMENT_WRITE_KEYS", ""))),
            "segment_write_keys_param": env.get("SEGMENT_WRITE_KEYS_PARAM", ""),
            "allowed_origins": tuple(_split(env.get("ALLOWED_ORIGINS", ""))),
            "public_base_url": env.get("PUBLIC_BASE_URL", "").rstrip("/"),
            "front_door_secret": env.get("FRONT_DOOR_SECRET", ""),
            "scoring_model_path": env.get("SCORING_MODEL_PATH", ""),
            "log_level": env.get("LOG_LEVEL", "INFO").upper(),
        }
        for name in (
            "event_retention_days",
            "quarantine_retention_days",
            "idempotency_ttl_seconds",
            "bot_min_fill_seconds",
            "rate_limit_per_ip_per_minute",
            "rate_limit_per_form_per_minute",
            "max_leads_per_anonymous_id_per_hour",
        ):
            if name.upper() in env:
                raw[name] = env[name.upper()]
        try:
            settings = cls.model_validate(raw)
        except ValidationError as error:
            problems = "; ".join(
                f"{str(e['loc'][0]).upper()}: {e['msg']}" for e in error.errors(include_url=False)
            )
            raise SettingsError(f"Trechter is misconfigured: {problems}") from error
        if not settings.link_signing_secrets and not settings.link_signing_secret_param:
            raise SettingsError(
                "Trechter is misconfigured: set LINK_SIGNING_SECRETS or LINK_SIGNING_SECRET_PARAM"
            )
        if not settings.api_keys and not settings.api_keys_param:
            raise SettingsError("Trechter is misconfigured: set API_KEYS or API_KEYS_PARAM")
        return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated on first use (at cold start in Lambda)."""
    return Settings.from_environ()


def lead_url(settings: Settings, lead_id: str) -> str:
    """Where a salesperson opens a lead: the console when set, else the API's lead URL."""
    if settings.console_url:
        return f"{settings.console_url}/leads/{lead_id}"
    return f"{settings.public_base_url}/v1/leads/{lead_id}"
