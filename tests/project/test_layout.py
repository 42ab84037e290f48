"""The layers' one-way imports, read from the source: the core never reaches for the Slack
listeners (the app is put together at the edge, ``handlers/app.py``), and Block Kit builders
reach for neither the listeners nor storage."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT


def reaching(package: Path, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    """The modules under ``package`` importing any of ``forbidden`` (a package, or a module
    and what lies under it), with what they import of it."""
    found: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        bad = sorted(n for n in names if any(n == f or n.startswith(f"{f}.")
                                             for f in forbidden))
        if bad:
            found[path.relative_to(package).as_posix()] = bad
    return found


def test_no_module_of_the_core_imports_the_listeners() -> None:
    assert reaching(ROOT / "bot", ("handlers",)) == {}


def test_block_kit_builders_import_no_listener_and_no_storage() -> None:
    assert reaching(ROOT / "blocks", ("handlers", "bot.storage", "sqlalchemy", "httpx",
                                      "slack_sdk")) == {}


def test_an_import_of_the_listeners_is_found(tmp_path: Path) -> None:
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "edge.py").write_text("from handlers.app import start_bot\n")
    (tmp_path / "plain.py").write_text("import handlers\nimport handlersish\n")
    assert reaching(tmp_path, ("handlers",)) == {"deep/edge.py": ["handlers.app"],
                                                 "plain.py": ["handlers"]}
