"""Every method of every port has a contract test, and both backends implement it.

The ports are the ``Protocol`` classes of ``chalicelib/adapters/ports.py`` and
``learning.py``; the covered methods are what the contract tests name with
``covers(...)``. A new port method without a contract test fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import tests.contract
from chalicelib.adapters import learning, ports
from tests.contract.conftest import Backend
from tests.contract.registry import COVERED, TESTS, method_name

#: Port methods held to a contract elsewhere, each with the reason (keep this short).
ELSEWHERE = {
    "UserTokens.verify": "one implementation (Cognito JWTs, no fake): tests/unit/test_access.py",
}

#: Which attribute of a ``Backend`` implements each port.
IMPLEMENTED_BY = {
    "Profiles": "leads",
    "ScoreStates": "leads",
    "LeadLists": "leads",
    "Announcements": "leads",
    "Campaigns": "leads",
    "Privacy": "leads",
    "Counters": "leads",
    "LeadStore": "leads",
    "EventStore": "events",
    "Quarantine": "quarantine",
    "Sightings": "sightings",
    "Publisher": "publisher",
    "AuditTrail": "audit",
    "FunnelSeries": "series",
    "Publications": "publications",
    "EventBus": "bus",
    "QuietLeads": "quiet",
    "OutcomeStore": "outcomes",
    "ModelStore": "models",
    "Parameters": "parameters",
}


def port_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for module in (ports, learning):
        for name, value in vars(module).items():
            protocol = inspect.isclass(value) and getattr(value, "_is_protocol", False)
            if protocol and value.__module__ == module.__name__:
                found[name] = value
    return found


def port_methods(port: type) -> list[str]:
    """``<defining Protocol>.<method>`` for each public method (a union port's are its parts')."""
    return sorted(
        method_name(function)
        for name, function in inspect.getmembers(port, inspect.isfunction)
        if not name.startswith("_")
    )


def load_contract_tests() -> None:
    for info in pkgutil.iter_modules(tests.contract.__path__):
        if info.name.startswith("test_"):
            importlib.import_module(f"tests.contract.{info.name}")


def test_the_ports_are_split_by_aggregate_and_each_is_small():
    found = port_classes()
    assert {"Profiles", "ScoreStates", "LeadLists", "Announcements"} <= set(found)
    assert {"Campaigns", "Privacy", "Counters", "EventStore", "LeadStore"} <= set(found)
    for name, port in found.items():
        if name != "LeadStore":
            assert len(port_methods(port)) <= 9, name
    parts = {method.split(".")[0] for method in port_methods(found["LeadStore"])}
    assert parts == {
        "Profiles",
        "ScoreStates",
        "LeadLists",
        "Announcements",
        "Campaigns",
        "Privacy",
        "Counters",
    }


def test_every_method_of_every_port_has_a_contract_test():
    load_contract_tests()
    methods = {m for port in port_classes().values() for m in port_methods(port)}
    uncovered = sorted(m for m in methods if m not in COVERED and m not in ELSEWHERE)
    assert uncovered == [], f"port methods without a contract test: {uncovered}"
    unknown = sorted(set(COVERED) - methods)
    assert unknown == [], f"contract tests name methods that are no port's: {unknown}"
    assert set(ELSEWHERE) <= methods


def test_every_port_names_the_backend_store_that_implements_it():
    assert set(port_classes()) - {"UserTokens"} == set(IMPLEMENTED_BY)


def test_both_backends_implement_every_method_of_every_port(backend: Backend):
    missing: list[str] = []
    for name, attribute in IMPLEMENTED_BY.items():
        store: Any = getattr(backend, attribute)
        port = port_classes()[name]
        for method in port_methods(port):
            implementation = getattr(store, method.split(".")[1], None)
            if not callable(implementation):
                missing.append(f"{type(store).__name__} lacks {method}")
                continue
            wanted = list(inspect.signature(getattr(port, method.split(".")[1])).parameters)
            have = list(inspect.signature(implementation).parameters)
            if have != wanted[1:]:
                missing.append(f"{type(store).__name__}.{method.split('.')[1]}{have} != {wanted}")
    assert missing == []


def test_every_covering_test_runs_on_both_backends():
    """A covering test takes ``backend`` or a fixture of its module that is built on it."""
    load_contract_tests()
    single: list[str] = []
    for test in TESTS:
        module = inspect.getmodule(test)
        arguments = inspect.signature(test).parameters
        both = "backend" in arguments or any(
            f"def {name}(backend: Backend)"
            in inspect.getsource(inspect.getmodule(getattr(module, name, None)) or module)  # type: ignore[arg-type]
            for name in arguments
        )
        if not both:
            single.append(test.__name__)
    assert single == []
