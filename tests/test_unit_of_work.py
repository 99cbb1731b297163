"""`unit_of_work`: all of a block's changes commit, or none; its own error is what escapes."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import partner_api
from partner_api.extensions import db
from partner_api.jobs import enqueue
from partner_api.jobs.models import Job
from partner_api.unit_of_work import unit_of_work


def jobs_kept() -> int:
    """Jobs that outlive a rollback of the session, i.e. committed ones."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Job))


def test_the_changes_of_a_block_that_ends_normally_are_committed(app):
    with unit_of_work():
        enqueue("test.unit-of-work", {"n": 1})
        enqueue("test.unit-of-work", {"n": 2})
    assert jobs_kept() == 2


@pytest.mark.parametrize("error", [ValueError("bad input"), KeyboardInterrupt()])
def test_an_error_rolls_every_change_back_and_propagates(app, error):
    with pytest.raises(type(error)) as raised, unit_of_work():
        enqueue("test.unit-of-work", {"n": 1})
        db.session.flush()
        raise error
    assert raised.value is error
    assert not db.session().in_transaction()  # rolled back here, not by a later cleanup
    assert jobs_kept() == 0


def test_a_failing_commit_is_rolled_back_and_propagates(app, monkeypatch):
    def refused(self):
        self.flush()
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(Session, "commit", refused)
    with pytest.raises(OperationalError), unit_of_work():
        enqueue("test.unit-of-work", {"n": 1})
    assert not db.session().in_transaction()
    monkeypatch.undo()
    assert jobs_kept() == 0


def test_a_failing_rollback_does_not_mask_the_blocks_error(app, monkeypatch, caplog):
    rollback = Session.rollback

    def dead_connection(self):
        rollback(self)
        raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"))

    monkeypatch.setattr(Session, "rollback", dead_connection)
    with (
        caplog.at_level(logging.WARNING, "partner_api.unit_of_work"),
        pytest.raises(ValueError, match="the block's own error"),
        unit_of_work(),
    ):
        enqueue("test.unit-of-work", {"n": 1})
        raise ValueError("the block's own error")
    monkeypatch.undo()
    assert jobs_kept() == 0
    [record] = caplog.records
    assert "rolling back after an error failed too" in record.getMessage()
    assert "server closed the connection" in record.getMessage()


def commit_calls(source: str) -> list[int]:
    """Lines of `source` that call a `.commit()` method (of a session, or anything else)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


def test_commit_calls_are_found_however_the_session_is_reached():
    source = "db.session.commit()\nsession().commit()\nself.session.commit  # not a call\n"
    assert commit_calls(source) == [1, 2]


def test_no_module_but_the_unit_of_work_commits():
    package = Path(partner_api.__file__).parent
    commits = {
        str(path.relative_to(package)): lines
        for path in sorted(package.rglob("*.py"))
        if (lines := commit_calls(path.read_text()))
    }
    assert list(commits) == ["unit_of_work.py"], commits
