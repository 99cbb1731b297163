"""gunicorn settings for the Procfile's `web:` process (Heroku-style platforms).

Every value can be tuned from the environment without a code change.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Build the app once in the master: a missing setting stops start-up with its name.
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then to bound the growth of any slow leak; rarely enough that a
# busy worker (thousands of requests a second) does not restart every few seconds.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = 5000
# The app writes its own JSON access log line per request.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """Once per server, in the master, before the workers fork: they inherit what it found."""
    from partner_api.providers import operations

    operations.check_at_start(server.app.wsgi())
