"""Where each required check's rule is written: pages of Vercel's public documentation.

A check is *required* only if one of these pages states its rule; the report cites the page.
Anything the kit asks beyond them is *recommended* and says why (see `results.Rule`).
"""

from __future__ import annotations

_BASE = "https://vercel.com/docs/integrations/create-integration"
_PARTNER = _BASE + "/marketplace-api/reference/partner"

# The Partner API overview: validate Vercel's OIDC token (issuer, audience, signature, expiry
# of a JWT signed with the JWKS key) on every request; user tokens carry `user_role`.
PARTNER_AUTH = _PARTNER
INTEGRATIONS_API = _BASE + "/marketplace-api"  # the installation's access token for Vercel calls
GET_INSTALLATION = _PARTNER + "/get-installation"
UPSERT_INSTALLATION = _PARTNER + "/upsert-installation"
UPDATE_INSTALLATION = _PARTNER + "/update-installation"
DELETE_INSTALLATION = _PARTNER + "/delete-installation"
PROVISION_RESOURCE = _PARTNER + "/provision-resource"
GET_RESOURCE = _PARTNER + "/get-resource"
UPDATE_RESOURCE = _PARTNER + "/update-resource"
DELETE_RESOURCE = _PARTNER + "/delete-resource"
ROTATE_SECRETS = _PARTNER + "/request-secrets-rotation"
RESOURCE_REPL = _PARTNER + "/resource-repl"
PRODUCT_PLANS = _PARTNER + "/list-billing-plans-for-product"
RESOURCE_PLANS = _PARTNER + "/list-billing-plans-for-resource"
INSTALLATION_PLANS = _PARTNER + "/list-billing-plans-for-installation"
CREATE_TRANSFER = _PARTNER + "/create-resource-transfer"
VERIFY_TRANSFER = _PARTNER + "/verify-resource-transfer"
ACCEPT_TRANSFER = _PARTNER + "/accept-resource-transfer"
SECRETS_ROTATION_GUIDE = _BASE + "/secrets-rotation"
UPDATE_RESOURCE_SECRETS = "https://vercel.com/docs/rest-api/marketplace/update-resource-secrets"
# F2: a resource provisioned asynchronously is announced with Create Event (V4) or written
# with Update Resource (V8) once it is ready.
MARKETPLACE_FLOWS = _BASE + "/marketplace-flows"
SUBMIT_BILLING_DATA = "https://vercel.com/docs/rest-api/marketplace/submit-billing-data"
WEBHOOKS = "https://vercel.com/docs/webhooks/webhooks-api"

BY_ENDPOINT = {
    "get installation": GET_INSTALLATION,
    "installation plans": INSTALLATION_PLANS,
    "product plans": PRODUCT_PLANS,
    "get resource": GET_RESOURCE,
    "resource plans": RESOURCE_PLANS,
    "upsert installation": UPSERT_INSTALLATION,
    "update installation": UPDATE_INSTALLATION,
    "provision resource": PROVISION_RESOURCE,
    "update resource": UPDATE_RESOURCE,
    "rotate secrets": ROTATE_SECRETS,
    "resource repl": RESOURCE_REPL,
    "delete resource": DELETE_RESOURCE,
    "delete installation": DELETE_INSTALLATION,
}
