"""The roles are named in one place (`pnm.shared.roles`): a role written out as a string
anywhere else in the source is a second copy that can drift (docs/access.md, "Roles")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pnm.shared.roles import Role

ROOT = Path(__file__).resolve().parents[3]
HOME = ROOT / "shared/src/pnm/shared/roles.py"
# The role families that carry a code: `feed:dmf`, `terminal:ECT` (or their prefix alone).
FAMILY = re.compile(r"(feed|terminal):(\S|$)")
ROLE_NAMES = frozenset(r.value for r in Role)
# The same words where they do not name a role.
NOT_ROLES = {
    ("shared/src/pnm/shared/dead_letter_api.py", "admin"),  # the OpenAPI tag of the admin routes
    ("cli/src/pnm/cli/kafka_broker.py", "admin"),  # the broker's own SCRAM user
}


def role_strings(source: str) -> list[str]:
    """Every string in the source that is a role, or starts as one of the role families."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and FAMILY.match(str(first.value)):
                found.append(str(first.value))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (node.value in ROLE_NAMES or FAMILY.match(node.value))
        ):
            found.append(node.value)
    return found


def test_role_strings_are_seen_however_they_are_written() -> None:
    assert role_strings('x = "pd-inspector"') == ["pd-inspector"]
    assert role_strings('Requires("feed:dmf", "admin")') == ["feed:dmf", "admin"]
    assert "terminal:" in role_strings('r = f"terminal:{code}"')
    assert role_strings('help = "terminal: roles last a week"') == []
    assert role_strings('"""A docstring that mentions pd-inspector."""') == []


def test_no_source_file_but_the_roles_module_writes_a_role_out() -> None:
    written = [
        f"{path.relative_to(ROOT)}: {value!r}"
        for tree in ("services", "shared", "cli")
        for path in sorted((ROOT / tree).rglob("*.py"))
        if path != HOME and "/migrations/" not in path.as_posix()
        for value in role_strings(path.read_text(encoding="utf-8"))
        if (path.relative_to(ROOT).as_posix(), value) not in NOT_ROLES
    ]
    assert written == []
