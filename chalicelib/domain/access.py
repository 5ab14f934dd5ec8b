"""Who may do what: the three console roles, and the machine client behind the API key.

Every authenticated route declares the roles it allows (``operation(..., roles=...)``);
a signed-in person carries the roles of their Cognito groups; the API key is a machine
client with every role.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.errors import Forbidden


class Role(StrEnum):
    SALES = "sales"
    MARKETING = "marketing"
    ADMIN = "admin"


#: The lead lists, lead pages and feedback.
SALES = (Role.SALES, Role.MARKETING, Role.ADMIN)
#: The funnel, campaigns, tracking links, the scoring model, what-if and outcomes.
MARKETING = (Role.MARKETING, Role.ADMIN)
#: Erasure, export, consent, the audit log and the quarantine.
ADMIN = (Role.ADMIN,)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a person signed in through the user pool, or a machine client."""

    subject: str
    roles: frozenset[Role]
    machine: bool = False
    email: str | None = None


#: The API key's holder: a machine client with full access.
MACHINE = Principal(subject="api-key", roles=frozenset(Role), machine=True)


def roles_from_groups(groups: Iterable[object]) -> frozenset[Role]:
    """The roles of a user's groups; groups that are not roles give none."""
    known = {role.value: role for role in Role}
    return frozenset(known[g] for g in groups if isinstance(g, str) and g in known)


def authorize(principal: Principal, allowed: Iterable[Role]) -> None:
    """Nothing when the principal holds one of the allowed roles.

    Raises
    ------
    Forbidden
        naming the role(s) the operation needs and those the caller has.
    """
    needed = tuple(allowed)
    if principal.roles.intersection(needed):
        return
    held = ", ".join(sorted(principal.roles)) or "none"
    raise Forbidden(f"this needs the role {' or '.join(needed)} (you have: {held})")
