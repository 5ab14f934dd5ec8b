"""The layers, checked: the domain is pure, services speak to storage only through ports.

Every import is read with ``ast`` (top-level, inside functions and under
``TYPE_CHECKING`` alike), so a lazy import cannot slip past. A failure names the
module, the line and the import.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHALICELIB = ROOT / "chalicelib"

#: The one adapter module services may import: the ports (Protocols and the records
#: that cross them). A ``chalicelib/adapters/ports/`` package would count as well.
PORTS = "chalicelib.adapters.ports"
#: The old composition root, kept as a re-export of ``chalicelib.wiring`` so code
#: written against it still runs; it holds nothing else.
REEXPORT = {"chalicelib/services/container.py": "chalicelib.wiring"}


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in a module, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                prefix = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{prefix}.{base}" if base else prefix
            yield node.lineno, base
            if (ROOT / base.replace(".", "/")).is_dir():  # ``from chalicelib import adapters``
                for alias in node.names:
                    yield node.lineno, f"{base}.{alias.name}"


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(
    layer: str, allowed: Callable[[str, str], bool], forbidden: tuple[str, ...]
) -> list[str]:
    found = []
    for path in sorted((CHALICELIB / layer).rglob("*.py")):
        name = str(path.relative_to(ROOT))
        for line, module in imports(path):
            if any(_within(module, f) for f in forbidden) and not allowed(name, module):
                found.append(f"{name}:{line} imports {module}")
    return found


def test_services_import_no_adapter_but_the_ports():
    def allowed(name: str, module: str) -> bool:
        return _within(module, PORTS) or module == REEXPORT.get(name)

    problems = violations(
        "services",
        allowed,
        (
            "chalicelib.adapters",
            "chalicelib.api",
            "chalicelib.wiring",
            "boto3",
            "botocore",
            "chalice",
            "mypy_boto3_dynamodb",
        ),
    )
    assert problems == [], "services must use ports, not adapters:\n" + "\n".join(problems)


def test_the_domain_imports_no_storage_no_framework_and_no_outer_layer():
    problems = violations(
        "domain",
        lambda name, module: False,
        (
            "boto3",
            "botocore",
            "chalice",
            "aws_lambda_powertools",
            "chalicelib.adapters",
            "chalicelib.services",
            "chalicelib.api",
            "chalicelib.wiring",
        ),
    )
    assert problems == [], "the domain must stay pure:\n" + "\n".join(problems)


def test_only_the_wiring_and_the_entry_points_choose_adapters():
    """Routes and handlers get their services from ``chalicelib.wiring``, never the old root."""
    for path in sorted((CHALICELIB / "api").rglob("*.py")):
        for line, module in imports(path):
            assert not _within(module, "chalicelib.services.container"), (
                f"{path.relative_to(ROOT)}:{line} imports {module}: use chalicelib.wiring"
            )


#: Where a ``TrackingEvent(...)`` may be constructed: the factories, and the item decoder.
EVENT_BUILDERS = {"chalicelib/domain/events.py", "chalicelib/adapters/items.py"}


def test_events_are_built_in_one_place():
    found = []
    for path in sorted(CHALICELIB.rglob("*.py")):
        name = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = node.func if isinstance(node, ast.Call) else None
            if isinstance(called, ast.Name) and called.id == "TrackingEvent":
                found.append(f"{name}:{node.lineno}")
    outside = [f for f in found if f.split(":")[0] not in EVENT_BUILDERS]
    assert found and outside == [], "use the factories in domain/events.py:\n" + "\n".join(outside)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from chalicelib.adapters.items import decode_cursor\n", True),
        ("def f():\n    from chalicelib.adapters.aws import ssm_client\n", True),
        ("from ..adapters import memory\n", True),
        ("import boto3\n", True),
        ("from chalicelib.adapters.ports import LeadStore\n", False),
        ("from chalicelib.domain.events import TrackingEvent\n", False),
    ],
)
def test_the_check_sees_every_kind_of_import(tmp_path, monkeypatch, source, expected):
    layer = tmp_path / "chalicelib" / "services"
    layer.mkdir(parents=True)
    (layer / "probe.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "CHALICELIB", tmp_path / "chalicelib")
    found = violations(
        "services",
        lambda name, module: _within(module, PORTS),
        ("chalicelib.adapters", "boto3"),
    )
    assert bool(found) is expected, found
