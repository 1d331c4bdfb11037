"""The floor plan (CONTRIBUTING.md, "Rules of the house"; docs/architecture.md, "Services and what
each owns"), read from the imports of the source files: a service imports no other service,
`shared` imports no service, and neither imports `pnm.testing`, the builders of the tests, the
demo and the benchmark."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVICES = sorted(p.name for p in (ROOT / "services").glob("*/src/pnm/*") if p.is_dir())


def imported_modules(source: str) -> set[str]:
    """Every module an `import` or `from ... import` names, wherever it stands in the file."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            # `from pnm import testing` names the package as an imported name.
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def breaches(tree: Path, forbidden: list[str]) -> list[str]:
    """`file: module` for each import under `tree` of a module within a forbidden package."""
    return [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted(tree.rglob("*.py"))
        for module in sorted(imported_modules(path.read_text(encoding="utf-8")))
        if any(within(module, package) for package in forbidden)
    ]


def test_the_services_are_found() -> None:
    assert SERVICES == ["console", "holds", "manifest_ingest", "matcher", "prenotification"]


def test_an_import_of_the_builders_is_seen_however_it_is_written() -> None:
    for source in (
        "import pnm.testing.records",
        "from pnm.testing.records import container",
        "from pnm import testing",
        "def f():\n    from pnm.testing import records\n",
    ):
        assert any(within(m, "pnm.testing") for m in imported_modules(source)), source
    assert not any(within(m, "pnm.testing") for m in imported_modules("import pnm.testingx"))


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service_and_no_test_builders(service: str) -> None:
    others = [f"pnm.{s}" for s in SERVICES if s != service]
    (tree,) = (ROOT / "services").glob(f"*/src/pnm/{service}")
    assert breaches(tree, [*others, "pnm.testing", "pnm.cli"]) == []


def test_shared_imports_no_service_and_no_test_builders() -> None:
    forbidden = [*(f"pnm.{s}" for s in SERVICES), "pnm.testing", "pnm.cli"]
    assert breaches(ROOT / "shared" / "src", forbidden) == []
