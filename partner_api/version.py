"""The one place the release version is written: the package metadata reads it from here
(pyproject's dynamic version), `/healthz` and the OpenAPI document report it."""

__version__ = "0.2.0.dev0"
