"""The WSGI app that gunicorn serves (`partner_api.wsgi:app`), built from the environment."""

from partner_api import create_app

app = create_app()
