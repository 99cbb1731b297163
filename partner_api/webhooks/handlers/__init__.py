"""Event handlers, one module per family of event types; importing registers them."""

from partner_api.webhooks.handlers import configuration, deployments, invoices, members, projects

__all__ = ["configuration", "deployments", "invoices", "members", "projects"]
