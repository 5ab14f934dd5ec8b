"""Session fixtures: the tools venv, the packaged template (built once) and its SAM expansion.

Everything runs offline: dummy AWS credentials and a region for every test module here and
every tool run, and checkov is told not to download anything.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.definitions import PROJECT_ROOT

TOOLS = PROJECT_ROOT / ".venv-tools" / "bin"
PACKAGED_STAGE = "prod"


OFFLINE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


def offline_env() -> dict[str, str]:
    """The environment for tool subprocesses: dummy credentials, no profile."""
    env = {**os.environ, **OFFLINE_AWS}
    env.pop("AWS_PROFILE", None)
    return env


@pytest.fixture(scope="module", autouse=True)
def offline_aws() -> Iterator[None]:
    """No test here may reach AWS: dummy credentials and a fixed region, restored after."""
    saved = {name: os.environ.get(name) for name in [*OFFLINE_AWS, "AWS_PROFILE"]}
    os.environ.update(OFFLINE_AWS)
    os.environ.pop("AWS_PROFILE", None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def tools() -> Path:
    """``.venv-tools/bin``, installed by ``make tools`` if it is not there yet."""
    subprocess.run(["make", "-s", "tools"], cwd=PROJECT_ROOT, check=True, env=offline_env())
    return TOOLS


@pytest.fixture(scope="session")
def chalice_project() -> Path:
    """The Chalice project to package: the repo (TRECHTER_INFRA_PROJECT_DIR overrides)."""
    project = Path(os.environ.get("TRECHTER_INFRA_PROJECT_DIR", PROJECT_ROOT))
    if not (project / "app.py").exists() or not (project / ".chalice" / "config.json").exists():
        pytest.skip("no Chalice app to package yet (app.py and .chalice/config.json)")
    return project


@pytest.fixture(scope="session")
def packaged_dir(chalice_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make package STAGE=prod``, into a temporary directory, once per session."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "python"),
            "-m",
            "infra.package",
            "--stage",
            PACKAGED_STAGE,
            "--out",
            str(out),
            "--project-dir",
            str(chalice_project),
        ],
        cwd=PROJECT_ROOT,
        check=True,
        env=offline_env(),
    )
    return out


@pytest.fixture(scope="session")
def packaged_path(packaged_dir: Path) -> Path:
    return packaged_dir / "template.yaml"


@pytest.fixture(scope="session")
def packaged(packaged_path: Path) -> dict[str, Any]:
    """The packaged (SAM) template as data."""
    template: dict[str, Any] = yaml.safe_load(packaged_path.read_text(encoding="utf-8"))
    return template


@pytest.fixture(scope="session")
def expanded_path(tools: Path, packaged_path: Path) -> Path:
    """The packaged template after the SAM transform: what CloudFormation will create."""
    target = packaged_path.with_name("expanded.json")
    subprocess.run(
        [
            str(tools / "python"),
            str(PROJECT_ROOT / "infra" / "sam_expand.py"),
            str(packaged_path),
            str(target),
        ],
        check=True,
        env=offline_env(),
    )
    return target


@pytest.fixture(scope="session")
def expanded(expanded_path: Path) -> dict[str, Any]:
    template: dict[str, Any] = json.loads(expanded_path.read_text(encoding="utf-8"))
    return template
