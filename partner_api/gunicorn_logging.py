"""gunicorn's own log lines (boot, workers starting and exiting, timeouts) as the app's JSON.

gunicorn.conf.py names `JsonLogger` as gunicorn's `logger_class`: gunicorn sets up its
handlers as configured (`errorlog`, syslog) and each then writes `logs.JsonFormatter`'s one
object a line, so a log drain parses every line the same way. gunicorn's access log stays
off: the app writes the one access line of each request (`partner_api.access`).
"""

from __future__ import annotations

from gunicorn import glogging

from partner_api.logs import JsonFormatter


class JsonLogger(glogging.Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
