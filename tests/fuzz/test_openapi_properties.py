"""Property-based tests of the Partner API against its own OpenAPI document (schemathesis).

Every documented operation gets generated requests, valid and invalid (schemathesis's
coverage cases, then Hypothesis-driven fuzzing), each signed with a fresh token of a kind
its auth policy accepts and bound to a live installation (`World.bind`). No answer may be
a 5xx, and every answer must be documented: status, content type, headers and body.

The document is read from an app of its own at import, since schemathesis makes one test
per operation when the module is collected; the calls go to the test's `app`. Each
operation thus runs on a fresh database, and its examples share it: their changes add up.
Generation is derandomized, so a run is reproducible.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from partner_api import create_app
from tests.fuzz.world import PAID_INVOICE_ID, SEEDED, in_an_hour_ms

MAX_EXAMPLES = 200  # fuzzed requests per operation, after the coverage cases
CONFIG = {
    "generation": {"mode": "all"},  # requests that match the document and requests that do not
    "checks": {
        "enabled": False,
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
        "response_headers_conformance": {"enabled": True},
    },
}
# Generated values that are sometimes replaced by ones naming something that exists.
PATH_SEEDS = {
    "resource_id": st.just(SEEDED),
    "provider_claim_id": st.just(SEEDED),
    "product_slug": st.just("demo"),
}
BODY_SEEDS = {
    "productId": st.just("demo"),
    "billingPlanId": st.sampled_from(["demo-free", "demo-pro", "demo-credits", "team"]),
    "metadata": st.just({"region": "fra1"}),
    "invoiceId": st.just(PAID_INVOICE_ID),
    "resourceIds": st.just([SEEDED]),
    "expiresAt": st.builds(in_an_hour_ms),
}


def served_schema() -> schemathesis.BaseSchema:
    """The document as the app serves it (an app without a database is enough for that)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return schemathesis.openapi.from_wsgi(
        "/openapi.json", app, config=schemathesis.Config.from_dict(CONFIG)
    )


schema = served_schema()


def sometimes_seeded(values: Any, seeds: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """The generated values with every seedable one replaced, or as they are.

    The seeded branch comes first: Hypothesis leans towards it, and real objects lead deeper.
    """
    names = [name for name in seeds if isinstance(values, dict) and name in values]
    if not names:
        return st.just(values)
    seeded = st.fixed_dictionaries({name: seeds[name] for name in names})
    return st.one_of(seeded.map(lambda chosen: {**values, **chosen}), st.just(values))


@schema.hook("flatmap_path_parameters")
def seeded_path_parameters(context, path_parameters):
    return sometimes_seeded(path_parameters, PATH_SEEDS)


@schema.hook("flatmap_body")
def seeded_body(context, body):
    return sometimes_seeded(body, BODY_SEEDS)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the shared database
)
def test_every_answer_is_documented_and_none_is_a_server_error(case, app, world):
    world.bind(case)
    case.call_and_validate(app=app)
