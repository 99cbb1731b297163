"""The life of an installation and a resource, in the order Vercel drives it (§1.3 F1–F8)."""

from __future__ import annotations

import json
from typing import Any

from partner_api_check import docs, schemas
from partner_api_check.context import NOT_IMPLEMENTED, Context, random_id
from partner_api_check.fixtures import Fixture
from partner_api_check.results import Check, Rule, needs, recommended, required
from partner_api_check.target import Reply
from partner_api_check.tokens import bearer
from partner_api_check.vercel_api import RecordedCall

GROUP = "lifecycle"
PLANS = required(docs.PRODUCT_PLANS)
INSTALLATION_TOKEN = required(docs.INTEGRATIONS_API)
ROTATED_SECRETS = required(docs.SECRETS_ROTATION_GUIDE)
ROTATION_WAIT_SECONDS = 5.0
PROVISIONED_LATER = required(docs.MARKETPLACE_FLOWS)
PROVISIONING_WAIT_SECONDS = 5.0
BILLING_DATA = required(docs.SUBMIT_BILLING_DATA)
BILLING_WAIT_SECONDS = 1.0
MALFORMED_QUERY = recommended("the docs pass the form's metadata as a JSON string but say "
                              "nothing of a malformed one; it must not crash the server")
REPL_BLOCKS = recommended("the docs leave the REPL's 200 body open; the blocks checked are the "
                          "format of Vercel's example integration, which the console renders")
REPEATED_DELETE = recommended("the docs do not say what a second delete gets; Vercel retries, "
                              "so a repeated delete should succeed again")
GONE = recommended("the docs list no status for a deleted entity; 404 with the error envelope "
                   "is what Vercel's example integration answers")


def run(ctx: Context) -> None:
    Lifecycle(ctx).run()


def expect_fields(check: Check, reply: Reply, **expected: Any) -> None:
    body = reply.json
    for key, value in expected.items():
        if body.get(key) != value:
            check.fail(f"{reply.method} {reply.path}: {key} is {body.get(key)!r}, "
                       f"expected {value!r}")


def repl_blocks(reply: Reply) -> Any:
    """A REPL answer as a list of blocks: a JSON array, or JSON lines (streamed)."""
    if isinstance(reply.json, list):
        return reply.json
    try:
        return [json.loads(line) for line in reply.text.splitlines() if line.strip()]
    except ValueError:
        return None


class Lifecycle:
    """Each step is one check; a step whose prerequisite failed is skipped, saying which."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.fixture = Fixture(ctx)
        self.installed = False
        self.name = self.fixture.resource_name
        self.get_installation_supported = True
        self.rotating_later = False
        self.provisioned_status: str | None = None

    def run(self) -> None:
        self.upsert_installation()
        self.get_installation()
        self.product_plans()
        self.installation_plans_and_change()
        self.provision()
        self.get_resource()
        self.provisioning_finished()
        self.resource_plans()
        self.rename_resource()
        self.change_resource_plan()
        self.rotate_secrets()
        self.repl()
        self.delete_resource()
        self.delete_installation()
        self.rotated_secrets()
        self.outbound_calls()
        self.billing_data()

    def step(self, name: str, rule: Rule):
        return self.ctx.run.check(GROUP, name, rule)

    def need_installation(self, check: Check) -> None:
        if not self.installed:
            check.skip(needs(GROUP, "upsert installation"))

    def need_resource(self, check: Check) -> None:
        if not self.fixture.resource_id:
            check.skip(needs(GROUP, "provision resource"))

    def upsert_installation(self) -> None:
        fixture = self.fixture
        with self.step("upsert installation", required(docs.UPSERT_INSTALLATION)) as check:
            reply = check.call("PUT", fixture.installation_path(), headers=fixture.admin(),
                               json_body=self.ctx.upsert_body(fixture.access_token))
            check.expect_status(reply, 200, 204)
            self.installed = True
            if reply.status == 200:
                body = check.expect_schema(reply, "Installation")
                plan = body.get("billingPlan") or {}
                fixture.installation_plan = plan.get("id")
            check.note(f"{reply.status}, installation {fixture.installation_id}")

    def get_installation(self) -> None:
        with self.step("get installation", required(docs.GET_INSTALLATION)) as check:
            self.need_installation(check)
            reply = check.call("GET", self.fixture.installation_path(),
                               headers=self.fixture.system())
            if reply.status in (405, 501):
                self.get_installation_supported = False
                check.skip(f"not implemented ({reply.status}); optional unless "
                           "installation-level plans are enabled (§3.3 #1)")
            check.expect_status(reply, 200)
            check.expect_schema(reply, "Installation")

    def product_plans(self) -> None:
        product = self.ctx.settings.product
        names = ["product plans", "product plans before installation",
                 "product plans with a metadata query", "product plans with a malformed query"]
        if not product:
            for name in names:
                self.ctx.run.skip(GROUP, name, "pass --product SLUG",
                                  PLANS)
            return
        path = f"/v1/products/{product}/plans"
        anonymous = bearer(self.ctx.tokens.sign(self.ctx.tokens.pre_installation_claims()),
                           "system")
        with self.step("product plans", PLANS) as check:
            reply = check.call("GET", path, headers=self.fixture.system())
            check.expect_status(reply, 200)
            plans = check.expect_schema(reply, "Plans")["plans"]
            if not plans:
                check.fail(f"GET {path}: no plans listed; a resource needs one")
            self.ctx.adopt_plans(plans)
            check.note("plans: " + ", ".join(plan["id"] for plan in plans))
        with self.step("product plans before installation", PLANS) as check:
            reply = check.call("GET", path, headers=anonymous)
            check.expect_status(reply, 200)
            check.expect_schema(reply, "Plans")
        with self.step("product plans with a metadata query", PLANS) as check:
            query = {"metadata": json.dumps(self.ctx.settings.metadata)}
            reply = check.call("GET", path, headers=anonymous, params=query)
            check.expect_status(reply, 200)
            check.expect_schema(reply, "Plans")
        with self.step("product plans with a malformed query", MALFORMED_QUERY) as check:
            # The form may still be half filled in: never a server error (§7.19).
            reply = check.call("GET", path, headers=anonymous, params={"metadata": "{not json"})
            check.expect_status(reply, 200, 400)
            if reply.status == 200:
                check.expect_schema(reply, "Plans")

    def installation_plans_and_change(self) -> None:
        plans: list[dict[str, Any]] = []
        with self.step("installation plans", required(docs.INSTALLATION_PLANS)) as check:
            self.need_installation(check)
            reply = check.call("GET", self.fixture.installation_path("/plans"),
                               headers=self.fixture.system())
            if reply.status in NOT_IMPLEMENTED:
                check.skip(f"not implemented ({reply.status}); optional unless "
                           "installation-level plans are enabled (§3.3 #13)")
            check.expect_status(reply, 200)
            plans = check.expect_schema(reply, "Plans")["plans"]
        with self.step("update installation plan", required(docs.UPDATE_INSTALLATION)) as check:
            self.need_installation(check)
            choices = [plan["id"] for plan in plans if not plan.get("disabled")]
            if not choices:
                check.skip("no installation-level plans to choose from")
            others = [plan for plan in choices if plan != self.fixture.installation_plan]
            chosen = (others or choices)[0]
            reply = check.call("PATCH", self.fixture.installation_path(),
                               headers=self.fixture.admin(), json_body={"billingPlanId": chosen})
            check.expect_status(reply, 200, 204)
            if reply.status == 200:
                plan = check.expect_schema(reply, "Installation").get("billingPlan")
                if plan is not None and plan["id"] != chosen:
                    check.fail(f"PATCH answered plan {plan['id']!r}, expected {chosen!r}")
            self.fixture.installation_plan = chosen
            check.note(f"{reply.status}, plan {chosen}")

    def provision(self) -> None:
        fixture = self.fixture
        with self.step("provision resource", required(docs.PROVISION_RESOURCE)) as check:
            self.need_installation(check)
            if not self.ctx.settings.product:
                check.skip("pass --product SLUG")
            plan = self.ctx.chosen_plan()
            if not plan:
                check.skip("no plan to provision with: the product listed none; pass --plan")
            reply = check.call("POST", fixture.installation_path("/resources"),
                               headers=fixture.admin(),
                               json_body=self.ctx.provision_body(self.name, plan))
            body = reply.json if isinstance(reply.json, dict) else {}
            if reply.ok and isinstance(body.get("id"), str):
                fixture.resource_id = body["id"]  # later steps can run even if this one fails
            check.expect_status(reply, 200)
            check.expect_schema(reply, "ProvisionedResource")
            expect_fields(check, reply, productId=self.ctx.settings.product, name=self.name)
            self.provisioned_status = body["status"]
            check.note(f"resource {body['id']} ({body['status']}, plan {plan}, "
                       f"{len(body['secrets'])} secrets)")

    def get_resource(self) -> None:
        with self.step("get resource", required(docs.GET_RESOURCE)) as check:
            self.need_resource(check)
            reply = check.call("GET", self.fixture.resource_path(), headers=self.fixture.system())
            check.expect_status(reply, 200)
            check.expect_schema(reply, "Resource")
            expect_fields(check, reply, id=self.fixture.resource_id, name=self.name)
            if "secrets" in reply.json:
                check.finding("Get Resource answers secrets; the docs give them out only on "
                              "Provision and rotation")

    def provisioning_finished(self) -> None:
        """A resource provisioned as `pending` is announced to Vercel when it is ready: a
        `resource.updated` event (V4) or its new state written with Update Resource (V8)."""
        with self.step("pending resource announced to vercel", PROVISIONED_LATER) as check:
            if self.provisioned_status != "pending":
                check.skip(f"provisioned synchronously (status {self.provisioned_status!r}); "
                           "a product provisioning asynchronously answers 'pending'"
                           if self.provisioned_status else needs(GROUP, "provision resource"))
            events, resource = self.fixture.installation_path("/events"), (
                self.fixture.installation_path(f"/resources/{self.fixture.resource_id}"))

            def announcing(call: RecordedCall) -> bool:
                if (call.method, call.path) == ("PATCH", resource):
                    return True
                event = call.body.get("event") if isinstance(call.body, dict) else None
                return (call.method, call.path) == ("POST", events) and not (
                    isinstance(event, dict) and event.get("type") == "installation.updated")

            told = self.ctx.vercel.wait_until(announcing, PROVISIONING_WAIT_SECONDS)
            if told is None:
                check.skip(f"no resource event or PATCH {resource} within "
                           f"{PROVISIONING_WAIT_SECONDS:g} s (a background job may send it later)")
            schema = "UpdateResource" if told.method == "PATCH" else "CreateEvent"
            found = schemas.problems(schema, told.body)
            if found:
                check.fail(f"{told.method} {told.path}: body is not the documented shape "
                           f"({schema}): " + "; ".join(found[:3]))
            if told.method == "POST" and told.body["event"]["resourceId"] != (
                    self.fixture.resource_id):
                check.fail(f"the resource.updated event names resource "
                           f"{told.body['event']['resourceId']!r}, "
                           f"expected {self.fixture.resource_id!r}")
            check.note(f"{told.method} {told.path} → {told.status}")

    def resource_plans(self) -> None:
        with self.step("resource plans", required(docs.RESOURCE_PLANS)) as check:
            self.need_resource(check)
            reply = check.call("GET", self.fixture.resource_path("/plans"),
                               headers=self.fixture.system())
            if reply.status in NOT_IMPLEMENTED:
                check.skip(f"not implemented ({reply.status}); optional (§3.3 #12)")
            check.expect_status(reply, 200)
            check.expect_schema(reply, "Plans")

    def rename_resource(self) -> None:
        with self.step("rename resource", required(docs.UPDATE_RESOURCE)) as check:
            self.need_resource(check)
            self.name = random_id("check-renamed-", 6)
            reply = check.call("PATCH", self.fixture.resource_path(),
                               headers=self.fixture.admin(), json_body={"name": self.name})
            check.expect_status(reply, 200)
            check.expect_schema(reply, "Resource")
            expect_fields(check, reply, name=self.name)

    def change_resource_plan(self) -> None:
        with self.step("change resource plan", required(docs.UPDATE_RESOURCE)) as check:
            self.need_resource(check)
            other = self.ctx.other_plan()
            if not other:
                check.skip("the product offers no second plan")
            reply = check.call("PATCH", self.fixture.resource_path(),
                               headers=self.fixture.admin(), json_body={"billingPlanId": other})
            check.expect_status(reply, 200)
            plan = check.expect_schema(reply, "Resource").get("billingPlan")
            if plan is not None and plan["id"] != other:
                check.fail(f"PATCH answered plan {plan['id']!r}, expected {other!r}")
            check.note(f"200, plan {other}")

    def rotate_secrets(self) -> None:
        with self.step("rotate secrets", required(docs.ROTATE_SECRETS)) as check:
            self.need_resource(check)
            # A fractional delay is valid (§8 D5).
            reply = check.call("POST", self.fixture.resource_path("/secrets/rotate"),
                               headers=self.fixture.admin(),
                               json_body={"reason": "conformance check",
                                          "delayOldSecretsExpirationHours": 0.5})
            if reply.status in NOT_IMPLEMENTED:
                check.skip(f"not implemented ({reply.status}); optional, feature-flagged "
                           "(§3.3 #9)")
            check.expect_status(reply, 200, 202)
            if reply.status == 200:
                body = check.expect_schema(reply, "RotatedNow")
                check.note(f"200: {len(body['secrets'])} new secrets now")
            else:
                check.expect_schema(reply, "RotatingLater")
                self.rotating_later = True
                check.note("202: secrets will follow through Update Resource Secrets")

    def repl(self) -> None:
        with self.step("resource repl", REPL_BLOCKS) as check:
            self.need_resource(check)
            reply = check.call("POST", self.fixture.resource_path("/repl"),
                               headers=self.fixture.admin(),
                               json_body={"input": "help", "readOnly": True})
            if reply.status in NOT_IMPLEMENTED:
                check.skip(f"not implemented ({reply.status}); optional (§3.3 #10)")
            check.expect_status(reply, 200)
            found = schemas.problems("ReplBlocks", repl_blocks(reply))
            if found:
                check.fail("REPL answer is not a list of blocks (§3.4.10): " + "; ".join(found[:3]))

    def delete_resource(self) -> None:
        fixture = self.fixture
        with self.step("delete resource", required(docs.DELETE_RESOURCE)) as check:
            self.need_resource(check)
            check.expect_status(
                check.call("DELETE", fixture.resource_path(), headers=fixture.admin()), 204
            )
        with self.step("delete resource again", REPEATED_DELETE) as check:
            self.need_resource(check)
            check.expect_status(
                check.call("DELETE", fixture.resource_path(), headers=fixture.admin()), 204
            )
        with self.step("get deleted resource", GONE) as check:
            self.need_resource(check)
            reply = check.call("GET", fixture.resource_path(), headers=fixture.system())
            check.expect_status(reply, 404)
            check.expect_envelope(reply)

    def delete_installation(self) -> None:
        fixture = self.fixture
        with self.step("delete installation", required(docs.DELETE_INSTALLATION)) as check:
            self.need_installation(check)
            reply = check.call("DELETE", fixture.installation_path(), headers=fixture.admin())
            check.expect_status(reply, 200, 204)
            if reply.status == 200:
                body = check.expect_schema(reply, "DeletedInstallation")
                check.note(f"200, finalized: {body['finalized']}")
        with self.step("get deleted installation", GONE) as check:
            self.need_installation(check)
            if not self.get_installation_supported:
                check.skip("Get Installation is not implemented")
            reply = check.call("GET", fixture.installation_path(), headers=fixture.system())
            check.expect_status(reply, 404)
            check.expect_envelope(reply)

    def rotated_secrets(self) -> None:
        """After a 202, the new secrets reach Vercel through Update Resource Secrets (V10)."""
        with self.step("rotated secrets reach vercel", ROTATED_SECRETS) as check:
            if not self.rotating_later:
                check.skip(needs(GROUP, "rotate secrets") + " answered 202")
            path = self.fixture.installation_path(f"/resources/{self.fixture.resource_id}/secrets")
            pushed = self.ctx.vercel.wait_for("PUT", path, ROTATION_WAIT_SECONDS)
            if pushed is None:
                check.skip(f"no PUT {path} within {ROTATION_WAIT_SECONDS:g} s of the run's end "
                           "(a background job may send it later)")
            found = schemas.problems("UpdateResourceSecrets", pushed.body)
            if found:
                check.fail("Update Resource Secrets body is not the documented shape: "
                           + "; ".join(found[:3]))
            check.note(f"PUT …/secrets with {len(pushed.body['secrets'])} secrets")

    def outbound_calls(self) -> None:
        """Calls the server made to the fake Vercel API carry the installation's token."""
        with self.step("vercel api calls use the installation token", INSTALLATION_TOKEN) as check:
            calls = [call for call in self.ctx.vercel.calls
                     if self.fixture.installation_id in call.path]
            if not calls:
                check.skip("the server made no Vercel API call for this installation "
                           "during the run (background jobs may make them later)")
            issued = {self.fixture.access_token} | {
                call.answer["access_token"] for call in calls
                if call.path.endswith("/credentials/rotate") and call.status == 200
            }
            wrong = [f"{call.method} {call.path}" for call in calls
                     if call.headers.get("authorization") not in {f"Bearer {t}" for t in issued}]
            if wrong:
                check.fail("calls without the installation's access token: " + ", ".join(wrong))
            check.note(", ".join(f"{call.method} {call.path} → {call.status}" for call in calls))

    def billing_data(self) -> None:
        """Billing data the server submitted during the run (V11) has the documented shape."""
        with self.step("billing data sent to vercel", BILLING_DATA) as check:
            path = self.fixture.installation_path("/billing")
            submitted = self.ctx.vercel.wait_for("POST", path, BILLING_WAIT_SECONDS)
            if submitted is None:
                check.skip(f"the server submitted no billing data (POST {path}) during the run "
                           "(the docs ask for it daily, so it may come later)")
            found = schemas.problems("SubmitBillingData", submitted.body)
            if found:
                check.fail("Submit Billing Data body is not the documented shape: "
                           + "; ".join(found[:3]))
            check.note(f"POST …/billing with {len(submitted.body['usage'])} usage metrics")
