"""The composition root: which store implementation each service gets.

The entry points (``app.py``'s routes in ``chalicelib/api``, the stream and schedule
handlers, ``infra/`` and ``learner/`` commands) get their services here. Built once
per process (Lambda container) from the settings; tests build their own with the
in-memory stores. The one module that knows both the services and the adapters:
services themselves import only the ports (``tests/unit/test_architecture.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Imported where they are built, not here: every route module imports this one,
    # and a function that never scores should not load the scorer at cold start.
    from chalicelib.adapters.ports import (
        AuditTrail,
        EventBus,
        EventStore,
        FunnelSeries,
        LeadStore,
        ModelStore,
        OutcomeStore,
        Publications,
        Publisher,
        Quarantine,
        QuietLeads,
        Sightings,
        UserTokens,
    )
    from chalicelib.domain.scoring.model import ScoringModel
    from chalicelib.services.capture import CaptureService
    from chalicelib.services.console import ConsoleService
    from chalicelib.services.hits import HitCounter
    from chalicelib.services.leads import LeadService
    from chalicelib.services.lifecycle import LifecyclePublisher, QuietSweep
    from chalicelib.services.models import ActiveModelProvider, ModelService
    from chalicelib.services.notify import HotLeadNotifier
    from chalicelib.services.outcomes import OutcomeService
    from chalicelib.services.reports import ReportService
    from chalicelib.services.rescore import RescoreService
    from chalicelib.services.scoring import ScoringService
    from chalicelib.services.secrets import SecretSet
    from chalicelib.services.segment import SegmentService
    from chalicelib.services.whatif import WhatIfService
    from chalicelib.settings import Settings


@dataclass
class Services:
    settings: Settings
    #: The packaged model (the first version); services score with ``active_model``.
    model: ScoringModel
    leads: LeadStore
    events: EventStore
    quarantine: Quarantine
    publisher: Publisher
    sightings: Sightings
    signing_secrets: SecretSet
    api_keys: SecretSet
    capture: CaptureService
    sales: LeadService
    scoring: ScoringService
    notifier: HotLeadNotifier
    hits: HitCounter
    reports: ReportService
    rescore: RescoreService
    segment: SegmentService
    active_model: ActiveModelProvider
    model_store: ModelStore
    outcome_store: OutcomeStore
    models: ModelService
    outcomes: OutcomeService
    what_if: WhatIfService
    idempotency: Any = None
    #: None when no bus is configured (EVENT_BUS_NAME empty): no lifecycle events.
    lifecycle: LifecyclePublisher | None = None
    quiet_sweep: QuietSweep | None = None
    #: Verifies console users' tokens; None where no user pool is configured.
    users: UserTokens | None = None
    console: ConsoleService | None = None


def build_services(
    settings: Settings,
    model: ScoringModel,
    leads: LeadStore,
    events: EventStore,
    quarantine: Quarantine,
    publisher: Publisher,
    sightings: Sightings,
    idempotency: Any = None,
    bus: EventBus | None = None,
    publications: Publications | None = None,
    quiet: QuietLeads | None = None,
    users: UserTokens | None = None,
    audit: AuditTrail | None = None,
    series: FunnelSeries | None = None,
    form_repeats: Any = None,
    model_store: ModelStore | None = None,
    outcome_store: OutcomeStore | None = None,
    model_text: str | None = None,
) -> Services:
    """Wire every service to the given stores.

    ``idempotency`` and ``form_repeats`` are Powertools persistence layers, one each: a layer
    keeps the expiry of the first configuration it serves (24 h for ``Idempotency-Key``, the
    model's minutes for a repeated form). ``bus``, ``publications`` and ``quiet`` together
    switch the lifecycle events on. ``model`` is the packaged model, the first version in
    ``model_store`` (in memory when not given); ``model_text`` its file's text (its JSON when
    not given).
    """
    import json

    from chalicelib.adapters.learning import MemoryModelStore, MemoryOutcomeStore
    from chalicelib.adapters.parameters import SsmParameters
    from chalicelib.adapters.streams import event_delivery
    from chalicelib.domain.lifecycle_events import Payload
    from chalicelib.domain.scoring.model import model_warnings
    from chalicelib.observability import logger
    from chalicelib.services.capture import CaptureService
    from chalicelib.services.console import ConsoleService
    from chalicelib.services.hits import HitCounter
    from chalicelib.services.leads import LeadService
    from chalicelib.services.lifecycle import LifecyclePublisher, QuietSweep
    from chalicelib.services.models import ActiveModelProvider, ModelService
    from chalicelib.services.notify import HotLeadNotifier
    from chalicelib.services.outcomes import OutcomeService
    from chalicelib.services.reports import ReportService
    from chalicelib.services.rescore import RescoreService
    from chalicelib.services.scoring import ScoringService
    from chalicelib.services.secrets import api_keys, segment_write_keys, signing_secrets
    from chalicelib.services.segment import SegmentService
    from chalicelib.services.whatif import WhatIfService
    from chalicelib.settings import lead_url

    for warning in model_warnings(model):
        # Valid, but one kind of act could inflate a score: say so at every cold start.
        logger.warning("scoring model %s: %s", model.version, warning)
    parameters = SsmParameters(settings.region)  # read only where a *_PARAM is set
    secrets = signing_secrets(settings, parameters)
    language = settings.sales_language
    knowledge_base = settings.knowledge_base_name
    model_store = model_store if model_store is not None else MemoryModelStore()
    outcome_store = outcome_store if outcome_store is not None else MemoryOutcomeStore()
    active = ActiveModelProvider(model_store, model)
    text = model_text or json.dumps(model.model_dump(mode="json", by_alias=True))
    sales = LeadService(
        active,
        leads,
        events,
        sales_language=language,
        knowledge_base_name=knowledge_base,
        deals=outcome_store,
    )
    models = ModelService(model_store, model, text, active)
    capture = CaptureService(
        settings, active, leads, events, quarantine, secrets, sightings, form_repeats
    )
    scoring = ScoringService(active, leads, events, quarantine)
    if audit is None:
        from chalicelib.adapters.memory import MemoryAuditTrail, MemoryLeadStore

        audit = MemoryAuditTrail(leads) if isinstance(leads, MemoryLeadStore) else None
    return Services(
        settings=settings,
        model=model,
        leads=leads,
        events=events,
        quarantine=quarantine,
        publisher=publisher,
        sightings=sightings,
        signing_secrets=secrets,
        api_keys=api_keys(settings, parameters),
        capture=capture,
        sales=sales,
        scoring=scoring,
        notifier=HotLeadNotifier(
            leads,
            publisher,
            quarantine,
            model=active,
            sales_language=language,
            knowledge_base_name=knowledge_base,
            lead_url=lambda lead_id: lead_url(settings, lead_id),
        ),
        hits=HitCounter(leads, quarantine),
        reports=ReportService(leads, series=series or _funnel_series(leads)),
        rescore=RescoreService(active, leads, events),
        segment=SegmentService(
            active,
            leads,
            events,
            quarantine,
            sightings,
            capture,
            segment_write_keys(settings, parameters),
        ),
        active_model=active,
        model_store=model_store,
        outcome_store=outcome_store,
        models=models,
        outcomes=OutcomeService(leads, outcome_store, sales),
        what_if=WhatIfService(leads, events, outcome_store, models, active),
        idempotency=idempotency,
        lifecycle=LifecyclePublisher(
            active,
            publications,
            bus,
            quarantine,
            Payload(settings.lifecycle_event_payload),
            sales_language=settings.sales_language,
        )
        if bus is not None and publications is not None
        else None,
        quiet_sweep=QuietSweep(active, quiet) if quiet is not None else None,
        users=users if users is not None else _user_tokens(settings),
        console=ConsoleService(
            leads,
            quarantine,
            audit,
            scoring,
            settings.quarantine_retention_days,
            read_event_record=event_delivery,
        ),
    )


def _funnel_series(leads: LeadStore) -> FunnelSeries | None:
    from chalicelib.adapters.memory import MemoryFunnelSeries, MemoryLeadStore

    return MemoryFunnelSeries(leads) if isinstance(leads, MemoryLeadStore) else None


def _user_tokens(settings: Settings) -> UserTokens | None:
    """The user pool's token verifier, when the settings name a pool."""
    if not settings.cognito_user_pool_id:
        return None
    from chalicelib.adapters.cognito import CognitoTokens

    return CognitoTokens.for_pool(settings)


@cache
def get_services() -> Services:
    """The process-wide services on DynamoDB and SNS (validated at first use)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from chalicelib.adapters.aws import dynamodb_client, events_client, sns_client
    from chalicelib.adapters.dynamodb import (
        DynamoAuditTrail,
        DynamoEventStore,
        DynamoFunnelSeries,
        DynamoLeadStore,
        DynamoQuarantine,
        DynamoSightings,
    )
    from chalicelib.adapters.eventbridge import EventBridgeBus
    from chalicelib.adapters.learning import DynamoModelStore, DynamoOutcomeStore
    from chalicelib.adapters.publications import DynamoPublications
    from chalicelib.adapters.quiet import DynamoQuietLeads
    from chalicelib.adapters.sns import SnsPublisher
    from chalicelib.domain.scoring.model import DEFAULT_MODEL_PATH, parse_scoring_model
    from chalicelib.settings import get_settings

    settings = get_settings()
    model_path = settings.scoring_model_path or str(DEFAULT_MODEL_PATH)
    model_text = read_model_file(model_path)
    model = parse_scoring_model(model_text, model_path)
    client = dynamodb_client(settings.region)
    events = DynamoEventStore(client, settings.events_table, settings.event_retention_days)
    return build_services(
        settings=settings,
        model=model,
        leads=DynamoLeadStore(client, settings.leads_table, events),
        events=events,
        quarantine=DynamoQuarantine(
            client, settings.quarantine_table, settings.quarantine_retention_days
        ),
        publisher=SnsPublisher(
            sns_client(settings.region),
            settings.hot_leads_topic_arn,
            settings.hot_leads_chat_topic_arn,
        ),
        sightings=DynamoSightings(client, settings.idempotency_table),
        idempotency=DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table, boto3_client=client
        ),
        bus=EventBridgeBus(events_client(settings.region), settings.event_bus_name)
        if settings.event_bus_name
        else None,
        publications=DynamoPublications(client, settings.leads_table),
        quiet=DynamoQuietLeads(client, settings.leads_table),
        audit=DynamoAuditTrail(client, settings.leads_table),
        series=DynamoFunnelSeries(client, settings.leads_table),
        form_repeats=DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table, boto3_client=client
        ),
        model_store=DynamoModelStore(client, settings.leads_table),
        outcome_store=DynamoOutcomeStore(client, settings.leads_table),
        model_text=model_text,
    )


def read_model_file(path: str) -> str:
    """The packaged scoring model's text (ScoringModelError naming the file if unreadable)."""
    from pathlib import Path

    from chalicelib.domain.scoring.model import ScoringModelError

    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ScoringModelError(f"{path}: cannot read the scoring model: {error}") from None
