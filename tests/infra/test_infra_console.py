"""The console's resources in the packaged template: the user pool and its groups, the
console's app client, the private bucket behind CloudFront, and what the API is told."""

from __future__ import annotations

from typing import Any


def _of_type(packaged: dict[str, Any], kind: str) -> dict[str, Any]:
    return {n: r for n, r in packaged["Resources"].items() if r["Type"] == kind}


def test_the_user_pool_is_invite_only_with_mfa_available_in_prod(packaged: dict[str, Any]):
    pool = packaged["Resources"]["ConsoleUserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["MfaConfiguration"] == {"Fn::If": ["IsProd", "OPTIONAL", "OFF"]}
    assert pool["EnabledMfas"]["Fn::If"][1] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12


def test_the_groups_are_the_three_roles(packaged: dict[str, Any]):
    groups = _of_type(packaged, "AWS::Cognito::UserPoolGroup").values()
    assert {g["Properties"]["GroupName"] for g in groups} == {"sales", "marketing", "admin"}


def test_the_console_client_has_no_secret_and_short_lived_tokens(packaged: dict[str, Any]):
    client = packaged["Resources"]["ConsoleUserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
    assert client["IdTokenValidity"] == 60
    assert client["TokenValidityUnits"]["IdToken"] == "minutes"
    assert client["PreventUserExistenceErrors"] == "ENABLED"


def test_the_functions_are_told_the_pool_the_client_and_the_console_origin(
    packaged: dict[str, Any],
):
    variables = packaged["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["COGNITO_USER_POOL_ID"] == {"Ref": "ConsoleUserPool"}
    assert variables["COGNITO_CLIENT_IDS"] == {"Ref": "ConsoleUserPoolClient"}
    assert "ConsoleDistribution.DomainName" in variables["CONSOLE_ORIGINS"]["Fn::Sub"]


def test_the_console_bucket_is_private_and_read_only_by_its_distribution(
    packaged: dict[str, Any],
):
    bucket = packaged["Resources"]["ConsoleBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    statements = packaged["Resources"]["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    reads = [s for s in statements if s["Effect"] == "Allow"]
    assert len(reads) == 1
    assert reads[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert reads[0]["Action"] == "s3:GetObject"
    assert (
        "ConsoleDistribution" in reads[0]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    )


def test_the_console_is_served_over_https_with_a_strict_policy(packaged: dict[str, Any]):
    distribution = packaged["Resources"]["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    behaviour = distribution["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    headers = packaged["Resources"]["ConsoleHeadersPolicy"]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]["SecurityHeadersConfig"]
    policy = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
