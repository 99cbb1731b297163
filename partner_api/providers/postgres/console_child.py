"""The child process of one console command: whatever the server sends stays in its memory,
which is capped at `MEMORY_LIMIT_BYTES`.

`console_process` starts it as `python -I <this file>`, with an empty environment. It reads
one JSON request on stdin (`conninfo` with the throwaway member's password, `command`,
`read_only`, `statement_timeout_ms`), caps its address space, connects as the member, runs
`console.run` and writes one JSON answer on stdout: `{"blocks": […]}`, or `{"refusal": …}`
for a `ProviderError` (the cluster cannot be reached). Running out of memory ends it with
`EXIT_OUT_OF_MEMORY`; it writes nothing else, and what it may print on stderr is discarded.

It imports only psycopg and the console's own modules (importing `partner_api` loads
neither Flask nor the app). Isolated mode (`-I`) puts neither the script's directory nor
`PYTHONPATH` on the path, so the directory that holds `partner_api` is added first: the same
package as the worker's, installed or in a checkout.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from datetime import timedelta
from pathlib import Path

# What a console command may take of address space, shared libraries included. Measured
# (VmPeak): a small command 53 MB, the largest answer the bounds allow 57 MB, a 50 MB
# notice 233 MB (answered); a 50 MB error message takes more (over 290 MB in a worker).
MEMORY_LIMIT_BYTES = 256 * 1024 * 1024
EXIT_OUT_OF_MEMORY = 3

# This file is partner_api/providers/postgres/console_child.py: the package's parent is 4 up.
_PACKAGE_PARENT = Path(__file__).resolve().parents[3]


def main() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    try:
        answer = _answer(json.loads(sys.stdin.buffer.read()))
        sys.stdout.buffer.write(json.dumps(answer).encode())
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)


def _answer(request: dict) -> dict:
    sys.path.insert(0, str(_PACKAGE_PARENT))
    from partner_api.providers.base import ProviderError
    from partner_api.providers.postgres import console
    from partner_api.providers.postgres.cluster import member_session

    timeout = timedelta(milliseconds=request["statement_timeout_ms"])
    try:
        with member_session(request["conninfo"], timeout) as session:
            return {"blocks": console.run(session, request["command"], request["read_only"])}
    except ProviderError as refused:
        return {
            "refusal": {"message": refused.message, "status": refused.status, "code": refused.code}
        }


if __name__ == "__main__":
    main()
