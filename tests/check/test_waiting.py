"""The kit waits for a server started after it, and gives up after its timeout."""

from __future__ import annotations

from contextlib import ExitStack

from partner_api_check.kit import Kit
from partner_api_check.waiting import wait_until_answering
from tests.check.sample_server import BROKEN, CLIENT_SECRET, create_app, serving
from tests.serverproc import free_port


def test_a_server_started_while_the_kit_waits_is_found():
    port = free_port()
    sleeps: list[float] = []
    with Kit() as kit, ExitStack() as started:
        app = create_app(kit.jwks.jwks, kit.tokens.issuer, kit.tokens.audience, CLIENT_SECRET,
                         BROKEN)

        def start_server_once(seconds: float) -> None:
            """The kit's first pause: the server comes up during it."""
            sleeps.append(seconds)
            if len(sleeps) == 1:
                started.enter_context(serving(app, port))

        assert wait_until_answering(f"http://127.0.0.1:{port}", 60, sleep=start_server_once)
    assert len(sleeps) == 1  # refused once, answered on the next try


def test_no_answer_within_the_timeout_is_false():
    clock = iter(range(100))
    sleeps: list[float] = []
    answered = wait_until_answering(f"http://127.0.0.1:{free_port()}", 3,
                                    clock=lambda: next(clock), sleep=sleeps.append)
    assert not answered
    assert len(sleeps) == 2  # refused at t=1 and t=2, refused at t=3 and gave up
