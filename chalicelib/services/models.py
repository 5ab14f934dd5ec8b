"""Scoring models as live data: versions in the store, one active, read through one provider.

The packaged YAML (``default_model.yaml`` or ``SCORING_MODEL_PATH``) is the first
version. Every service asks ``ModelProvider.current()`` for the model each time it
scores, so a promotion reaches the API and the stream scorer within the cache's
time to live (30 s), without a deploy. Leads that already exist are rescored by
``make rescore``, which scores with the active model too (README, "Models as data").
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Protocol

from chalicelib.adapters.ports import ModelStore, StoredModel
from chalicelib.domain.errors import Conflict, FieldError, InvalidInput, NotFound
from chalicelib.domain.scoring.model import ScoringModel, ScoringModelError, parse_scoring_model
from chalicelib.observability import logger

#: How long a process keeps using the active model it read (the promise is 60 s).
ACTIVE_MODEL_TTL_SECONDS = 30.0
MAX_MODEL_BYTES = 256 * 1024


class ModelProvider(Protocol):
    """Where services read the scoring model, at the moment they score."""

    def current(self) -> ScoringModel: ...


class FixedModel:
    """One model, always (tests, benchmarks, tools that score with a file)."""

    def __init__(self, model: ScoringModel) -> None:
        self.model = model

    def current(self) -> ScoringModel:
        return self.model


def provider_of(model: ScoringModel | ModelProvider) -> ModelProvider:
    return FixedModel(model) if isinstance(model, ScoringModel) else model


class ActiveModelProvider:
    """The store's active model, looked up at most every ``ttl`` seconds per process.

    Parsed models are kept per version, so a lookup that finds the same version
    costs one read. When the store cannot be read the last model stays in use:
    scoring never stops because the lookup failed. With no active version in the
    store the packaged model scores.
    """

    def __init__(
        self,
        store: ModelStore,
        packaged: ScoringModel,
        ttl: float = ACTIVE_MODEL_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._packaged = packaged
        self._ttl = ttl
        self._clock = clock
        self._model = packaged
        self._checked_at: float | None = None
        self._parsed: dict[str, ScoringModel] = {packaged.version: packaged}
        self._lock = threading.Lock()

    def current(self) -> ScoringModel:
        checked = self._checked_at
        if checked is not None and self._clock() - checked < self._ttl:
            return self._model
        with self._lock:
            self._refresh()
        return self._model

    def invalidate(self) -> None:
        self._checked_at = None

    def _refresh(self) -> None:
        now = self._clock()
        try:
            active = self._store.active()
            version = active.version if active is not None else self._packaged.version
            model = self._parsed.get(version)
            if model is None:
                stored = self._store.get_version(version)
                if stored is None:
                    raise LookupError(f"active version {version} is not stored")
                model = parse_scoring_model(stored.text, f"model {version}")
                self._parsed[version] = model
            self._model = model
        except Exception:
            logger.exception("reading the active scoring model failed; keeping the last one")
        self._checked_at = now


class ModelService:
    """Upload, list, read and promote scoring model versions."""

    def __init__(
        self,
        store: ModelStore,
        packaged: ScoringModel,
        packaged_text: str,
        provider: ActiveModelProvider | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._packaged = packaged
        self._packaged_text = packaged_text
        self._provider = provider
        self._clock = clock

    def _seed(self) -> None:
        """The packaged model is the first version (stored and active on first use)."""
        if self._store.active() is not None:
            return
        now = self._clock()
        self._store.put_version(
            StoredModel(
                version=self._packaged.version,
                text=self._packaged_text,
                source="packaged",
                created_at=now,
                created_by="package",
            )
        )
        self._store.promote(self._packaged.version, "package", now)

    def active_version(self) -> str:
        self._seed()
        active = self._store.active()
        return active.version if active is not None else self._packaged.version

    def versions(self) -> tuple[str, list[StoredModel]]:
        self._seed()
        return self.active_version(), self._store.versions()

    def get(self, version: str) -> tuple[StoredModel, ScoringModel]:
        """A stored version and its parsed model.

        Raises
        ------
        NotFound
            no such version.
        """
        self._seed()
        stored = self._store.get_version(version) if len(version) <= 64 else None
        if stored is None:
            raise NotFound(f"version: no scoring model version '{version[:64]}'")
        return stored, parse_scoring_model(stored.text, f"model {version}")

    def upload(self, text: str, source: str, by: str | None) -> StoredModel:
        """Validate and store a new version (not active).

        Raises
        ------
        InvalidInput
            the model is invalid; one problem per line, each naming the line or field.
        Conflict
            the version exists with a different text (versions are immutable).
        """
        model = validate_model_text(text)
        self._seed()
        stored = StoredModel(
            version=model.version,
            text=text,
            source=source,
            created_at=self._clock(),
            created_by=by,
        )
        if not self._store.put_version(stored):
            existing = self._store.get_version(model.version)
            if existing is not None and existing.text == text:
                return existing
            raise Conflict(
                f"version: {model.version} exists with other content; bump `version` to upload"
            )
        return stored

    def promote(self, version: str, by: str) -> StoredModel:
        """Make a stored version the active model (rolling back is promoting an older one).

        Raises
        ------
        NotFound
            no such version.
        """
        self.get(version)  # exists and still parses
        if not self._store.promote(version, by, self._clock()):
            raise NotFound(f"version: no scoring model version '{version[:64]}'")
        if self._provider is not None:
            self._provider.invalidate()
        stored = self._store.get_version(version)
        assert stored is not None
        return stored


def validate_model_text(text: str) -> ScoringModel:
    """Parse a model sent as YAML or JSON, or raise InvalidInput naming line and field."""
    if len(text.encode("utf-8")) > MAX_MODEL_BYTES:
        raise InvalidInput([FieldError("model", f"is over {MAX_MODEL_BYTES} bytes")])
    try:
        return parse_scoring_model(text, "model")
    except ScoringModelError as error:
        problems = [
            FieldError("model", line.removeprefix("model: "))
            for line in str(error).splitlines()
            if line.strip()
        ]
        raise InvalidInput(problems, "model: the scoring model is invalid") from None


def model_text_of(body: object) -> str:
    """A model sent inside JSON (``{"model": {...}}`` or the model itself) as text."""
    if isinstance(body, dict) and isinstance(body.get("model"), dict):
        body = body["model"]
    return json.dumps(body)
