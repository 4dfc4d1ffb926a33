"""The domain layer stays pure: no web, database or messaging imports."""

import ast
from pathlib import Path

import pytest

import services.enrolment.domain as domain

FORBIDDEN = (
    "flask",
    "flask_wtf",
    "flask_babel",
    "sqlalchemy",
    "kombu",
    "pika",
    "psycopg",
    "marshmallow",
    "shared",
)
DOMAIN_FILES = sorted(Path(domain.__file__).parent.glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_every_domain_module_is_checked():
    names = {path.name for path in DOMAIN_FILES}
    assert {"edition.py", "application.py", "composition.py", "placement.py", "deadline.py"} <= names


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda path: path.name)
def test_domain_module_imports_nothing_from_the_outer_layers(path):
    offending = {m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN}
    assert not offending, f"{path.name} imports {sorted(offending)}"


def test_yaml_is_only_loaded_safely():
    for path in DOMAIN_FILES:
        source = path.read_text(encoding="utf-8")
        for unsafe in ("yaml.load(", "yaml.unsafe_load", "yaml.full_load", "FullLoader", "UnsafeLoader"):
            assert unsafe not in source, f"{path.name}: {unsafe}"
