"""The front-door resolver's translation between payload 2.0 and the REST event Chalice reads."""

from __future__ import annotations

from chalicelib.api.front_door import rest_event, route, url_response
from tests.integration.test_front_door import url_event


def test_front_door_paths_map_to_the_chalice_routes_with_their_parameters():
    assert route("GET", "/v1/t/o/abc.def") == ("/v1/t/o/{token}", {"token": "abc.def"})
    assert route("GET", "/v1/t/c/xyz") == ("/v1/t/c/{token}", {"token": "xyz"})
    assert route("GET", "/v1/t/p.gif") == ("/v1/t/p.gif", {})
    assert route("POST", "/v1/t/events") == ("/v1/t/events", {})
    assert route("GET", "/v1/leads") is None
    assert route("GET", "/v1/t/pxgif") is None


def test_cookies_query_strings_and_bodies_reach_chalice_as_api_gateway_sends_them():
    event = url_event(
        "GET",
        "/v1/t/p.gif",
        "aid=a1&url=%2Fx%3Fy%3D1&tag=a&tag=b",
        headers={"Accept": "*/*"},
        cookies=["a=1", "b=2"],
    )
    rest = rest_event(event, "/v1/t/p.gif", {})
    assert rest["headers"]["cookie"] == "a=1; b=2"
    assert rest["headers"]["accept"] == "*/*"
    assert rest["queryStringParameters"]["url"] == "/x?y=1"
    assert rest["multiValueQueryStringParameters"]["tag"] == ["a", "b"]
    assert rest["requestContext"]["resourcePath"] == "/v1/t/p.gif"
    assert rest["requestContext"]["identity"]["sourceIp"] == "192.0.2.10"
    assert rest["pathParameters"] is None
    encoded = rest_event(url_event("POST", "/v1/t/events", body=b"{}"), "/v1/t/events", {})
    assert encoded["isBase64Encoded"] is True and encoded["body"] == "e30="


def test_the_viewer_address_is_trusted_only_beside_the_origin_header():
    viewer = {"cloudfront-viewer-address": "[2001:db8::1]:443"}
    alone = rest_event(url_event("GET", "/v1/t/p.gif", headers=viewer), "/v1/t/p.gif", {})
    assert alone["requestContext"]["identity"]["sourceIp"] == "192.0.2.10"
    with_origin = {**viewer, "x-trechter-origin": "s"}
    trusted = rest_event(url_event("GET", "/v1/t/p.gif", headers=with_origin), "/v1/t/p.gif", {})
    assert trusted["requestContext"]["identity"]["sourceIp"] == "2001:db8::1"


def test_chalice_answers_become_function_url_answers_with_cookies_apart():
    answer = url_response(
        {
            "statusCode": 302,
            "headers": {"Location": "https://x.nl"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "Vary": ["Origin", "Accept"]},
            "body": "",
        }
    )
    assert answer == {
        "statusCode": 302,
        "headers": {"Location": "https://x.nl", "Vary": "Origin, Accept"},
        "body": "",
        "isBase64Encoded": False,
        "cookies": ["a=1", "b=2"],
    }
