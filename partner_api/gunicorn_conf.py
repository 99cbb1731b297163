"""gunicorn's configuration for the web process (`partner-api serve`, the Procfile's `web:`).

Every size can be tuned from the environment without a code change (`partner_api/serving.py`
reads and checks them). gunicorn loads this module as `-c python:partner_api.gunicorn_conf`;
the checkout's `gunicorn.conf.py` is this module too.
"""

import atexit
import os
import shutil
import tempfile

from partner_api import serving


# prometheus-client's multiprocess mode (/metrics adds up every worker): each process writes
# its figures under this directory, which must be set before prometheus_client is first
# imported (the app is preloaded below). Unless the operator names one, a fresh one is made
# for this server's life (a configuration reload keeps it) and removed when the master exits,
# even when start-up fails.
def _remove_metrics_dir(path: str, master: int) -> None:
    if os.getpid() == master:  # not in a worker that happens to exit through atexit
        shutil.rmtree(path, ignore_errors=True)


if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="partner-api-metrics-")
    atexit.register(_remove_metrics_dir, os.environ["PROMETHEUS_MULTIPROC_DIR"], os.getpid())

_sizes = serving.read(os.environ)
bind = f"0.0.0.0:{_sizes['PORT']}"
workers = _sizes["WEB_CONCURRENCY"]
worker_class = "gthread"
threads = _sizes["GUNICORN_THREADS"]
# Build the app once in the master: a missing setting stops start-up with its name.
preload_app = True
timeout = _sizes["GUNICORN_TIMEOUT"]
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then to bound the growth of any slow leak; rarely enough that a
# busy worker (thousands of requests a second) does not restart every few seconds.
max_requests = _sizes["GUNICORN_MAX_REQUESTS"]
max_requests_jitter = 5000
# The app writes its own JSON access log line per request; gunicorn's lines are JSON too.
accesslog = None
errorlog = "-"
logger_class = "partner_api.gunicorn_logging.JsonLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """Once per server, in the master, before the workers fork: they inherit what it found."""
    from partner_api.providers import operations

    operations.check_at_start(server.app.wsgi())


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

