"""A worker killed in the middle of a job: the job is run again, and completes once.

The worker process is killed (SIGKILL) while its job waits on a Vercel call that does not
answer. Once the job's lease has run out, another worker takes it and the call arrives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import update

from partner_api import create_app
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs import enqueue
from partner_api.jobs.models import DONE, RUNNING, Job
from partner_api.timeutil import utcnow
from tests.conftest import INSTALLATION_ID, temporary_postgres_database
from tests.serverproc import ROOT, environment, free_port, procfile, run_worker

pytestmark = pytest.mark.e2e


class StallingVercel(ThreadingHTTPServer):
    """The first call hangs until released; later calls are answered and recorded."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.first_call = threading.Event()
        self.release = threading.Event()
        self.answered: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: StallingVercel

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not self.server.first_call.is_set():
            self.server.first_call.set()
            self.server.release.wait(60)
            return
        self.server.answered.append(self.path)
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def stalling_vercel() -> Iterator[StallingVercel]:
    server = StallingVercel()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def database() -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        pytest.skip("killing a worker is checked on Postgres (TEST_DATABASE_URL)")
    with temporary_postgres_database(server_url) as url:
        yield url


def test_killed_worker_leaves_its_job_to_be_run_again(
    database, app_settings, stalling_vercel, tmp_path
):
    settings = {
        "VERCEL_API_URL": stalling_vercel.url,
        "VERCEL_JWKS_URL": app_settings["VERCEL_JWKS_URL"],
        "INTEGRATION_CLIENT_ID": app_settings["INTEGRATION_CLIENT_ID"],
        "INTEGRATION_CLIENT_SECRET": app_settings["INTEGRATION_CLIENT_SECRET"],
    }
    env = environment(database, free_port(), settings)
    subprocess.run(procfile()["release"], env=env, cwd=ROOT, check=True, capture_output=True)
    app = create_app({**app_settings, "SQLALCHEMY_DATABASE_URI": database, **settings})
    with app.app_context():
        now = utcnow()
        db.session.add(Installation(
            id=INSTALLATION_ID, access_token="vercel-token", token_type="Bearer",
            created_at=now, updated_at=now,
        ))
        event = {"type": "resource.updated", "productId": "demo", "resourceId": "res_1"}
        job_id = enqueue("vercel.create_event",
                         {"installation_id": INSTALLATION_ID, "event": event}).id
        db.session.commit()

        with (tmp_path / "worker.log").open("w") as log:
            worker = subprocess.Popen(procfile()["worker"], env=env, cwd=ROOT, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        try:
            assert stalling_vercel.first_call.wait(30), (tmp_path / "worker.log").read_text()
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)

        db.session.expire_all()
        job = db.session.get(Job, job_id)
        assert (job.state, job.attempts) == (RUNNING, 1)
        # The lease of the dead worker runs out (five minutes; here, at once).
        db.session.execute(update(Job).where(Job.id == job_id)
                           .values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()

        run_worker(database, settings)
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        assert (job.state, job.attempts) == (DONE, 2)
        # Exactly one event arrives (the worker also sends the hour's billing data).
        events = [path for path in stalling_vercel.answered if path.endswith("/events")]
        assert events == [f"/v1/installations/{INSTALLATION_ID}/events"]
        db.session.remove()
        db.engine.dispose()
