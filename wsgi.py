"""What `flask --app wsgi` and the fork-and-deploy Procfile load: the package's WSGI app."""

from partner_api.wsgi import app

__all__ = ["app"]
