"""The one way a lead's score state changes: read it, apply, write conditionally, retry.

Stream scoring, sales feedback and CRM outcomes, and the rescore all change a lead's
state the same way: read the record with its version, compute the new state (pure),
and commit it on condition that nobody wrote in between. A conflict means read again
and apply again (the change is a function of what was read, so it is simply redone);
``AlreadyApplied`` means a redelivery, which the caller decides how to answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from chalicelib.adapters.ports import AlreadyApplied, ScoringCommit, VersionConflict

R = TypeVar("R")  # what was read
T = TypeVar("T")  # what the caller gets back

MAX_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class Change(Generic[T]):
    """What one attempt wants written (None: nothing) and what to answer once it is."""

    commit: ScoringCommit | None
    result: T
    #: What to do once the commit held (never after a refused one).
    then: Callable[[], None] | None = None


class LeadUpdates:
    """Runs read-apply-write attempts against the store, with backoff on conflicts."""

    def __init__(
        self,
        commit: Callable[[ScoringCommit], None],
        attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._commit = commit
        self._attempts = attempts
        self._sleep = sleep

    def update(
        self,
        read: Callable[[], R],
        apply: Callable[[R], Change[T]],
        already_applied: Callable[[AlreadyApplied], T | None] | None = None,
        what: str = "the lead",
        on_conflict: Callable[[], None] | None = None,
    ) -> T:
        """Read, apply and commit until a commit holds; the applied change's result.

        ``already_applied`` answers a commit refused as a redelivery: its result, or
        None to read and apply again (some events were new). Without it, the refusal
        is raised.

        Raises
        ------
        VersionConflict
            ``what`` kept changing through every attempt.
        """
        for attempt in range(self._attempts):
            change = apply(read())
            if change.commit is None:
                return change.result
            try:
                self._commit(change.commit)
            except AlreadyApplied as refused:
                if already_applied is None:
                    raise
                answer = already_applied(refused)
                if answer is not None:
                    return answer
                continue
            except VersionConflict:
                if on_conflict is not None:
                    on_conflict()
                self._sleep(0.01 * 2**attempt)
                continue
            if change.then is not None:
                change.then()
            return change.result
        raise VersionConflict(f"{what} kept changing; try again")
