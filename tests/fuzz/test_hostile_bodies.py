"""Generated hostile input, with valid auth, on every Partner API route and on signed webhooks.

Hypothesis builds JSON documents and plants one thing the JSON policy refuses somewhere in
them (nesting past the limit, a lone surrogate in a value or a key, an integer past 64 bits,
NaN or Infinity, a number that overflows). Every operation that reads a body must answer
exactly the `invalid_json` 400 envelope, and the database must be left as it was. Odd but
well-formed bodies (null, an array, a string, nothing, another content type) and hostile
queries are thrown at every operation: none may be a 5xx, and a refusal changes nothing.

The calls go to the seeded world of `tests/fuzz/world.py`; generation is derandomized and
bounded, so a run is reproducible and short on either database.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partner_api.jsonpolicy import MAX_DEPTH
from partner_api.webhooks.signature import sign
from tests.conftest import CLIENT_SECRET
from tests.dbstate import snapshot
from tests.fuzz.test_openapi_properties import schema
from tests.webhooks.delivery import event, post

SETTINGS = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OPERATIONS = [
    (operation.method.upper(), operation.path, operation.body is not None and bool(operation.body))
    for operation in (result.ok() for result in schema.get_all_operations())
]
BODY_OPERATIONS = [(method, path) for method, path, has_body in OPERATIONS if has_body]
ALL_OPERATIONS = [(method, path) for method, path, _ in OPERATIONS]
PLANTED = "__planted__"
# Several planted 100,000-level documents together outgrow MAX_CONTENT_LENGTH.
REFUSED = {400: "invalid_json", 413: "request_too_large"}

# Raw JSON text, each refused by the policy wherever it stands.
hostile_tokens = st.one_of(
    st.integers(MAX_DEPTH + 1, 3 * MAX_DEPTH).map(lambda depth: "[" * depth + "]" * depth),
    st.sampled_from([5_000, 100_000]).map(lambda depth: '{"a":' * depth + "0" + "}" * depth),
    st.sampled_from(["\\ud800", "\\udfff", "x\\udbff", "\\udc00\\ud800"]).map(json.dumps).map(
        lambda text: text.replace("\\\\", "\\")
    ),
    st.integers(20, 5_000).map(lambda digits: "9" * digits),
    st.sampled_from([str(2**63), str(-(2**63) - 1)]),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e999"]),
)
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=8), st.just(PLANTED)
)
documents = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def hostile_bodies(draw) -> bytes:
    """A JSON object (what most bodies are) with a refused token planted in it, at least once.

    A planted key is a lone surrogate itself; any other plant replaces a value.
    """
    document = draw(st.dictionaries(st.text(max_size=6), documents, min_size=1, max_size=4))
    text = json.dumps({**document, PLANTED: PLANTED})
    if draw(st.booleans()):
        key = draw(st.sampled_from(['"\\ud800"', '"k\\udfff"']))
        text = text.replace(json.dumps(PLANTED), key, 1)
    return text.replace(json.dumps(PLANTED), draw(hostile_tokens)).encode()


odd_bodies = st.one_of(
    st.sampled_from([b"null", b"[]", b'"text"', b"7", b"", b"[{}]", b"{", b"\xff\xfe"]).map(
        lambda raw: (raw, "application/json")
    ),
    st.tuples(st.sampled_from([b"a=1", b"<x/>", b"{}"]), st.sampled_from(["text/plain", None])),
)
hostile_queries = st.lists(
    st.tuples(
        st.sampled_from(["ids", "metadata", "x"]),
        st.one_of(
            st.sampled_from(["%ED%A0%80", "%00", "%FF", "9" * 5000, "%5B" * 5000]),
            hostile_tokens.map(lambda text: text.replace("%", "%25").replace("&", "%26")[:20_000]),
        ),
    ),
    min_size=1,
    max_size=4,
)


def assert_refused_alone(response, before: dict[str, Any], codes: dict[int, str] | None = None):
    """No 5xx; a refusal (with one of `codes`, if given) is the envelope and changes nothing."""
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if codes is not None:
        assert response.status_code in codes, response.get_data(as_text=True)[:300]
        assert response.get_json()["error"]["code"] == codes[response.status_code]
    if response.status_code >= 400:
        assert set(response.get_json()) == {"error"}
        assert snapshot() == before


@SETTINGS
@given(operation=st.sampled_from(BODY_OPERATIONS), body=hostile_bodies())
def test_a_hostile_body_is_refused_by_every_operation_that_reads_one(
    client, world, operation, body
):
    method, path = operation
    url, headers = world.call_for(method, path)
    before = snapshot()
    response = client.open(
        url, method=method, data=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert_refused_alone(response, before, REFUSED)


@SETTINGS
@given(operation=st.sampled_from(ALL_OPERATIONS), body=odd_bodies)
def test_an_odd_body_is_never_a_server_error(client, world, operation, body):
    method, path = operation
    url, headers = world.call_for(method, path)
    raw, content_type = body
    if content_type:
        headers["Content-Type"] = content_type
    before = snapshot()
    assert_refused_alone(client.open(url, method=method, data=raw, headers=headers), before)


@SETTINGS
@given(operation=st.sampled_from(ALL_OPERATIONS), query=hostile_queries)
def test_a_hostile_query_is_never_a_server_error(client, world, operation, query):
    method, path = operation
    url, headers = world.call_for(method, path)
    query_string = "&".join(f"{name}={value}" for name, value in query)
    before = snapshot()
    response = client.open(f"{url}?{query_string}", method=method, headers=headers)
    assert_refused_alone(response, before)


@SETTINGS
@given(body=hostile_bodies(), base=st.sampled_from(["domain.created", "invoice.paid"]))
def test_a_signed_hostile_delivery_is_refused_and_stores_nothing(client, body, base):
    document = json.dumps(event(base)).encode()
    delivered = document[:-1] + b", " + body[1:]  # a real event, with the planted members
    before = snapshot()
    assert_refused_alone(post(client, delivered, sign(delivered, CLIENT_SECRET)), before, REFUSED)
