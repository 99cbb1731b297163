"""The names of a resource's objects on the cluster.

Every name is generated here and checked against its pattern before it reaches SQL: nothing a
user types (resource name, metadata) ever becomes an identifier. One resource owns

- a database `vdb_<12 hex>` and a NOLOGIN group role of the same name, which holds every
  privilege and owns every object the resource's users create;
- login roles `vdb_<12 hex>_<n>`, one per credential generation, members of the group;
- short-lived console roles `vdb_<12 hex>_console_<8 hex>`, one per REPL command.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_DATABASE = re.compile(r"vdb_[0-9a-f]{12}")
_LOGIN_SUFFIX = re.compile(r"_([1-9][0-9]{0,8})")
_CONSOLE_SUFFIX = re.compile(r"_console_[0-9a-f]{8}")


@dataclass(frozen=True)
class ResourceNames:
    database: str

    def __post_init__(self) -> None:
        if not _DATABASE.fullmatch(self.database):
            raise ValueError("not a database name of the postgres provider")

    @classmethod
    def generate(cls) -> ResourceNames:
        return cls(f"vdb_{secrets.token_hex(6)}")

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> ResourceNames:
        """The names recorded in a resource's provider state."""
        return cls(str(state.get("database", "")))

    @property
    def group(self) -> str:
        return self.database

    @property
    def member_prefix(self) -> str:
        """What every login and console role of this resource starts with."""
        return f"{self.database}_"

    def login_role(self, generation: int) -> str:
        return f"{self.member_prefix}{generation}"

    def login_generation(self, role: str) -> int | None:
        """The generation of one of this resource's login roles, else None."""
        if not role.startswith(self.member_prefix):
            return None
        match = _LOGIN_SUFFIX.fullmatch(role, len(self.database))
        return int(match.group(1)) if match else None

    def console_role(self) -> str:
        return f"{self.member_prefix}console_{secrets.token_hex(4)}"

    def is_member_role(self, role: str) -> bool:
        """Whether `role` is one of this resource's login or console roles."""
        return self.login_generation(role) is not None or bool(
            role.startswith(self.member_prefix)
            and _CONSOLE_SUFFIX.fullmatch(role, len(self.database))
        )
