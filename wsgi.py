"""What gunicorn and `flask --app wsgi` load."""

from partner_api import create_app

app = create_app()
