"""Expand the SAM transform of a packaged template offline, as CloudFormation will.

Runs in the tools venv (``.venv-tools``, which has aws-sam-translator), not in ``.venv``:

    .venv-tools/bin/python infra/sam_expand.py dist/template.yaml dist/expanded.json

The expansion shows what CloudFormation will really create (event source mappings, the
API stage, the Lambda functions) so cfn-lint can check those resources too. It needs no
AWS credentials: the region comes from AWS_DEFAULT_REGION (eu-west-1 if unset) and the
managed-policy lookup is disabled (the template names no managed policy by name).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml


class _NoManagedPolicies:
    """SAM asks for AWS managed policy ARNs only to resolve names in ``Policies:``."""

    def load(self) -> dict[str, str]:
        return {}


def expand(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The template after the ``AWS::Serverless-2016-10-31`` transform."""
    # Imported here: only the tools venv has aws-sam-translator.
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    for resource in template["Resources"].values():
        # The translator wants S3 locations; `aws cloudformation package` uploads these.
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://deployment-bucket/deployment.zip"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://deployment-bucket/layer.zip"
    expanded: dict[str, Any] = transform(template, parameters, _NoManagedPolicies())
    return expanded


def main(argv: list[str]) -> int:
    source, target = Path(argv[1]), Path(argv[2])
    template = yaml.safe_load(source.read_text(encoding="utf-8"))
    parameters = {"AllowedOrigins": "https://www.example.com"}
    target.write_text(json.dumps(expand(template, parameters), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
