"""``Idempotency-Key``: a retried request gets the first answer, and nothing happens twice.

Built on Powertools Idempotency: the key (scoped to the operation) is the record
id; the body's hash is validated, so the same key with another body is refused.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import (
    STATUS_CONSTANTS,
    DataRecord,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from pydantic import BaseModel

from chalicelib.domain.errors import Conflict, FieldError, InvalidInput

Result = TypeVar("Result", bound=BaseModel)
MAX_KEY_LENGTH = 255


def run_once(
    persistence: BasePersistenceLayer | None,
    ttl_seconds: int,
    key: str | None,
    scope: str,
    payload: Mapping[str, Any],
    result_type: type[Result],
    work: Callable[[], Result],
) -> Result:
    """Run ``work`` once per (scope, key); without a key, just run it.

    Raises
    ------
    InvalidInput
        the key is too long, or was used before with another body.
    Conflict
        the first request with this key is still being processed.
    """
    if not key or persistence is None:
        return work()
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput([FieldError("Idempotency-Key", f"at most {MAX_KEY_LENGTH} characters")])
    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="payload",
        expires_after_seconds=ttl_seconds,
        use_local_cache=False,
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="request",
        persistence_store=persistence,
        config=config,
        output_serializer=PydanticSerializer(result_type),
    )
    def once(request: dict[str, Any]) -> Result:
        return work()

    try:
        return once(request={"key": f"{scope}#{key}", "payload": dict(payload)})  # type: ignore[no-any-return]
    except IdempotencyValidationError:
        raise InvalidInput(
            [FieldError("Idempotency-Key", "was used before with a different request body")]
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "Idempotency-Key: the first request with this key is still in progress"
        ) from None


class MemoryPersistenceLayer(BasePersistenceLayer):
    """Powertools idempotency records in memory (unit tests, benchmarks)."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.records: dict[str, DataRecord] = {}
        self._lock = threading.Lock()

    def _get_record(self, idempotency_key: str) -> DataRecord:
        record = self.records.get(idempotency_key)
        if record is None:
            raise IdempotencyItemNotFoundError
        return record

    def _put_record(self, data_record: DataRecord) -> None:
        now = dt.datetime.now()
        with self._lock:
            existing = self.records.get(data_record.idempotency_key)
            if existing is not None:
                expired = (existing.expiry_timestamp or 0) < int(now.timestamp())
                stale = (
                    existing.status == STATUS_CONSTANTS["INPROGRESS"]
                    and existing.in_progress_expiry_timestamp is not None
                    and existing.in_progress_expiry_timestamp < int(now.timestamp() * 1000)
                )
                if not (expired or stale):
                    self._validate_payload(data_payload=data_record, stored_data_record=existing)
                    raise IdempotencyItemAlreadyExistsError(old_data_record=existing)
            self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        with self._lock:
            self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        with self._lock:
            self.records.pop(data_record.idempotency_key, None)
