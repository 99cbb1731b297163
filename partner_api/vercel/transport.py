"""The HTTP session under the client: bounded retries with backoff, done by urllib3.

Retried: connection errors, read errors and the statuses in RETRY_STATUSES, for every method.
POSTs are included because repeating them is safe for the calls this app makes: Vercel
dedupes invoices by `externalId`, billing data and balances are "latest wins", events and
secret updates are idempotent. (A repeated credential rotation would mint a second token;
the old one stays valid, so nothing breaks.)
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# (connect, read) seconds; 3.05 s lets one lost SYN be re-sent before giving up.
DEFAULT_TIMEOUT = (3.05, 15.0)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRIES = 3
BACKOFF_FACTOR = 0.5  # sleeps 0 s, 1 s, 2 s between the four tries
BACKOFF_MAX = 8
RETRY_AFTER_MAX = 30  # a longer Retry-After is cut short: the job queue waits longer anyway


def retry_policy(retries: int = RETRIES, backoff_factor: float = BACKOFF_FACTOR) -> Retry:
    return Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        allowed_methods=None,  # every method, see the module docstring
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_max=BACKOFF_MAX,
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_MAX,
        # Hand back the last answer after the final try, so its error body can be read.
        raise_on_status=False,
    )


def build_session(retry: Retry | None = None) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry or retry_policy())
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
