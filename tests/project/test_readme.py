"""The README stays true: its test command is CI's, and every test it cites exists."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def _commands_after(heading: str) -> str:
    section = README.split(heading, 1)[1]
    return re.search(r"```sh\n(.+?)\n```", section, re.S).group(1).strip()  # type: ignore[union-attr]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _commands_after("## Test it") in ci


def test_the_run_command_starts_the_bot() -> None:
    assert _commands_after("## Run it").endswith(".venv/bin/python -m bot")


def test_every_test_named_under_guarantees_exists() -> None:
    section = README.split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    cited: list[tuple[str, str | None]] = []
    for row in section.splitlines():
        path: str | None = None
        for file, name in re.findall(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`", row):
            path = file or path
            if file or name:
                assert path is not None, f"a test name without a file in: {row}"
                cited.append((path, name or None))
    assert len(cited) >= 20, "the Guarantees table should cite the tests that prove it"
    for path, name in cited:
        source = ROOT / path
        assert source.exists(), f"README cites {path}, which does not exist"
        if name:
            assert f"def {name}(" in source.read_text(), f"README cites {path}::{name}"
