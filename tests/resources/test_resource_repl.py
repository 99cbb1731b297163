"""Resource REPL (§3.4.10): blocks, and read-only for the flag and for the USER role."""

from __future__ import annotations

import pytest

from tests.dbstate import snapshot
from tests.resources.conftest import (
    RESOURCES,
    demo_product,
    provision_body,
    resource_url,
    secret_value,
    stored,
)


@pytest.fixture
def repl(client, vercel, resource):
    def run(command: str, read_only: bool | None = None, role: str = "ADMIN"):
        body: dict = {"input": command}
        if read_only is not None:
            body["readOnly"] = read_only
        url = resource_url(resource["id"], "/repl")
        return client.post(url, json=body, headers=vercel.user(role=role))

    return run


def text_of(blocks: list[dict]) -> str:
    """The text of a one-paragraph answer."""
    [block] = blocks
    assert block["type"] == "paragraph"
    return "".join(child["text"] for child in block["children"])


def store_of(resource: dict) -> dict:
    return stored(resource["id"]).provider_state["store"]


def test_commands_read_and_write_the_store(repl, resource):
    response = repl("SET greeting 'hello world'")
    assert response.status_code == 200
    assert text_of(response.get_json()) == "OK"
    assert store_of(resource) == {"greeting": "hello world"}
    assert text_of(repl("GET greeting").get_json()) == "hello world"
    assert text_of(repl("GET missing").get_json()) == "(nil)"

    repl("SET other 1")
    [table] = repl("KEYS").get_json()
    assert table["type"] == "table"
    assert [row[0]["text"] for row in table["rows"]] == ["greeting", "other"]
    assert text_of(repl("DEL other").get_json()) == "(integer) 1"
    assert store_of(resource) == {"greeting": "hello world"}

    [info] = repl("INFO").get_json()
    rows = {row[0]["text"]: row[1]["text"] for row in info["rows"]}
    assert rows["keys"] == "1 of 100"
    assert rows["region"] == "fra1"
    assert rows["storage bytes"] == str(len("greeting") + len("hello world"))


def test_auth_tells_whether_a_token_is_accepted(repl, resource):
    token = secret_value(resource["secrets"], "TOKEN")
    assert text_of(repl(f"AUTH {token}").get_json()) == "token accepted"
    assert text_of(repl("AUTH forged.token").get_json()) == "token rejected"


@pytest.mark.parametrize(
    ("read_only", "role"), [(True, "ADMIN"), (False, "USER"), (None, "USER"), (True, "USER")]
)
def test_read_only_console_refuses_writes(repl, resource, read_only, role):
    repl("SET kept yes")
    before = snapshot()
    for command in ("SET kept no", "DEL kept"):
        response = repl(command, read_only=read_only, role=role)
        assert response.status_code == 200
        assert "read-only" in text_of(response.get_json())
        assert response.get_json()[0]["children"][0]["color"] == "red"
    assert text_of(repl("GET kept", read_only=read_only, role=role).get_json()) == "yes"
    assert snapshot() == before


def test_unknown_and_malformed_commands_answer_an_error_block(repl, resource):
    before = snapshot()
    assert "unknown command" in text_of(repl("FLUSHALL").get_json())
    assert "usage: SET" in text_of(repl("SET lonely").get_json())
    assert "cannot parse" in text_of(repl("SET 'unterminated").get_json())
    assert snapshot() == before


def test_input_is_required(client, vercel, resource):
    response = client.post(resource_url(resource["id"], "/repl"), json={}, headers=vercel.user())
    assert response.status_code == 400
    assert [f["key"] for f in response.get_json()["error"]["fields"]] == ["input"]


def test_the_console_is_for_users_only(client, vercel, resource):
    url = resource_url(resource["id"], "/repl")
    response = client.post(url, json={"input": "KEYS"}, headers=vercel.system())
    assert response.status_code == 403


def test_console_of_an_unknown_resource_is_404(client, vercel, installed):
    url = resource_url("res_unknown", "/repl")
    assert client.post(url, json={"input": "KEYS"}, headers=vercel.user()).status_code == 404


def test_a_read_only_console_keeps_the_state_whatever_the_provider_does(
    custom_catalog, vercel, installed
):
    def careless(catalog):
        demo_product(catalog)["provider"] = "tests.resources.fakes:CarelessConsoleProvider"

    client = custom_catalog(careless).test_client()
    created = client.post(RESOURCES, json=provision_body(), headers=vercel.user()).get_json()
    url = resource_url(created["id"], "/repl")
    before = snapshot()
    response = client.post(url, json={"input": "SET a 1", "readOnly": True}, headers=vercel.user())
    assert text_of(response.get_json()) == "OK"  # the provider thinks it wrote
    assert snapshot() == before
