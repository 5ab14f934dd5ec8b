"""Stream handlers' bodies: decode the records, hand their values to a service, report
partial failures.

The adapters (``chalicelib/adapters/streams.py``) turn each record into its position and
a domain value (or a poison delivery, for the quarantine); services never see a record.

Powertools' batch processor builds the ``batchItemFailures`` answer, so the
event source mapping (ReportBatchItemFailures, bisect, bounded retries, an
on-failure queue; see infra/) retries only what failed, and never blocks the
shard on one bad record: poison records go to the quarantine instead.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from chalicelib.observability import logger, metrics
from chalicelib.wiring import get_services

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )


class RetryLater(RuntimeError):
    """This record's lead could not be written now; the stream delivers it again."""


def _partial_response(
    event: dict[str, Any], failed: Collection[str], context: Any
) -> dict[str, Any]:
    # Imported here, not at the top: the API function shares this module and never
    # needs Powertools' batch processor (a quarter of a cold import).
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    def check(record: DynamoDBRecord) -> None:
        if record.dynamodb is not None and record.dynamodb.sequence_number in failed:
            raise RetryLater(f"sequence {record.dynamodb.sequence_number} will be retried")

    processor = BatchProcessor(
        event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
    )
    answer = process_partial_response(
        event=event, record_handler=check, processor=processor, context=context
    )
    return dict(answer)


def score_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The events stream: score every new event on its lead."""
    from chalicelib.adapters.streams import event_deliveries

    deliveries = event_deliveries(event.get("Records", []), time.time())
    result = get_services().scoring.process(deliveries)
    metrics.add_metric(name="EventsScored", unit="Count", value=result.applied)
    metrics.add_metric(name="RedeliveriesSkipped", unit="Count", value=result.duplicates)
    metrics.add_metric(name="RecordsQuarantined", unit="Count", value=result.quarantined)
    metrics.add_metric(name="ScoringConflicts", unit="Count", value=result.conflicts)
    metrics.add_metric(name="StreamLagSeconds", unit="Seconds", value=result.lag_seconds)
    logger.info(
        "scored batch",
        extra={
            "applied": result.applied,
            "duplicates": result.duplicates,
            "failed": len(result.failed),
        },
    )
    metrics.flush_metrics()
    return _partial_response(event, set(result.failed), context)


def notify_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The leads stream: announce leads that entered SQL, and publish lifecycle events.

    One reader of the leads stream serves both (a DynamoDB stream shard should have at
    most two readers: this one and the hit counter); both are idempotent, so a record
    retried for one is harmless to the other.
    """
    from chalicelib.adapters.streams import qualifications

    records = event.get("Records", [])
    result = get_services().notifier.process(qualifications(records, time.time()))
    lifecycle_failed = publish_lifecycle(records)
    metrics.add_metric(name="HotLeadsPublished", unit="Count", value=result.published)
    metrics.add_metric(name="HotLeadsLeftToNurture", unit="Count", value=result.nurtured)
    metrics.add_metric(
        name="DuplicateNotificationsSuppressed", unit="Count", value=result.suppressed
    )
    metrics.add_metric(name="RecordsQuarantined", unit="Count", value=result.quarantined)
    metrics.add_metric(name="StreamLagSeconds", unit="Seconds", value=result.lag_seconds)
    logger.info(
        "notification batch",
        extra={
            "published": result.published,
            "suppressed": result.suppressed,
            "nurtured": result.nurtured,
            "failed": len(result.failed),
        },
    )
    metrics.flush_metrics()
    return _partial_response(event, set(result.failed) | lifecycle_failed, context)


def count_hits_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The leads stream's second reader: add the funnel hits the lead writes carry."""
    from chalicelib.adapters.streams import hit_deltas

    result = get_services().hits.process(hit_deltas(event.get("Records", []), time.time()))
    metrics.add_metric(name="FunnelHitsCounted", unit="Count", value=result.hits)
    metrics.add_metric(name="RecordsQuarantined", unit="Count", value=result.quarantined)
    metrics.add_metric(name="StreamLagSeconds", unit="Seconds", value=result.lag_seconds)
    logger.info(
        "hits batch",
        extra={
            "hits": result.hits,
            "machine_hits": result.machine_hits,
            "failed": len(result.failed),
        },
    )
    metrics.flush_metrics()
    return _partial_response(event, set(result.failed), context)


def publish_lifecycle(records: list[dict[str, Any]]) -> set[str]:
    """The lifecycle events of these leads-stream records; the sequence numbers to retry."""
    from chalicelib.adapters.streams import lead_changes

    services = get_services()
    if services.lifecycle is None:
        return set()
    result = services.lifecycle.process(lead_changes(records, time.time()))
    metrics.add_metric(name="LifecycleEventsPublished", unit="Count", value=result.published)
    metrics.add_metric(
        name="DuplicateLifecycleEventsSuppressed", unit="Count", value=result.suppressed
    )
    logger.info(
        "lifecycle batch",
        extra={
            "published": result.published,
            "suppressed": result.suppressed,
            "failed": len(result.failed),
        },
    )
    return set(result.failed)


def sweep_quiet(context: Any) -> dict[str, Any]:
    """The schedule: mark leads quiet that have not engaged for the model's quiet days."""
    from chalicelib.services.lifecycle import sweep_summary

    services = get_services()
    if services.quiet_sweep is None:
        return {"went_quiet": 0}
    summary = dict(sweep_summary(services.quiet_sweep.run()))
    metrics.add_metric(name="LeadsWentQuiet", unit="Count", value=summary["went_quiet"])
    metrics.flush_metrics()
    logger.info("quiet sweep", extra=summary)
    return summary
