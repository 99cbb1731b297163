"""NUL characters are refused where a request brings them in: paths, queries and bodies.

PostgreSQL cannot hold a NUL in text and fails the whole statement that carries one (a
500), where SQLite stores it. Refusing it at the edge gives one answer on both databases:
a path segment with a NUL names nothing (404), a query or body value with one is invalid
(400, with the value's path in `fields`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from werkzeug.routing import Map, UnicodeConverter

NUL = "\x00"
MESSAGE = "Must not contain NUL characters."


class PathSegment(UnicodeConverter):
    """Werkzeug's default converter (`<id>`, `<string:id>`) that never matches a NUL."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]", 1)


def use_in_routes(url_map: Map) -> None:
    """Make `PathSegment` the default converter; call it before any route is added."""
    url_map.converters["default"] = url_map.converters["string"] = PathSegment


def paths_with_nul(value: Any, path: str = "") -> Iterator[str]:
    """Dotted paths (list items by index) of the strings in `value` that hold a NUL.

    A key with a NUL is reported at its own path, like a value.
    """
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            item_path = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield item_path
            else:
                yield from paths_with_nul(item, item_path)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from paths_with_nul(item, f"{path}.{index}" if path else str(index))
