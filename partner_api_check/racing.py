"""Calls sent to the server at the same instant, each on its own connection.

A barrier releases every caller together, so the server sees the calls overlap as closely as
the client can make them; a caller whose connection fails gets its exception, not a reply.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import requests

from partner_api_check.target import Reply, Target


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)  # keyword arguments of `request`


def at_once(target: Target, calls: list[Call]) -> list[Reply | Exception]:
    """Send ``calls`` together; their answers in the same order."""
    barrier = threading.Barrier(len(calls))
    replies: list[Reply | Exception] = [RuntimeError("no answer")] * len(calls)

    def send(slot: int, call: Call) -> None:
        with requests.Session() as session:
            barrier.wait()
            try:
                replies[slot] = target.request(call.method, call.path, session=session,
                                               **call.options)
            except requests.RequestException as error:
                replies[slot] = error

    threads = [threading.Thread(target=send, args=(slot, call))
               for slot, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies
