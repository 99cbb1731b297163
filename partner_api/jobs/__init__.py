"""Durable background work: job rows written in the caller's transaction, run by a worker.

Use `enqueue(kind, payload)` inside a service (it joins the session's transaction, so the
job exists exactly when the state change that asked for it does) and register the code that
runs it with `@job_handler(kind)`. A handler that raises is retried with backoff, unless it
raises `PermanentFailure` (the job is dead at once; `flask jobs retry ID` revives it).
"""

from partner_api.jobs.queue import PermanentFailure, enqueue, job_handler

__all__ = ["PermanentFailure", "enqueue", "job_handler"]
