"""Pooled connections are pinged on checkout only after sitting idle, and replaced if dead."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, text

from partner_api.dbpool import ping_when_idle


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.sqlite3'}", pool_size=1)
    yield engine
    engine.dispose()


class Pings(list):
    """The connections the dialect was asked to ping; after `fail()`, every ping fails."""

    failing = False

    def fail(self) -> None:
        self.failing = True


@pytest.fixture
def pings(engine, monkeypatch) -> Pings:
    pinged = Pings()

    def do_ping(dbapi_connection):
        pinged.append(dbapi_connection)
        if pinged.failing:
            raise sqlite3.OperationalError("server closed the connection")
        return True

    monkeypatch.setattr(engine.dialect, "do_ping", do_ping)
    return pinged


def _use(engine) -> object:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        return connection.connection.dbapi_connection


def test_a_connection_back_from_a_recent_use_is_not_pinged(engine, pings):
    ping_when_idle(engine, idle_seconds=3600)
    first = _use(engine)
    assert _use(engine) is first  # the same pooled connection, reused
    assert pings == []


def test_a_connection_idle_long_enough_is_pinged_once_per_checkout(engine, pings):
    ping_when_idle(engine, idle_seconds=0)
    first = _use(engine)
    assert pings == []  # a fresh connection needs no ping
    assert _use(engine) is first
    assert pings == [first]


def test_a_dead_idle_connection_is_replaced_before_use(engine, pings):
    ping_when_idle(engine, idle_seconds=0)
    first = _use(engine)
    pings.fail()
    replacement = _use(engine)
    assert pings == [first]
    assert replacement is not first
