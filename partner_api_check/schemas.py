"""JSON Schemas of the Partner API's answers, written from the contract (§3.1, §3.2, §3.4).

Unknown properties are allowed everywhere: Vercel ignores what it does not know, so extra
fields are not a conformance failure. ``problems(name, instance)`` lists what is wrong.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

STRING = {"type": "string"}
NON_EMPTY = {"type": "string", "minLength": 1}
BOOLEAN = {"type": "boolean"}
MONEY = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}
STATUS = {"enum": ["ready", "pending", "onboarding", "suspended", "resumed", "uninstalled",
                   "error"]}

PLAN_DETAIL = {
    "type": "object",
    "required": ["label"],
    "properties": {"label": STRING, "value": STRING},
}

BILLING_PLAN = {
    "type": "object",
    "required": ["id", "type", "name", "description"],
    "properties": {
        "id": NON_EMPTY,
        "type": {"enum": ["prepayment", "subscription"]},
        "name": STRING,
        "scope": {"enum": ["installation", "resource"]},
        "description": STRING,
        "paymentMethodRequired": BOOLEAN,
        "preauthorizationAmount": {"type": "number", "minimum": 0},
        "initialCharge": MONEY,
        "minimumAmount": MONEY,
        "maximumAmount": MONEY,
        "maximumAmountAutoPurchasePerPeriod": MONEY,
        "cost": STRING,
        "details": {"type": "array", "items": PLAN_DETAIL},
        "highlightedDetails": {"type": "array", "items": PLAN_DETAIL},
        "quote": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["line", "amount"],
                "properties": {"line": STRING, "amount": MONEY},
            },
        },
        "effectiveDate": STRING,
        "disabled": BOOLEAN,
        "requiredPolicies": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "url"],
                "properties": {"id": NON_EMPTY, "name": NON_EMPTY, "url": NON_EMPTY},
            },
        },
        "maxResources": {"type": "number"},
    },
}

NOTIFICATION = {
    "type": "object",
    "required": ["level", "title"],
    "properties": {
        "level": {"enum": ["info", "warn", "error"]},
        "title": NON_EMPTY,
        "message": STRING,
        "href": {"type": "string", "pattern": r"^(https?://|sso:)"},
    },
}

NOTIFICATION_OR_NULL = {"anyOf": [{"type": "null"}, NOTIFICATION]}

SECRET = {
    "type": "object",
    "required": ["name", "value"],
    "properties": {
        "name": NON_EMPTY,
        "value": NON_EMPTY,
        "prefix": STRING,
        "environmentOverrides": {
            "type": "object",
            "properties": {"development": STRING, "preview": STRING, "production": STRING},
            "additionalProperties": False,
        },
    },
}

SECRETS = {"type": "array", "minItems": 1, "items": SECRET}

METADATA_VALUE = {
    "anyOf": [
        {"type": ["string", "number", "boolean"]},
        {"type": "array", "items": STRING},
        {"type": "array", "items": {"type": "number"}},
    ]
}

RESOURCE = {
    "type": "object",
    "required": ["id", "productId", "name", "metadata", "status"],
    "properties": {
        "id": NON_EMPTY,
        "productId": NON_EMPTY,
        "name": STRING,
        "metadata": {"type": "object", "additionalProperties": METADATA_VALUE},
        "status": STATUS,
        "billingPlan": BILLING_PLAN,
        "notification": NOTIFICATION_OR_NULL,
        "protocolSettings": {"type": "object"},
    },
}

PROVISIONED_RESOURCE = {
    "allOf": [RESOURCE, {"required": ["secrets"], "properties": {"secrets": SECRETS}}]
}

INSTALLATION = {
    "type": "object",
    "properties": {"billingPlan": BILLING_PLAN, "notification": NOTIFICATION_OR_NULL},
}

PLANS = {
    "type": "object",
    "required": ["plans"],
    "properties": {"plans": {"type": "array", "items": BILLING_PLAN}},
}

DELETED_INSTALLATION = {
    "type": "object",
    "required": ["finalized"],
    "properties": {"finalized": BOOLEAN},
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": NON_EMPTY,
                "message": STRING,
                "user": {"type": "object", "properties": {"message": STRING, "url": STRING}},
                "fields": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["key"],
                        "properties": {"key": NON_EMPTY, "message": STRING},
                    },
                },
            },
        }
    },
}

VALIDATION_ERROR = {
    "allOf": [
        ERROR,
        {"properties": {"error": {"required": ["fields"],
                                  "properties": {"fields": {"minItems": 1}}}}},
    ]
}

ROTATED_NOW = {
    "type": "object",
    "required": ["sync", "secrets"],
    "properties": {"sync": {"const": True}, "secrets": SECRETS, "partial": BOOLEAN},
}

ROTATING_LATER = {
    "type": "object",
    "required": ["sync"],
    "properties": {"sync": {"const": False}},
}

# V10, what a partner sends Vercel once an asynchronous rotation is done (§4.2).
UPDATE_RESOURCE_SECRETS = {
    "type": "object",
    "required": ["secrets"],
    "properties": {"secrets": SECRETS, "partial": BOOLEAN},
}

TRANSFER_CREATED = {
    "type": "object",
    "required": ["providerClaimId"],
    "properties": {"providerClaimId": NON_EMPTY},
}

# V4, the event a partner sends when something changed on its side (§4.2).
CREATE_EVENT = {
    "type": "object",
    "required": ["event"],
    "properties": {
        "event": {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"const": "installation.updated"},
                                   "billingPlanId": NON_EMPTY},
                },
                {
                    "type": "object",
                    "required": ["type", "resourceId"],
                    "properties": {"type": {"const": "resource.updated"},
                                   "productId": NON_EMPTY, "resourceId": NON_EMPTY},
                },
            ]
        }
    },
}

# V8, a partner writing a resource's new state to Vercel directly (§4.2); every field optional.
UPDATE_RESOURCE = {
    "type": "object",
    "properties": {
        "name": STRING,
        "status": STATUS,
        "metadata": {"type": "object", "additionalProperties": METADATA_VALUE},
        "billingPlan": BILLING_PLAN,
        "notification": NOTIFICATION_OR_NULL,
        "secrets": {"anyOf": [SECRETS, UPDATE_RESOURCE_SECRETS]},
    },
}

# V11, the interim billing data a partner submits (§4.2): no extra properties in its parts.
_BILLING_PERIOD = {"type": "object", "required": ["start", "end"],
                   "properties": {"start": NON_EMPTY, "end": NON_EMPTY},
                   "additionalProperties": False}
_PERIOD_PART = {"resourceId": NON_EMPTY, "start": NON_EMPTY, "end": NON_EMPTY}
BILLING_ITEM = {
    "type": "object",
    "required": ["billingPlanId", "name", "price", "quantity", "units", "total"],
    "properties": {"billingPlanId": NON_EMPTY, **_PERIOD_PART, "name": NON_EMPTY,
                   "details": STRING, "price": MONEY, "quantity": {"type": "number"},
                   "units": STRING, "total": MONEY},
    "additionalProperties": False,
}
DISCOUNT = {
    "type": "object",
    "required": ["billingPlanId", "name", "amount"],
    "properties": {"billingPlanId": NON_EMPTY, **_PERIOD_PART, "name": NON_EMPTY,
                   "details": STRING, "amount": MONEY},
    "additionalProperties": False,
}
USAGE = {
    "type": "object",
    "required": ["name", "type", "units", "dayValue", "periodValue"],
    "properties": {"resourceId": NON_EMPTY, "name": NON_EMPTY,
                   "type": {"enum": ["total", "interval", "rate"]}, "units": STRING,
                   "dayValue": {"type": "number"}, "periodValue": {"type": "number"},
                   "planValue": {"type": "number"}},
    "additionalProperties": False,
}
SUBMIT_BILLING_DATA = {
    "type": "object",
    "required": ["timestamp", "eod", "period", "billing", "usage"],
    "properties": {
        "timestamp": NON_EMPTY,
        "eod": NON_EMPTY,
        "period": _BILLING_PERIOD,
        # A list of items, or an object of items and discounts (each keyword below applies
        # to one of the two forms only, so an error names the field at fault).
        "billing": {
            "type": ["array", "object"],
            "items": BILLING_ITEM,
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": BILLING_ITEM},
                           "discounts": {"type": "array", "items": DISCOUNT}},
        },
        "usage": {"type": "array", "items": USAGE},
    },
}

# §5.2: the payload fields each documented event carries besides `configuration.id` (and the
# common `team`, `user`), as the Webhooks API reference lists them.
_INVOICE_FIELDS = ["installationId", "invoiceId", "externalInvoiceId", "period",
                   "invoiceDate", "invoiceTotal"]
_PROJECT_FIELDS = ["installationId", "resourceId", "project", "projectId", "targets"]
_ACTION_FIELDS = ["installationId", "resourceId", "action", "deployment"]
_DEPLOYMENT_FIELDS = ["deployment", "links", "target", "project", "plan", "regions"]
EVENT_FIELDS: dict[str, list[str]] = {
    **{f"marketplace.invoice.{state}": _INVOICE_FIELDS
       for state in ("created", "paid", "notpaid", "overdue")},
    "marketplace.invoice.refunded": ["installationId", "invoiceId", "externalInvoiceId",
                                     "period", "amount", "reason"],
    "marketplace.member.changed": ["installationId", "memberId", "role"],
    "integration-configuration.removed": [],
    "integration-configuration.transferred": ["installationId", "previousTeamId",
                                              "previousAccountId", "newTeamId",
                                              "newAccountId"],
    "integration-configuration.permission-upgraded": ["projects"],
    "integration-configuration.scope-change-confirmed": [],
    "integration-resource.project-connected": _PROJECT_FIELDS,
    "integration-resource.project-disconnected": _PROJECT_FIELDS,
    **{f"deployment.integration.action.{step}": _ACTION_FIELDS
       for step in ("start", "cancel", "cleanup")},
    "deployment.checkrun.start": ["checkRun", "deployment"],
    "deployment.checkrun.cancel": [],
    **{f"deployment.{state}": _DEPLOYMENT_FIELDS
       for state in ("created", "ready", "succeeded", "error", "canceled", "promoted",
                     "cleanup")},
}

WEBHOOK_EVENT = {
    "type": "object",
    "required": ["id", "type", "createdAt", "region", "payload"],
    "properties": {
        "id": NON_EMPTY,
        "type": {"enum": list(EVENT_FIELDS)},
        "createdAt": {"type": "integer", "minimum": 0},
        "region": {"type": ["string", "null"]},
        "payload": {
            "type": "object",
            "required": ["configuration"],
            "properties": {
                "configuration": {"type": "object", "required": ["id"],
                                  "properties": {"id": NON_EMPTY}},
                "team": {"type": ["object", "null"]},
                "user": {"type": "object", "properties": {"id": {"type": ["string", "null"]}}},
            },
        },
    },
    "allOf": [
        {"if": {"properties": {"type": {"const": event_type}}},
         "then": {"properties": {"payload": {"required": fields}}}}
        for event_type, fields in EVENT_FIELDS.items() if fields
    ],
}

TEXT_BLOCK = {
    "type": "object",
    "required": ["type", "text"],
    "properties": {
        "type": {"const": "text"},
        "text": STRING,
        "color": STRING,
        "bold": BOOLEAN,
        "italic": BOOLEAN,
        "href": STRING,
    },
}

REPL_BLOCK = {
    "oneOf": [
        {
            "type": "object",
            "required": ["type", "children"],
            "properties": {
                "type": {"const": "paragraph"},
                "children": {"type": "array", "items": TEXT_BLOCK},
            },
        },
        {
            "type": "object",
            "required": ["type", "rows"],
            "properties": {
                "type": {"const": "table"},
                "header": {"type": "array", "items": TEXT_BLOCK},
                "rows": {"type": "array", "items": {"type": "array", "items": TEXT_BLOCK}},
            },
        },
    ]
}

REPL_BLOCKS = {"type": "array", "items": REPL_BLOCK}

SCHEMAS: dict[str, dict[str, Any]] = {
    "BillingPlan": BILLING_PLAN,
    "Notification": NOTIFICATION,
    "Secret": SECRET,
    "Resource": RESOURCE,
    "ProvisionedResource": PROVISIONED_RESOURCE,
    "Installation": INSTALLATION,
    "Plans": PLANS,
    "DeletedInstallation": DELETED_INSTALLATION,
    "Error": ERROR,
    "ValidationError": VALIDATION_ERROR,
    "RotatedNow": ROTATED_NOW,
    "RotatingLater": ROTATING_LATER,
    "UpdateResourceSecrets": UPDATE_RESOURCE_SECRETS,
    "ReplBlocks": REPL_BLOCKS,
    "TransferCreated": TRANSFER_CREATED,
    "CreateEvent": CREATE_EVENT,
    "UpdateResource": UPDATE_RESOURCE,
    "WebhookEvent": WEBHOOK_EVENT,
    "SubmitBillingData": SUBMIT_BILLING_DATA,
}

for _schema in SCHEMAS.values():
    Draft202012Validator.check_schema(_schema)


def _location(path: Any) -> str:
    text = "$"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _message(error: ValidationError) -> str:
    # jsonschema quotes the offending value; a secret's value must never reach a report.
    if "secrets" in error.absolute_path:
        return f"fails the {error.validator!r} rule"
    return error.message


def problems(name: str, instance: Any) -> list[str]:
    """What makes ``instance`` differ from schema ``name``, one line each (empty: it fits)."""
    validator = Draft202012Validator(SCHEMAS[name])
    lines = {f"{_location(error.absolute_path)}: {_message(error)}"
             for error in validator.iter_errors(instance)}
    return sorted(lines)
