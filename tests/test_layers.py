"""The layers depend one way: blueprints → services → timeseries and models (docs/architecture.md).

A service knows nothing of HTTP: it imports no blueprint and no schema, and never reads the
request, its session or what the auth layer made of it (the view passes what the service
needs: the user, the device a key let in). The time-series layer and the models import no
service. Read from the source, so a new module is held to it at once."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_names(path: Path) -> set[str]:
    """Every module a file imports, and every name it imports from one (``flask.request``);
    ``flask.request`` also when it is read as an attribute of an imported ``flask``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "flask":
            names.add(f"flask.{node.attr}")
    return names


def offenders(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    """``path imports name`` for every import of a forbidden module (or anything inside it)."""
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in paths
        for name in sorted(imported_names(path))
        if any(name == module or name.startswith(f"{module}.") for module in forbidden)
    ]


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_the_layers_are_where_this_test_looks():
    assert len(python_files("monitoring/services")) > 30
    assert python_files("monitoring/timeseries")


def test_services_import_no_blueprint_or_schema_and_never_read_the_request():
    assert offenders(python_files("monitoring/services"), ("blueprints", "schemas", "flask.request")) == []


def test_services_learn_the_caller_from_the_view_not_from_the_auth_layer():
    request_state = ("monitoring.auth", "flask.g", "flask.session")
    assert offenders(python_files("monitoring/services"), request_state) == []


def test_timeseries_and_models_import_no_service():
    paths = python_files("monitoring/timeseries") + [ROOT / "monitoring/models.py"]
    assert offenders(paths, ("monitoring.services", "blueprints", "schemas")) == []
