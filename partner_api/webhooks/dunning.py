"""What unpaid invoices do to an installation (§5.2, §7.15): tell the user, maybe suspend.

Nothing is ever deleted here: Vercel asks for at least 15 days after `overdue` before any
destructive step, and that step is the partner's decision, not this server's.

`WEBHOOK_OVERDUE_POLICY`: `notify` shows the notification only; `suspend` also records a
suspension of the installation (`installations.service.is_suspended`) and tells Vercel
(V1 `status: "suspended"` with the notification); paying lifts it and sends `resumed`.
"""

from __future__ import annotations

from typing import Any

from partner_api.billing.models import Invoice
from partner_api.installations import service as installations
from partner_api.installations.models import Installation
from partner_api.timeutil import utcnow
from partner_api.vercel.jobs import push_installation_update
from partner_api.vercel.models import InstallationUpdate, Notification

NOTIFY = "notify"
SUSPEND = "suspend"
POLICIES = (NOTIFY, SUSPEND)


def _cause(invoice: Invoice) -> str:
    return f"invoice:{invoice.invoice_id}"


def _payment_failed_notice(invoice: Invoice) -> dict[str, Any]:
    return {
        "level": "warn",
        "title": "Payment failed",
        "message": f"Vercel could not collect payment for invoice {invoice.invoice_id}; "
        "it will try again.",
    }


def _overdue_notice(invoice: Invoice) -> dict[str, Any]:
    return {
        "level": "error",
        "title": "Invoice overdue",
        "message": f"Invoice {invoice.invoice_id} is overdue. Update the payment method "
        "on Vercel to keep the service running.",
    }


def _suspended_notice(invoice: Invoice) -> dict[str, Any]:
    return {
        "level": "error",
        "title": "Suspended: invoice overdue",
        "message": f"The service is suspended until invoice {invoice.invoice_id} is paid.",
    }


def _notify(installation: Installation, notice: dict[str, Any] | None) -> None:
    installation.notification = notice
    installation.updated_at = utcnow()


def _push_status(installation: Installation, status: str) -> None:
    notice = installation.notification
    update = InstallationUpdate(
        status=status, notification=Notification.from_json(notice) if notice else None
    )
    push_installation_update(installation.id, update)


def payment_failed(installation: Installation, invoice: Invoice) -> None:
    _notify(installation, _payment_failed_notice(invoice))


def overdue(installation: Installation, invoice: Invoice, policy: str) -> None:
    if policy == SUSPEND:
        installations.suspend(installation, cause=_cause(invoice))
        _notify(installation, _suspended_notice(invoice))
        _push_status(installation, "suspended")
    else:
        _notify(installation, _overdue_notice(invoice))


def settled(installation: Installation, invoice: Invoice) -> None:
    """The invoice is paid (or refunded): lift what it caused, clear our notice if still shown.

    A notification that something else set since is left alone.
    """
    was_suspended = installations.is_suspended(installation.id)
    installations.resume(installation, cause=_cause(invoice))
    ours = (
        _payment_failed_notice(invoice),
        _overdue_notice(invoice),
        _suspended_notice(invoice),
    )
    if installation.notification in ours:
        _notify(installation, None)
    if was_suspended and not installations.is_suspended(installation.id):
        _push_status(installation, "resumed")
