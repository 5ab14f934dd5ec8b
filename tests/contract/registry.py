"""Which port methods each contract test holds to the contract (checked by test_port_coverage).

Mark a contract test with the Protocol methods it states behaviour for::

    @covers(Profiles.create_lead, Profiles.lead_id_by_email)
    def test_an_email_belongs_to_one_lead(stores): ...

The methods are the Protocol's own function objects, so a renamed or removed
method fails at import, and ``test_port_coverage`` fails for a port method that
no contract test names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Test = TypeVar("Test", bound=Callable[..., Any])

#: "<Protocol>.<method>" -> names of the contract tests that cover it.
COVERED: dict[str, set[str]] = {}
#: Every contract test marked with ``covers``.
TESTS: list[Callable[..., Any]] = []


def method_name(method: Callable[..., Any]) -> str:
    """``Profiles.get_lead`` for the function ``Profiles.get_lead`` (and for ``LeadStore``'s)."""
    return str(method.__qualname__)


def covers(*methods: Callable[..., Any]) -> Callable[[Test], Test]:
    def mark(test: Test) -> Test:
        TESTS.append(test)
        for method in methods:
            COVERED.setdefault(method_name(method), set()).add(f"{test.__module__}.{test.__name__}")
        return test

    return mark
