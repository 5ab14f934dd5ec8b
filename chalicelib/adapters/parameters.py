"""Secret parameters from SSM Parameter Store (API keys, signing secrets, write keys)."""

from __future__ import annotations

from chalicelib.adapters.ports import ParameterMissing


class MemoryParameters:
    """``Parameters`` in memory (tests, and a local stack without SSM)."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = dict(values or {})

    def get(self, name: str) -> str:
        if name not in self.values:
            raise ParameterMissing(name)
        return self.values[name]


class SsmParameters:
    """``Parameters`` on SSM: SecureStrings, decrypted; the client is made at first read."""

    def __init__(self, region: str) -> None:
        self._region = region

    def get(self, name: str) -> str:
        from botocore.exceptions import ClientError

        from chalicelib.adapters.aws import ssm_client

        try:
            answer = ssm_client(self._region).get_parameter(Name=name, WithDecryption=True)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
                raise ParameterMissing(name) from None
            raise
        return str(answer["Parameter"].get("Value", ""))
