"""Build the deployable template: the Chalice app merged with infra/template.yaml.

``python -m infra.package --stage prod --out dist`` runs

    chalice package --stage prod --template-format yaml \
        --merge-template infra/template.yaml <tmp>

and then finishes what a deep merge cannot do:

* resources that ``infra/template.yaml`` defines completely (they have a ``Type``) are
  taken from it verbatim, so nothing Chalice generated for the same name lingers;
* IAM roles Chalice generated that no longer serve any function are dropped (each
  function runs under its own least-privilege role from the infra template);
* the ``Stage`` parameter defaults to the packaged stage (the Chalice configuration of that
  stage is baked into the bundle; ``make deploy`` passes the same stage) and the SSM
  parameter defaults follow it;
* it checks that the merge took: every resource has a ``Type``, the four functions and
  their stream event sources exist, and no placeholder stream ARN from
  ``.chalice/config.json`` survived.

The result is ``<out>/template.yaml`` and ``<out>/deployment.zip``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from infra.definitions import INFRA_TEMPLATE, PROJECT_ROOT, load_template

CHALICE_FUNCTIONS = (
    "APIHandler",
    "ScoreEvents",
    "NotifyHotLeads",
    "CountHits",
    "SweepQuietLeads",
    "FrontDoor",
)
STREAM_EVENT_SOURCES = {
    "ScoreEvents": ("ScoreEventsDynamodbEventSource", "EventsTable"),
    "NotifyHotLeads": ("NotifyHotLeadsDynamodbEventSource", "LeadsTable"),
    "CountHits": ("CountHitsDynamodbEventSource", "LeadsTable"),
}
TEMPLATE_NAME = "template.yaml"


class PackagingError(RuntimeError):
    """The Chalice output and infra/template.yaml do not fit together; the message says how."""


class _NoAliasDumper(yaml.SafeDumper):
    """Writes shared objects out in full: CloudFormation readers should not need anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _chalice_executable() -> str:
    beside_python = Path(sys.executable).with_name("chalice")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("chalice")
    if found is None:
        raise PackagingError("chalice is not installed: run `make venv` first")
    return found


def run_chalice_package(stage: str, workdir: Path, project_dir: Path = PROJECT_ROOT) -> Path:
    """Run ``chalice package`` with the infra merge template; return the template it wrote."""
    env = dict(os.environ)
    # Packaging calls no AWS API, but Chalice insists on knowing a region.
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "eu-west-1"))
    command = [
        _chalice_executable(),
        "--project-dir",
        str(project_dir),
        "package",
        "--stage",
        stage,
        "--template-format",
        "yaml",
        "--merge-template",
        str(INFRA_TEMPLATE),
        str(workdir),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        hint = ""
        if "Unable to load IAM policy file" in result.stderr:
            hint = (
                "\nhint: .chalice/config.json sets autogen_policy: false, which makes Chalice "
                "read .chalice/policy-<stage>.json; drop that setting instead: "
                "infra/template.yaml gives every function its own least-privilege role and "
                "the role Chalice generates is removed"
            )
        raise PackagingError(
            f"chalice package failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            + hint
        )
    return workdir / "sam.yaml"


def _references(node: Any) -> set[str]:
    """Logical ids a template fragment points at (Ref, Fn::GetAtt, ${Name} in Fn::Sub)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                for part in str(text).split("${")[1:]:
                    found.add(part.split("}")[0].split(".")[0])
            found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found


def check_lifecycle_rules(resources: dict[str, Any]) -> None:
    """Every EventBridge rule on Trechter's events names only events Trechter sends.

    A misspelt ``detail-type`` would deploy fine and silently never match.
    """
    from chalicelib.domain.lifecycle_events import EVENT_SOURCE, DetailType

    known = {d.value for d in DetailType}
    for name, body in resources.items():
        if body.get("Type") != "AWS::Events::Rule":
            continue
        pattern = body.get("Properties", {}).get("EventPattern") or {}
        if EVENT_SOURCE not in (pattern.get("source") or []):
            continue
        unknown = sorted(str(t) for t in pattern.get("detail-type", []) if t not in known)
        if unknown:
            raise PackagingError(
                f"rule {name} matches unknown lifecycle event(s) {', '.join(unknown)}; "
                f"Trechter sends: {', '.join(sorted(known))} (docs/EVENTS.md)"
            )


def finish_template(template: dict[str, Any], infra: dict[str, Any], stage: str) -> dict[str, Any]:
    """Apply what the deep merge cannot express; raise PackagingError if the merge did not take."""
    resources: dict[str, Any] = template["Resources"]

    for name, definition in infra["Resources"].items():
        if "Type" in definition:
            resources[name] = definition

    missing_type = sorted(name for name, body in resources.items() if "Type" not in body)
    if missing_type:
        raise PackagingError(
            "infra/template.yaml configures resources Chalice did not generate: "
            f"{', '.join(missing_type)} (did a function in app.py change its name?)"
        )
    for name in CHALICE_FUNCTIONS:
        if resources.get(name, {}).get("Type") != "AWS::Serverless::Function":
            raise PackagingError(f"Chalice generated no function {name}")
    for function, (event_name, table) in STREAM_EVENT_SOURCES.items():
        events = resources[function]["Properties"].get("Events", {})
        stream = events.get(event_name, {}).get("Properties", {}).get("Stream")
        if stream != {"Fn::GetAtt": [table, "StreamArn"]}:
            raise PackagingError(f"{function}.{event_name} does not read {table}'s stream")

    for name, body in resources.items():
        variables = body.get("Properties", {}).get("Environment", {}).get("Variables", {})
        for variable, value in variables.items():
            if isinstance(value, str) and value.startswith("arn:") and "/stream/" in value:
                raise PackagingError(
                    f"{name} still has the placeholder {variable}={value}; "
                    "infra/template.yaml must set it from the table"
                )

    check_lifecycle_rules(resources)

    # Roles Chalice generated for functions that now run under the infra roles.
    referenced: set[str] = set()
    for name, body in resources.items():
        referenced |= {ref for ref in _references(body) if ref != name}
    for name in [n for n, body in resources.items() if body["Type"] == "AWS::IAM::Role"]:
        if name not in infra["Resources"] and name not in referenced:
            del resources[name]

    parameters = template["Parameters"]
    parameters["Stage"]["Default"] = stage
    parameters["LinkSigningSecretParam"]["Default"] = f"/trechter/{stage}/link-signing-secrets"
    parameters["ApiKeysParam"]["Default"] = f"/trechter/{stage}/api-keys"
    parameters["SegmentWriteKeysParam"]["Default"] = f"/trechter/{stage}/segment-write-keys"
    return template


def package(stage: str, out: Path, project_dir: Path = PROJECT_ROOT) -> Path:
    """Write ``out/template.yaml`` and ``out/deployment.zip`` for ``stage``; return the template."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="trechter-package-") as tmp:
        generated = run_chalice_package(stage, Path(tmp) / "chalice", project_dir)
        template = yaml.safe_load(generated.read_text(encoding="utf-8"))
        finished = finish_template(template, load_template(), stage)
        for bundle in sorted(generated.parent.glob("*.zip")):
            shutil.copyfile(bundle, out / bundle.name)
    target = out / TEMPLATE_NAME
    target.write_text(
        yaml.dump(finished, Dumper=_NoAliasDumper, sort_keys=False, width=100),
        encoding="utf-8",
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", default="dev", help="Chalice stage (dev, prod)")
    parser.add_argument("--out", default="dist", type=Path, help="output directory")
    parser.add_argument(
        "--project-dir", default=PROJECT_ROOT, type=Path, help="the Chalice project (app.py)"
    )
    args = parser.parse_args(argv)
    try:
        target = package(args.stage, args.out, args.project_dir.resolve())
    except PackagingError as error:
        print(f"make package: {error}", file=sys.stderr)
        return 1
    resources = yaml.safe_load(target.read_text(encoding="utf-8"))["Resources"]
    print(f"wrote {target} ({len(resources)} resources) and {args.out / 'deployment.zip'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
