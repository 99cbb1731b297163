"""The outgoing client for Vercel's REST API: the only code that talks to Vercel.

`client_for(installation_id)` gives a `VercelClient` with that installation's token; its
methods (V1–V19 of the contract) take and return the typed values of `models` and
`replies`. Calls that follow a state change run as jobs (`partner_api.vercel.jobs`); what a
failed call means (gone, rejected, unreachable) is decided by `partner_api.vercel.outcomes`.
"""

from partner_api.vercel.client import VercelClient
from partner_api.vercel.errors import (
    UnexpectedResponse,
    UnknownInstallation,
    VercelApiError,
    VercelError,
    VercelUnreachable,
)
from partner_api.vercel.factory import client_for, integration_client

__all__ = [
    "UnexpectedResponse",
    "UnknownInstallation",
    "VercelApiError",
    "VercelClient",
    "VercelError",
    "VercelUnreachable",
    "client_for",
    "integration_client",
]
