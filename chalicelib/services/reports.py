"""The funnel report, from counters kept in constant work per transition (never a scan)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from chalicelib.adapters.ports import Counters, FunnelSeries
from chalicelib.domain.errors import FieldError, InvalidInput
from chalicelib.domain.lead import FUNNEL_ORDER, Stage
from chalicelib.schemas import FunnelDay, FunnelReport, StageConversion
from chalicelib.services.scoring import DURATION_BUCKETS

MAX_RANGE_DAYS = 400


def _parse_day(name: str, value: str | None, default: date) -> date:
    if value is None or value == "":
        return default
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput([FieldError(name, "must be a date such as 2026-11-01")]) from None


def median_hours(counters: dict[str, int], prefix: str) -> float | None:
    """The median duration from log2-hour bucket counts (geometric middle of its bucket)."""
    counts = [counters.get(f"{prefix}_b{k}", 0) for k in range(DURATION_BUCKETS)]
    total = sum(counts)
    if total == 0:
        return None
    half = total / 2
    running = 0
    for bucket, count in enumerate(counts):
        running += count
        if running >= half:
            if bucket == 0:
                return 0.5
            low, high = 2 ** (bucket - 1), 2**bucket
            return round(float((low * high) ** 0.5), 1)
    return None


class ReportService:
    def __init__(
        self,
        leads: Counters,
        clock: Callable[[], float] = time.time,
        series: FunnelSeries | None = None,
    ) -> None:
        self._leads = leads
        self._clock = clock
        self._series = series

    def funnel(
        self, from_date: str | None, to_date: str | None, daily: bool = False
    ) -> FunnelReport:
        """Counts per stage now, entries and conversion in the range, medians, machine share.

        Raises
        ------
        InvalidInput
            a bad date, ``from`` after ``to``, or a range over 400 days.
        """
        today = datetime.fromtimestamp(self._clock(), tz=UTC).date()
        last = _parse_day("to", to_date, today)
        first = _parse_day("from", from_date, last - timedelta(days=29))
        if first > last:
            raise InvalidInput([FieldError("from", "must not be after 'to'")])
        if (last - first).days > MAX_RANGE_DAYS:
            raise InvalidInput(
                [FieldError("from", f"the range may span at most {MAX_RANGE_DAYS} days")]
            )
        days, totals = self._leads.funnel_counters(first.isoformat(), last.isoformat())
        stages = [*FUNNEL_ORDER, Stage.RECYCLED]
        current = {
            s.value: max(0, totals.get(f"entered_{s.value}", 0) - totals.get(f"left_{s.value}", 0))
            for s in stages
        }
        entered = {s.value: days.get(f"entered_{s.value}", 0) for s in stages}
        conversion = []
        for before, after in pairwise(FUNNEL_ORDER):
            base = entered[before.value]
            rate = round(entered[after.value] / base, 4) if base else None
            conversion.append(
                StageConversion(from_stage=before.value, to_stage=after.value, rate=rate)
            )
        hits = days.get("hits", 0)
        machine = days.get("machine_hits", 0)
        return FunnelReport(
            from_date=first.isoformat(),
            to_date=last.isoformat(),
            current=current,
            entered=entered,
            conversion=conversion,
            median_hours_lead_to_mql=median_hours(days, "lead_to_mql"),
            median_hours_mql_to_sql=median_hours(days, "mql_to_sql"),
            hits=hits,
            machine_hits=machine,
            machine_share=round(machine / hits, 4) if hits else None,
            daily=self._daily(first, last, stages) if daily else None,
        )

    def _daily(self, first: date, last: date, stages: list[Stage]) -> list[FunnelDay] | None:
        """Every day of the range, oldest first, zeros included (a chart needs each day)."""
        if self._series is None:
            return None
        counted = self._series.daily(first.isoformat(), last.isoformat())
        out = []
        for offset in range((last - first).days + 1):
            day = (first + timedelta(days=offset)).isoformat()
            values = counted.get(day, {})
            out.append(
                FunnelDay(
                    day=day,
                    entered={s.value: values.get(f"entered_{s.value}", 0) for s in stages},
                    hits=values.get("hits", 0),
                    machine_hits=values.get("machine_hits", 0),
                )
            )
        return out
