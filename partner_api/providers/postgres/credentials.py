"""The secrets handed to Vercel for one login role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from psycopg.conninfo import conninfo_to_dict

from partner_api.providers.base import Credentials, Secret

DEFAULT_PORT = 5432


@dataclass(frozen=True)
class Endpoint:
    """Where applications reach the cluster: host, port and, if set, the sslmode to use."""

    host: str
    port: int
    sslmode: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Endpoint:
        """From libpq connection parameters (the first host and port if several are listed)."""
        host = str(params.get("host") or "localhost").split(",")[0]
        port = str(params.get("port") or DEFAULT_PORT).split(",")[0]
        sslmode = params.get("sslmode")
        return cls(host=host, port=int(port), sslmode=str(sslmode) if sslmode else None)

    @classmethod
    def from_url(cls, url: str) -> Endpoint:
        return cls.from_params(conninfo_to_dict(url))

    def url(self, user: str, password: str, database: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        userinfo = f"{quote(user, safe='')}:{quote(password, safe='')}"
        query = f"?{urlencode({'sslmode': self.sslmode})}" if self.sslmode else ""
        return f"postgresql://{userinfo}@{host}:{self.port}/{quote(database, safe='')}{query}"


def login_credentials(endpoint: Endpoint, database: str, role: str, password: str) -> Credentials:
    """The environment variables of one login role; `state` names the role for its revocation."""
    return Credentials(
        secrets=[
            Secret("DATABASE_URL", endpoint.url(role, password, database)),
            Secret("PGHOST", endpoint.host),
            Secret("PGPORT", str(endpoint.port)),
            Secret("PGUSER", role),
            Secret("PGPASSWORD", password),
            Secret("PGDATABASE", database),
        ],
        state={"role": role},
    )
