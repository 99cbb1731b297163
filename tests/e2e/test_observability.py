"""Observability as deployed: /metrics added up over gunicorn's workers, and every log line JSON.

gunicorn runs as the Procfile says (two workers), with METRICS_TOKEN set and
PROMETHEUS_MULTIPROC_DIR naming a directory the test can look into.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests import serverproc
from tests.e2e.test_gunicorn import database, settings  # noqa: F401 - `database` is a fixture
from tests.serverproc import deployed

pytestmark = pytest.mark.e2e

TOKEN = "e2e-metrics-token"
BATCH = 16
MAX_REQUESTS = 20 * BATCH


@dataclass
class Deployment:
    url: str
    log: Path
    metrics_dir: Path


def log_lines(log: Path) -> list[dict]:
    """Every line gunicorn and the app wrote; each must be one JSON object."""
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.fixture(scope="module")
def deployment(database, jwks_file, tmp_path_factory) -> Iterator[Deployment]:  # noqa: F811
    work = tmp_path_factory.mktemp("observability")
    metrics_dir = work / "metrics"
    metrics_dir.mkdir()
    log = work / "gunicorn.log"
    env = {**settings(jwks_file.as_uri()), "METRICS_TOKEN": TOKEN,
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    with deployed(database, env, log) as base_url:
        yield Deployment(base_url, log, metrics_dir)
    # Shutting down (signal, workers exiting, master stopping) is logged as JSON too.
    messages = [line["message"] for line in log_lines(log) if line["logger"] == "gunicorn.error"]
    assert any(message.startswith("Shutting down") for message in messages), messages


def worker_pids(metrics_dir: Path) -> set[str]:
    """The processes that have counted something (a file each, named by its pid)."""
    return {re.fullmatch(r"counter_(\d+)\.db", p.name)[1] for p in metrics_dir.glob("counter_*")}


def unmatched_requests(base_url: str) -> float:
    response = requests.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                            timeout=10)
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "partner_api_http_requests_total" and sample.labels == {
                "endpoint": "unmatched", "method": "GET", "status": "404"
            }:
                return sample.value
    return 0.0


def fresh_connection_get(url: str) -> int:
    return requests.get(url, headers={"Connection": "close"}, timeout=10).status_code


def test_metrics_add_up_over_every_worker_whichever_answers(deployment):
    sent = 0
    with ThreadPoolExecutor(max_workers=BATCH) as pool:
        # Until at least two workers have served some (bounded: the kernel picks the worker).
        while len(worker_pids(deployment.metrics_dir)) < 2 and sent < MAX_REQUESTS:
            urls = [f"{deployment.url}/no-such-page/{sent + i}" for i in range(BATCH)]
            assert set(pool.map(fresh_connection_get, urls)) == {404}
            sent += BATCH
    assert len(worker_pids(deployment.metrics_dir)) >= 2
    for _ in range(6):  # the scrapes land on either worker
        assert unmatched_requests(deployment.url) == sent


def test_every_line_is_json_and_each_request_has_one_access_line(deployment):
    paths = [f"/access-check/{index}" for index in range(5)]
    for path in paths:
        assert fresh_connection_get(deployment.url + path) == 404
    lines = log_lines(deployment.log)
    access = [line["path"] for line in lines if line["logger"] == "partner_api.access"]
    assert [path for path in access if path.startswith("/access-check/")] == paths
    assert not [line for line in lines if line["logger"] == "gunicorn.access"]
    booted = [line for line in lines if line["message"].startswith("Booting worker")]
    assert len(booted) >= 2
    assert {line["logger"] for line in booted} == {"gunicorn.error"}


def metrics_dirs(tmp: Path) -> list[Path]:
    return list(tmp.glob("partner-api-metrics-*"))


def test_the_metrics_directory_gunicorn_makes_is_removed_when_it_stops(database, jwks_file,  # noqa: F811
                                                                       tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with deployed(database, {**settings(jwks_file.as_uri()), "TMPDIR": str(tmp)},
                  tmp_path / "gunicorn.log"):
        assert len(metrics_dirs(tmp)) == 1
    assert metrics_dirs(tmp) == []


def test_a_failed_start_up_leaves_no_metrics_directory(jwks_file, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = serverproc.environment(f"sqlite:///{tmp_path / 'x.sqlite3'}", serverproc.free_port(),
                                 {**settings(jwks_file.as_uri()), "TMPDIR": str(tmp)})
    del env["INTEGRATION_CLIENT_SECRET"]
    result = subprocess.run(serverproc.procfile()["web"], env=env, cwd=serverproc.ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert metrics_dirs(tmp) == []
