"""The lock (requirements.txt, requirements-dev.txt) satisfies pyproject.toml: every declared
dependency is pinned, at a version its specifier allows, with hashes; the server's lock and
the development lock agree on every pin they share."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def pins(lock: str) -> dict[str, str]:
    """name → version of every pin in `lock`; each pin must carry at least one hash."""
    found: dict[str, str] = {}
    text = (ROOT / lock).read_text(encoding="utf-8")
    for entry in re.split(r"\n(?=\S)", text):
        match = _PIN.match(entry)
        if match:
            assert "--hash=sha256:" in entry, f"{lock}: {match.group(1)} is pinned without a hash"
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def declared(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    return [Requirement(line) for line in listed]


@pytest.mark.parametrize(
    ("lock", "extra"), [("requirements.txt", None), ("requirements-dev.txt", "dev")]
)
def test_the_lock_pins_every_declared_dependency_at_an_allowed_version(lock, extra):
    locked = pins(lock)
    for requirement in declared(extra):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{lock} does not pin {requirement.name}: run scripts/lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{lock} pins {name}=={locked[name]}, pyproject.toml asks {requirement}: "
            "run scripts/lock"
        )


def test_the_server_lock_and_the_development_lock_agree():
    server, development = pins("requirements.txt"), pins("requirements-dev.txt")
    assert server, "requirements.txt pins nothing"
    assert {name: development.get(name) for name in server} == server
