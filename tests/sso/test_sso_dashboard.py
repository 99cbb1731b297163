"""The dashboard: session required, one installation's data, roles, CSRF, security headers."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from partner_api.auth import devkeys
from partner_api.billing.models import Invoice
from partner_api.extensions import db
from partner_api.installations.members import record_member
from partner_api.jobs.models import Job
from partner_api.resources.models import SecretVersion
from partner_api.timeutil import utcnow
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.dbstate import snapshot
from tests.sso.conftest import provision
from tests.sso.helpers import csrf_token, session_of, sign_in

OTHER_INSTALLATION = "icfg_other00000000000000000001"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def repl(app, client, resource_id: str, command: str, **form: str):
    data = {"command": command, "csrf_token": csrf_token(app, client), **form}
    return client.post(f"/dashboard/resources/{resource_id}/repl", data=data)


def console_output(html: str) -> str:
    match = re.search(r'<div id="repl-output".*?</div>', html, re.S)
    assert match, "no console output on the page"
    return match.group(0)


def secret_versions(resource_id: str) -> list[int]:
    db.session.expire_all()
    query = select(SecretVersion.version).where(SecretVersion.resource_id == resource_id)
    return sorted(db.session.scalars(query))


def jobs(kind: str) -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).where(Job.kind == kind)))


@pytest.fixture
def other_resource(client, vercel, installed):
    client.put(
        f"/v1/installations/{OTHER_INSTALLATION}",
        json=upsert_body(),
        headers=vercel.user(OTHER_INSTALLATION),
    )
    return provision(client, vercel, OTHER_INSTALLATION, name="not-yours")


# -- session -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/dashboard", "/dashboard/resources/res_x", "/dashboard/invoices"])
def test_every_page_needs_a_session(client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert "Sign-in needed" in response.get_data(as_text=True)


def test_a_post_without_a_session_changes_nothing(client, resource):
    before = snapshot()
    response = client.post(f"/dashboard/resources/{resource['id']}/rotate", data={})
    assert response.status_code == 401
    assert snapshot() == before


def test_a_session_older_than_its_lifetime_is_refused(app, client, sso, installed):
    sign_in(client, sso)
    with client.session_transaction() as session:
        session["signed_in_at"] = int(time.time()) - 8 * 3600 - 1
    assert client.get("/dashboard").status_code == 401


def test_an_uninstalled_installation_ends_the_session(app, client, sso, vercel, installed):
    sign_in(client, sso)
    client.delete(f"/v1/installations/{INSTALLATION_ID}", headers=vercel.user())
    assert client.get("/dashboard").status_code == 401
    assert session_of(app, client) is None


def test_sign_out_needs_the_csrf_token_then_ends_the_session(app, client, sso, installed):
    sign_in(client, sso)
    assert "Sign out of the dashboard" in page(client, "/sso/logout")
    assert client.post("/sso/logout", data={}).status_code == 403
    assert client.get("/dashboard").status_code == 200
    signed_out = client.post("/sso/logout", data={"csrf_token": csrf_token(app, client)})
    assert "You are signed out" in signed_out.get_data(as_text=True)
    assert session_of(app, client) is None
    assert client.get("/dashboard").status_code == 401


# -- pages ---------------------------------------------------------------------------------


def test_the_overview_shows_the_installation_and_its_resources(client, sso, resource):
    sign_in(client, sso)
    html = page(client, "/dashboard")
    assert "Acme" in html
    assert "Starter" in html  # the default installation plan
    assert f'href="/dashboard/resources/{resource["id"]}"' in html
    assert "my-store" in html and "Hobby" in html and "status-ready" in html


def test_an_admin_sees_secret_values_behind_a_reveal(client, sso, resource):
    sign_in(client, sso)
    html = page(client, f"/dashboard/resources/{resource['id']}")
    for secret in resource["secrets"]:
        assert re.search(
            r"<details class=\"secret\">\s*<summary>.*?</summary>\s*<code class=\"secret-value\">"
            + re.escape(secret["value"]),
            html,
            re.S,
        ), secret["name"]
    assert 'action="/dashboard/resources/' + resource["id"] + '/rotate"' in html
    assert "storage" in html  # the demo store's usage readings


def test_another_installations_resource_is_not_found(client, sso, resource, other_resource):
    sign_in(client, sso)
    url = f"/dashboard/resources/{other_resource['id']}"
    assert client.get(url).status_code == 404
    html = page(client, "/dashboard")
    assert "not-yours" not in html


def test_the_invoices_page_lists_only_this_installations_invoices(
    client, sso, installed, other_resource
):
    now = utcnow()
    for installation_id, invoice_id, total in (
        (INSTALLATION_ID, "inv_mine", Decimal("12.50")),
        (OTHER_INSTALLATION, "inv_theirs", Decimal("99.00")),
    ):
        db.session.add(
            Invoice(
                installation_id=installation_id,
                invoice_id=invoice_id,
                external_id=f"ext-{invoice_id}",
                state="paid",
                total=total,
                period_start=now - timedelta(days=30),
                period_end=now,
                invoice_date=now,
                created_at=now,
                updated_at=now,
            )
        )
    db.session.commit()
    sign_in(client, sso)
    html = page(client, "/dashboard/invoices")
    assert 'id="invoice-inv_mine"' in html and "$12.50" in html
    assert "inv_theirs" not in html and "99.00" not in html


# -- roles ---------------------------------------------------------------------------------


def test_a_user_role_sees_no_rotate_form_and_no_secret_values(client, sso, resource):
    sign_in(client, sso, role="USER")
    html = page(client, f"/dashboard/resources/{resource['id']}")
    assert "/rotate" not in html
    for secret in resource["secrets"]:
        assert secret["value"] not in html
    assert "Only team members with the Admin role can rotate secrets." in html


def test_a_user_role_cannot_rotate(app, client, sso, resource):
    sign_in(client, sso, role="USER")
    before = snapshot()
    response = client.post(
        f"/dashboard/resources/{resource['id']}/rotate",
        data={"csrf_token": csrf_token(app, client)},
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_a_user_roles_console_is_read_only(app, client, sso, resource):
    sign_in(client, sso, role="USER")
    refused = console_output(repl(app, client, resource["id"], "SET greeting hello").text)
    assert "not allowed: this console is read-only" in refused
    assert "read-only" in refused
    assert "(nil)" in console_output(repl(app, client, resource["id"], "GET greeting").text)


def test_a_later_member_change_overrides_the_sessions_role(app, client, sso, resource):
    sign_in(client, sso)
    record_member(
        INSTALLATION_ID, devkeys.DEV_USER_ID, role="USER", as_of=utcnow() + timedelta(seconds=1)
    )
    db.session.commit()
    assert "/rotate" not in page(client, f"/dashboard/resources/{resource['id']}")
    rotate = client.post(
        f"/dashboard/resources/{resource['id']}/rotate",
        data={"csrf_token": csrf_token(app, client)},
    )
    assert rotate.status_code == 403

    record_member(
        INSTALLATION_ID, devkeys.DEV_USER_ID, role="NONE", as_of=utcnow() + timedelta(seconds=2)
    )
    db.session.commit()
    assert client.get("/dashboard").status_code == 401


def test_an_older_member_record_does_not_override_the_id_token(app, client, sso, resource):
    record_member(
        INSTALLATION_ID, devkeys.DEV_USER_ID, role="USER", as_of=utcnow() - timedelta(minutes=5)
    )
    db.session.commit()
    sign_in(client, sso)
    assert "/rotate" in page(client, f"/dashboard/resources/{resource['id']}")


# -- actions -------------------------------------------------------------------------------


def test_an_admin_rotates_and_vercel_is_sent_the_new_secrets(app, client, sso, resource):
    sign_in(client, sso)
    resource_id = resource["id"]
    response = client.post(
        f"/dashboard/resources/{resource_id}/rotate",
        data={"csrf_token": csrf_token(app, client), "delay_hours": "1.5"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/dashboard/resources/{resource_id}?rotation=done#secrets"
    )
    assert secret_versions(resource_id) == [1, 2]
    [push] = jobs("vercel.update_resource_secrets")
    assert push.payload["installation_id"] == INSTALLATION_ID
    assert push.payload["resource_id"] == resource_id
    assert push.payload["partial"] is True
    new_token = push.payload["secrets"][0]["value"]
    html = page(client, response.headers["Location"])
    assert "New secrets were issued" in html
    assert new_token in html
    old = db.session.scalar(select(SecretVersion).where(SecretVersion.version == 1))
    assert abs((old.expires_at - utcnow()) - timedelta(hours=1.5)) < timedelta(minutes=1)


@pytest.mark.parametrize("delay", ["-1", "721", "soon", "nan", "inf"])
def test_a_bad_delay_is_refused_and_changes_nothing(app, client, sso, resource, delay):
    sign_in(client, sso)
    before = snapshot()
    response = client.post(
        f"/dashboard/resources/{resource['id']}/rotate",
        data={"csrf_token": csrf_token(app, client), "delay_hours": delay},
    )
    assert response.status_code == 400
    assert "from 0 to 720" in response.text
    assert snapshot() == before


@pytest.mark.parametrize("token", [None, "", "forged-token", "é"])
@pytest.mark.parametrize("action", ["rotate", "repl"])
def test_a_form_without_the_sessions_csrf_token_is_refused(client, sso, resource, action, token):
    sign_in(client, sso)
    before = snapshot()
    data = {"command": "SET greeting hello"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post(f"/dashboard/resources/{resource['id']}/{action}", data=data)
    assert response.status_code == 403
    assert snapshot() == before


def test_an_admin_runs_console_commands(app, client, sso, resource):
    sign_in(client, sso)
    assert "OK" in console_output(repl(app, client, resource["id"], "SET greeting hello").text)
    assert "hello" in console_output(repl(app, client, resource["id"], "GET greeting").text)
    keys = console_output(repl(app, client, resource["id"], "KEYS").text)
    assert re.search(r"<th scope=\"col\">.*key.*</th>", keys)
    assert re.search(r"<td>.*greeting.*</td>", keys)


def test_an_admin_can_ask_for_a_read_only_console(app, client, sso, resource):
    sign_in(client, sso)
    output = console_output(repl(app, client, resource["id"], "SET a b", read_only="on").text)
    assert "read-only" in output
    assert "(nil)" in console_output(repl(app, client, resource["id"], "GET a").text)


def test_console_output_is_escaped(app, client, sso, resource):
    sign_in(client, sso)
    repl(app, client, resource["id"], "SET x '<script>alert(1)</script>'")
    output = console_output(repl(app, client, resource["id"], "GET x").text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in output
    assert "<script>" not in output


def test_a_console_command_on_another_installations_resource_is_not_found(
    app, client, sso, resource, other_resource
):
    sign_in(client, sso)
    before = snapshot()
    assert repl(app, client, other_resource["id"], "SET a b").status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("command", ["", "   ", "x" * 4097])
def test_an_empty_or_huge_command_is_refused(app, client, sso, resource, command):
    sign_in(client, sso)
    assert repl(app, client, resource["id"], command).status_code == 400


# -- headers -------------------------------------------------------------------------------


def test_dashboard_answers_carry_the_security_headers(app, client, sso, resource):
    assert_secure(client.get("/dashboard"))  # the sign-in-needed page
    assert_secure(client.get("/sso/callback"))  # an error page
    assert_secure(sign_in(client, sso))  # the redirect
    for url in (
        "/dashboard",
        f"/dashboard/resources/{resource['id']}",
        "/dashboard/invoices",
        "/dashboard/resources/res_unknown",
        "/sso/logout",
        "/sso/static/dashboard.css",
    ):
        assert_secure(client.get(url))
    assert_secure(repl(app, client, resource["id"], "HELP"))


def assert_secure(response) -> None:
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "<script" not in response.get_data(as_text=True)
    response.close()  # a static file is streamed from an open file
