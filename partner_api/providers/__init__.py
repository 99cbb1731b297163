"""Providers: the partner's product logic behind each product of the catalog."""
