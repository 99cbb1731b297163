"""The JSON policy decodes what the server can carry and refuses, as a 400, what it cannot."""

from __future__ import annotations

import json

import pytest

from partner_api import jsonpolicy
from partner_api.jsonpolicy import MAX_DEPTH, RefusedJson, loads


def nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def nested_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    "text",
    [
        nested(MAX_DEPTH),
        nested_objects(MAX_DEPTH),
        "[" + ",".join([nested(MAX_DEPTH - 1)] * 50) + "]",  # many siblings, none too deep
        json.dumps(["[" * 5000, "{" * 5000]),  # brackets inside strings are text
        json.dumps({"k": "\\[" * 100 + '"' + "[" * 100}),  # escapes do not end the string
    ],
    ids=["arrays", "objects", "siblings", "in_strings", "escaped_quotes"],
)
def test_nesting_up_to_the_limit_is_decoded(text):
    assert loads(text) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        nested(MAX_DEPTH + 1),
        nested_objects(MAX_DEPTH + 1),
        "[" * (MAX_DEPTH // 2) + nested_objects(MAX_DEPTH // 2 + 1) + "]" * (MAX_DEPTH // 2),
        nested_objects(5000),
        nested(100_000),
        "[" * 100_000,  # never closed
    ],
    ids=["arrays", "objects", "mixed", "5000", "100000", "unclosed"],
)
def test_nesting_past_the_limit_is_refused_without_recursing(text):
    with pytest.raises(RefusedJson, match=f"deeper than {MAX_DEPTH}"):
        loads(text)


def test_the_depth_is_measured_before_decoding(monkeypatch):
    decoded = []
    monkeypatch.setattr(jsonpolicy.json, "loads", lambda *a, **k: decoded.append(a) or [])
    with pytest.raises(RefusedJson):
        loads(nested(MAX_DEPTH + 1))
    assert decoded == []


@pytest.mark.parametrize(
    "text",
    ['"\\ud800"', '["ok", "\\udfff"]', '{"\\ud83d": 1}', '{"a": {"b": ["x\\uDBFFy"]}}'],
    ids=["value", "low_in_list", "key", "deep"],
)
def test_a_lone_surrogate_escape_is_refused(text):
    with pytest.raises(RefusedJson, match="surrogate"):
        loads(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [('"\\ud83d\\ude00"', "\U0001f600"), ('"\\\\ud800"', "\\ud800"), ('"\\u00e9"', "é")],
    ids=["pair", "escaped_backslash", "bmp"],
)
def test_paired_surrogates_and_lookalikes_are_decoded(text, value):
    assert loads(text) == value


@pytest.mark.parametrize(
    "document",
    [b'"\xed\xa0\x80"', b'"\xff"', "\ud800"],
    ids=["encoded_surrogate", "not_utf8", "surrogate_in_text"],
)
def test_text_that_is_not_utf8_is_refused(document):
    with pytest.raises(RefusedJson, match="UTF-8"):
        loads(document)


@pytest.mark.parametrize(
    "text",
    [str(2**63), str(-(2**63) - 1), "1" * 4000, "1" * 5000, "-" + "9" * 30, f"[1, {10**20}]"],
    ids=["max_plus_one", "min_minus_one", "4000_digits", "5000_digits", "negative_30", "in_list"],
)
def test_an_integer_past_64_bits_is_refused(text):
    with pytest.raises(RefusedJson, match="64-bit"):
        loads(text)


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63), 0, 1_780_000_000_000])
def test_a_64_bit_integer_is_decoded(value):
    assert loads(str(value)) == value


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e400", "-1e999"])
def test_non_finite_numbers_are_refused(text):
    with pytest.raises(RefusedJson):
        loads(text)


def test_every_refusal_is_a_value_error_and_a_400_envelope():
    with pytest.raises(ValueError) as caught:
        loads("NaN")
    assert caught.value.status == 400
    assert caught.value.envelope()["error"]["code"] == "invalid_json"


def test_text_that_is_not_json_raises_the_decoders_error():
    with pytest.raises(json.JSONDecodeError):
        loads("{not json")
