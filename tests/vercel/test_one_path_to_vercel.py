"""Every message to Vercel goes through `partner_api.vercel`: outside it, no module imports
a private name of it or spells a `vercel.*` job kind (they use the public `push_*` helpers,
`call_from_job` and `outcome_of`). Checked on the source with `ast`, not by convention."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import partner_api

PACKAGE = Path(partner_api.__file__).parent
VERCEL = "partner_api.vercel"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _vercel_aliases(tree: ast.Module) -> set[str]:
    """Local names bound to `partner_api.vercel` or anything imported from it."""
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(VERCEL):
            aliases |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "partner_api":
            aliases |= {a.asname or a.name for a in node.names if a.name == "vercel"}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname for a in node.names if a.asname and a.name.startswith(VERCEL)}
    return aliases


def violations(source: str, filename: str) -> list[str]:
    """What in `source` bypasses the public face of `partner_api.vercel`."""
    tree = ast.parse(source, filename)
    aliases = _vercel_aliases(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(VERCEL):
            found += [f"{where}: imports {a.name}" for a in node.names if _private(a.name)]
            if any(_private(part) for part in node.module.split(".")):
                found.append(f"{where}: imports from {node.module}")
        elif isinstance(node, ast.Import):
            found += [
                f"{where}: imports {a.name}"
                for a in node.names
                if a.name.startswith(VERCEL) and any(_private(p) for p in a.name.split("."))
            ]
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            base = _dotted(node.value)
            if base is not None and (base.split(".")[0] in aliases or base.startswith(VERCEL)):
                found.append(f"{where}: uses {base}.{node.attr}")
        elif isinstance(node, ast.Constant) and str(node.value).startswith("vercel."):
            found.append(f"{where}: spells the job kind {node.value!r}")
    return found


def _outside_vercel() -> list[Path]:
    return sorted(
        path for path in PACKAGE.rglob("*.py") if (PACKAGE / "vercel") not in path.parents
    )


def test_no_module_outside_vercel_reaches_past_its_public_names():
    files = _outside_vercel()
    assert len(files) > 50  # the scan sees the package, not an empty directory
    found = [
        problem
        for path in files
        for problem in violations(path.read_text(), str(path.relative_to(PACKAGE.parent)))
    ]
    assert found == []


SOURCES_THAT_BYPASS = {
    "private import": "from partner_api.vercel.jobs import _call_vercel as call\n",
    "private module": "from partner_api.vercel._secret import thing\n",
    "private attribute": "from partner_api.vercel import jobs\njobs._parse('k', list)\n",
    "dotted attribute": "import partner_api.vercel.jobs\npartner_api.vercel.jobs._parse\n",
    "package attribute": "from partner_api import vercel\nvercel.jobs._call_vercel\n",
    "job kind": 'KIND = "vercel.update_resource_secrets"\n',
    "job kind in an f-string": 'kind = f"vercel.update_{what}"\n',
}


@pytest.mark.parametrize("name", sorted(SOURCES_THAT_BYPASS))
def test_the_scan_catches_each_way_around(name):
    assert violations(SOURCES_THAT_BYPASS[name], name)


def test_the_scan_lets_the_public_names_through():
    source = (
        "from partner_api.vercel.jobs import call_from_job, push_resource_secrets\n"
        "from partner_api.vercel import jobs as _vercel\n"
        "from partner_api.vercel.outcomes import Outcome\n"
        "Outcome.__name__\n"
        'URL = "https://api.vercel.com"\n'
    )
    assert violations(source, "public") == []
