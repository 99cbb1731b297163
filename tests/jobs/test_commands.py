"""`flask jobs list | show | retry`: inspecting and reviving jobs without leaking secrets."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from partner_api.extensions import db
from partner_api.jobs import enqueue, job_handler
from partner_api.jobs.commands import masked
from partner_api.jobs.models import DEAD, DONE, PENDING, Job
from partner_api.jobs.queue import run_due
from partner_api.timeutil import utcnow

SECRET_VALUE = "s3cr3t-value-never-printed"
PAYLOAD = {
    "installation_id": "icfg_1",
    "resource_id": "res_1",
    "secrets": [
        {
            "name": "PGPASSWORD",
            "value": SECRET_VALUE,
            "environmentOverrides": {"preview": SECRET_VALUE},
        }
    ],
    "access_token": SECRET_VALUE,
    "nested": {"clientSecret": SECRET_VALUE, "Password": SECRET_VALUE, "kept": "visible"},
    "partial": False,
}
SUCCEED = "test.cli-succeed"


@job_handler(SUCCEED)
def succeed(payload) -> None:
    pass


def add(kind: str = "test.cli", payload=None, state: str = PENDING, **values) -> int:
    job = enqueue(kind, payload or {"n": 1})
    db.session.flush()
    db.session.execute(update(Job).where(Job.id == job.id).values(state=state, **values))
    db.session.commit()
    return job.id


def stored(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def jobs(runner, *args: str):
    return runner.invoke(args=["jobs", *args])


def test_list_shows_newest_first_with_state_attempts_and_error(runner):
    first = add(state=DEAD, attempts=10, last_error="VercelApiError: Vercel answered 503\nmore")
    second = add(kind="test.other")
    result = jobs(runner, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [int(line.split("\t")[0]) for line in lines] == [second, first]
    assert lines[1].split("\t")[1:4] == [DEAD, "test.cli", "10/10"]
    assert lines[1].endswith("VercelApiError: Vercel answered 503")


def test_list_filters_by_state(runner):
    dead = add(state=DEAD)
    add(state=PENDING)
    add(state=DONE)
    result = jobs(runner, "list", "--state", "dead")
    assert [int(line.split("\t")[0]) for line in result.output.splitlines()] == [dead]


def test_list_refuses_an_unknown_state(runner):
    assert jobs(runner, "list", "--state", "zombie").exit_code == 2


def test_show_masks_every_secret_looking_value(runner):
    job_id = add(kind="vercel.update_resource_secrets", payload=PAYLOAD)
    result = jobs(runner, "show", str(job_id))
    assert result.exit_code == 0, result.output
    assert SECRET_VALUE not in result.output
    assert "kind: vercel.update_resource_secrets" in result.output
    assert '"installation_id": "icfg_1"' in result.output
    assert '"kept": "visible"' in result.output
    assert '"access_token": "***"' in result.output


def test_masking_replaces_whole_values_under_secret_keys():
    assert masked(PAYLOAD) == {
        "installation_id": "icfg_1",
        "resource_id": "res_1",
        "secrets": "***",
        "access_token": "***",
        "nested": {"clientSecret": "***", "Password": "***", "kept": "visible"},
        "partial": False,
    }
    assert masked([{"token": "t"}, "plain"]) == [{"token": "***"}, "plain"]


def test_show_of_an_unknown_job_fails(runner):
    result = jobs(runner, "show", "999999")
    assert result.exit_code == 1
    assert "no job 999999" in result.output


def test_retry_gives_a_dead_job_fresh_attempts_now(runner):
    job_id = add(
        kind=SUCCEED,
        state=DEAD,
        attempts=10,
        finished_at=utcnow(),
        last_error="boom",
    )
    result = jobs(runner, "retry", str(job_id))
    assert result.exit_code == 0, result.output
    job = stored(job_id)
    assert (job.state, job.attempts, job.finished_at) == (PENDING, 0, None)
    assert job.run_at <= utcnow()
    assert run_due() == 1
    assert stored(job_id).state == DONE


@pytest.mark.parametrize("state", [PENDING, DONE])
def test_retry_refuses_jobs_that_are_not_dead(runner, state):
    job_id = add(state=state, attempts=3)
    result = jobs(runner, "retry", str(job_id))
    assert result.exit_code == 1
    assert f"job {job_id} is {state}" in result.output
    assert (stored(job_id).state, stored(job_id).attempts) == (state, 3)
