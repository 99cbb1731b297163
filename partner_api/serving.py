"""The web process's sizes, read from the environment (Heroku's names, and gunicorn's own).

`read` gives what `gunicorn_conf` uses; `problems` names every one that is set but unusable,
so that `partner-api serve` stops with one line before gunicorn (which parses
`WEB_CONCURRENCY` itself, with a traceback) ever sees it.
"""

from __future__ import annotations

from collections.abc import Mapping

# variable → (default, smallest accepted value)
SIZES: dict[str, tuple[int, int]] = {
    "PORT": (8000, 1),
    "WEB_CONCURRENCY": (2, 1),
    "GUNICORN_THREADS": (4, 1),
    "GUNICORN_TIMEOUT": (30, 1),
    "GUNICORN_MAX_REQUESTS": (50000, 0),
}
MAX_PORT = 65535


def _value(environ: Mapping[str, str], name: str) -> int | None:
    """The setting as an integer in its range, its default when unset, None when unusable."""
    default, smallest = SIZES[name]
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        return None
    value = int(raw)
    if value < smallest or (name == "PORT" and value > MAX_PORT):
        return None
    return value


def problems(environ: Mapping[str, str]) -> list[str]:
    found = []
    for name, (_, smallest) in SIZES.items():
        if _value(environ, name) is None:
            upper = f" up to {MAX_PORT}" if name == "PORT" else ""
            found.append(f"{name} must be a whole number, {smallest} or more{upper}")
    return found


def read(environ: Mapping[str, str]) -> dict[str, int]:
    """Every size; an unusable one stops the process with the one line of `problems`."""
    values = {name: _value(environ, name) for name in SIZES}
    usable = {name: value for name, value in values.items() if value is not None}
    if len(usable) < len(values):
        raise SystemExit(f"partner-api cannot start: {'; '.join(problems(environ))}")
    return usable
