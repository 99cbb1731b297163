"""Durable background work: job rows written in the caller's transaction, run by a worker.

Use `enqueue(kind, payload)` inside a service (it joins the session's transaction, so the
job exists exactly when the state change that asked for it does) and register the code that
runs it with `@job_handler(kind)`.
"""

from partner_api.jobs.queue import enqueue, job_handler

__all__ = ["enqueue", "job_handler"]
