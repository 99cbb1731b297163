"""Billing: plan listings now; usage, invoices and balances build on it."""
